// One VNC connection relayed to a consumer (the webview, or a benchmark) as batched frames.
// The relay owns the socket; the consumer gets frames through `send` and writes bytes back
// with write(). Back-pressure: while more than `maxInFlight` sends are unconfirmed the socket
// is paused, so a slow webview does not make the extension host buffer without bound.

import type { Duplex } from 'node:stream';
import { ChunkBatcher, DEFAULT_BATCH_OPTIONS, type BatcherOptions, type RelayFrame } from './relayFraming';
import type { PreparedDisplayStream } from './vncSecurity';

export type RelaySink = (frame: RelayFrame) => Promise<unknown> | unknown;

export interface VncRelayOptions {
  readonly batch?: BatcherOptions;
  readonly maxInFlight?: number;
  /** Called once when the socket ends, fails or is closed; `error` is undefined on a clean end. */
  readonly onClosed?: (error: Error | undefined) => void;
  /** Sees the bytes each way as they pass, and the end (spiceLink.ts watches a SPICE link). */
  readonly observe?: RelayObserver;
}

export interface RelayObserver {
  serverBytes(chunk: Uint8Array): void;
  clientBytes(chunk: Uint8Array): void;
  ended(): void;
}

let openRelaySockets = 0;

/** Relay sockets currently open in this process (the leak check in tests reads this). */
export function openRelaySocketCount(): number {
  return openRelaySockets;
}

export class VncRelay {
  private readonly batcher: ChunkBatcher;
  private inFlight = 0;
  private paused = false;
  private closed = false;
  /** The viewer's first bytes still to drop (its part of a handshake the host already did). */
  private skipClientBytes = 0;
  private clientBytesSeen = 0;
  /** Sent to the viewer once it has written `afterClientBytes` bytes (a prepared stream's next step). */
  private reply: PreparedDisplayStream['reply'];
  bytesIn = 0;
  bytesOut = 0;

  private constructor(
    private readonly socket: Duplex,
    private readonly sink: RelaySink,
    private readonly opts: VncRelayOptions,
  ) {
    openRelaySockets++;
    this.batcher = new ChunkBatcher((f) => this.deliver(f), opts.batch ?? DEFAULT_BATCH_OPTIONS);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      opts.observe?.serverBytes(bytes);
      this.batcher.push(bytes);
    });
    socket.on('end', () => this.finish(undefined));
    socket.on('close', () => this.finish(undefined));
    socket.on('error', (err: Error) => this.finish(err));
  }

  /**
   * Opens the socket with `open` and starts relaying; rejects if the socket cannot be opened.
   * A prepared stream (vncSecurity.ts: the host did the start of the handshake, maybe TLS) first
   * delivers its greeting and drops the viewer's first bytes that answer it.
   */
  static async start(open: () => Promise<Duplex | PreparedDisplayStream>, sink: RelaySink, opts: VncRelayOptions = {}): Promise<VncRelay> {
    const opened = await open();
    if (!('greeting' in opened)) return new VncRelay(opened, sink, opts);
    const relay = new VncRelay(opened.socket, sink, opts);
    relay.skipClientBytes = opened.skipClientBytes;
    relay.reply = opened.reply;
    // The server may speak first once TLS is up (X509None's SecurityResult): its bytes wait
    // until the viewer has its replayed security list.
    if (opened.reply) opened.socket.pause();
    // Delivered at the end of this turn, after the caller reported the stream open.
    if (opened.greeting.length > 0) relay.batcher.push(opened.greeting);
    return relay;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.skipClientBytes > 0) {
      const skip = Math.min(this.skipClientBytes, bytes.length);
      this.skipClientBytes -= skip;
      this.clientBytesSeen += skip;
      bytes = bytes.subarray(skip);
      if (this.reply && this.clientBytesSeen >= this.reply.afterClientBytes) {
        this.batcher.push(this.reply.bytes);
        this.reply = undefined;
        if (!this.paused) this.socket.resume();
      }
      if (bytes.length === 0) return;
    }
    this.bytesOut += bytes.length;
    this.opts.observe?.clientBytes(bytes);
    this.socket.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  close(): void {
    this.finish(undefined);
  }

  private deliver(frame: RelayFrame): void {
    if (this.closed) return;
    let result: unknown;
    try {
      result = this.sink(frame);
    } catch (e) {
      this.finish(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (!(result instanceof Promise)) return;
    this.inFlight++;
    if (this.inFlight > (this.opts.maxInFlight ?? 16) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    const settle = (): void => {
      this.inFlight--;
      if (this.paused && this.inFlight <= (this.opts.maxInFlight ?? 16) / 2 && !this.closed) {
        this.paused = false;
        this.socket.resume();
      }
    };
    result.then(settle, settle);
  }

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.batcher.close(); // delivers what was read before the end
    this.closed = true;
    openRelaySockets--;
    if (!this.socket.destroyed) this.socket.destroy();
    this.opts.observe?.ended();
    this.opts.onClosed?.(error);
  }
}
