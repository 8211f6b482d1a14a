import * as assert from 'node:assert/strict';
import { Connection } from '../../../src/libvirt/connection';
import { env } from './testEnv';

async function handshakeAndList(uri: string): Promise<void> {
  const conn = await Connection.open(uri);
  try {
    assert.equal(await conn.connectGetUri(), 'qemu:///system');
    const doms = await conn.connectListAllDomains();
    assert.ok(Array.isArray(doms));
    for (const d of doms) assert.match(d.uuid, /^[0-9a-f-]{36}$/);
    assert.ok((await conn.connectGetLibVersion()) >= 9000000);
  } finally {
    await conn.close();
  }
  assert.equal(conn.closed, true);
}

describe('Connection: transports (integration)', function () {
  this.timeout(60000);

  it('opens qemu:///system over the unix socket', async () => {
    await handshakeAndList(env.uri);
  });

  it('opens qemu+tcp:// and lists domains', async () => {
    await handshakeAndList(`qemu+tcp://${env.tcp}/system`);
  });

  it('opens qemu+ssh:// with a key file and a known_hosts file and lists domains', async () => {
    const q = new URLSearchParams({ keyfile: env.sshKey, known_hosts: env.sshKnownHosts });
    await handshakeAndList(`qemu+ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}/system?${q.toString()}`);
  });

  it('serves the test driver over tcp too', async () => {
    const conn = await Connection.open(`test+tcp://${env.tcp}/default`);
    try {
      assert.deepEqual(
        (await conn.connectListAllDomains()).map((d) => d.name),
        ['test'],
      );
    } finally {
      await conn.close();
    }
  });
});
