// Shared SSH sessions against the test sshd (scripts/testenv.sh): a session opened under one
// connection's host-key policy and key is never handed to a connection with other settings.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils } from 'ssh2';
import { REMOTE_PROCEDURES as P } from '../../../src/libvirt/generated/remoteProtocol';
import type { RpcClient } from '../../../src/libvirt/rpc/client';
import { knownHostsName, parseKnownHosts } from '../../../src/libvirt/transport/knownHosts';
import { SshSessionPool } from '../../../src/libvirt/transport/sshSession';
import { HostKeyMismatchError, TransportError } from '../../../src/libvirt/transport/transportErrors';
import { openClient, sshUri, testEnv } from './testEnv';

/** A known_hosts line for the test server with the same key type but another key. */
function wrongKeyLine(): string {
  const name = knownHostsName(testEnv.sshHost, testEnv.sshPort);
  const line = fs.readFileSync(testEnv.sshKnownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no entry for ${name} in ${testEnv.sshKnownHosts}`);
  const entry = parseKnownHosts(line)[0]!;
  const other = Buffer.from(entry.key);
  other[other.length - 1]! ^= 0xff;
  return `${name} ${entry.keyType} ${other.toString('base64')}\n`;
}

describe('ssh session sharing and policy (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  let pool: SshSessionPool;
  const open: RpcClient[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `lv-sshpolicy-${process.pid}-`));
    pool = new SshSessionPool();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function connected(uri: string): Promise<RpcClient> {
    const client = await openClient(uri, { sshPool: pool });
    open.push(client);
    assert.equal((await client.call(P.CONNECT_GET_URI, undefined)).uri, 'qemu:///system');
    return client;
  }

  it('checks the host key again for a connection with strict verification and another known_hosts file', async () => {
    // First connection: unknown host accepted without recording (no_verify=1, empty known_hosts).
    await connected(sshUri({ known_hosts: path.join(dir, 'empty_known_hosts'), no_verify: '1' }));
    assert.equal(pool.size, 1);
    // Second: strict checking against a file that records another key for the host.
    const strict = path.join(dir, 'strict_known_hosts');
    fs.writeFileSync(strict, wrongKeyLine());
    const err = await openClient(sshUri({ known_hosts: strict }), { sshPool: pool }).then(
      (c) => (open.push(c), undefined),
      (e: unknown) => e,
    );
    assert.ok(HostKeyMismatchError.is(err), `expected HostKeyMismatchError, got ${String(err)}`);
    assert.equal(pool.size, 1, 'the refused connection leaves no session behind');
  });

  it('authenticates again a connection with another key file', async () => {
    await connected(sshUri());
    const unauthorized = path.join(dir, 'id_unauthorized');
    fs.writeFileSync(unauthorized, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    const err = await openClient(sshUri({ keyfile: unauthorized, sshauth: 'privkey' }), { sshPool: pool }).then(
      (c) => (open.push(c), undefined),
      (e: unknown) => e,
    );
    assert.ok(TransportError.is(err), `expected a TransportError, got ${String(err)}`);
    assert.match(err.message, /authentication methods failed/i);
  });

  it('still shares one session between connections with the same settings', async () => {
    await connected(sshUri());
    await connected(sshUri());
    assert.equal(pool.size, 1);
    // The same settings spelled differently (a relative key path) are the same settings.
    const relative = path.relative(process.cwd(), testEnv.sshKey);
    await connected(sshUri({ keyfile: relative }));
    assert.equal(pool.size, 1);
  });
});
