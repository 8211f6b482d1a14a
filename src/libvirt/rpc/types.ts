// The contract between the RPC client (rpc/client.ts) and its users (connection.ts, tests).

import type { Duplex } from 'node:stream';
import type { AnyProcedureInfo, ProcedureInfo } from './program';

export interface CallOptions {
  /** Per-call timeout; the call rejects with a TimeoutError and its reply is ignored. */
  readonly timeoutMs?: number;
  /** Cancels the call; it rejects with a CancelledError and its reply is ignored. */
  readonly signal?: AbortSignal;
}

/**
 * A libvirt stream (console, screenshot, volume upload/download). Full duplex: write() sends
 * STREAM/CONTINUE packets (split well under the message limit), end() sends STREAM/OK and
 * resolves 'finish' once the server confirms; incoming STREAM/CONTINUE data is readable data,
 * the server's STREAM/OK ends the readable side, and a STREAM/ERROR destroys the stream with a
 * LibvirtError. destroy() without an error aborts (an empty STREAM/ERROR to the server).
 * A STREAM_HOLE from the server is emitted as 'hole' (length in bytes, as bigint).
 */
export type RpcStream = Duplex;

export interface Disposable {
  dispose(): void;
}

/** A server-pushed MESSAGE, decoded with its procedure's args codec. */
export interface RpcEvent {
  readonly procedure: AnyProcedureInfo;
  readonly body: unknown;
}

export interface RpcCaller {
  call<A, R>(proc: ProcedureInfo<A, R>, args: A, opts?: CallOptions): Promise<R>;
  /** Calls a stream procedure; resolves once the server accepted the call. */
  callWithStream<A, R>(proc: ProcedureInfo<A, R>, args: A, opts?: CallOptions): Promise<{ ret: R; stream: RpcStream }>;
  onEvent(listener: (event: RpcEvent) => void): Disposable;
  /** Fired once when the connection ends; `error` is undefined after a clean close(). */
  onClose(listener: (error: Error | undefined) => void): Disposable;
  readonly closed: boolean;
  close(): Promise<void>;
}
