// capabilities.ts domainCapabilities against the real daemon: what the daemon answers is kept per
// key (capabilities, and a refusal such as an unknown machine type), a look-up that got no answer
// (the connection closed) is forgotten and asked again.
import * as assert from 'node:assert/strict';
import { Connection } from '../../../src/libvirt/connection';
import { domainCapabilities, type DomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

const doc = (machine: string): DomainXml =>
  DomainXml.parse(`<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='${machine}'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>`);

describe('domain capabilities look-up and its cache (integration)', function () {
  this.timeout(60_000);

  it("keeps the daemon's answers, a refusal included, and forgets a look-up that got no answer", async () => {
    const cache = new Map<string, Promise<DomainCapabilities | undefined>>();
    const conn = await Connection.open(URI);
    try {
      const caps = await domainCapabilities(conn, doc('q35'), cache);
      assert.equal(caps?.arch, 'x86_64');
      assert.equal(await domainCapabilities(conn, doc('q35'), cache), caps, 'answered from the cache');
      // An unknown machine type: libvirt refuses, and the refusal is kept.
      assert.equal(await domainCapabilities(conn, doc('no-such-machine'), cache), undefined);
      assert.equal(cache.size, 2);
    } finally {
      await conn.close();
    }
    // A closed connection answers nothing: that look-up is not kept, the others are.
    assert.equal(await domainCapabilities(conn, doc('pc'), cache), undefined);
    assert.equal(cache.size, 2);
    const again = await Connection.open(URI);
    try {
      assert.equal((await domainCapabilities(again, doc('pc'), cache))?.arch, 'x86_64');
      assert.equal(cache.size, 3);
    } finally {
      await again.close();
    }
  });
});
