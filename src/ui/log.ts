import * as vscode from 'vscode';

/** The "Virtual Machines" log output channel; one per extension activation, passed around explicitly. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Virtual Machines', { log: true });
}

/** Renders an unknown thrown value as one line of plain text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  return String(err);
}
