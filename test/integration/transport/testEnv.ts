// Where the test daemon listens (see scripts/testenv.sh env). Defaults match testenv.sh.

import * as os from 'node:os';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { openRemote } from '../../../src/libvirt/rpc/handshake';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import { transportForUri, type TransportOptions } from '../../../src/libvirt/transport/open';
import { parseUri } from '../../../src/libvirt/uri';

const STATE = process.env['LIBVIRT_VMS_STATE'] ?? '/run/libvirt-vms-test';

export const testEnv = {
  socket: process.env['LIBVIRT_TEST_SOCKET'] ?? '/run/libvirt/libvirt-sock',
  tcp: process.env['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509',
  tls: process.env['LIBVIRT_TEST_TLS'] ?? '127.0.0.1:16514',
  pki: process.env['LIBVIRT_TEST_PKI'] ?? `${STATE}/pki`,
  sshHost: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  sshPort: Number(process.env['LIBVIRT_TEST_SSH_PORT'] ?? 2222),
  sshUser: process.env['LIBVIRT_TEST_SSH_USER'] ?? os.userInfo().username,
  sshKey: process.env['LIBVIRT_TEST_SSH_KEY'] ?? `${STATE}/ssh/id_ed25519`,
  sshKnownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? `${STATE}/ssh/known_hosts`,
  /** The sshd that takes passwords (only), for one dedicated user. */
  sshPasswordPort: Number(process.env['LIBVIRT_TEST_SSH_PASSWORD_PORT'] ?? 2223),
  sshPasswordUser: process.env['LIBVIRT_TEST_SSH_PASSWORD_USER'] ?? 'libvirt-vms-sshpw',
  sshPasswordFile: process.env['LIBVIRT_TEST_SSH_PASSWORD_FILE'] ?? `${STATE}/ssh/password`,
};

export function sshUri(extra: Record<string, string> = {}, driverPath = 'qemu', path = 'system'): string {
  const params = new URLSearchParams({ keyfile: testEnv.sshKey, known_hosts: testEnv.sshKnownHosts, ...extra });
  const host = testEnv.sshHost.includes(':') ? `[${testEnv.sshHost}]` : testEnv.sshHost;
  return `${driverPath}+ssh://${testEnv.sshUser}@${host}:${testEnv.sshPort}/${path}?${params.toString()}`;
}

/** Opens a transport for the URI, runs libvirt's handshake and returns the client. */
export async function openClient(uri: string, opts: TransportOptions = {}): Promise<RpcClient> {
  const parsed = parseUri(uri);
  const transport = await transportForUri(parsed, opts);
  const client = new RpcClient(transport, { lookupProcedure: lookupLibvirtProcedure });
  try {
    await openRemote(client, { name: parsed.remoteName(), readOnly: opts.readOnly });
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}
