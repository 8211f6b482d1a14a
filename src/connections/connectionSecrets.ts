// Every secret the extension keeps for one saved connection, in VS Code's SecretStorage: the SSH
// password and key passphrase (one each per connection) and one VNC password per VM. VS Code's
// SecretStorage cannot list its keys (engine 1.100), so the keys of per-VM secrets are recorded in
// global state (only the key names, never a value), and Remove Connection deletes exactly those.

import type * as vscode from 'vscode';
import { secretKey } from './sshPrompts';

/** A secret bound to one key: what a console session or a prompt needs, nothing more. */
export interface BoundSecret {
  get(): Promise<string | undefined>;
  store(value: string): Promise<void>;
  delete(): Promise<void>;
}

const INDEX_KEY = 'libvirtVms.secretKeys';

type SecretIndex = Readonly<Record<string, readonly string[]>>;

function isSecretIndex(v: unknown): v is SecretIndex {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((keys) => Array.isArray(keys) && keys.every((k) => typeof k === 'string'));
}

/** The SecretStorage key of a VM's VNC password (the format stored by earlier versions too). */
export function vncSecretKey(connectionId: string, domainUuid: string): string {
  return `vncPassword:${connectionId}:${domainUuid}`;
}

export class ConnectionSecrets {
  /** Index updates are serialised: two consoles storing at once must not lose a key name. */
  private indexQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  /** The VNC password of one VM on one connection. */
  vncPassword(connectionId: string, domainUuid: string): BoundSecret {
    const key = vncSecretKey(connectionId, domainUuid);
    return {
      get: async () => this.secrets.get(key),
      store: async (value) => {
        await this.record(connectionId, key);
        await this.secrets.store(key, value);
      },
      delete: async () => this.secrets.delete(key),
    };
  }

  /** The SSH password or key passphrase remembered for a connection. */
  ssh(connectionId: string, kind: 'password' | 'passphrase'): BoundSecret {
    const key = secretKey(connectionId, kind);
    return {
      get: async () => this.secrets.get(key),
      store: async (value) => this.secrets.store(key, value),
      delete: async () => this.secrets.delete(key),
    };
  }

  /** Key names recorded for a connection (for tests and for removal). */
  recordedKeys(connectionId: string): readonly string[] {
    return this.index()[connectionId] ?? [];
  }

  /**
   * Deletes every secret of the connection: its SSH password and passphrase, every VNC password
   * recorded for it, and, where the host's SecretStorage can list keys, any older VNC password of
   * the connection that predates the index. Returns the number of keys deleted.
   */
  async removeAll(connectionId: string): Promise<number> {
    const keys = new Set<string>([secretKey(connectionId, 'password'), secretKey(connectionId, 'passphrase'), ...this.recordedKeys(connectionId)]);
    const prefix = vncSecretKey(connectionId, '');
    for (const k of await this.listedKeys()) if (k.startsWith(prefix)) keys.add(k);
    let deleted = 0;
    for (const key of keys) {
      if ((await this.secrets.get(key)) !== undefined) deleted++;
      await this.secrets.delete(key);
    }
    await this.updateIndex((index) => Object.fromEntries(Object.entries(index).filter(([id]) => id !== connectionId)));
    return deleted;
  }

  private index(): SecretIndex {
    const v: unknown = this.state.get(INDEX_KEY);
    return isSecretIndex(v) ? v : {};
  }

  private record(connectionId: string, key: string): Promise<void> {
    return this.updateIndex((index) => {
      const keys = index[connectionId] ?? [];
      return keys.includes(key) ? index : { ...index, [connectionId]: [...keys, key] };
    });
  }

  private updateIndex(change: (index: SecretIndex) => SecretIndex): Promise<void> {
    const run = this.indexQueue.then(async () => {
      const before = this.index();
      const after = change(before);
      if (after !== before) await this.state.update(INDEX_KEY, after);
    });
    this.indexQueue = run.catch(() => undefined);
    return run;
  }

  /** SecretStorage.keys() exists in newer VS Code versions only: used when present. */
  private async listedKeys(): Promise<readonly string[]> {
    const withKeys = this.secrets as vscode.SecretStorage & { keys?: () => Thenable<string[]> };
    if (typeof withKeys.keys !== 'function') return [];
    try {
      return await withKeys.keys();
    } catch {
      return [];
    }
  }
}
