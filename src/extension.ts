import * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Wiring is added as the views and commands land.
}

export function deactivate(): void {
  // Nothing to release yet.
}
