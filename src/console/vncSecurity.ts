// The start of a VNC connection, done by the extension host so that a display that requires
// VeNCrypt TLS (QEMU with vnc_tls = 1) reaches noVNC as a plain RFB stream. RFB: RFC 6143
// sections 7.1.1-7.1.3 (ProtocolVersion, Security, SecurityResult); VeNCrypt (security type 19):
// the extension documented by the VeNCrypt project and implemented by QEMU's
// ui/vnc-auth-vencrypt.c:
//   server: version 0.2 (2 bytes)            client: 0.2 (2 bytes)
//   server: 0 = version accepted (1 byte), then a count (1 byte) and that many subtypes (u32 each)
//   client: the chosen subtype (u32)         server: 1 = accepted (1 byte)
//   then a TLS handshake on the same socket; after it the inner security of the subtype runs
//   inside TLS exactly as the plain type would (X509None: like None; X509Vnc: the VNC DES
//   challenge; X509Plain: user name and password).
//
// How noVNC is kept unchanged: the host does the version and security exchange with the server
// itself, then replays to noVNC a synthetic greeting: the same ProtocolVersion, then (once noVNC
// sent its version: it handles one step per received message) a security list that offers only
// the inner type (1 = None, 2 = VNC authentication). noVNC answers
// with its ProtocolVersion and its choice of type; those bytes were already said to the server by
// the host and are dropped (`skipClientBytes`). From there on every byte passes unchanged (inside
// TLS): the SecurityResult, the VNC challenge and its response, ClientInit, ServerInit...
// For a display without VeNCrypt the result carries its own list (the console closes that
// connection and gives noVNC a fresh one: graphicalSession.ts openDisplayStream).
//
// Not offered: X509Plain (262) and TLSPlain (259), whose inner "Plain" has no one-byte RFB type
// to replay (noVNC knows it only inside VeNCrypt) and which QEMU does not use; X509SASL (263);
// the anonymous TLS subtypes (257, 258), which QEMU uses only with vnc_tls and no x509 directory
// (libvirt always sets one) and which authenticate nobody.

import type { Duplex } from 'node:stream';
import { startDisplayTls, type DisplayTlsConfig } from './displayTls';

export const RFB_SECURITY = { invalid: 0, none: 1, vncAuth: 2, veNCrypt: 19 } as const;

export const VENCRYPT_SUBTYPES: Readonly<Record<number, string>> = {
  256: 'Plain',
  257: 'TLSNone',
  258: 'TLSVnc',
  259: 'TLSPlain',
  260: 'X509None',
  261: 'X509Vnc',
  262: 'X509Plain',
  263: 'X509SASL',
  264: 'TLSSASL',
};

/** The VeNCrypt subtypes this console speaks, and the plain RFB type each carries inside TLS. */
const SUPPORTED_SUBTYPES: ReadonlyMap<number, number> = new Map([
  [260, RFB_SECURITY.none],
  [261, RFB_SECURITY.vncAuth],
]);

/** A display stream after the host's part of the handshake. */
export interface PreparedDisplayStream {
  /** The byte stream to relay: the TCP/SSH stream, or the TLS socket over it. */
  readonly socket: Duplex;
  /** Bytes the viewer receives first, before anything read from `socket`. */
  readonly greeting: Uint8Array;
  /**
   * Bytes the viewer receives once it has sent `afterClientBytes` bytes (the security list, after
   * its ProtocolVersion): noVNC handles one handshake step per received message and waits for
   * the next message, so a version and a list in one message would leave the list unread.
   */
  readonly reply?: { readonly afterClientBytes: number; readonly bytes: Uint8Array };
  /** How many of the viewer's first bytes to drop (its part of the handshake already done). */
  readonly skipClientBytes: number;
  /** TLS protects the stream (VeNCrypt). */
  readonly encrypted: boolean;
}

export class VncSecurityError extends Error {
  override readonly name = 'VncSecurityError';
  static is(e: unknown): e is VncSecurityError {
    return e instanceof VncSecurityError;
  }
}

/** Reads exact byte counts from a stream in paused mode; leaves the rest unread for the relay. */
class ExactReader {
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onReadable = (): void => this.pump();
  private readonly onEnd = (): void => this.fail(new VncSecurityError('the VNC server closed the connection during the handshake'));
  private readonly onError = (err: Error): void => this.fail(new VncSecurityError(`the VNC connection failed during the handshake: ${err.message}`));

  constructor(private readonly socket: Duplex) {
    socket.on('readable', this.onReadable);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  read(n: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.pump();
    });
  }

  /** Stops reading; the stream goes back to the state where a 'data' listener makes it flow. */
  detach(): void {
    this.socket.off('readable', this.onReadable);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }

  private pump(): void {
    const w = this.waiter;
    if (!w) return;
    const chunk = this.socket.read(w.n) as Buffer | null;
    if (chunk === null) return;
    this.waiter = undefined;
    w.resolve(chunk);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new VncSecurityError(`${what} did not answer the VNC handshake in ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export interface VncNegotiationOptions {
  /** The TLS credentials, asked for only when the server requires VeNCrypt. */
  readonly tls: () => DisplayTlsConfig;
  /** Names the display in errors, e.g. "the VNC display of vm1". */
  readonly what: string;
  readonly timeoutMs?: number;
}

const enc = new TextEncoder();

function subtypeNames(subtypes: readonly number[]): string {
  return subtypes.map((s) => `${VENCRYPT_SUBTYPES[s] ?? 'unknown'} (${s})`).join(', ');
}

/**
 * Does the host's part of the VNC handshake on `raw` (see the file comment). Resolves with the
 * stream to relay; on failure `raw` is destroyed and the error says what the display requires.
 */
export async function negotiateVncSecurity(raw: Duplex, opts: VncNegotiationOptions): Promise<PreparedDisplayStream> {
  const reader = new ExactReader(raw);
  const read = (n: number): Promise<Buffer> => withTimeout(reader.read(n), opts.timeoutMs ?? 10_000, opts.what);
  try {
    const version = await read(12);
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(version.toString('latin1'));
    if (!m) throw new VncSecurityError(`${opts.what} is not a VNC server (it said ${JSON.stringify(version.toString('latin1'))})`);
    const minor = Number(m[1]) > 3 ? 8 : Number(m[2]);
    if (minor < 7) {
      // RFB 3.3: the server alone picks the type; noVNC takes over from the first byte.
      reader.detach();
      return { socket: raw, greeting: new Uint8Array(version), skipClientBytes: 0, encrypted: false };
    }
    // Speak the highest version both sides know (3.7 or 3.8) and make noVNC speak it too.
    const ours = enc.encode(`RFB 003.00${minor >= 8 ? 8 : 7}\n`);
    raw.write(ours);
    const [count] = await read(1);
    if (count === 0) {
      const len = await read(4);
      const reason = await read(len.readUInt32BE(0));
      reader.detach();
      return { socket: raw, greeting: ours, reply: { afterClientBytes: ours.length, bytes: concat(Uint8Array.of(0), len, reason) }, skipClientBytes: ours.length, encrypted: false };
    }
    const types = [...(await read(count!))];
    if (!types.includes(RFB_SECURITY.veNCrypt)) {
      reader.detach();
      return { socket: raw, greeting: ours, reply: { afterClientBytes: ours.length, bytes: Uint8Array.of(types.length, ...types) }, skipClientBytes: ours.length, encrypted: false };
    }
    // The host's admin asked for TLS: use it even when a clear-text type is offered beside it.
    const tlsCfg = opts.tls();
    raw.write(Uint8Array.of(RFB_SECURITY.veNCrypt));
    const [major, vminor] = await read(2);
    if (major !== 0 || vminor! < 2) throw new VncSecurityError(`${opts.what} speaks VeNCrypt ${major}.${vminor}; only 0.2 is supported`);
    raw.write(Uint8Array.of(0, 2));
    const [status] = await read(1);
    if (status !== 0) throw new VncSecurityError(`${opts.what} refused VeNCrypt version 0.2`);
    const [subCount] = await read(1);
    const subBytes = await read(4 * subCount!);
    const subtypes = Array.from({ length: subCount! }, (_, i) => subBytes.readUInt32BE(4 * i));
    const chosen = subtypes.find((s) => SUPPORTED_SUBTYPES.has(s));
    if (chosen === undefined) {
      throw new VncSecurityError(
        `${opts.what} requires VeNCrypt with ${subtypeNames(subtypes)}; this console supports ${subtypeNames([...SUPPORTED_SUBTYPES.keys()])}`,
      );
    }
    const choice = Buffer.alloc(4);
    choice.writeUInt32BE(chosen, 0);
    raw.write(choice);
    const [ack] = await read(1);
    if (ack !== 1) throw new VncSecurityError(`${opts.what} refused the VeNCrypt subtype ${subtypeNames([chosen])}`);
    reader.detach();
    const secure = await startDisplayTls(raw, tlsCfg, opts.what, opts.timeoutMs ?? 10_000);
    const inner = SUPPORTED_SUBTYPES.get(chosen)!;
    // noVNC answers the replayed greeting with its version and its choice of `inner`.
    return { socket: secure, greeting: ours, reply: { afterClientBytes: ours.length, bytes: Uint8Array.of(1, inner) }, skipClientBytes: ours.length + 1, encrypted: true };
  } catch (e) {
    reader.detach();
    raw.destroy();
    throw e;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
