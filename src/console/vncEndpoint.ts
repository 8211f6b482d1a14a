// How the extension host reaches a VM's VNC server. The listen address in the domain XML is
// as seen from the libvirt host, so the route depends on the connection's transport:
//   local (unix socket, qemu:///...)   connect to the address/port or unix socket directly
//   SSH (qemu+ssh://)                  a direct-tcpip / streamlocal forward on the same SSH session
//   TCP/TLS (qemu+tcp://, qemu+tls://) connect to the libvirt host's address and the VNC port

import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { VncListen } from './domainConsoles';

/** Forwards over an existing SSH session (what the SSH transport offers). */
export interface SshForwarder {
  forwardOut(host: string, port: number): Promise<Duplex>;
  openStreamLocal(path: string): Promise<Duplex>;
}

export type VncRoute =
  | { readonly kind: 'local' }
  | { readonly kind: 'ssh'; readonly ssh: SshForwarder }
  | { readonly kind: 'remote'; readonly host: string };

export class VncUnreachableError extends Error {
  override readonly name = 'VncUnreachableError';
  static is(e: unknown): e is VncUnreachableError {
    return e instanceof VncUnreachableError;
  }
}

/** A loopback address: the bytes never leave the machine. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

function connectNet(opts: net.NetConnectOpts, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(opts);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new VncUnreachableError(`VNC connection timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(new VncUnreachableError(`cannot reach the VNC server: ${err.message}`));
    });
  });
}

/** Opens a byte stream to the VNC server described by `listen`, along `route`. */
export async function openVncStream(listen: VncListen, route: VncRoute, timeoutMs = 10_000): Promise<Duplex> {
  switch (route.kind) {
    case 'local':
      if (listen.kind === 'socket') return connectNet({ path: listen.path }, timeoutMs);
      return connectNet({ host: isWildcard(listen.address) ? '127.0.0.1' : listen.address, port: listen.port }, timeoutMs);
    case 'ssh':
      try {
        if (listen.kind === 'socket') return await route.ssh.openStreamLocal(listen.path);
        return await route.ssh.forwardOut(isWildcard(listen.address) ? '127.0.0.1' : listen.address, listen.port);
      } catch (e) {
        throw new VncUnreachableError(`cannot forward to the VNC server over SSH: ${e instanceof Error ? e.message : String(e)}`);
      }
    case 'remote':
      if (listen.kind === 'socket') {
        throw new VncUnreachableError('the VNC display listens on a unix socket on the remote host; connect to that host over SSH (qemu+ssh://) to use it');
      }
      if (isLoopback(listen.address)) {
        throw new VncUnreachableError(
          `the VNC display listens on ${listen.address} of the remote host only; connect over SSH (qemu+ssh://) or make it listen on a reachable address`,
        );
      }
      return connectNet({ host: isWildcard(listen.address) ? route.host : listen.address, port: listen.port }, timeoutMs);
  }
}
