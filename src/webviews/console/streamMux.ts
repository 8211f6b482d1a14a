// The webview end of one display connection's streams (see src/console/relayStreams.ts for the
// host end). The viewer opens a stream whenever it would open a WebSocket (noVNC once, spice-html5
// once per SPICE channel); the mux numbers it, asks the host to connect it, and routes the host's
// streamOpen/streamData/streamClosed messages to that stream's endpoint, checking each stream's
// frame sequence. No DOM or VS Code import: unit tests drive it in Node.

import { FrameReceiver } from '../../console/relayFraming';
import { MAX_STREAM_ID, type FromWebview, type ToWebview } from './protocol';

/** What the viewer's socket (PostMessageChannel in the webview) does with the host's events. */
export interface StreamEndpoint {
  hostOpened(): void;
  hostData(bytes: Uint8Array): void;
  hostClosed(reason: string): void;
}

/** How an endpoint talks back: bytes to the display, and closing its stream. */
export interface StreamPort {
  readonly stream: number;
  send(bytes: Uint8Array): void;
  close(): void;
}

export class StreamMuxError extends Error {
  override readonly name = 'StreamMuxError';
  static is(e: unknown): e is StreamMuxError {
    return e instanceof StreamMuxError;
  }
}

interface Entry<E> {
  readonly endpoint: E;
  readonly rx: FrameReceiver;
}

export class StreamMux<E extends StreamEndpoint> {
  private nextStream = 0;
  private readonly streams = new Map<number, Entry<E>>();
  private closed = false;

  constructor(
    readonly session: number,
    private readonly post: (m: FromWebview) => void,
  ) {}

  /** Opens a new stream: `make` builds its endpoint around the port it is given. */
  open(make: (port: StreamPort) => E): E {
    if (this.closed) throw new StreamMuxError('the display connection is closed');
    const stream = this.nextStream++;
    if (stream > MAX_STREAM_ID) throw new StreamMuxError(`more than ${MAX_STREAM_ID + 1} streams in one display connection`);
    const port: StreamPort = {
      stream,
      send: (bytes) => {
        if (this.streams.has(stream)) this.post({ type: 'streamSend', session: this.session, stream, data: bytes });
      },
      close: () => {
        if (!this.streams.delete(stream) || this.closed) return;
        this.post({ type: 'streamClose', session: this.session, stream });
      },
    };
    const endpoint = make(port);
    this.streams.set(stream, { endpoint, rx: new FrameReceiver() });
    this.post({ type: 'streamConnect', session: this.session, stream });
    return endpoint;
  }

  /**
   * Routes a host message for this session's streams. Returns false for messages that are not
   * stream messages of this session (another session's are stale and dropped by the caller).
   * Data for a stream closed here is dropped: the host's copy of the close may still be on its way.
   */
  accept(m: ToWebview): boolean {
    if (m.type !== 'streamOpen' && m.type !== 'streamData' && m.type !== 'streamClosed') return false;
    if (m.session !== this.session) return false;
    const entry = this.streams.get(m.stream);
    if (!entry) return true;
    switch (m.type) {
      case 'streamOpen':
        entry.endpoint.hostOpened();
        break;
      case 'streamData':
        entry.endpoint.hostData(entry.rx.accept(m));
        break;
      case 'streamClosed':
        this.streams.delete(m.stream);
        entry.endpoint.hostClosed(m.reason);
        break;
    }
    return true;
  }

  /** Streams opened and not yet closed by either side. */
  get openStreams(): readonly number[] {
    return [...this.streams.keys()];
  }

  /** The session is over (a new one started, or the panel closes): stop routing, post nothing. */
  close(): void {
    this.closed = true;
    const entries = [...this.streams.values()];
    this.streams.clear();
    for (const e of entries) e.endpoint.hostClosed('the display connection was closed');
  }
}
