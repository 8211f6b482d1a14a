// Opening and closing a connection on the daemon side, with the calls libvirt's remote driver
// makes (src/remote/remote_driver.c doRemoteOpen): AUTH_LIST, authentication, enabling
// keepalive, CONNECT_OPEN. CONNECT_CLOSE is sent by RpcClient.close().

import type { RpcClient } from './client';
import { REMOTE_PROCEDURES, RemoteAuthType } from '../generated/remoteProtocol';
import { VirConnectFlags } from '../generated/libvirtConstants';
import { UnsupportedAuthError } from './errors';

/**
 * VIR_DRV_FEATURE_PROGRAM_KEEPALIVE (libvirt src/libvirt_internal.h): asking whether the server
 * supports it is what makes the server start pinging this client.
 */
export const VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10;

export interface OpenRemoteOptions {
  /** The daemon-side URI, e.g. qemu:///system (see ParsedUri.remoteName()). */
  readonly name: string;
  readonly readOnly?: boolean;
  /** Timeout for each handshake call. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * AUTH_LIST, CONNECT_SUPPORTS_FEATURE and CONNECT_OPEN are sent together: when the server requires
 * no authentication (the common case: a local socket, or SSH, where the login is the
 * authentication) the connection is open after one round trip instead of three. When it does
 * require one, the server refuses the two early calls ("authentication required"), and they are
 * sent again after it.
 */
export async function openRemote(client: RpcClient, opts: OpenRemoteOptions): Promise<void> {
  const callOpts = { timeoutMs: opts.timeoutMs ?? 30000 };
  const feature = (): Promise<unknown> => client.call(REMOTE_PROCEDURES.CONNECT_SUPPORTS_FEATURE, { feature: VIR_DRV_FEATURE_PROGRAM_KEEPALIVE }, callOpts);
  const open = (): Promise<unknown> => client.call(REMOTE_PROCEDURES.CONNECT_OPEN, { name: opts.name, flags: opts.readOnly ? VirConnectFlags.RO : 0 }, callOpts);
  const authList = client.call(REMOTE_PROCEDURES.AUTH_LIST, undefined, callOpts);
  const early = [feature(), open()];
  for (const p of early) p.catch(() => undefined);
  let types: readonly number[];
  try {
    ({ types } = await authList);
  } catch (e) {
    await Promise.allSettled(early);
    throw e;
  }
  if (!needsAuthentication(types)) {
    await Promise.all(early);
  } else {
    await Promise.allSettled(early);
    await authenticate(client, types, callOpts);
    await feature();
    await open();
  }
  client.setGoodbye(() => client.call(REMOTE_PROCEDURES.CONNECT_CLOSE, undefined, { timeoutMs: 5000 }));
}

/** An empty list means the server requires nothing (older daemons). */
function needsAuthentication(offered: readonly number[]): boolean {
  return !(offered.length === 0 || offered.includes(RemoteAuthType.REMOTE_AUTH_NONE));
}

async function authenticate(client: RpcClient, offered: readonly number[], callOpts: { timeoutMs: number }): Promise<void> {
  if (!needsAuthentication(offered)) return;
  if (offered.includes(RemoteAuthType.REMOTE_AUTH_POLKIT)) {
    await client.call(REMOTE_PROCEDURES.AUTH_POLKIT, undefined, callOpts);
    return;
  }
  throw new UnsupportedAuthError(offered);
}
