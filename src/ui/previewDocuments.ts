// Read-only virtual documents for showing a change before it is applied: a suggestion's XML
// change opens in VS Code's diff editor (`vscode.diff`) between two documents of this scheme,
// which VS Code shows read-only (a content provider, not a file system: nothing to save). Built
// once in extension.ts; the documents live until their tab closes.

import * as vscode from 'vscode';

export const PREVIEW_SCHEME = 'libvirt-vms-preview';

export class PreviewDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private next = 0;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === PREVIEW_SCHEME) this.texts.delete(d.uri.toString());
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** A read-only document holding `text`, named `name` (its tab title and language come from it). */
  document(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${++this.next}/${name}` });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  /**
   * Opens the diff editor between `before` and `after` beside the active editor (a details tab
   * stays in view); the returned function closes it again.
   */
  async showDiff(title: string, name: string, before: string, after: string): Promise<() => Promise<void>> {
    const left = this.document(name, before);
    const right = this.document(name, after);
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: false });
    return async () => {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === right.toString());
      if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
    };
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.texts.clear();
  }
}
