// Plain, unencrypted TCP to libvirtd's listen_tcp port (16509): for test setups and trusted
// networks only (libvirt docs/remote.rst).

import * as net from 'node:net';
import { DuplexTransport } from './duplexTransport';
import { DEFAULT_CONNECT_TIMEOUT_MS, waitConnected } from './socketConnect';
import type { Transport } from './transport';

export async function connectTcp(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<Transport> {
  const socket = net.connect({ host, port });
  await waitConnected(socket, `tcp ${formatHostPort(host, port)}`, 'connect', timeoutMs);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30000);
  return new DuplexTransport(socket, `tcp:${formatHostPort(host, port)}`);
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
