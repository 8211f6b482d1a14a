// A libvirt daemon's local unix socket.

import * as net from 'node:net';
import { DEFAULT_CONNECT_TIMEOUT_MS, startSocket, type PendingTransport } from './socketConnect';
import type { Transport } from './transport';

/** The socket is connecting when this returns: see PendingTransport. */
export function startUnix(path: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): PendingTransport {
  return startSocket(net.connect({ path }), `unix socket ${path}`, `unix:${path}`, timeoutMs);
}

export async function connectUnix(path: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<Transport> {
  const { transport, connected } = startUnix(path, timeoutMs);
  await connected;
  return transport;
}
