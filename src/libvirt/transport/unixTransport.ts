// A libvirt daemon's local unix socket.

import * as net from 'node:net';
import { DuplexTransport } from './duplexTransport';
import { DEFAULT_CONNECT_TIMEOUT_MS, waitConnected } from './socketConnect';
import type { Transport } from './transport';

export async function connectUnix(path: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<Transport> {
  const socket = net.connect({ path });
  await waitConnected(socket, `unix socket ${path}`, 'connect', timeoutMs);
  return new DuplexTransport(socket, `unix:${path}`);
}
