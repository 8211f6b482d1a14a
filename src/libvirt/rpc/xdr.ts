// XDR (RFC 4506) encoder and decoder used by the generated protocol code.
//
// Every read is bounds-checked and throws XdrError rather than reading past the buffer or
// allocating from an attacker-controlled length. Hyper integers are bigint so that nothing is
// lost; the connection API converts to number where the value is known to be small.

export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }

  static is(e: unknown): e is XdrError {
    return e instanceof XdrError;
  }
}

/**
 * Writes `v` as a big-endian 32-bit word at `at`, byte by byte (the caller has checked the value
 * and the bounds): Buffer's writeInt32BE checks its arguments again and is compiled on its first
 * call in a new process, where a connection's first calls are encoded (bench key client, cold).
 */
export function writeWord(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new XdrError(`int out of range: ${v}`);
    }
    this.word(v);
  }

  uint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new XdrError(`unsigned int out of range: ${v}`);
    }
    this.word(v);
  }

  /** A checked 32-bit value (see writeWord). */
  private word(v: number): void {
    this.ensure(4);
    writeWord(this.buf, this.pos, v);
    this.pos += 4;
  }

  /** Leaves `n` bytes for the caller to fill in later (a frame's header before its payload). */
  reserve(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  hyper(v: bigint): void {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new XdrError(`hyper out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  uhyper(v: bigint): void {
    if (v < 0n || v >= 1n << 64n) throw new XdrError(`unsigned hyper out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.int(v ? 1 : 0);
  }

  float(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Fixed-length opaque: exactly `len` bytes, padded to 4. */
  opaqueFixed(v: Uint8Array, len: number): void {
    if (v.length !== len) throw new XdrError(`fixed opaque needs ${len} bytes, got ${v.length}`);
    this.raw(v, len);
  }

  /** Variable-length opaque: length word, bytes, padding. */
  opaqueVar(v: Uint8Array, max = 0xffffffff): void {
    if (v.length > max) throw new XdrError(`opaque of ${v.length} bytes exceeds maximum ${max}`);
    this.uint(v.length);
    this.raw(v, v.length);
  }

  string(v: string, max = 0xffffffff): void {
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length > max) throw new XdrError(`string of ${bytes.length} bytes exceeds maximum ${max}`);
    this.uint(bytes.length);
    this.raw(bytes, bytes.length);
  }

  /** Variable-length array length prefix, checked against the declared maximum. */
  arrayLength(n: number, max = 0xffffffff): void {
    if (n > max) throw new XdrError(`array of ${n} elements exceeds maximum ${max}`);
    this.uint(n);
  }

  private raw(v: Uint8Array, len: number): void {
    const p = pad4(len);
    this.ensure(len + p);
    this.buf.set(v, this.pos);
    this.pos += len;
    for (let i = 0; i < p; i++) this.buf[this.pos++] = 0;
  }

  /** Appends already-encoded bytes as they are (no length, no padding). */
  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Overwrites a 32-bit unsigned word at an earlier offset (used for frame lengths). */
  patchUint(offset: number, v: number): void {
    if (offset < 0 || offset + 4 > this.pos) throw new XdrError(`patch offset ${offset} out of range`);
    this.buf.writeUInt32BE(v, offset);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * Buffer's own utf8Slice and latin1Slice: what toString('utf8' | 'latin1', start, end) ends in,
 * after checking its arguments and looking up the encoding. Node has had them on every Buffer for a
 * long time, but they are not documented: toString is used where they are missing.
 */
type SlicingBuffer = Buffer & { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };
const HAS_SLICES = typeof (Buffer.prototype as Partial<SlicingBuffer>).utf8Slice === 'function' && typeof (Buffer.prototype as Partial<SlicingBuffer>).latin1Slice === 'function';

/** buf.toString('utf8', start, end), through utf8Slice where present (see HAS_SLICES). */
export function utf8Text(buf: Buffer, start: number, end: number): string {
  return HAS_SLICES ? (buf as SlicingBuffer).utf8Slice(start, end) : buf.toString('utf8', start, end);
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where the two digits of each of a UUID's 16 bytes go in its 8-4-4-4-12 text. */
const UUID_DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The text uuidText makes, dashes in place; every call writes its digits over the last ones. */
const UUID_TEXT = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

/**
 * 16 bytes at `start` as a UUID's 8-4-4-4-12 lowercase hex string, written into one reused buffer
 * and read out as one string. Every domain of a list or bulk stats reply has a UUID: a hex string
 * cut into five pieces and joined made seven strings for each, about 260 bytes against 56, and on
 * a connection's first 1000-domain replies that garbage brought on collections in the middle of
 * the decoding (bench key client, cold).
 */
export function uuidText(buf: Buffer, start: number): string {
  if (start < 0 || start + 16 > buf.length) throw new RangeError(`a UUID needs 16 bytes at offset ${start} of ${buf.length}`);
  const text = UUID_TEXT;
  for (let i = 0; i < 16; i++) {
    const v = buf[start + i]!;
    const at = UUID_DIGITS_AT[i]!;
    text[at] = HEX_DIGITS[v >> 4]!;
    text[at + 1] = HEX_DIGITS[v & 15]!;
  }
  return HAS_SLICES ? (text as SlicingBuffer).latin1Slice(0, 36) : text.toString('latin1', 0, 36);
}

export class XdrReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    if (offset < 0 || offset > end || end > buf.length) throw new XdrError('reader bounds out of range');
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new XdrError(`truncated data: ${what} needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  // int(), uint() and string() run for every field of every record of a bulk reply, and the first
  // replies on a connection are decoded before V8 has optimized anything: there each call costs.
  // So they check the bounds inline and read the bytes themselves (instead of need() plus
  // Buffer.readInt32BE's own argument checks, or toString()'s encoding lookup before utf8Slice):
  // cold, a 1000-domain bulk stats reply decoded in about a third of the time (bench key client).

  int(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4, 'int');
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  uint(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4, 'unsigned int');
    const b = this.buf;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  hyper(): bigint {
    this.need(8, 'hyper');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, 'unsigned hyper');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`invalid bool value ${v}`);
    return v === 1;
  }

  float(): number {
    this.need(4, 'float');
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  opaqueFixed(len: number): Buffer {
    return this.rawCopy(len, 'fixed opaque');
  }

  /**
   * Fixed-length opaque as a view into the message (no copy), for a caller that converts it at
   * once (a UUID to its string): the view shares the reply's memory, so it must not be kept.
   */
  opaqueFixedView(len: number): Buffer {
    this.need(len + pad4(len), 'fixed opaque');
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len + pad4(len);
    return v;
  }

  opaqueVar(max = 0xffffffff): Buffer {
    const len = this.uint();
    if (len > max) throw new XdrError(`opaque length ${len} exceeds maximum ${max}`);
    return this.rawCopy(len, 'opaque');
  }

  string(max = 0xffffffff): string {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4, 'unsigned int');
    const b = this.buf;
    const len = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    this.pos = p + 4;
    if (len > max) throw new XdrError(`string length ${len} exceeds maximum ${max}`);
    const start = this.pos;
    const next = start + ((len + 3) & ~3);
    if (next > this.end) this.need(len + pad4(len), 'string');
    this.pos = next;
    // Decoded straight from the buffer: no sub-buffer per string (a bulk reply has thousands).
    // Invalid UTF-8 becomes U+FFFD, as with a non-fatal TextDecoder.
    return utf8Text(b, start, start + len);
  }

  /**
   * A fixed 16-byte opaque holding a UUID, as its 8-4-4-4-12 lowercase hex string (one per domain
   * of every bulk reply: no view or copy of the bytes, one hex conversion).
   */
  uuidString(): string {
    const start = this.pos;
    if (start + 16 > this.end) this.need(16, 'fixed opaque');
    this.pos = start + 16;
    return uuidText(this.buf, start);
  }

  /**
   * Reads a variable-length array's count and checks it against the declared maximum and
   * against the bytes left (every XDR element takes at least 4 bytes), so a hostile count
   * cannot make the decoder allocate or loop without bound.
   */
  arrayLength(max = 0xffffffff): number {
    const n = this.uint();
    if (n > max) throw new XdrError(`array length ${n} exceeds maximum ${max}`);
    if (n * 4 > this.remaining) throw new XdrError(`array length ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }

  /** Checks a fixed array count against the bytes left before decoding its elements. */
  fixedArray(n: number): number {
    if (n * 4 > this.remaining) throw new XdrError(`fixed array of ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }

  /** The rest of the buffer, as a view (no copy). */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** Throws if bytes are left over: a reply that does not match its declared type. */
  /**
   * Runs a hand-written decoder of a large reply over the unread bytes: `decode(buf, start, end)`
   * reads buf[start, end) with its own offset and returns the value with the offset after it.
   * Before V8 optimizes anything (the first replies on a connection), one function reading with
   * local variables decodes a 1000-domain bulk stats reply about three times faster than a method
   * call per field (see typedParams.ts).
   */
  decodeRaw<T>(decode: (buf: Buffer, start: number, end: number) => { readonly value: T; readonly next: number }): T {
    const { value, next } = decode(this.buf, this.pos, this.end);
    if (next < this.pos || next > this.end) throw new XdrError(`decoder stopped at offset ${next}, outside ${this.pos}..${this.end}`);
    this.pos = next;
    return value;
  }

  done(what = 'message'): void {
    if (this.pos !== this.end) {
      throw new XdrError(`${this.end - this.pos} unexpected trailing bytes after ${what}`);
    }
  }

  private rawCopy(len: number, what: string): Buffer {
    this.need(len + pad4(len), what);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len + pad4(len);
    return out;
  }
}

/** A generated codec for one XDR type. */
export interface XdrCodec<T> {
  readonly name: string;
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/** The codec of XDR `void`: no bytes. */
export const voidCodec: XdrCodec<void> = {
  name: 'void',
  encode: () => undefined,
  decode: () => undefined,
};

export function encodeToBuffer<T>(codec: XdrCodec<T>, v: T): Buffer {
  const w = new XdrWriter();
  codec.encode(w, v);
  return w.finish();
}

export function decodeFromBuffer<T>(codec: XdrCodec<T>, buf: Buffer): T {
  const r = new XdrReader(buf);
  const v = codec.decode(r);
  r.done(codec.name);
  return v;
}
