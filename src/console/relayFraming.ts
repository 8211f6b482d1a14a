// Framing for the VNC byte relay between the extension host and the webview. Socket reads
// arrive in many small chunks; each postMessage has a fixed cost, so chunks read in the same
// event-loop turn are merged into one batch (bounded by maxBatchBytes). Payloads travel either
// as a Uint8Array (VS Code transfers ArrayBuffers in webview messages) or as base64 text.
// This file has no VS Code import: the webview app and the benchmark use it too.

export type RelayEncoding = 'binary' | 'base64';

/** What one relay message carries: the bytes in the chosen encoding plus a sequence number. */
export interface RelayFrame {
  readonly seq: number;
  readonly data: Uint8Array | string;
}

export interface BatcherOptions {
  /** A batch is flushed as soon as it holds this many bytes. */
  readonly maxBatchBytes: number;
  readonly encoding: RelayEncoding;
  /** Schedules the end-of-turn flush; defaults to setImmediate (Node) or a resolved promise. */
  readonly schedule?: (fn: () => void) => void;
}

export const DEFAULT_BATCH_OPTIONS: BatcherOptions = { maxBatchBytes: 256 * 1024, encoding: 'binary' };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** base64 without Buffer/atob, so the same code runs in the webview and in Node. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

const B64_INDEX = ((): Int16Array => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

export class RelayFramingError extends Error {
  override readonly name = 'RelayFramingError';
  static is(e: unknown): e is RelayFramingError {
    return e instanceof RelayFramingError;
  }
}

export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  if (clean.length % 4 === 1) throw new RelayFramingError('invalid base64 length');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new RelayFramingError(`invalid base64 character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function encodePayload(bytes: Uint8Array, encoding: RelayEncoding): Uint8Array | string {
  return encoding === 'base64' ? bytesToBase64(bytes) : bytes;
}

/**
 * Accepts what arrived through postMessage: a base64 string, a Uint8Array, an ArrayBuffer, or a
 * plain {0: n, 1: n...}/number[] (what structured data may degrade to). Anything else is an error.
 */
export function decodePayload(data: unknown): Uint8Array {
  if (typeof data === 'string') return base64ToBytes(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((n) => typeof n === 'number' && n >= 0 && n <= 255 && Number.isInteger(n))) {
    return Uint8Array.from(data as number[]);
  }
  if (typeof data === 'object' && data !== null) {
    const values = Object.values(data as Record<string, unknown>);
    if (values.every((n) => typeof n === 'number' && n >= 0 && n <= 255 && Number.isInteger(n))) return Uint8Array.from(values as number[]);
  }
  throw new RelayFramingError('relay payload is neither bytes nor base64 text');
}

function defaultSchedule(fn: () => void): void {
  // setImmediate runs after pending I/O callbacks in Node; browsers have no such hook.
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') immediate(fn);
  else void Promise.resolve().then(fn);
}

/** Merges chunks read in one event-loop turn into frames with increasing sequence numbers. */
export class ChunkBatcher {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private nextSeq = 0;
  private closed = false;

  constructor(
    private readonly emit: (frame: RelayFrame) => void,
    private readonly opts: BatcherOptions = DEFAULT_BATCH_OPTIONS,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.closed || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.opts.maxBatchBytes) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      (this.opts.schedule ?? defaultSchedule)(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    let merged: Uint8Array;
    if (this.pending.length === 1) {
      merged = this.pending[0]!;
    } else {
      merged = new Uint8Array(this.pendingBytes);
      let off = 0;
      for (const c of this.pending) {
        merged.set(c, off);
        off += c.length;
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.emit({ seq: this.nextSeq++, data: encodePayload(merged, this.opts.encoding) });
  }

  /** Flushes what is pending and drops anything pushed later. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/** Receiving side: checks that frames arrive in order and returns their bytes. */
export class FrameReceiver {
  private expected = 0;

  accept(frame: { seq: unknown; data: unknown }): Uint8Array {
    if (frame.seq !== this.expected) {
      throw new RelayFramingError(`relay frame out of order: expected ${this.expected}, got ${String(frame.seq)}`);
    }
    this.expected++;
    return decodePayload(frame.data);
  }

  reset(): void {
    this.expected = 0;
  }
}
