// The real daemon over every transport: handshake, a round trip, error mapping, close.
// Fails (never skips) when the daemon is not reachable: start it with scripts/testenv.sh start.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '../../../src/libvirt/connection';
import { REMOTE_PROCEDURES as P } from '../../../src/libvirt/generated/remoteProtocol';
import { isNoDomain, LibvirtError } from '../../../src/libvirt/rpc/errors';
import type { RpcClient } from '../../../src/libvirt/rpc/client';
import { TlsRejectedError, TransportError } from '../../../src/libvirt/transport/transportErrors';
import { openClient, sshUri, testEnv } from './testEnv';

const hostname = execFileSync('hostname').toString().trim();

async function roundTrip(client: RpcClient): Promise<void> {
  const { hostname: h } = await client.call(P.CONNECT_GET_HOSTNAME, undefined);
  assert.equal(h, hostname);
  const { lib_ver } = await client.call(P.CONNECT_GET_LIB_VERSION, undefined);
  assert.equal(typeof lib_ver, 'bigint');
  assert.ok(lib_ver >= 9_000_000n, `libvirt version ${lib_ver}`);
}

describe('transports against the real daemon (integration)', function () {
  this.timeout(60_000);

  const cases: [string, () => string][] = [
    ['unix', () => `qemu:///system?socket=${encodeURIComponent(testEnv.socket)}`],
    ['tcp', () => `qemu+tcp://${testEnv.tcp}/system`],
    ['tls', () => `qemu+tls://${testEnv.tls}/system?pkipath=${encodeURIComponent(testEnv.pki)}`],
    ['ssh', () => sshUri()],
  ];
  for (const [name, uri] of cases) {
    it(`opens qemu:///system over ${name}, round-trips calls and closes`, async () => {
      const client = await openClient(uri());
      const closes: (Error | undefined)[] = [];
      client.onClose((e) => closes.push(e));
      try {
        await roundTrip(client);
        const err = await client
          .call(P.DOMAIN_LOOKUP_BY_NAME, { name: `lvtest-missing-${process.pid}` })
          .then(() => undefined, (e: unknown) => e);
        assert.ok(LibvirtError.is(err) && isNoDomain(err), `expected VIR_ERR_NO_DOMAIN, got ${String(err)}`);
        assert.match(err.message, /lvtest-missing/);
      } finally {
        await client.close();
      }
      assert.deepEqual(closes, [undefined]);
      assert.ok(client.closed);
    });
  }

  it('opens test+unix:///default (the test driver served by the daemon)', async () => {
    const client = await openClient(`test+unix:///default?socket=${encodeURIComponent(testEnv.socket)}`);
    try {
      assert.equal((await client.call(P.CONNECT_GET_URI, undefined)).uri, 'test:///default');
      const { domains } = await client.call(P.CONNECT_LIST_ALL_DOMAINS, { need_results: 100, flags: 0 });
      assert.ok(domains.some((d) => d.name === 'test'), 'the test driver has its "test" domain');
    } finally {
      await client.close();
    }
  });

  it('opens a read-only connection that the daemon enforces', async () => {
    const client = await openClient(`test+unix:///default?socket=${encodeURIComponent(testEnv.socket)}`, { readOnly: true });
    try {
      await roundTrip(client);
      await assert.rejects(
        client.call(P.DOMAIN_DEFINE_XML, { xml: '<domain type="test"><name>lvtest-ro</name><memory>1024</memory><os><type>hvm</type></os></domain>' }),
        (e: unknown) => LibvirtError.is(e) && /read.only/i.test(e.message),
      );
    } finally {
      await client.close();
    }
  });

  it('keeps pipelined calls correct through the in-flight cap', async () => {
    const client = await openClient(`qemu+tcp://${testEnv.tcp}/system`);
    try {
      const replies = await Promise.all(Array.from({ length: 40 }, () => client.call(P.CONNECT_GET_HOSTNAME, undefined)));
      assert.ok(replies.every((r) => r.hostname === hostname));
    } finally {
      await client.close();
    }
  });

  it('fails with a TransportError naming the socket when nothing listens there', async () => {
    await assert.rejects(openClient('qemu:///system?socket=/nonexistent/libvirt-sock'), (e: unknown) =>
      TransportError.is(e) && /\/nonexistent\/libvirt-sock/.test(e.message) && /does not exist/.test(e.message),
    );
  });

  // Connection.open queues the handshake on unix and tcp sockets while they connect: a failed
  // connect must still be reported as such, not as a closed connection, and leave nothing behind.
  it('Connection.open reports a missing socket and a refused port as TransportErrors', async () => {
    await assert.rejects(Connection.open('qemu:///system?socket=/nonexistent/libvirt-sock'), (e: unknown) => {
      assert.ok(TransportError.is(e), `not a TransportError: ${String(e)}`);
      assert.match(e.message, /unix socket \/nonexistent\/libvirt-sock: the socket does not exist/);
      return true;
    });
    // A port nothing listens on: the one a just-closed server had.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    await assert.rejects(Connection.open(`qemu+tcp://127.0.0.1:${port}/system`), (e: unknown) => {
      assert.ok(TransportError.is(e), `not a TransportError: ${String(e)}`);
      assert.match(e.message, new RegExp(`tcp 127\\.0\\.0\\.1:${port}: connection refused`));
      return true;
    });
    // And a working one still opens, over both.
    for (const uri of [`qemu:///system?socket=${encodeURIComponent(testEnv.socket)}`, `qemu+tcp://${testEnv.tcp}/system`]) {
      const conn = await Connection.open(uri);
      try {
        assert.ok((await conn.connectGetLibVersion()) > 0);
      } finally {
        await conn.close();
      }
    }
  });

  describe('TLS certificate checks', () => {
    let dir: string;
    const tlsUri = (pki: string, extra = ''): string => `qemu+tls://${testEnv.tls}/system?pkipath=${encodeURIComponent(pki)}${extra}`;
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { stdio: 'ignore' });
    };
    /** A pkipath directory built from `ca` and a client certificate/key pair. */
    function pkiDir(name: string, ca: string, cert: string, key: string): string {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      fs.copyFileSync(ca, path.join(d, 'cacert.pem'));
      fs.copyFileSync(cert, path.join(d, 'clientcert.pem'));
      fs.copyFileSync(key, path.join(d, 'clientkey.pem'));
      return d;
    }

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-tls-'));
      // A certificate authority and a client certificate the server has never seen.
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=stranger',
        '-keyout', path.join(dir, 'stranger.key'), '-out', path.join(dir, 'stranger.pem'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('refuses a server certificate that does not chain to our CA', async () => {
      const pki = pkiDir('wrong-ca', path.join(dir, 'stranger.pem'), `${testEnv.pki}/clientcert.pem`, `${testEnv.pki}/clientkey.pem`);
      await assert.rejects(openClient(tlsUri(pki)), (e: unknown) => TransportError.is(e) && /could not be verified/.test(e.message));
    });

    it('accepts it with no_verify=1', async () => {
      const pki = pkiDir('wrong-ca-noverify', path.join(dir, 'stranger.pem'), `${testEnv.pki}/clientcert.pem`, `${testEnv.pki}/clientkey.pem`);
      const client = await openClient(tlsUri(pki, '&no_verify=1'));
      await roundTrip(client);
      await client.close();
    });

    it('reports the server rejecting our client certificate (no confirmation byte)', async () => {
      const pki = pkiDir('stranger-client', `${testEnv.pki}/cacert.pem`, path.join(dir, 'stranger.pem'), path.join(dir, 'stranger.key'));
      await assert.rejects(openClient(tlsUri(pki)), TlsRejectedError.is);
    });

    it('fails clearly when the PKI files are missing', async () => {
      await assert.rejects(openClient(tlsUri(path.join(dir, 'nope'))), (e: unknown) => TransportError.is(e) && /cacert\.pem/.test(e.message));
    });
  });
});
