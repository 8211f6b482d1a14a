// libvirt RPC framing: a 4-byte big-endian length (counting itself) followed by a 24-byte
// virNetMessageHeader and the payload. See libvirt src/rpc/virnetprotocol.x.

import { ProtocolError } from './errors';

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

export function encodeFrame(header: FrameHeader, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const total = FRAME_HEADER_LEN + payload.length;
  if (total > FRAME_MAX) throw new ProtocolError(`message of ${total} bytes exceeds the ${FRAME_MAX}-byte limit`);
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt32BE(total, 0);
  buf.writeUInt32BE(header.prog >>> 0, 4);
  buf.writeUInt32BE(header.vers >>> 0, 8);
  buf.writeInt32BE(header.proc | 0, 12);
  buf.writeInt32BE(header.type | 0, 16);
  buf.writeUInt32BE(header.serial >>> 0, 20);
  buf.writeInt32BE(header.status | 0, 24);
  buf.set(payload, FRAME_HEADER_LEN);
  return buf;
}

export function decodeFrame(buf: Buffer): Frame {
  if (buf.length < FRAME_HEADER_LEN) throw new ProtocolError(`frame of ${buf.length} bytes is shorter than its header`);
  const len = buf.readUInt32BE(0);
  if (len !== buf.length) throw new ProtocolError(`frame length word ${len} does not match its ${buf.length} bytes`);
  return {
    prog: buf.readUInt32BE(4),
    vers: buf.readUInt32BE(8),
    proc: buf.readInt32BE(12),
    type: buf.readInt32BE(16),
    serial: buf.readUInt32BE(20),
    status: buf.readInt32BE(24),
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
    if (first.length >= 4) return first.readUInt32BE(0);
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
