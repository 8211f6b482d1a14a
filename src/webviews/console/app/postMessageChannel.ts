// A WebSocket-shaped channel for the viewers: noVNC takes it as `new RFB(target, channel)` (see
// core/websock.js of @novnc/novnc: send, close, binaryType, protocol, readyState, the on*
// handlers), spice-html5 constructs it as its `WebSocket` (addEventListener with the socket as
// `this`, `url` for the channels it opens next). Bytes go to the extension host through
// postMessage (one stream of the StreamMux); the host relays them to the display.

type Handler<E> = ((ev: E) => void) | null;

export interface ChannelCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export class PostMessageChannel {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  binaryType: BinaryType = 'arraybuffer';
  readonly protocol = '';
  /** What spice-html5 passes on to the channels it opens after the main one. */
  readonly url: string = 'relay:';
  readyState: number = CONNECTING;
  onopen: Handler<Event> = null;
  onclose: Handler<ChannelCloseEvent> = null;
  onerror: Handler<Event> = null;
  private messageHandler: Handler<MessageEvent<ArrayBuffer>> = null;
  /** Data that arrived before noVNC attached its message handler. */
  private queued: Uint8Array[] = [];
  private readonly listeners = new Map<string, Set<(ev: unknown) => void>>();
  bytesReceived = 0;

  constructor(
    private readonly sendBytes: (bytes: Uint8Array) => void,
    private readonly onLocalClose: () => void,
  ) {}

  get onmessage(): Handler<MessageEvent<ArrayBuffer>> {
    return this.messageHandler;
  }

  set onmessage(h: Handler<MessageEvent<ArrayBuffer>>) {
    this.messageHandler = h;
    this.flushQueued();
  }

  private hasMessageReceiver(): boolean {
    return this.messageHandler !== null || (this.listeners.get('message')?.size ?? 0) > 0;
  }

  private flushQueued(): void {
    if (!this.hasMessageReceiver() || this.queued.length === 0) return;
    const q = this.queued;
    this.queued = [];
    for (const b of q) this.dispatchData(b);
  }

  addEventListener(type: string, fn: (ev: unknown) => void): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    if (type === 'message') this.flushQueued();
  }

  removeEventListener(type: string, fn: (ev: unknown) => void): void {
    this.listeners.get(type)?.delete(fn);
  }

  send(data: ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== OPEN) return;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // noVNC reuses its send buffer: copy before handing the bytes to postMessage.
    this.sendBytes(bytes.slice());
  }

  close(): void {
    if (this.readyState === CLOSED || this.readyState === CLOSING) return;
    this.readyState = CLOSED;
    this.onLocalClose();
    this.fire('close', { code: 1000, reason: '', wasClean: true });
  }

  // ---- called by the app when the host reports relay events

  hostOpened(): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.fire('open', new Event('open'));
  }

  hostData(bytes: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    this.bytesReceived += bytes.length;
    if (!this.hasMessageReceiver()) {
      this.queued.push(bytes);
      return;
    }
    this.dispatchData(bytes);
  }

  hostClosed(reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.fire('close', { code: 1006, reason, wasClean: false });
  }

  private dispatchData(bytes: Uint8Array): void {
    // noVNC copies from e.data (an ArrayBuffer) into its receive queue.
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    this.fire('message', new MessageEvent<ArrayBuffer>('message', { data: buf as ArrayBuffer }));
  }

  private fire(type: 'open' | 'close' | 'message' | 'error', ev: unknown): void {
    const h = type === 'open' ? this.onopen : type === 'close' ? this.onclose : type === 'message' ? this.messageHandler : this.onerror;
    // spice-html5's listeners read the socket from `this`.
    if (h) (h as (e: unknown) => void).call(this, ev);
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn.call(this, ev);
  }
}
