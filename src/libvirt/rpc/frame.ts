// libvirt RPC framing: a 4-byte big-endian length (counting itself) followed by a 24-byte
// virNetMessageHeader and the payload. See libvirt src/rpc/virnetprotocol.x.

import { ProtocolError } from './errors';
import { writeWord } from './xdr';

/** VIR_NET_MESSAGE_MAX (virnetprotocol.x): the largest header + payload. */
export const VIR_NET_MESSAGE_MAX = 33554432;
/** VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX: the smallest frame. */
export const FRAME_HEADER_LEN = 28;
/** The largest frame accepted: the length word plus VIR_NET_MESSAGE_MAX. */
export const FRAME_MAX = VIR_NET_MESSAGE_MAX + 4;
/**
 * VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX: libvirt's own stream packet size, used for our outgoing
 * stream data so that any server version accepts it.
 */
export const STREAM_PACKET_MAX = 262120;

/** virNetMessageType */
export const MessageType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
  STREAM_HOLE: 6,
} as const;

/** virNetMessageStatus */
export const MessageStatus = {
  OK: 0,
  ERROR: 1,
  CONTINUE: 2,
} as const;

export interface FrameHeader {
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly type: number;
  readonly serial: number;
  readonly status: number;
}

export interface Frame extends FrameHeader {
  /** The payload; a view into the parser's buffer that stays valid (never reused). */
  readonly payload: Buffer;
}

// The header words are written (writeWord) and read byte by byte: a connection's first frames go
// out and come in before anything is optimized, and Buffer's writeUInt32BE and readUInt32BE are
// library functions with argument checks of their own, each compiled on its first call in a new
// process (about 0.1 ms each then; bench key client, cold).

/** The big-endian 32-bit word at `at`, unsigned (the caller has checked the bounds). */
function get32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * Writes the length word and `header` into the first FRAME_HEADER_LEN bytes of `frame`, a whole
 * frame whose payload is already in place after them.
 */
export function writeFrameHeader(frame: Uint8Array, header: FrameHeader): void {
  if (frame.length < FRAME_HEADER_LEN) throw new ProtocolError(`frame of ${frame.length} bytes is shorter than its header`);
  if (frame.length > FRAME_MAX) throw new ProtocolError(`message of ${frame.length} bytes exceeds the ${FRAME_MAX}-byte limit`);
  writeWord(frame, 0, frame.length);
  writeWord(frame, 4, header.prog);
  writeWord(frame, 8, header.vers);
  writeWord(frame, 12, header.proc);
  writeWord(frame, 16, header.type);
  writeWord(frame, 20, header.serial);
  writeWord(frame, 24, header.status);
}

export function encodeFrame(header: FrameHeader, payload?: Uint8Array): Buffer {
  const total = FRAME_HEADER_LEN + (payload?.length ?? 0);
  if (total > FRAME_MAX) throw new ProtocolError(`message of ${total} bytes exceeds the ${FRAME_MAX}-byte limit`);
  const buf = Buffer.allocUnsafe(total);
  if (payload !== undefined) buf.set(payload, FRAME_HEADER_LEN);
  writeFrameHeader(buf, header);
  return buf;
}

export function decodeFrame(buf: Buffer): Frame {
  if (buf.length < FRAME_HEADER_LEN) throw new ProtocolError(`frame of ${buf.length} bytes is shorter than its header`);
  const len = get32(buf, 0);
  if (len !== buf.length) throw new ProtocolError(`frame length word ${len} does not match its ${buf.length} bytes`);
  return {
    prog: get32(buf, 4),
    vers: get32(buf, 8),
    proc: get32(buf, 12) | 0,
    type: get32(buf, 16) | 0,
    serial: get32(buf, 20),
    status: get32(buf, 24) | 0,
    payload: buf.subarray(FRAME_HEADER_LEN),
  };
}

/**
 * Reassembles frames from arbitrary chunks. The length word is validated before anything is
 * allocated for the frame; after a ProtocolError the parser stays failed (the stream is
 * unrecoverable once framing is lost).
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: ProtocolError | undefined;

  /** Feeds bytes; returns the frames completed by them. Throws ProtocolError on a bad length. */
  push(chunk: Buffer): Frame[] {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const len = this.peekLength();
      if (len < FRAME_HEADER_LEN || len > FRAME_MAX) {
        this.failure = new ProtocolError(`invalid message length ${len} (must be ${FRAME_HEADER_LEN}..${FRAME_MAX})`);
        this.chunks = [];
        this.buffered = 0;
        throw this.failure;
      }
      if (this.buffered < len) break;
      frames.push(decodeFrame(this.take(len)));
    }
    return frames;
  }

  /** Bytes received but not yet part of a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return get32(first, 0);
    const head = Buffer.alloc(4);
    let off = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - off, c.length);
      c.copy(head, off, 0, n);
      off += n;
      if (off === 4) break;
    }
    return head.readUInt32BE(0);
  }

  private take(len: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= len) {
      out = first.subarray(0, len);
      if (first.length === len) this.chunks.shift();
      else this.chunks[0] = first.subarray(len);
    } else {
      out = Buffer.allocUnsafe(len);
      let off = 0;
      while (off < len) {
        const c = this.chunks[0]!;
        const n = Math.min(len - off, c.length);
        c.copy(out, off, 0, n);
        off += n;
        if (n === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(n);
      }
    }
    this.buffered -= len;
    return out;
  }
}
