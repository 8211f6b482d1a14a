// Adapts any Node Duplex (net.Socket, tls.TLSSocket, an ssh2 channel) to the Transport seam:
// exactly one 'end' or 'error' is reported, and close() also releases an optional resource
// (e.g. the reference on a shared SSH session). pause() stops reading the Duplex: a socket stops
// reading from the kernel, an ssh2 channel stops reopening its window (its buffer holds at
// most 2 MiB), so the peer stops sending in both cases.

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Transport } from './transport';

export interface DuplexTransportOptions {
  /** Called once when the transport is finished. */
  readonly release?: () => void;
  /**
   * Report the end only at 'close' and ask closeError() then for the reason. An SSH exec
   * channel sends EOF before the remote command's exit status, which explains the EOF.
   */
  readonly closeError?: () => Error | undefined;
}

export class DuplexTransport extends EventEmitter implements Transport {
  private finished = false;

  constructor(
    private readonly stream: Duplex,
    readonly description: string,
    private readonly options: DuplexTransportOptions = {},
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.emit('data', chunk));
    stream.on('drain', () => this.emit('drain'));
    if (options.closeError) {
      stream.on('close', () => this.finish(options.closeError!()));
    } else {
      stream.on('end', () => this.finish());
      stream.on('close', () => this.finish());
    }
    stream.on('error', (err: Error) => this.finish(err));
    // A stream that was read in paused mode before (the TLS confirmation byte) must flow again.
    stream.resume();
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    if (!this.finished) this.stream.resume();
  }

  close(): void {
    if (!this.stream.destroyed) this.stream.destroy();
    this.finish();
  }

  private finish(err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.options.release?.();
    if (err) this.emit('error', err);
    else this.emit('end');
  }
}
