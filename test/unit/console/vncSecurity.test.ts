// The host's part of the VNC handshake against scripted RFB servers on a real local socket (the
// transport seam): what noVNC is replayed, which of its bytes are dropped, and the refusals.
// TLS itself is tested against a real QEMU (test/integration/console/displayTls.test.ts).

import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { FrameReceiver } from '../../../src/console/relayFraming';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { VncRelay } from '../../../src/console/vncRelay';
import { negotiateVncSecurity } from '../../../src/console/vncSecurity';

const noTls = (): never => {
  throw new Error('TLS credentials were asked for');
};

/** A server that sends `script[0]`, then after each client write the next part; records what it got. */
async function scripted(parts: Buffer[]): Promise<{ port: number; received: () => Buffer; close: () => void }> {
  let got = Buffer.alloc(0);
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    let i = 0;
    s.write(parts[i++]!);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (i < parts.length) s.write(parts[i++]!);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received: () => got, close: () => server.close() };
}

const open = (port: number): Promise<import('node:stream').Duplex> => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('VNC security negotiation in the host (unit)', () => {
  it('a plain server: noVNC is replayed the version, then (after its own version, dropped) the same type list; its type choice passes', async () => {
    const srv = await scripted([Buffer.from('RFB 003.008\n'), Buffer.from([2, 1, 2]), Buffer.from([0, 0, 0, 0])]);
    try {
      const rx = new FrameReceiver();
      let seen = Buffer.alloc(0);
      const relay = await VncRelay.start(async () => negotiateVncSecurity(await open(srv.port), { tls: noTls, what: 'the display' }), (f) => {
        seen = Buffer.concat([seen, rx.accept(f)]);
      });
      await sleep(50);
      assert.deepEqual(seen, Buffer.from('RFB 003.008\n'), 'the version alone: noVNC reads one step per message');
      relay.write(Buffer.from('RFB 003.008\n'));
      await sleep(50);
      assert.deepEqual(seen, Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([2, 1, 2])]), 'the type list after the viewer\'s version');
      relay.write(Uint8Array.of(2));
      await sleep(50);
      assert.deepEqual(srv.received(), Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([2])]), 'the server got one version and the type choice');
      relay.close();
    } finally {
      srv.close();
    }
  });

  it('an RFB 3.3 server is left to noVNC from the first byte', async () => {
    const srv = await scripted([Buffer.from('RFB 003.003\n')]);
    try {
      const prepared = await negotiateVncSecurity(await open(srv.port), { tls: noTls, what: 'the display' });
      assert.equal(prepared.skipClientBytes, 0);
      assert.equal(Buffer.from(prepared.greeting).toString('latin1'), 'RFB 003.003\n');
      assert.equal(prepared.encrypted, false);
      prepared.socket.destroy();
    } finally {
      srv.close();
    }
  });

  it("a server's refusal reason reaches noVNC", async () => {
    const reason = Buffer.from('Too many security failures');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(reason.length, 0);
    const srv = await scripted([Buffer.from('RFB 003.008\n'), Buffer.concat([Buffer.from([0]), len, reason])]);
    try {
      const prepared = await negotiateVncSecurity(await open(srv.port), { tls: noTls, what: 'the display' });
      assert.deepEqual(Buffer.from(prepared.greeting), Buffer.from('RFB 003.008\n'));
      assert.deepEqual(Buffer.from(prepared.reply!.bytes), Buffer.concat([Buffer.from([0]), len, reason]));
      prepared.socket.destroy();
    } finally {
      srv.close();
    }
  });

  it('VeNCrypt with only subtypes this console does not speak: the error names them', async () => {
    const sub = Buffer.alloc(4);
    sub.writeUInt32BE(262, 0);
    const srv = await scripted([Buffer.from('RFB 003.008\n'), Buffer.from([1, 19]), Buffer.from([0, 2]), Buffer.concat([Buffer.from([0, 1]), sub])]);
    const tls = { files: { caCert: '/nonexistent/ca', clientCert: '/nonexistent/c', clientKey: '/nonexistent/k' }, verifyHost: undefined, noVerify: false };
    try {
      await assert.rejects(negotiateVncSecurity(await open(srv.port), { tls: () => tls, what: 'the VNC display of vm1' }), /the VNC display of vm1 requires VeNCrypt with X509Plain \(262\); this console supports X509None \(260\), X509Vnc \(261\)/);
    } finally {
      srv.close();
    }
  });

  it('a server that is not VNC, or that goes silent, is a clear error', async () => {
    const srv = await scripted([Buffer.from('SSH-2.0-Open\n')]);
    try {
      await assert.rejects(negotiateVncSecurity(await open(srv.port), { tls: noTls, what: 'the display' }), /the display is not a VNC server/);
    } finally {
      srv.close();
    }
    const quiet = await scripted([Buffer.alloc(0)]);
    try {
      await assert.rejects(negotiateVncSecurity(await open(quiet.port), { tls: noTls, what: 'the display', timeoutMs: 200 }), /the display did not answer the VNC handshake in 200 ms/);
    } finally {
      quiet.close();
    }
  });
});
