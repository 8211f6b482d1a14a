// Encrypted displays against a real QEMU (tlsDisplayEnv.ts): the relay does the RFB + VeNCrypt
// handshake and TLS with the test PKI and hands over a plain RFB stream on which a viewer gets
// ServerInit and a FramebufferUpdate; SPICE's main channel links over TLS on the TLS port (and
// the plain port refuses it); a CA that did not issue QEMU's certificate, or a missing client
// certificate, is refused with an error that says so.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseDomainConsoles } from '../../../src/console/domainConsoles';
import type { DisplayTlsConfig } from '../../../src/console/displayTls';
import { openDisplayStream } from '../../../src/console/graphicalSession';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { VncRelay } from '../../../src/console/vncRelay';
import { negotiateVncSecurity } from '../../../src/console/vncSecurity';
import { spiceLink, ViewerInbox } from '../../spiceWire';
import { clientPki, pkiDir, startTlsQemu, type TlsQemu } from './tlsDisplayEnv';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const tlsConfig = (files = clientPki): DisplayTlsConfig => ({ files, verifyHost: '127.0.0.1', noVerify: false });

/** A libvirt-style live XML of the QEMU's SPICE display, as the console parses it. */
function spiceXml(q: TlsQemu): string {
  return `<domain type='qemu'><name>${path.basename(q.dir)}</name><devices>
    <graphics type='spice' port='${q.spicePort}' tlsPort='${q.spiceTlsPort}' autoport='no' listen='127.0.0.1' defaultMode='secure'>
      <listen type='address' address='127.0.0.1'/>
    </graphics></devices></domain>`;
}

describe('Encrypted displays against a real QEMU (VeNCrypt x509, SPICE TLS)', function () {
  this.timeout(60_000);
  let q: TlsQemu;

  before(async () => {
    q = await startTlsQemu();
  });

  after(async () => {
    await q?.stop();
  });

  it('VNC: the host negotiates VeNCrypt X509None and TLS; the viewer gets a plain RFB stream up to a FramebufferUpdate', async () => {
    const inbox = new ViewerInbox();
    let encrypted = false;
    const relay = await VncRelay.start(
      async () => {
        const prepared = await negotiateVncSecurity(await openVncStream({ kind: 'address', address: '127.0.0.1', port: q.vncPort }, { kind: 'local' }), {
          tls: () => tlsConfig(),
          what: 'the VNC display of the test QEMU',
        });
        encrypted = prepared.encrypted;
        return prepared;
      },
      inbox.accept,
      { onClosed: () => (inbox.closed = true) },
    );
    try {
      assert.equal(encrypted, true, 'QEMU offered VeNCrypt: the stream must be TLS');
      // The replayed greeting: the version, and after the viewer's version only the inner type, None.
      assert.equal((await inbox.read(12)).toString('latin1'), 'RFB 003.008\n');
      await sleep(100);
      assert.equal(inbox.pending, 0, 'the security list waits for the viewer\'s version (noVNC reads one step per message)');
      relay.write(Buffer.from('RFB 003.008\n', 'latin1')); // dropped: already said to QEMU
      assert.deepEqual([...(await inbox.read(2))], [1, 1]);
      relay.write(Uint8Array.of(1)); // the type choice: dropped too
      assert.equal((await inbox.read(4)).readUInt32BE(0), 0, 'SecurityResult OK, read inside TLS');
      relay.write(Uint8Array.of(1)); // ClientInit, shared
      const init = await inbox.read(24);
      const width = init.readUInt16BE(0);
      const height = init.readUInt16BE(2);
      assert.ok(width >= 320 && height >= 200, `ServerInit size ${width}x${height}`);
      const name = await inbox.read(init.readUInt32BE(20));
      assert.equal(name.toString('utf8'), `QEMU (${path.basename(q.dir)})`, 'the ServerInit name arrived intact');
      const setEncodings = Buffer.alloc(8);
      setEncodings.writeUInt8(2, 0);
      setEncodings.writeUInt16BE(1, 2);
      setEncodings.writeInt32BE(0, 4); // Raw
      relay.write(setEncodings);
      const request = Buffer.alloc(10);
      request.writeUInt8(3, 0); // FramebufferUpdateRequest, not incremental
      request.writeUInt16BE(width, 6);
      request.writeUInt16BE(height, 8);
      relay.write(request);
      const update = await inbox.read(4);
      assert.equal(update.readUInt8(0), 0, 'a FramebufferUpdate');
      assert.ok(update.readUInt16BE(2) >= 1, 'with at least one rectangle');
      const rect = await inbox.read(12);
      assert.ok(rect.readUInt16BE(4) > 0 && rect.readUInt16BE(6) > 0, 'a non-empty rectangle');
      assert.ok(relay.bytesIn > 0);
    } finally {
      relay.close();
    }
  });

  it('VNC: VeNCrypt X509Vnc replays VNC authentication to the viewer; the challenge and the result travel inside TLS', async () => {
    const inbox = new ViewerInbox();
    const relay = await VncRelay.start(
      async () =>
        negotiateVncSecurity(await openVncStream({ kind: 'address', address: '127.0.0.1', port: q.vncPasswordPort }, { kind: 'local' }), {
          tls: () => tlsConfig(),
          what: 'the VNC display of the test QEMU',
        }),
      inbox.accept,
      { onClosed: () => (inbox.closed = true) },
    );
    try {
      assert.equal((await inbox.read(12)).toString('latin1'), 'RFB 003.008\n');
      relay.write(Buffer.from('RFB 003.008\n', 'latin1'));
      assert.deepEqual([...(await inbox.read(2))], [1, 2], 'only VNC authentication is offered to noVNC');
      relay.write(Uint8Array.of(2));
      const challenge = await inbox.read(16);
      assert.equal(challenge.length, 16);
      relay.write(Buffer.alloc(16)); // not the DES of the challenge with the password
      assert.equal((await inbox.read(4)).readUInt32BE(0), 1, 'SecurityResult: failed (a wrong response is refused by QEMU)');
    } finally {
      relay.close();
    }
  });

  it('VNC: a CA that did not issue the server certificate is refused, naming the CA file', async () => {
    await assert.rejects(
      negotiateVncSecurity(await openVncStream({ kind: 'address', address: '127.0.0.1', port: q.vncPort }, { kind: 'local' }), {
        tls: () => tlsConfig(q.wrongCa),
        what: 'the VNC display of the test QEMU',
      }),
      (e: Error) => {
        assert.match(e.message, /the TLS certificate of the VNC display of the test QEMU could not be verified against .*wrong-ca\/cacert\.pem/);
        return true;
      },
    );
  });

  it('VNC: without a client certificate the error names where it was looked for', async () => {
    const missing = { ...clientPki, clientCert: path.join(q.dir, 'none', 'clientcert.pem') };
    await assert.rejects(
      negotiateVncSecurity(await openVncStream({ kind: 'address', address: '127.0.0.1', port: q.vncPort }, { kind: 'local' }), {
        tls: () => tlsConfig(missing),
        what: 'the VNC display of vm1',
      }),
      /the VNC display of vm1 requires TLS but no client certificate was found in '.*\/none\/clientcert\.pem'/,
    );
  });

  it('VNC: a host name the certificate does not name is refused', async () => {
    await assert.rejects(
      negotiateVncSecurity(await openVncStream({ kind: 'address', address: '127.0.0.1', port: q.vncPort }, { kind: 'local' }), {
        tls: () => ({ ...tlsConfig(), verifyHost: 'vmhost.example' }),
        what: 'the VNC display of vm1',
      }),
      /could not be verified .*vmhost\.example/,
    );
  });

  it('SPICE: the console picks the TLS port from the XML; the main channel links over TLS (the plain port refuses it)', async () => {
    const display = parseDomainConsoles(spiceXml(q)).displays[0]!;
    assert.equal(display.spiceTls, true);
    const target = { uri: `qemu:///system?pkipath=${pkiDir}`, dom: { name: 'tld-spice', uuid: '00000000-0000-4000-8000-000000000001', id: 1 } };
    const inbox = new ViewerInbox();
    const relay = await VncRelay.start(() => openDisplayStream(display, { kind: 'local' }, target), inbox.accept, { onClosed: () => (inbox.closed = true) });
    try {
      relay.write(spiceLink(1)); // SPICE_CHANNEL_MAIN
      const head = await inbox.read(16);
      assert.equal(head.subarray(0, 4).toString('latin1'), 'REDQ');
      assert.equal(head.readUInt32LE(4), 2, 'protocol major 2');
      const reply = await inbox.read(head.readUInt32LE(12));
      assert.equal(reply.readUInt32LE(0), 0, 'SpiceLinkReply error: OK');
    } finally {
      relay.close();
    }

    // The same link on the plain port: QEMU answers SPICE_LINK_ERR_NEED_SECURED (5).
    const plain = new ViewerInbox();
    const plainRelay = await VncRelay.start(() => openVncStream(display.listen!, { kind: 'local' }), plain.accept, { onClosed: () => (plain.closed = true) });
    try {
      plainRelay.write(spiceLink(1));
      const head = await plain.read(16);
      const reply = await plain.read(head.readUInt32LE(12));
      assert.equal(reply.readUInt32LE(0), 5);
    } finally {
      plainRelay.close();
    }
  });

  it('SPICE: a wrong CA is refused before any byte reaches the viewer', async () => {
    const display = parseDomainConsoles(spiceXml(q)).displays[0]!;
    const wrongDir = path.dirname(q.wrongCa.caCert);
    // pkipath= names one directory: a copy of the client files beside the wrong CA.
    const fs = await import('node:fs');
    fs.copyFileSync(clientPki.clientCert, path.join(wrongDir, 'clientcert.pem'));
    fs.copyFileSync(clientPki.clientKey, path.join(wrongDir, 'clientkey.pem'));
    const target = { uri: `qemu:///system?pkipath=${wrongDir}`, dom: { name: 'tld-spice', uuid: '00000000-0000-4000-8000-000000000001', id: 1 } };
    await assert.rejects(openDisplayStream(display, { kind: 'local' }, target), /the TLS certificate of the SPICE display of tld-spice could not be verified against .*wrong-ca\/cacert\.pem/);
  });
});
