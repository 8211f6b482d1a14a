// One SSH connection per login and host-key policy, shared by everything that needs the host:
// the RPC channel, port forwards (VNC/SPICE) and unix socket forwards. Reference counted: the
// connection ends when the last user releases it.

import * as net from 'node:net';
import * as path from 'node:path';
import type { Client, ClientChannel } from 'ssh2';
import { ssh2 } from '../lazyModules';
import { createAuthHandler, DEFAULT_SSH_AUTH, type SshPrompts } from './sshAuth';
import { defaultKnownHostsFile, verifyHostKey, type HostKeyPolicy } from './sshHostKey';
import { RemoteCommandLimitError, TransportError } from './transportErrors';
import type { SshAuthMethod } from '../uri';

/** Bounds on a remote command's output (see SshSession.output). */
export interface OutputLimits {
  /** Most stdout bytes accepted. */
  readonly maxBytes: number;
  /** Time from starting the command to its end. */
  readonly timeoutMs: number;
}

const STDERR_KEEP = 4096;

export interface SshSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly auth?: readonly SshAuthMethod[];
  readonly keyFile?: string;
  /** Default: $SSH_AUTH_SOCK. */
  readonly agentSocket?: string;
  readonly prompts?: SshPrompts;
  readonly hostKey: HostKeyPolicy;
  /** Time for connect + handshake + authentication (including prompts). Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** SSH-level keepalive. Default 15 s, 4 missed. */
  readonly keepaliveIntervalMs?: number;
}

export class SshSession {
  private refs = 0;
  private ended = false;
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    /** user@host:port, for messages. */
    readonly label: string,
    private readonly client: Client,
  ) {
    client.on('close', () => this.markEnded());
    client.on('error', () => this.markEnded());
  }

  static connect(opts: SshSessionOptions): Promise<SshSession> {
    const client = new (ssh2().Client)();
    const key = sessionLabel(opts);
    let hostKeyError: Error | undefined;
    const auth = createAuthHandler({
      user: opts.user,
      host: opts.host,
      methods: opts.auth ?? DEFAULT_SSH_AUTH,
      keyFile: opts.keyFile,
      agentSocket: agentSocketOf(opts),
      prompts: opts.prompts ?? {},
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        client.removeListener('ready', onReady);
        client.end();
        const cause: Error = hostKeyError ?? err;
        const message = `SSH connection to ${key} failed: ${cause.message}`;
        reject(TransportError.is(cause) ? cause : new TransportError(message, { cause }));
      };
      const onReady = (): void => {
        client.removeListener('error', onError);
        resolve(new SshSession(key, client));
        auth.succeeded();
      };
      client.once('error', onError);
      client.once('ready', onReady);
      // ssh2 may report more than one error for a failed connection; the first one decides.
      client.on('error', () => undefined);
      // Our own socket (see connectSshSocket); ssh2 waits for its 'connect' and reports its errors.
      const sock = connectSshSocket(opts.host, opts.port);
      client.connect({
        sock,
        host: opts.host,
        port: opts.port,
        username: opts.user,
        readyTimeout: opts.readyTimeoutMs ?? 60000,
        keepaliveInterval: opts.keepaliveIntervalMs ?? 15000,
        keepaliveCountMax: 4,
        hostVerifier: (hostKey: Buffer, verify: (valid: boolean) => void) => {
          verifyHostKey(opts.hostKey, opts.host, opts.port, hostKey).then(
            () => verify(true),
            (err: Error) => {
              hostKeyError = err;
              verify(false);
            },
          );
        },
        authHandler: auth.handler,
      });
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  retain(): void {
    this.refs++;
  }

  /** Drops one reference; the connection ends with the last one. */
  release(): void {
    this.refs = Math.max(0, this.refs - 1);
    if (this.refs === 0) this.end();
  }

  end(): void {
    if (!this.ended) this.client.end();
    this.markEnded();
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.add(listener);
  }

  /** Runs a command; the channel is its stdin/stdout. */
  exec(command: string): Promise<ClientChannel> {
    return this.open(`exec ${command.slice(0, 40)}`, (cb) => this.client.exec(command, cb));
  }

  /**
   * Runs a command and returns its stdout once it exits with status 0. Past either limit the
   * channel is closed (the command sees its input and output end; it is also sent SIGKILL,
   * which OpenSSH honours only for sessions under privilege separation, not root logins) and
   * the promise rejects with RemoteCommandLimitError. Another exit status rejects with stderr.
   */
  async output(command: string, limits: OutputLimits): Promise<Buffer> {
    const what = `'${command.slice(0, 60)}' on ${this.label}`;
    const started = Date.now();
    const channel = await this.exec(command);
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = '';
      let exitCode: number | null = null;
      let settled = false;
      const finish = (err: Error | undefined, out?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          chunks.length = 0;
          stop();
          reject(err);
        } else {
          resolve(out!);
        }
      };
      const stop = (): void => {
        try {
          channel.signal('KILL');
        } catch {
          // The channel may already be closing.
        }
        channel.close();
      };
      const timer = setTimeout(
        () => finish(new RemoteCommandLimitError(what, 'time', limits.timeoutMs)),
        Math.max(0, limits.timeoutMs - (Date.now() - started)),
      );
      channel.on('data', (b: Buffer) => {
        bytes += b.length;
        if (bytes > limits.maxBytes) finish(new RemoteCommandLimitError(what, 'size', limits.maxBytes));
        else chunks.push(b);
      });
      channel.stderr.on('data', (b: Buffer) => {
        if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8');
      });
      channel.on('exit', (code: number | null) => (exitCode = code));
      channel.on('error', (err: Error) => finish(new TransportError(`${what} failed: ${err.message}`, { cause: err })));
      channel.on('close', () => {
        if (exitCode === 0) finish(undefined, Buffer.concat(chunks));
        else finish(new TransportError(`${what} exited with ${exitCode ?? 'a signal'}: ${stderr.trim() || 'no error output'}`));
      });
    });
  }

  /** A TCP connection from the SSH server to host:port (ssh -L). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return this.open(`forward to ${host}:${port}`, (cb) => this.client.forwardOut('127.0.0.1', 0, host, port, cb));
  }

  /** A connection to a unix socket on the SSH server (OpenSSH direct-streamlocal). */
  openStreamLocal(socketPath: string): Promise<ClientChannel> {
    return this.open(`forward to ${socketPath}`, (cb) => this.client.openssh_forwardOutStreamLocal(socketPath, cb));
  }

  private open(what: string, start: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void): Promise<ClientChannel> {
    if (this.ended) return Promise.reject(new TransportError(`SSH connection ${this.label} is closed`));
    return new Promise((resolve, reject) => {
      start((err, channel) => {
        if (err) reject(new TransportError(`SSH ${what} on ${this.label} failed: ${err.message}`, { cause: err }));
        else resolve(channel);
      });
    });
  }

  private markEnded(): void {
    if (this.ended && this.closeListeners.size === 0) return;
    this.ended = true;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const l of listeners) l();
  }
}

/**
 * The TCP connection under an SSH session. Without ssh2's optional native crypto helper (never in
 * the bundle we ship: see esbuild.mjs), ssh2 writes each encrypted packet as several small socket
 * writes (length, ciphertext, authentication tag). With Nagle's algorithm on (Node's default), the
 * last of them waited for the server's delayed ACK, about 40 ms on Linux, on every round trip: the
 * key exchange, each authentication step, each channel request, each RPC call. So Nagle is off (as
 * OpenSSH's client does for interactive sessions), and the writes of one tick are corked into one
 * writev (Node's documented cork, then uncork on the next tick): one system call and one TCP
 * segment per packet, or per burst of pipelined calls, instead of three. Measured against a local
 * sshd (bench/sshConnect.ts): connect + auth 150-220 ms with Nagle, 35-60 ms without.
 *
 * The corking wraps this socket's write() after connect(): net.Socket's connect() itself resets
 * write to net.Socket.prototype.write, so a subclass's override would not survive it.
 */
export function connectSshSocket(host: string, port: number): net.Socket {
  const sock = net.connect({ host, port });
  sock.setNoDelay(true);
  const write = sock.write as (...args: unknown[]) => boolean;
  let corked = false;
  sock.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write.apply(sock, args);
  }) as typeof sock.write;
  return sock;
}

/** user@host:port, for messages; not an identity (see sessionPoolKey). */
export function sessionLabel(t: { user: string; host: string; port: number }): string {
  return `${t.user}@${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

function agentSocketOf(opts: SshSessionOptions): string | undefined {
  return opts.agentSocket ?? process.env['SSH_AUTH_SOCK'];
}

/**
 * The identity of a session in the pool: every input that decides whom the server authenticated
 * and which host key was accepted. Two option sets share a session only when all of these are
 * equal: user, host, port, the authentication methods in order, the key file (or the default
 * identities), the agent socket, the known_hosts file and the verification mode (no_verify,
 * known_hosts_verify). A connection with a stricter policy, another known_hosts file or another
 * key therefore gets its own session, checked under its own settings.
 *
 * The callbacks (prompts, confirmUnknownHost) are not part of the identity: functions cannot be
 * compared, and they only supply answers within the policy above. A password or passphrase logs
 * in as the same user the key names; an unknown host key that a user accepts is recorded in
 * that same known_hosts file, so a later connect with the same policy would accept it without
 * asking; a declined one fails the connect and leaves no session to share. Timeouts and
 * keepalive do not decide trust and are not part of it either.
 */
export function sessionPoolKey(opts: SshSessionOptions): string {
  const agent = agentSocketOf(opts);
  return JSON.stringify([
    opts.user,
    opts.host,
    opts.port,
    opts.auth ?? DEFAULT_SSH_AUTH,
    opts.keyFile === undefined ? null : path.resolve(opts.keyFile),
    agent === undefined ? null : path.resolve(agent),
    path.resolve(opts.hostKey.knownHostsFile ?? defaultKnownHostsFile()),
    opts.hostKey.verify,
    opts.hostKey.noVerify,
  ]);
}

/** Shares SshSessions between users with the same sessionPoolKey. */
export class SshSessionPool {
  private readonly sessions = new Map<string, Promise<SshSession>>();

  /** Returns a retained session; call release() on it when done. */
  async acquire(opts: SshSessionOptions): Promise<SshSession> {
    const key = sessionPoolKey(opts);
    let pending = this.sessions.get(key);
    if (pending) {
      const existing = await pending.catch(() => undefined);
      if (!existing || existing.closed) {
        if (this.sessions.get(key) === pending) this.sessions.delete(key);
        pending = undefined;
      }
    }
    if (!pending) {
      pending = SshSession.connect(opts);
      this.sessions.set(key, pending);
      pending.then(
        (s) => s.onClose(() => {
          if (this.sessions.get(key) === pending) this.sessions.delete(key);
        }),
        () => {
          if (this.sessions.get(key) === pending) this.sessions.delete(key);
        },
      );
    }
    const session = await pending;
    session.retain();
    return session;
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The pool used when the caller does not bring its own. */
export const sharedSshSessions = new SshSessionPool();
