// An in-memory libvirt server at the Transport seam: it parses the client's real frames and
// lets a test answer them with real frames. Used only for protocol edge cases; everything
// above the seam is the real client.

import { EventEmitter } from 'node:events';
import type { Transport } from '../../../src/libvirt/transport/transport';
import { encodeFrame, FrameParser, MessageStatus, MessageType, type Frame, type FrameHeader } from '../../../src/libvirt/rpc/frame';
import { encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import { RemoteErrorCodec, type RemoteError } from '../../../src/libvirt/generated/remoteProtocol';

export class FakeServer extends EventEmitter implements Transport {
  readonly description = 'fake';
  /** Every frame the client wrote, in order. */
  readonly received: Frame[] = [];
  closed = false;
  /** What write() returns: false simulates a full socket buffer until drain(). */
  writeReturns = true;
  /** Whether the client has paused reading (pause() without resume() since). */
  paused = false;
  /** Every pause() and resume() call, in order. */
  readonly flowCalls: ('pause' | 'resume')[] = [];
  private readonly parser = new FrameParser();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  write(chunk: Buffer): boolean {
    for (const f of this.parser.push(chunk)) this.received.push(f);
    for (const w of [...this.waiters]) {
      if (this.received.length >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    return this.writeReturns;
  }

  pause(): void {
    this.paused = true;
    this.flowCalls.push('pause');
  }

  resume(): void {
    this.paused = false;
    this.flowCalls.push('resume');
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves once the client has written at least `count` frames. */
  waitFrames(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  calls(): Frame[] {
    return this.received.filter((f) => f.type === MessageType.CALL);
  }

  send(header: FrameHeader, payload?: Uint8Array): void {
    this.emit('data', encodeFrame(header, payload));
  }

  sendRaw(bytes: Buffer): void {
    this.emit('data', bytes);
  }

  reply(call: Frame, payload: Uint8Array = Buffer.alloc(0)): void {
    this.send({ ...call, type: MessageType.REPLY, status: MessageStatus.OK }, payload);
  }

  replyError(call: Frame, error: Partial<RemoteError> & { code: number }): void {
    this.send({ ...call, type: MessageType.REPLY, status: MessageStatus.ERROR }, encodeToBuffer(RemoteErrorCodec, remoteError(error)));
  }

  stream(call: Frame, status: number, payload: Uint8Array = Buffer.alloc(0)): void {
    this.send({ ...call, type: MessageType.STREAM, status }, payload);
  }

  drain(): void {
    this.writeReturns = true;
    this.emit('drain');
  }

  end(): void {
    this.emit('end');
  }
}

export function remoteError(e: Partial<RemoteError> & { code: number }): RemoteError {
  return {
    domain: 0,
    message: null,
    level: 2,
    dom: null,
    str1: null,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
    ...e,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
