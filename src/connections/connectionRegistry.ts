import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { ManagedConnection } from '../libvirt/managedConnection';
import type { ConnectionConfig } from './connectionConfig';
import type { ConnectionStore } from './connectionStore';
import { firstRunConnection } from './localConnection';

export interface ConnectionEntry {
  readonly config: ConnectionConfig;
  readonly managed: ManagedConnection;
}

export interface ManagedParts {
  readonly managed: ManagedConnection;
  /** Called before a user-initiated connect (re-enables prompts the user dismissed earlier). */
  readonly beforeUserConnect?: () => void;
}

export type ManagedFactory = (config: ConnectionConfig) => ManagedParts;

const LOCAL_OFFERED_KEY = 'libvirtVms.localConnectionOffered';

export class UnknownConnectionError extends Error {
  constructor(readonly id: string) {
    super(`No saved connection with id ${id}`);
    this.name = 'UnknownConnectionError';
  }

  static is(e: unknown): e is UnknownConnectionError {
    return e instanceof UnknownConnectionError;
  }
}

/**
 * The saved connections and one ManagedConnection each. Follows the setting (edited by hand or
 * by the commands); a connection whose URI changes, or that is disconnected, gets a fresh
 * ManagedConnection.
 */
export class ConnectionRegistry implements vscode.Disposable {
  private entries = new Map<string, ConnectionEntry>();
  /** Connections being added: listed at once, while the setting is still being written. */
  private readonly adding = new Map<string, ConnectionConfig>();
  private writing: Promise<unknown> = Promise.resolve();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly stateEmitter = new vscode.EventEmitter<ConnectionEntry>();
  private readonly stateSubs = new Map<string, { dispose(): void }>();
  private readonly userConnectHooks = new Map<string, () => void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Fired when connections are added, removed, renamed or replaced. */
  readonly onDidChange = this.changeEmitter.event;
  /** Fired when any connection's state changes. */
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly store: ConnectionStore,
    private readonly factory: ManagedFactory,
  ) {
    this.disposables.push(store.onDidChange(() => this.sync()));
    this.sync();
  }

  list(): readonly ConnectionEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): ConnectionEntry {
    const e = this.entries.get(id);
    if (!e) throw new UnknownConnectionError(id);
    return e;
  }

  /**
   * Adds the local connection once, on first run, when no connection is saved (see
   * firstRunConnection). It is listed before this returns (the settings write that follows takes a
   * few hundred milliseconds), so the tree's first rows already show it.
   */
  async addLocalOnFirstRun(state: vscode.Memento, exists?: (path: string) => boolean): Promise<void> {
    if (state.get<boolean>(LOCAL_OFFERED_KEY)) return;
    const local = firstRunConnection(this.list().map((e) => e.config), exists);
    const added = local ? this.add({ ...local, autoconnect: true }) : undefined;
    await Promise.all([state.update(LOCAL_OFFERED_KEY, true), added]);
  }

  /** Saves a new connection; it is listed at once, and dropped again if the setting cannot be written. */
  async add(c: Omit<ConnectionConfig, 'id'>): Promise<ConnectionConfig> {
    const config: ConnectionConfig = { id: randomUUID(), ...c };
    this.adding.set(config.id, config);
    this.sync();
    try {
      await this.change((saved) => [...saved, config]);
    } finally {
      this.adding.delete(config.id);
      this.sync();
    }
    return config;
  }

  async remove(id: string): Promise<void> {
    await this.change((saved) => saved.filter((c) => c.id !== id));
    this.sync();
  }

  async update(id: string, change: Partial<Omit<ConnectionConfig, 'id'>>): Promise<void> {
    await this.change((saved) => saved.map((c) => (c.id === id ? { ...c, ...change } : c)));
    this.sync();
  }

  /**
   * Writes the setting one change at a time, each applied to what the previous one wrote: a
   * connection listed while its add is still being written is not lost to a later change.
   */
  private change(edit: (saved: ConnectionConfig[]) => ConnectionConfig[]): Promise<void> {
    const run = this.writing.then(() => this.store.write(edit(this.store.read())));
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Connects on the user's request (Connect, Retry, Add Connection): prompts may be shown again. */
  connect(id: string): Promise<unknown> {
    const e = this.get(id);
    this.userConnectHooks.get(id)?.();
    return e.managed.connect();
  }

  /** Closes the connection; it stays idle until connected again. */
  disconnect(id: string): void {
    const e = this.get(id);
    this.replace(e.config);
    this.changeEmitter.fire();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const s of this.stateSubs.values()) s.dispose();
    for (const e of this.entries.values()) e.managed.dispose();
    this.entries.clear();
    this.changeEmitter.dispose();
    this.stateEmitter.dispose();
  }

  private replace(config: ConnectionConfig): ConnectionEntry {
    const old = this.entries.get(config.id);
    this.stateSubs.get(config.id)?.dispose();
    old?.managed.dispose();
    const parts = this.factory(config);
    const entry: ConnectionEntry = { config, managed: parts.managed };
    this.entries.set(config.id, entry);
    if (parts.beforeUserConnect) this.userConnectHooks.set(config.id, parts.beforeUserConnect);
    else this.userConnectHooks.delete(config.id);
    this.stateSubs.set(config.id, entry.managed.onStateChange(() => this.stateEmitter.fire(entry)));
    return entry;
  }

  private sync(): void {
    const stored = this.store.read();
    const configs = [...stored, ...[...this.adding.values()].filter((a) => !stored.some((c) => c.id === a.id))];
    const next = new Map<string, ConnectionEntry>();
    let changed = configs.length !== this.entries.size;
    for (const c of configs) {
      const old = this.entries.get(c.id);
      if (old && old.config.uri === c.uri) {
        const same = old.config.name === c.name && old.config.autoconnect === c.autoconnect;
        next.set(c.id, same ? old : { config: c, managed: old.managed });
        if (!same) changed = true;
      } else {
        next.set(c.id, this.replace(c));
        changed = true;
      }
    }
    for (const [id, e] of this.entries) {
      if (!next.has(id)) {
        this.stateSubs.get(id)?.dispose();
        this.stateSubs.delete(id);
        this.userConnectHooks.delete(id);
        e.managed.dispose();
      }
    }
    const order = [...this.entries.keys()].join();
    this.entries = next;
    if (changed || order !== [...next.keys()].join()) this.changeEmitter.fire();
  }
}
