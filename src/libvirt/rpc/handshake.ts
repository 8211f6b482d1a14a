// Opening and closing a connection on the daemon side, in the order libvirt's remote driver
// uses (src/remote/remote_driver.c doRemoteOpen): AUTH_LIST, authentication, enabling
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

export async function openRemote(client: RpcClient, opts: OpenRemoteOptions): Promise<void> {
  const callOpts = { timeoutMs: opts.timeoutMs ?? 30000 };
  const { types } = await client.call(REMOTE_PROCEDURES.AUTH_LIST, undefined, callOpts);
  await authenticate(client, types, callOpts);
  await client.call(REMOTE_PROCEDURES.CONNECT_SUPPORTS_FEATURE, { feature: VIR_DRV_FEATURE_PROGRAM_KEEPALIVE }, callOpts);
  await client.call(REMOTE_PROCEDURES.CONNECT_OPEN, { name: opts.name, flags: opts.readOnly ? VirConnectFlags.RO : 0 }, callOpts);
  client.setGoodbye(() => client.call(REMOTE_PROCEDURES.CONNECT_CLOSE, undefined, { timeoutMs: 5000 }));
}

async function authenticate(client: RpcClient, offered: readonly number[], callOpts: { timeoutMs: number }): Promise<void> {
  // An empty list means the server requires nothing (older daemons).
  if (offered.length === 0 || offered.includes(RemoteAuthType.REMOTE_AUTH_NONE)) return;
  if (offered.includes(RemoteAuthType.REMOTE_AUTH_POLKIT)) {
    await client.call(REMOTE_PROCEDURES.AUTH_POLKIT, undefined, callOpts);
    return;
  }
  throw new UnsupportedAuthError(offered);
}
