// The RPC client: serial multiplexing over one Transport, a cap on calls in flight (libvirt's
// max_client_requests), per-call timeouts and cancellation, keepalive, server events and
// streams, with read-side flow control for streams (see holdReading). Packet layout and semantics: libvirt src/rpc/virnetprotocol.x and virnetclient.c.

import type { Transport } from '../transport/transport';
import type { AnyProcedureInfo, ProcedureInfo } from './program';
import type { CallOptions, Disposable, RpcCaller, RpcEvent, RpcStream } from './types';
import { encodeFrame, FRAME_HEADER_LEN, FrameParser, MessageStatus, MessageType, writeFrameHeader, type Frame } from './frame';
import { CancelledError, ConnectionClosedError, ProtocolError, TimeoutError } from './errors';
import { decodeMessageError } from './messageError';
import { KeepaliveTimer } from './keepalive';
import { KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, KeepaliveProcedure } from '../generated/keepaliveProtocol';
import { RpcStreamImpl } from './stream';
import { decodeFromBuffer, XdrReader, XdrWriter } from './xdr';

/** Finds the procedure of an incoming MESSAGE (event) by program and procedure number. */
export type ProcedureLookup = (program: number, proc: number) => AnyProcedureInfo | undefined;

export interface RpcClientOptions {
  /** Calls outstanding at once; the rest wait in FIFO order. libvirt's max_client_requests is 5. */
  readonly maxInFlight?: number;
  /** Silence after which we send a keepalive PING; 0 disables our pings. Default 5000. */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered PINGs after which the peer is declared dead. Default 5. */
  readonly keepaliveCount?: number;
  /** Resolves event procedures; without it, events are dropped. */
  readonly lookupProcedure?: ProcedureLookup;
}

interface PendingCall {
  readonly serial: number;
  readonly proc: AnyProcedureInfo;
  readonly frame: Buffer;
  resolve(value: { ret: unknown; stream?: RpcStream }): void;
  reject(err: Error): void;
  /**
   * Rejected by timeout or cancellation. The server still works on the call, so its slot stays
   * taken until the (then dropped) reply arrives: that keeps us within max_client_requests.
   */
  abandoned: boolean;
  sent: boolean;
  /** For stream procedures: registered before the CALL is sent, because the server may send
   *  stream data before its REPLY (seen with DOMAIN_SCREENSHOT on libvirt 9.0). */
  stream?: RpcStreamImpl;
  cleanup(): void;
}

export class RpcClient implements RpcCaller {
  private readonly parser = new FrameParser();
  private readonly maxInFlight: number;
  private readonly lookupProcedure: ProcedureLookup;
  private readonly keepalive: KeepaliveTimer;
  private readonly waiting: PendingCall[] = [];
  private readonly inFlight = new Map<number, PendingCall>();
  private readonly streams = new Map<number, RpcStreamImpl>();
  private readonly eventListeners = new Set<(event: RpcEvent) => void>();
  private readonly closeListeners = new Set<(error: Error | undefined) => void>();
  private readonly drainWaiters: (() => void)[] = [];
  /** Streams whose consumer is behind; the transport is paused while there is any. */
  private readonly readHolds = new Set<RpcStreamImpl>();
  private nextSerial = 1;
  private isClosed = false;
  /** close() is under way: the server ending the connection now is the expected outcome. */
  private closing = false;
  private goodbye: (() => Promise<void>) | undefined;

  constructor(
    private readonly transport: Transport,
    options: RpcClientOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.lookupProcedure = options.lookupProcedure ?? (() => undefined);
    this.keepalive = new KeepaliveTimer(
      options.keepaliveIntervalMs ?? 5000,
      options.keepaliveCount ?? 5,
      () => this.sendKeepalive(KeepaliveProcedure.KEEPALIVE_PROC_PING),
      () => this.shutdown(new ConnectionClosedError('keepalive timeout')),
    );
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('drain', () => this.drainWaiters.splice(0).forEach((w) => w()));
    transport.on('end', () => this.shutdown(this.closing ? undefined : new ConnectionClosedError('eof')));
    transport.on('error', (err: Error) =>
      this.shutdown(this.closing ? undefined : new ConnectionClosedError('socket error', { cause: err })),
    );
    this.keepalive.start();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Calls in flight (sent, reply not yet received), for tests and diagnostics. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  async call<A, R>(proc: ProcedureInfo<A, R>, args: A, opts: CallOptions = {}): Promise<R> {
    const { ret } = await this.enqueue(proc as unknown as AnyProcedureInfo, args, opts);
    return ret as R;
  }

  async callWithStream<A, R>(proc: ProcedureInfo<A, R>, args: A, opts: CallOptions = {}): Promise<{ ret: R; stream: RpcStream }> {
    if (proc.stream === 'none') throw new TypeError(`${proc.name} does not open a stream`);
    const { ret, stream } = await this.enqueue(proc as unknown as AnyProcedureInfo, args, opts);
    return { ret: ret as R, stream: stream! };
  }

  onEvent(listener: (event: RpcEvent) => void): Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onClose(listener: (error: Error | undefined) => void): Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** A last call made by close() before the transport is closed (CONNECT_CLOSE). */
  setGoodbye(goodbye: () => Promise<void>): void {
    this.goodbye = goodbye;
  }

  async close(): Promise<void> {
    if (this.isClosed || this.closing) return;
    this.closing = true;
    // The goodbye's reply must be read even when a stream's consumer is behind.
    for (const stream of [...this.readHolds]) this.holdReading(stream, false);
    const goodbye = this.goodbye;
    this.goodbye = undefined;
    if (goodbye) {
      try {
        await goodbye();
      } catch {
        // The connection is going away either way.
      }
    }
    this.shutdown(undefined);
  }

  private enqueue(proc: AnyProcedureInfo, args: unknown, opts: CallOptions): Promise<{ ret: unknown; stream?: RpcStream }> {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError('closed'));
    if (opts.signal?.aborted) return Promise.reject(new CancelledError(proc.name));
    const serial = this.takeSerial();
    // The arguments are encoded after room for the header, which is then written in place: one
    // buffer per call, the payload never copied.
    const w = new XdrWriter();
    w.reserve(FRAME_HEADER_LEN);
    proc.args.encode(w, args);
    const frame = w.finish();
    writeFrameHeader(frame, { prog: proc.program, vers: proc.version, proc: proc.proc, type: MessageType.CALL, serial, status: MessageStatus.OK });
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => this.abandon(call, new CancelledError(proc.name));
      const call: PendingCall = {
        serial,
        proc,
        frame,
        resolve,
        reject,
        abandoned: false,
        sent: false,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => this.abandon(call, new TimeoutError(proc.name, opts.timeoutMs!)), opts.timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(call);
      this.pump();
    });
  }

  private takeSerial(): number {
    const serial = this.nextSerial;
    this.nextSerial = this.nextSerial >= 0xffffffff ? 1 : this.nextSerial + 1;
    return serial;
  }

  private abandon(call: PendingCall, err: Error): void {
    if (call.abandoned) return;
    call.abandoned = true;
    call.cleanup();
    if (!call.sent) {
      const i = this.waiting.indexOf(call);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    call.reject(err);
  }

  /** Sends waiting calls while there is room in flight. */
  private pump(): void {
    while (!this.isClosed && this.inFlight.size < this.maxInFlight && this.waiting.length > 0) {
      const call = this.waiting.shift()!;
      call.sent = true;
      this.inFlight.set(call.serial, call);
      if (call.proc.stream !== 'none') call.stream = this.openStream(call);
      this.transport.write(call.frame);
    }
  }

  private receive(chunk: Buffer): void {
    if (this.isClosed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.shutdown(new ConnectionClosedError('protocol error', { cause: err }));
      return;
    }
    for (const frame of frames) {
      if (this.isClosed) return;
      this.keepalive.activity();
      try {
        this.dispatch(frame);
      } catch (err) {
        this.shutdown(new ConnectionClosedError('protocol error', { cause: err }));
        return;
      }
    }
  }

  private dispatch(frame: Frame): void {
    if (frame.prog === KEEPALIVE_PROGRAM) return this.receiveKeepalive(frame);
    switch (frame.type) {
      case MessageType.REPLY:
        return this.receiveReply(frame);
      case MessageType.MESSAGE:
        return this.receiveEvent(frame);
      case MessageType.STREAM:
        return this.receiveStream(frame);
      case MessageType.STREAM_HOLE:
        return this.receiveHole(frame);
      default:
        throw new ProtocolError(`unexpected message type ${frame.type} from the server (serial ${frame.serial})`);
    }
  }

  private receiveKeepalive(frame: Frame): void {
    if (frame.type !== MessageType.MESSAGE) throw new ProtocolError(`keepalive packet of type ${frame.type}`);
    if (frame.proc === KeepaliveProcedure.KEEPALIVE_PROC_PING) this.sendKeepalive(KeepaliveProcedure.KEEPALIVE_PROC_PONG);
  }

  private sendKeepalive(proc: number): void {
    if (this.isClosed) return;
    this.transport.write(
      encodeFrame({ prog: KEEPALIVE_PROGRAM, vers: KEEPALIVE_PROTOCOL_VERSION, proc, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK }),
    );
  }

  private receiveReply(frame: Frame): void {
    const call = this.inFlight.get(frame.serial);
    if (!call) throw new ProtocolError(`reply for unknown serial ${frame.serial}`);
    if (frame.prog !== call.proc.program || frame.proc !== call.proc.proc) {
      throw new ProtocolError(`reply to serial ${frame.serial} names procedure ${frame.prog}:${frame.proc}, expected ${call.proc.name}`);
    }
    this.inFlight.delete(frame.serial);
    this.pump();
    if (call.stream && (call.abandoned || frame.status !== MessageStatus.OK)) this.streams.delete(call.serial);
    if (call.abandoned) {
      // The server opened a stream nobody will use: abort it so it does not linger server-side.
      if (call.stream && frame.status === MessageStatus.OK) this.sendStreamPacket(call, MessageStatus.ERROR, Buffer.alloc(0));
      return;
    }
    call.cleanup();
    if (frame.status === MessageStatus.ERROR) {
      call.reject(this.decodeError(frame.payload));
      return;
    }
    if (frame.status !== MessageStatus.OK) {
      call.reject(new ProtocolError(`reply to ${call.proc.name} has status ${frame.status}`));
      return;
    }
    let ret: unknown;
    try {
      ret = decodeFromBuffer(call.proc.ret, frame.payload);
    } catch (err) {
      if (call.stream) {
        this.streams.delete(call.serial);
        this.sendStreamPacket(call, MessageStatus.ERROR, Buffer.alloc(0));
      }
      call.reject(err as Error);
      return;
    }
    if (call.proc.stream === 'none') {
      call.resolve({ ret });
      return;
    }
    call.resolve({ ret, stream: call.stream ?? this.openStream(call) });
  }

  private decodeError(payload: Buffer): Error {
    try {
      return decodeMessageError(payload);
    } catch (err) {
      return new ProtocolError('malformed error reply from the server', { cause: err });
    }
  }

  private openStream(call: PendingCall): RpcStreamImpl {
    const { serial } = call;
    const stream = new RpcStreamImpl({
      send: (status, payload) => this.sendStreamPacket(call, status, payload),
      drain: () => new Promise<void>((resolve) => (this.isClosed ? resolve() : this.drainWaiters.push(resolve))),
      release: () => {
        if (this.streams.get(serial) === stream) this.streams.delete(serial);
        this.holdReading(stream, false);
      },
      isClosed: () => this.isClosed,
      pauseReading: () => this.holdReading(stream, true),
      resumeReading: () => this.holdReading(stream, false),
    });
    this.streams.set(serial, stream);
    return stream;
  }

  /**
   * Pauses the transport while any stream's consumer is behind and resumes it when none is.
   * While paused, our keepalive still pings (the daemon counts that as life) but does not
   * count the unread answers.
   */
  private holdReading(stream: RpcStreamImpl, hold: boolean): void {
    const wasHeld = this.readHolds.size > 0;
    if (hold && !this.isClosed && !this.closing) this.readHolds.add(stream);
    else this.readHolds.delete(stream);
    const held = this.readHolds.size > 0;
    if (held === wasHeld) return;
    this.keepalive.hold(held);
    if (held) this.transport.pause();
    else this.transport.resume();
  }

  private sendStreamPacket(call: PendingCall, status: number, payload: Buffer): boolean {
    if (this.isClosed) return true;
    const { proc, serial } = call;
    return this.transport.write(
      encodeFrame({ prog: proc.program, vers: proc.version, proc: proc.proc, type: MessageType.STREAM, serial, status }, payload),
    );
  }

  private receiveStream(frame: Frame): void {
    const stream = this.streams.get(frame.serial);
    if (!stream) return; // Packets after an abort or for a stream we already finished.
    switch (frame.status) {
      case MessageStatus.CONTINUE:
        // An empty CONTINUE from the server marks the end of its data (libvirt
        // daemonStreamHandleRead on EOF); the STREAM/OK follows our finish.
        if (frame.payload.length === 0) return stream.receiveEof();
        return stream.receiveData(frame.payload);
      case MessageStatus.OK:
        return stream.receiveOk();
      case MessageStatus.ERROR:
        return stream.fail(this.decodeError(frame.payload));
      default:
        return stream.fail(new ProtocolError(`stream packet with status ${frame.status}`));
    }
  }

  private receiveHole(frame: Frame): void {
    const stream = this.streams.get(frame.serial);
    if (!stream) return;
    try {
      const r = new XdrReader(frame.payload);
      const length = r.hyper();
      r.uint();
      r.done('virNetStreamHole');
      stream.receiveHole(length);
    } catch (err) {
      stream.fail(new ProtocolError('malformed stream hole', { cause: err }));
    }
  }

  private receiveEvent(frame: Frame): void {
    const procedure = this.lookupProcedure(frame.prog, frame.proc);
    if (!procedure || !procedure.isEvent) return; // An event this client version does not know.
    let body: unknown;
    try {
      body = decodeFromBuffer(procedure.args, frame.payload);
    } catch {
      return; // A malformed event cannot be delivered; the connection itself is still sound.
    }
    for (const listener of [...this.eventListeners]) {
      try {
        listener({ procedure, body });
      } catch {
        // A failing listener must not break dispatch for the others or the connection.
      }
    }
  }

  /** Ends the connection once: rejects everything outstanding and notifies onClose. */
  private shutdown(error: ConnectionClosedError | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.keepalive.stop();
    this.transport.close();
    const reason = error ?? new ConnectionClosedError('closed');
    const calls = [...this.waiting, ...this.inFlight.values()];
    this.waiting.length = 0;
    this.inFlight.clear();
    for (const call of calls) {
      if (call.abandoned) continue;
      call.cleanup();
      call.reject(reason);
    }
    for (const stream of [...this.streams.values()]) stream.fail(reason);
    this.streams.clear();
    this.readHolds.clear();
    this.drainWaiters.splice(0).forEach((w) => w());
    for (const listener of [...this.closeListeners]) listener(error);
    this.closeListeners.clear();
  }
}
