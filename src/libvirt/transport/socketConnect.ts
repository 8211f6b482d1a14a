// Waits for a net/tls socket to connect, with a timeout and a readable error message.

import type { Socket } from 'node:net';
import { DuplexTransport } from './duplexTransport';
import type { Transport } from './transport';
import { TransportError } from './transportErrors';

/**
 * A transport whose socket may still be connecting. Its writes are queued by the socket and go out
 * when it connects, so the RPC handshake leaves with the connect instead of a round of the event
 * loop after it. `connected` settles when the connect is made, or rejects with the
 * TransportError waitConnected gives (refused, missing socket, timeout); the transport then
 * reports its end too.
 */
export interface PendingTransport {
  readonly transport: Transport;
  readonly connected: Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 20000;

/**
 * `socket` (just created by net.connect) as a PendingTransport; `what` names it in errors. The
 * writes made while it connects (the handshake's calls) are held back by cork() and leave together
 * at the connect, in one writev: uncorked, Node sent the first when the socket connected and the
 * others after that write had completed, a round of its write machinery later (the daemon then saw
 * AUTH_LIST about 0.2 ms before the rest; bench key client, cold).
 * https://nodejs.org/api/stream.html#writablecork
 */
export function startSocket(socket: Socket, what: string, description: string, timeoutMs: number): PendingTransport {
  socket.cork();
  socket.once('connect', () => socket.uncork());
  const connected = waitConnected(socket, what, 'connect', timeoutMs);
  const transport = new DuplexTransport(socket, description);
  // A failed connect is reported by `connected`; the transport reports it too, maybe before anyone
  // listens to it.
  const quiet = (): void => undefined;
  transport.on('error', quiet);
  connected.then(
    () => transport.off('error', quiet),
    () => undefined,
  );
  return { transport, connected };
}

export function waitConnected(socket: Socket, what: string, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new TransportError(`Connecting to ${what} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      socket.destroy();
      reject(new TransportError(`Cannot connect to ${what}: ${describeSocketError(err)}`, { cause: err }));
    };
    const onClose = (): void => {
      cleanup();
      reject(new TransportError(`Connection to ${what} closed while connecting`));
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off(event, onConnect);
    };
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(event, onConnect);
  });
}

export function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'the socket does not exist (is the libvirt daemon running?)';
    case 'ECONNREFUSED':
      return 'connection refused (is the libvirt daemon running and listening?)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (is your user allowed to use this socket, e.g. in the libvirt group?)';
    default:
      return err.message;
  }
}
