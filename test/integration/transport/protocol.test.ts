// Protocol features against the real daemon: keepalive both ways, events, a read stream and a
// remote command failure surfacing as the cause.

import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { REMOTE_PROCEDURES as P } from '../../../src/libvirt/generated/remoteProtocol';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { ConnectionClosedError } from '../../../src/libvirt/rpc/errors';
import { openRemote } from '../../../src/libvirt/rpc/handshake';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import type { RpcEvent } from '../../../src/libvirt/rpc/types';
import { connectUnix } from '../../../src/libvirt/transport/unixTransport';
import { SshSessionPool } from '../../../src/libvirt/transport/sshSession';
import { openClient, sshUri, testEnv } from './testEnv';

const testDriver = (): string => `test+unix:///default?socket=${encodeURIComponent(testEnv.socket)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RPC protocol against the real daemon (integration)', function () {
  this.timeout(60_000);

  it('stays connected through idle periods: the daemon answers our keepalive pings', async () => {
    const client = new RpcClient(await connectUnix(testEnv.socket), { keepaliveIntervalMs: 100, keepaliveCount: 2 });
    try {
      await openRemote(client, { name: 'test:///default' });
      await sleep(1200); // 12 intervals of silence from our side: pings must be answered
      assert.equal(client.closed, false);
      assert.equal((await client.call(P.CONNECT_GET_URI, undefined)).uri, 'test:///default');
    } finally {
      await client.close();
    }
  });

  it('delivers lifecycle events decoded from the daemon', async () => {
    const client = await openClient(testDriver());
    const name = `lvtest-ev-${process.pid}-${Date.now()}`;
    try {
      const events: RpcEvent[] = [];
      client.onEvent((e) => events.push(e));
      const { callbackID } = await client.call(P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, { eventID: 0, dom: null });
      const xml = `<domain type='test'><name>${name}</name><memory>1024</memory><os><type>hvm</type></os></domain>`;
      const { dom } = await client.call(P.DOMAIN_DEFINE_XML, { xml });
      await client.call(P.DOMAIN_UNDEFINE, { dom });
      for (let i = 0; i < 50 && events.length < 2; i++) await sleep(20);
      const mine = events
        .filter((e) => e.procedure.name === 'DOMAIN_EVENT_CALLBACK_LIFECYCLE')
        .map((e) => e.body as { callbackID: number; msg: { dom: { name: string }; event: number } })
        .filter((b) => b.msg.dom.name === name);
      assert.deepEqual(mine.map((b) => [b.callbackID, b.msg.event]), [
        [callbackID, 0], // VIR_DOMAIN_EVENT_DEFINED
        [callbackID, 1], // VIR_DOMAIN_EVENT_UNDEFINED
      ]);
    } finally {
      await client.close();
    }
  });

  it('reads a stream to its end (DOMAIN_SCREENSHOT of the test driver)', async () => {
    const client = await openClient(testDriver());
    try {
      const { dom } = await client.call(P.DOMAIN_LOOKUP_BY_NAME, { name: 'test' });
      const { ret, stream } = await client.callWithStream(P.DOMAIN_SCREENSHOT, { dom, screen: 0, flags: 0 });
      assert.ok(ret.mime && ret.mime.startsWith('image/'), `mime ${ret.mime}`);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      await once(stream, 'end');
      stream.end();
      await once(stream, 'finish');
      const image = Buffer.concat(chunks);
      assert.ok(image.length > 100, `only ${image.length} bytes`);
      if (ret.mime === 'image/png') assert.ok(image.subarray(1, 4).equals(Buffer.from('PNG')));
      // The connection is still usable after the stream.
      assert.equal((await client.call(P.CONNECT_GET_URI, undefined)).uri, 'test:///default');
    } finally {
      await client.close();
    }
  });

  it('surfaces a failing remote proxy command as the cause of the close', async () => {
    const err = await openClient(sshUri({ proxy: 'netcat', netcat: '/nonexistent/nc' }), { sshPool: new SshSessionPool() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(ConnectionClosedError.is(err), `got ${String(err)}`);
    assert.ok(err.cause instanceof Error, 'the close has a cause');
    assert.match(err.cause.message, /exited with status 127/);
    assert.match(err.cause.message, /nonexistent/);
  });

  it('passes the lookup table so qemu-program events could decode too', () => {
    assert.equal(lookupLibvirtProcedure(0x20008087, 1)?.program, 0x20008087);
    assert.equal(lookupLibvirtProcedure(0x20008086, 318)?.isEvent, true);
    assert.equal(lookupLibvirtProcedure(0x12345678, 1), undefined);
  });
});
