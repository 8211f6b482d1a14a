// The extension-host end of one display connection's streams. A VNC viewer uses one stream, a
// SPICE viewer one per channel (main, display, inputs, cursor, playback...), each its own TCP
// connection to the same port. The webview numbers its streams; each stream is a VncRelay (one
// socket, batched frames with their own sequence numbers, back-pressure), and every message
// carries the session and stream numbers so that the webview sends each frame to its viewer
// socket. No VS Code import: the console panel, the tests and the benchmark use it alike.

import type { Duplex } from 'node:stream';
import type { BatcherOptions } from './relayFraming';
import { SPICE_CHANNEL, SpiceLinkWatch } from './spiceLink';
import { VncRelay } from './vncRelay';
import type { PreparedDisplayStream } from './vncSecurity';

/** What the streams post to the webview (a subset of ToWebview in webviews/console/protocol.ts). */
export type StreamMessage =
  | { readonly type: 'streamOpen'; readonly session: number; readonly stream: number }
  | { readonly type: 'streamData'; readonly session: number; readonly stream: number; readonly seq: number; readonly data: Uint8Array | string }
  | { readonly type: 'streamClosed'; readonly session: number; readonly stream: number; readonly reason: string };

export interface RelayStreamsOptions {
  readonly batch?: BatcherOptions;
  /** Streams open at the same time (a SPICE session uses about 5; more is a misbehaving viewer). */
  readonly maxStreams?: number;
  /** Called when a stream ends on its own (server closed, network error), not when closed by us. */
  readonly onStreamEnded?: (stream: number, error: Error | undefined) => void;
  /** Called when a stream's socket is open. */
  readonly onStreamOpened?: (stream: number) => void;
  /** How long close() keeps a SPICE client while a channel attaches (default 5 s). */
  readonly attachWaitMs?: number;
}

/** One stream's socket and what its SPICE link is doing. */
interface RelayChannel {
  readonly relay: VncRelay;
  readonly link: SpiceLinkWatch;
}

/** See close(): a display or cursor channel attaches in milliseconds; this only bounds a stall. */
const ATTACH_WAIT_MS = 5000;

export class RelayStreamsError extends Error {
  override readonly name = 'RelayStreamsError';
  static is(e: unknown): e is RelayStreamsError {
    return e instanceof RelayStreamsError;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RelayStreams {
  private readonly relays = new Map<number, VncRelay>();
  private readonly links = new Map<number, SpiceLinkWatch>();
  /** Channels the webview closed while they attached, kept until attached (closeStream). */
  private readonly lingering = new Set<RelayChannel>();
  /** Streams the webview asked for whose socket is still being opened. */
  private readonly opening = new Set<number>();
  /** Stream numbers used once in this session: a number is never reused. */
  private readonly used = new Set<number>();
  private closed = false;
  private closedBytesIn = 0;
  private closedBytesOut = 0;

  constructor(
    readonly session: number,
    private readonly open: () => Promise<Duplex | PreparedDisplayStream>,
    private readonly post: (m: StreamMessage) => Promise<unknown> | unknown,
    private readonly opts: RelayStreamsOptions = {},
  ) {}

  /** Opens stream `stream` to the display; posts streamOpen, or streamClosed with the reason. */
  async connect(stream: number): Promise<void> {
    if (this.closed) return;
    const max = this.opts.maxStreams ?? 16;
    // A reused number names a stream the viewer has (or had): reporting it closed would close that one.
    if (this.used.has(stream)) throw new RelayStreamsError(`stream ${stream} was already used in this session`);
    if (this.relays.size + this.opening.size >= max) {
      const refusal = `more than ${max} streams open`;
      this.used.add(stream);
      void this.post({ type: 'streamClosed', session: this.session, stream, reason: refusal });
      throw new RelayStreamsError(refusal);
    }
    this.used.add(stream);
    this.opening.add(stream);
    let relay: VncRelay;
    const link = new SpiceLinkWatch();
    try {
      // After close(), a stream kept until its channel attached posts nothing more.
      const sink = (frame: { seq: number; data: Uint8Array | string }): unknown =>
        this.closed ? undefined : this.post({ type: 'streamData', session: this.session, stream, seq: frame.seq, data: frame.data });
      relay = await VncRelay.start(this.open, sink, {
        ...(this.opts.batch ? { batch: this.opts.batch } : {}),
        onClosed: (err) => this.ended(stream, relay, err),
        observe: link,
      });
    } catch (e) {
      this.opening.delete(stream);
      if (!this.closed) void this.post({ type: 'streamClosed', session: this.session, stream, reason: message(e) });
      throw e;
    }
    this.opening.delete(stream);
    if (this.closed) {
      relay.close();
      return;
    }
    this.relays.set(stream, relay);
    this.links.set(stream, link);
    void this.post({ type: 'streamOpen', session: this.session, stream });
    this.opts.onStreamOpened?.(stream);
  }

  /** Bytes from the webview for `stream`; ignored when the stream is not open (already closed). */
  write(stream: number, bytes: Uint8Array): boolean {
    const relay = this.relays.get(stream);
    if (!relay) return false;
    relay.write(bytes);
    return true;
  }

  /**
   * The webview closed `stream`: close its socket without reporting back. A display or cursor
   * channel still attaching is closed once attached (see close()), the client staying meanwhile.
   */
  closeStream(stream: number): void {
    const relay = this.relays.get(stream);
    if (!relay) return;
    const channel = { relay, link: this.links.get(stream)! };
    this.forget(stream, relay);
    if (!channel.link.attachingInWorker) return relay.close();
    this.lingering.add(channel);
    void this.attached([channel], []).then(() => {
      this.lingering.delete(channel);
      relay.close();
    });
  }

  /**
   * Closes every stream (a new session, the panel closed); resolves once every socket is closed.
   * Nothing is posted to the webview after this call. Streams close at once, except a SPICE
   * client's display and cursor channels that are still attaching, and its main channel while
   * they are: QEMU's SPICE server can crash when the client goes away at that moment
   * (spiceLink.ts). Those wait until attached, then the rest closes. A new client of the same
   * display waits for the promise: its arrival makes the server drop the old one.
   */
  close(): Promise<void> {
    if (this.closed) return this.closedAll ?? Promise.resolve();
    this.closed = true;
    const open: RelayChannel[] = [...this.relays].map(([stream, relay]) => ({ relay, link: this.links.get(stream)! }));
    for (const [stream, relay] of [...this.relays]) this.forget(stream, relay);
    const main = open.filter((s) => s.link.channelType === SPICE_CHANNEL.main);
    // Without its main channel the client is gone already: nothing left to protect.
    const attaching = main.length > 0 ? [...open.filter((s) => s.link.attachingInWorker), ...this.lingering] : [];
    for (const s of open) if (!attaching.includes(s) && !(attaching.length > 0 && main.includes(s))) s.relay.close();
    this.closedAll =
      attaching.length === 0
        ? Promise.resolve()
        : this.attached(attaching, main).then(() => {
            for (const s of [...attaching, ...main]) s.relay.close();
          });
    return this.closedAll;
  }

  /**
   * Settles once none of `channels` is attaching in QEMU's SPICE worker any more (a display
   * channel is sent the init its gone viewer would have sent, and the server answers it), once
   * every one of `main` closed (the client is gone anyway), or after attachWaitMs.
   */
  private attached(channels: readonly RelayChannel[], main: readonly RelayChannel[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const unsubscribe: (() => void)[] = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        resolve();
      };
      const check = (): void => {
        for (const s of channels) {
          const init = s.link.takeDisplayInit();
          if (init) s.relay.write(init);
        }
        if (channels.every((s) => !s.link.attachingInWorker) || (main.length > 0 && main.every((s) => s.relay.isClosed))) finish();
      };
      const timer = setTimeout(finish, this.opts.attachWaitMs ?? ATTACH_WAIT_MS);
      timer.unref?.();
      for (const s of [...channels, ...main]) unsubscribe.push(s.link.onChange(check));
      check();
    });
  }

  /** Set by close(): settles when the last socket closed. */
  private closedAll: Promise<void> | undefined;

  get isClosed(): boolean {
    return this.closed;
  }

  get openStreams(): readonly number[] {
    return [...this.relays.keys()];
  }

  /** Bytes relayed by this session's streams, closed ones included. */
  get bytes(): { in: number; out: number } {
    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    for (const r of this.relays.values()) {
      bytesIn += r.bytesIn;
      bytesOut += r.bytesOut;
    }
    return { in: bytesIn, out: bytesOut };
  }

  private forget(stream: number, relay: VncRelay): void {
    if (this.relays.get(stream) !== relay) return;
    this.relays.delete(stream);
    this.links.delete(stream);
    this.closedBytesIn += relay.bytesIn;
    this.closedBytesOut += relay.bytesOut;
  }

  private ended(stream: number, relay: VncRelay, err: Error | undefined): void {
    // A relay closed by closeStream()/close() was forgotten first: nothing to report.
    if (this.relays.get(stream) !== relay) return;
    this.forget(stream, relay);
    void this.post({ type: 'streamClosed', session: this.session, stream, reason: err ? err.message : 'closed by the display' });
    this.opts.onStreamEnded?.(stream, err);
  }
}
