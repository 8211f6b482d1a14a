// The relay against a real local TCP server standing in for a VNC server (no libvirt needed).
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { FrameReceiver, type RelayFrame } from '../../../src/console/relayFraming';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { openRelaySocketCount, VncRelay } from '../../../src/console/vncRelay';

async function listen(onConn: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined); // the relay side may reset the connection when it closes
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('VNC relay over a real socket (unit)', () => {
  it('delivers the server bytes in order, writes back, and reports the end once', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    let received = Buffer.alloc(0);
    const { server, port } = await listen((s) => {
      s.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
      for (let off = 0; off < payload.length; off += 65536) s.write(payload.subarray(off, off + 65536));
      s.end();
    });
    try {
      const rx = new FrameReceiver();
      const chunks: Uint8Array[] = [];
      let closed = 0;
      const before = openRelaySocketCount();
      const relay = await VncRelay.start(
        () => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' }),
        (f: RelayFrame) => chunks.push(rx.accept(f)),
        { onClosed: () => closed++ },
      );
      assert.equal(openRelaySocketCount(), before + 1);
      relay.write(Uint8Array.of(1, 2, 3));
      while (closed === 0) await sleep(10);
      await sleep(20);
      assert.equal(closed, 1);
      assert.ok(relay.isClosed);
      assert.equal(openRelaySocketCount(), before);
      assert.deepEqual(Buffer.concat(chunks), payload);
      assert.ok(chunks.length < payload.length / 65536 + 8, `too many frames: ${chunks.length}`);
      assert.deepEqual([...received], [1, 2, 3]);
    } finally {
      server.close();
    }
  });

  it('pauses reading while the consumer has not confirmed its frames, and resumes after', async () => {
    const { server, port } = await listen((s) => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (s.write(chunk)) {
          /* fill the socket */
        }
      };
      s.on('drain', pump);
      pump();
    });
    const pending: (() => void)[] = [];
    const relay = await VncRelay.start(
      () => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' }),
      () => new Promise<void>((r) => pending.push(r)),
      { maxInFlight: 4, batch: { maxBatchBytes: 16 * 1024, encoding: 'binary' } },
    );
    try {
      await sleep(200);
      const stalled = relay.bytesIn;
      assert.ok(pending.length >= 5, `expected unconfirmed frames, got ${pending.length}`);
      await sleep(200);
      // Paused: at most what was already buffered arrives.
      assert.ok(relay.bytesIn - stalled < 512 * 1024, `kept reading while paused: ${relay.bytesIn - stalled} bytes`);
      for (const r of pending.splice(0)) r();
      await sleep(200);
      assert.ok(relay.bytesIn > stalled, 'did not resume after the frames were confirmed');
    } finally {
      relay.close();
      server.close();
    }
  });

  it('fails with a clear error when nothing listens', async () => {
    const { server, port } = await listen(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(
      VncRelay.start(() => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' }), () => undefined),
      /cannot reach the VNC server/,
    );
  });

  it('refuses routes that cannot work instead of connecting somewhere else', async () => {
    await assert.rejects(openVncStream({ kind: 'address', address: '127.0.0.1', port: 5900 }, { kind: 'remote', host: 'vmhost.example' }), /listens on 127\.0\.0\.1 of the remote host only/);
    await assert.rejects(openVncStream({ kind: 'socket', path: '/run/x.sock' }, { kind: 'remote', host: 'vmhost.example' }), /unix socket/);
  });
});
