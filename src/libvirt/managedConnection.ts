// One logical connection kept alive: reconnects after a drop with exponential backoff and jitter,
// reports its state, and keeps event listeners registered across reconnects (libvirt forgets
// every callback registration when a connection ends, so they are made again on the new one).

import type { Disposable } from './rpc/types';
import {
  Connection,
  type ConnectOptions,
  type DomainEvent,
  type EventSubscription,
  type NetworkEvent,
  type NodeDeviceEvent,
  type SecretEvent,
  type StoragePoolEvent,
} from './connection';
import type { SubscribeOptions } from './events';

export type ConnectionState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected'; readonly conn: Connection }
  | { readonly kind: 'disconnected'; readonly reason: string; readonly retryInMs?: number };

export interface BackoffOptions {
  /** Delay before the first retry. Default 1000. */
  readonly initialMs: number;
  /** Upper bound of the delay. Default 30000. */
  readonly maxMs: number;
}

export interface ManagedConnectionOptions {
  readonly uri: string;
  readonly connectOptions?: ConnectOptions;
  readonly backoff?: BackoffOptions;
}

export class ConnectionDisposedError extends Error {
  constructor() {
    super('the connection was disposed');
    this.name = 'ConnectionDisposedError';
  }

  static is(e: unknown): e is ConnectionDisposedError {
    return e instanceof ConnectionDisposedError;
  }
}

interface ManagedSubscription {
  readonly attach: (conn: Connection) => EventSubscription;
  current: EventSubscription | undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Delay of retry number `n` (1-based): initial * 2^(n-1), capped, then "equal jitter" (between
 * half and all of it) so that many clients of a restarted daemon do not reconnect in lockstep.
 */
export function backoffDelay(n: number, b: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(Math.max(n - 1, 0), 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

export class ManagedConnection implements Disposable {
  private currentState: ConnectionState = { kind: 'idle' };
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly subs = new Set<ManagedSubscription>();
  private readonly backoff: BackoffOptions;
  private conn: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Failed attempts since the last successful connection. */
  private failures = 0;
  private attempts = 0;
  private disposed = false;

  constructor(private readonly options: ManagedConnectionOptions) {
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 30000 };
  }

  get uri(): string {
    return this.options.uri;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  current(): Connection | undefined {
    return this.conn;
  }

  onStateChange(listener: (s: ConnectionState) => void): Disposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  /**
   * The live connection, opening it if needed. When this attempt fails the promise rejects with
   * its error and retries go on in the background (see `state`).
   */
  connect(): Promise<Connection> {
    if (this.disposed) return Promise.reject(new ConnectionDisposedError());
    if (this.conn) return Promise.resolve(this.conn);
    if (this.connecting) return this.connecting;
    this.clearRetry();
    return this.attempt();
  }

  /**
   * A new connection to the same URI with the same options (credentials, prompts, SSH session
   * pool, so over SSH it is another channel on the same session), outside the reconnect logic;
   * the caller closes it. For work that pauses reading, such as a volume download (see
   * rpc/stream.ts), which would otherwise stall this connection's calls, events and keepalive.
   */
  openSeparate(): Promise<Connection> {
    if (this.disposed) return Promise.reject(new ConnectionDisposedError());
    return Connection.open(this.options.uri, this.options.connectOptions);
  }

  /** Skips the remaining backoff delay. */
  retryNow(): void {
    if (this.disposed || this.conn || this.connecting) return;
    this.connect().catch(() => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearRetry();
    const conn = this.conn;
    this.conn = undefined;
    for (const s of this.subs) s.current = undefined;
    this.subs.clear();
    if (conn) void conn.close().catch(() => undefined);
    this.setState({ kind: 'idle' });
    this.stateListeners.clear();
  }

  // Event listeners that outlive any one connection.

  onDomainEvent(listener: (e: DomainEvent) => void, opts?: SubscribeOptions<DomainEvent['kind']>): Disposable {
    return this.subscribe((c) => c.onDomainEvent(listener, opts));
  }

  onNetworkEvent(listener: (e: NetworkEvent) => void, opts?: SubscribeOptions<NetworkEvent['kind']>): Disposable {
    return this.subscribe((c) => c.onNetworkEvent(listener, opts));
  }

  onStoragePoolEvent(listener: (e: StoragePoolEvent) => void, opts?: SubscribeOptions<StoragePoolEvent['kind']>): Disposable {
    return this.subscribe((c) => c.onStoragePoolEvent(listener, opts));
  }

  onNodeDeviceEvent(listener: (e: NodeDeviceEvent) => void, opts?: SubscribeOptions<NodeDeviceEvent['kind']>): Disposable {
    return this.subscribe((c) => c.onNodeDeviceEvent(listener, opts));
  }

  onSecretEvent(listener: (e: SecretEvent) => void, opts?: SubscribeOptions<SecretEvent['kind']>): Disposable {
    return this.subscribe((c) => c.onSecretEvent(listener, opts));
  }

  /**
   * The listener is attached to the current connection (if any) and to every later one.
   * `ready` settles when it is registered on the current connection.
   */
  private subscribe(attach: (conn: Connection) => EventSubscription): EventSubscription {
    const sub: ManagedSubscription = { attach, current: undefined };
    if (this.disposed) {
      const ready = Promise.reject(new ConnectionDisposedError());
      ready.catch(() => undefined);
      return { ready, dispose: () => undefined };
    }
    this.subs.add(sub);
    if (this.conn) sub.current = attach(this.conn);
    const ready = sub.current ? sub.current.ready : Promise.resolve();
    return {
      ready,
      dispose: () => {
        this.subs.delete(sub);
        sub.current?.dispose();
        sub.current = undefined;
      },
    };
  }

  private attempt(): Promise<Connection> {
    const p = this.openOnce();
    this.connecting = p;
    const clear = (): void => {
      if (this.connecting === p) this.connecting = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async openOnce(): Promise<Connection> {
    this.attempts++;
    this.setState({ kind: 'connecting', attempt: this.attempts });
    let conn: Connection;
    try {
      conn = await Connection.open(this.options.uri, this.options.connectOptions);
    } catch (e) {
      if (this.disposed) throw new ConnectionDisposedError();
      this.failures++;
      this.scheduleRetry(errorText(e));
      throw e;
    }
    if (this.disposed) {
      await conn.close().catch(() => undefined);
      throw new ConnectionDisposedError();
    }
    this.failures = 0;
    this.attempts = 0;
    this.conn = conn;
    conn.onClose((err) => this.dropped(conn, err));
    // Re-register every listener before reporting "connected", so that callers who wait for
    // that state do not miss events.
    const readies: Promise<void>[] = [];
    for (const s of this.subs) {
      s.current = s.attach(conn);
      readies.push(s.current.ready);
    }
    await Promise.allSettled(readies);
    if (this.conn !== conn) {
      // Dropped (or disposed) while re-registering; dropped() has taken over.
      if (this.disposed) throw new ConnectionDisposedError();
      throw new Error(this.currentState.kind === 'disconnected' ? this.currentState.reason : 'connection lost');
    }
    if (conn.closed) {
      this.dropped(conn, new Error('connection closed during setup'));
      throw new Error('connection closed during setup');
    }
    this.setState({ kind: 'connected', conn });
    return conn;
  }

  private dropped(conn: Connection, err: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    for (const s of this.subs) s.current = undefined;
    if (this.disposed) return;
    this.failures++;
    this.scheduleRetry(err ? errorText(err) : 'connection closed');
  }

  private scheduleRetry(reason: string): void {
    this.clearRetry();
    const delay = backoffDelay(this.failures, this.backoff);
    this.setState({ kind: 'disconnected', reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.disposed && !this.conn && !this.connecting) this.attempt().catch(() => undefined);
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setState(s: ConnectionState): void {
    this.currentState = s;
    for (const l of [...this.stateListeners]) {
      try {
        l(s);
      } catch {
        // A state listener's failure must not stop the others or the reconnect loop.
      }
    }
  }
}
