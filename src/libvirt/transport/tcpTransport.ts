// Plain, unencrypted TCP to libvirtd's listen_tcp port (16509): for test setups and trusted
// networks only (libvirt docs/remote.rst).

import * as net from 'node:net';
import { DEFAULT_CONNECT_TIMEOUT_MS, startSocket, type PendingTransport } from './socketConnect';
import type { Transport } from './transport';

/** The socket is connecting when this returns: see PendingTransport. */
export function startTcp(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): PendingTransport {
  const socket = net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30000 });
  return startSocket(socket, `tcp ${formatHostPort(host, port)}`, `tcp:${formatHostPort(host, port)}`, timeoutMs);
}

export async function connectTcp(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<Transport> {
  const { transport, connected } = startTcp(host, port, timeoutMs);
  await connected;
  return transport;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
