// SSH against the test sshd (scripts/testenv.sh): host key prompts and refusals, shared
// sessions, and the forwards other features (VNC, sockets) build on.

import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REMOTE_PROCEDURES as P } from '../../../src/libvirt/generated/remoteProtocol';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { openRemote } from '../../../src/libvirt/rpc/handshake';
import { DuplexTransport } from '../../../src/libvirt/transport/duplexTransport';
import { knownHostsName, parseKnownHosts } from '../../../src/libvirt/transport/knownHosts';
import { sshSessionOptionsForUri } from '../../../src/libvirt/transport/open';
import type { UnknownHostKey } from '../../../src/libvirt/transport/sshHostKey';
import { SshSessionPool } from '../../../src/libvirt/transport/sshSession';
import { HostKeyMismatchError, HostKeyRejectedError } from '../../../src/libvirt/transport/transportErrors';
import { parseUri } from '../../../src/libvirt/uri';
import { openClient, sshUri, testEnv } from './testEnv';

/** The test server's real host key line, from the known_hosts testenv.sh wrote. */
function serverKeyLine(): string {
  const name = knownHostsName(testEnv.sshHost, testEnv.sshPort);
  const line = fs.readFileSync(testEnv.sshKnownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no entry for ${name} in ${testEnv.sshKnownHosts}`);
  return line;
}

describe('ssh transport (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  let pool: SshSessionPool;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-ssh-'));
    pool = new SshSessionPool();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('asks about an unknown host key, records it when accepted, and does not ask again', async () => {
    const knownHosts = path.join(dir, 'known_hosts');
    const asked: UnknownHostKey[] = [];
    const confirmUnknownHost = async (k: UnknownHostKey): Promise<boolean> => {
      asked.push(k);
      return true;
    };
    const uri = sshUri({ known_hosts: knownHosts });
    const first = await openClient(uri, { confirmUnknownHost, sshPool: pool });
    await first.close();
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.host, testEnv.sshHost);
    assert.equal(asked[0]!.port, testEnv.sshPort);
    assert.match(asked[0]!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    const recorded = parseKnownHosts(fs.readFileSync(knownHosts, 'utf8'));
    const real = parseKnownHosts(serverKeyLine())[0]!;
    assert.equal(recorded.length, 1);
    assert.ok(recorded[0]!.key.equals(real.key), 'the recorded key is the server key');

    const second = await openClient(uri, { confirmUnknownHost, sshPool: new SshSessionPool() });
    await second.close();
    assert.equal(asked.length, 1, 'a recorded host is not asked about again');
  });

  it('refuses an unknown host key that the user declines', async () => {
    const knownHosts = path.join(dir, 'known_hosts');
    await assert.rejects(
      openClient(sshUri({ known_hosts: knownHosts }), { confirmUnknownHost: async () => false, sshPool: pool }),
      HostKeyRejectedError.is,
    );
    assert.equal(fs.existsSync(knownHosts), false);
  });

  it('refuses a changed host key without asking', async () => {
    const knownHosts = path.join(dir, 'known_hosts');
    const [name, type] = serverKeyLine().split(' ');
    // Same key type, different key: what a man-in-the-middle would present.
    const otherKey = Buffer.from(parseKnownHosts(serverKeyLine())[0]!.key);
    otherKey[otherKey.length - 1]! ^= 0xff;
    fs.writeFileSync(knownHosts, `${name} ${type} ${otherKey.toString('base64')}\n`);
    let asked = false;
    const err = await openClient(sshUri({ known_hosts: knownHosts, no_verify: '1' }), {
      confirmUnknownHost: async () => (asked = true),
      sshPool: pool,
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(HostKeyMismatchError.is(err), `expected HostKeyMismatchError, got ${String(err)}`);
    assert.equal(asked, false);
  });

  it('authenticates through an ssh-agent (sshauth=agent)', async () => {
    const sock = path.join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', [testEnv.sshKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const uri = sshUri({ sshauth: 'agent' });
      const saved = process.env['SSH_AUTH_SOCK'];
      try {
        delete process.env['SSH_AUTH_SOCK'];
        await assert.rejects(openClient(uri, { sshPool: new SshSessionPool() }), /authentication methods failed/i);
        process.env['SSH_AUTH_SOCK'] = sock;
        const client = await openClient(uri, { sshPool: pool });
        assert.equal((await client.call(P.CONNECT_GET_URI, undefined)).uri, 'qemu:///system');
        await client.close();
      } finally {
        if (saved === undefined) delete process.env['SSH_AUTH_SOCK'];
        else process.env['SSH_AUTH_SOCK'] = saved;
      }
    } finally {
      agent.kill();
    }
  });

  it('shares one SSH connection between RPC clients and port forwards', async () => {
    const a = await openClient(sshUri(), { sshPool: pool });
    const b = await openClient(sshUri({}, 'test', 'default'), { sshPool: pool });
    try {
      assert.equal(pool.size, 1);
      assert.equal((await b.call(P.CONNECT_GET_URI, undefined)).uri, 'test:///default');
      // A forward through the same session to the daemon's TCP listener speaks RPC too.
      const session = await pool.acquire(sshSessionOptionsForUri(parseUri(sshUri())));
      const [tcpHost, tcpPort] = testEnv.tcp.split(':');
      const forwarded = new RpcClient(new DuplexTransport(await session.forwardOut(tcpHost!, Number(tcpPort)), 'forward'));
      await openRemote(forwarded, { name: 'qemu:///system' });
      assert.equal((await forwarded.call(P.CONNECT_GET_URI, undefined)).uri, 'qemu:///system');
      await forwarded.close();
      const local = new RpcClient(new DuplexTransport(await session.openStreamLocal(testEnv.socket), 'streamlocal'));
      await openRemote(local, { name: 'test:///default' });
      assert.equal((await local.call(P.CONNECT_GET_URI, undefined)).uri, 'test:///default');
      await local.close();
      session.release();
      assert.equal(session.closed, false, 'still used by the two RPC clients');
    } finally {
      await a.close();
      await b.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.size, 0, 'the connection ends with its last user');
  });
});
