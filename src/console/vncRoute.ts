// Picks the VncRoute for a libvirt URI. For qemu+ssh:// the VNC bytes go through a forward on
// the SSH connection the RPC channel already uses (the shared session pool hands out the same
// session for the same login and host-key policy), so no extra login or prompt is needed.

import type { Duplex } from 'node:stream';
import { parseUri } from '../libvirt/uri';
import { sshSessionOptionsForUri, type TransportOptions } from '../libvirt/transport/open';
import { sharedSshSessions, type SshSession, type SshSessionOptions } from '../libvirt/transport/sshSession';
import type { SshForwarder, VncRoute } from './vncEndpoint';

/** Each forward holds a reference on the session until its channel closes. */
class PooledSshForwarder implements SshForwarder {
  constructor(
    private readonly options: SshSessionOptions,
    private readonly pool = sharedSshSessions,
  ) {}

  forwardOut(host: string, port: number): Promise<Duplex> {
    return this.withSession((s) => s.forwardOut(host, port));
  }

  openStreamLocal(path: string): Promise<Duplex> {
    return this.withSession((s) => s.openStreamLocal(path));
  }

  private async withSession(open: (s: SshSession) => Promise<Duplex>): Promise<Duplex> {
    const session = await this.pool.acquire(this.options);
    let channel: Duplex;
    try {
      channel = await open(session);
    } catch (e) {
      session.release();
      throw e;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      session.release();
    };
    channel.once('close', release);
    return channel;
  }
}

export function vncRouteForUri(uriText: string, opts: TransportOptions = {}): VncRoute {
  const uri = parseUri(uriText);
  switch (uri.transport) {
    case 'unix':
      return { kind: 'local' };
    case 'ssh':
      return { kind: 'ssh', ssh: new PooledSshForwarder(sshSessionOptionsForUri(uri, opts)) };
    case 'tcp':
    case 'tls': {
      const host = uri.host ?? 'localhost';
      const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
      return loopback ? { kind: 'local' } : { kind: 'remote', host };
    }
  }
}
