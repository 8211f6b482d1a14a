// In-memory stand-ins for the extension's SecretStorage and global state, for the console suites
// that run a ConsoleManager of their own (their secrets and choices must not touch the real
// extension's), and the ConsoleManager context built on them.
import * as vscode from 'vscode';
import { ClipboardSharingChoices } from '../../../src/console/clipboardSharing';
import { ConnectionSecrets } from '../../../src/connections/connectionSecrets';
import type { GraphicalSessionOptions } from '../../../src/console/graphicalSession';

export class MemorySecrets implements vscode.SecretStorage {
  private readonly values = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.emitter.event;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

export class MemoryMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : defaultValue;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
  }
}

/** A ConsoleManager's context with its own in-memory secrets and clipboard choices. */
export function memoryConsoleContext(
  extensionUri: vscode.Uri,
  session?: GraphicalSessionOptions,
): { extensionUri: vscode.Uri; secrets: ConnectionSecrets; clipboardSharing: ClipboardSharingChoices; session?: GraphicalSessionOptions } {
  return {
    extensionUri,
    secrets: new ConnectionSecrets(new MemorySecrets(), new MemoryMemento()),
    clipboardSharing: new ClipboardSharingChoices(new MemoryMemento()),
    ...(session ? { session } : {}),
  };
}
