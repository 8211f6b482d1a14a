// One libvirt stream bound to the serial of the CALL that opened it (see libvirt
// src/rpc/virnetclientstream.c for the reference behaviour). Packet semantics:
//   STREAM/CONTINUE  data, either direction; empty from the server: end of its data
//   STREAM/OK        from the server: end of its data, or the confirmation of our finish
//                    from us: finish (virStreamFinish); we then wait for the server's STREAM/OK
//   STREAM/ERROR     from the server: remote_error; from us with no payload: abort
//   STREAM_HOLE      {hyper length; unsigned flags}, emitted as 'hole'
//
// Read-side flow control: libvirt streams have none of their own; the daemon sends as fast as the
// connection takes the bytes. So when the readable buffer reaches its high-water mark (push()
// returns false) the stream asks its connection to stop reading the transport, and asks it to
// go on when the consumer wants more (_read). The buffer thus holds about one packet more than
// the mark, whatever the consumer's speed. Pausing stalls every other call on that connection
// too, so bulk reads (volume downloads) use a connection of their own.

import { Duplex } from 'node:stream';
import { MessageStatus, STREAM_PACKET_MAX } from './frame';
import { ConnectionClosedError } from './errors';

/** What a stream needs from its connection. */
export interface StreamPort {
  /** Sends a STREAM packet for this stream; false means wait for drain(). */
  send(status: number, payload: Buffer): boolean;
  drain(): Promise<void>;
  /** The stream is done; forget its serial. */
  release(): void;
  isClosed(): boolean;
  /** The consumer is behind: stop reading the connection until resumeReading(). */
  pauseReading(): void;
  /** The consumer wants more (or the stream is done): this stream no longer holds reading. */
  resumeReading(): void;
}

/** Readable buffer above which reading pauses: one full packet. */
export const STREAM_READ_HIGH_WATER_MARK = STREAM_PACKET_MAX;

export class RpcStreamImpl extends Duplex {
  private finishCallback: ((err?: Error | null) => void) | undefined;
  private dataEnded = false;
  /** True once the server needs nothing more from us (finish confirmed, or it failed the stream). */
  private settled = false;

  constructor(private readonly port: StreamPort) {
    super({ allowHalfOpen: true, readableHighWaterMark: STREAM_READ_HIGH_WATER_MARK });
  }

  /** Incoming STREAM/CONTINUE. */
  receiveData(data: Buffer): void {
    if (this.dataEnded) return;
    if (!this.push(Buffer.from(data))) this.port.pauseReading();
  }

  /** Incoming empty STREAM/CONTINUE: the server has no more data (its STREAM/OK answers our finish). */
  receiveEof(): void {
    this.endReadable();
  }

  /** Incoming STREAM/OK. */
  receiveOk(): void {
    this.endReadable();
    if (this.finishCallback) {
      this.settled = true;
      const cb = this.finishCallback;
      this.finishCallback = undefined;
      this.port.release();
      cb();
    }
  }

  /** Incoming STREAM/ERROR (already decoded), or the connection going away. */
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.port.release();
    const cb = this.finishCallback;
    this.finishCallback = undefined;
    if (cb) {
      cb(err);
      return;
    }
    // Deferred so that a caller awaiting callWithStream() can attach its 'error' listener even
    // when the server fails the stream in the packet right after the reply.
    setImmediate(() => this.destroy(err));
  }

  receiveHole(length: bigint): void {
    this.emit('hole', length);
  }

  override _read(): void {
    // Packets are pushed as they arrive; this only lifts a pause made when the buffer was full.
    this.port.resumeReading();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sendData(chunk).then(() => cb(), (err: Error) => cb(err));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.port.isClosed()) {
      cb(new ConnectionClosedError('closed'));
      return;
    }
    this.finishCallback = cb;
    this.port.send(MessageStatus.OK, Buffer.alloc(0));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.settled && !this.port.isClosed()) {
      // Abort: an empty STREAM/ERROR tells the server to abort its side (virStreamAbort).
      this.port.send(MessageStatus.ERROR, Buffer.alloc(0));
    }
    this.port.release();
    cb(err);
  }

  private async sendData(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; off += STREAM_PACKET_MAX) {
      if (this.port.isClosed()) throw new ConnectionClosedError('closed');
      const piece = chunk.subarray(off, Math.min(chunk.length, off + STREAM_PACKET_MAX));
      if (!this.port.send(MessageStatus.CONTINUE, piece)) await this.port.drain();
    }
  }

  private endReadable(): void {
    if (this.dataEnded) return;
    this.dataEnded = true;
    // No more data will come for this stream: it has no reason to hold the connection.
    this.port.resumeReading();
    this.push(null);
  }
}

/**
 * Confirms the end of a stream whose data has been read to the end (virStreamFinish): sends our
 * STREAM/OK and waits for the server's. Without it the daemon keeps the stream (and, for a
 * download, the volume job) until the connection closes.
 */
export function finishStream(stream: Duplex): Promise<void> {
  if (stream.writableFinished) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => {
      stream.off('error', reject);
      resolve();
    });
  });
}
