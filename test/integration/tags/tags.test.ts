// Tags against the real libvirtd 9.0: written with virDomainSetMetadata on our element, on a running
// persistent VM they land in both the live and the saved definition, the rest of the XML (other
// applications' metadata, other children of our element) stays, a second client receives the
// METADATA_CHANGE event, hostile names round-trip, and a bulk read covers many VMs.
import * as assert from 'node:assert/strict';
import { Connection, type DomainEvent, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainMetadataType, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { readAppMetadata, readDomainTags, readTagsBulk, TagError, updateDomainTags } from '../../../src/libvirt/tags';
import { APP_METADATA_NS } from '../../../src/libvirt/xml/domainXml';
import { summarizeDomainXml } from '../../../src/libvirt/xml/summary';
import { leftoverOfDeadRun } from '../../leftovers';
import { UNDEFINE_ALL } from '../connection/testEnv';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'tgs-itest';
const RUN = `${PREFIX}${process.pid}-`;

function domainXml(name: string, metadata = ''): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>${metadata ? `<metadata>${metadata}</metadata>` : ''}
  <devices><graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
}

describe('Tags (integration, real libvirtd)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let other: Connection;
  const doms: DomainRef[] = [];
  let n = 0;

  const define = async (metadata = ''): Promise<DomainRef> => {
    const dom = await conn.domainDefineXml(domainXml(`${RUN}${n++}`, metadata));
    doms.push(dom);
    return dom;
  };

  before(async () => {
    conn = await Connection.open(URI);
    other = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await other?.close();
    await conn?.close();
  });

  it('sets tags on a running VM live and in its saved definition, keeping the rest of the XML', async () => {
    const keep = `<other:x xmlns:other="urn:other-app">o</other:x><vmm:data xmlns:vmm="${APP_METADATA_NS}"><vmm:note kind="kept">n &amp; m</vmm:note></vmm:data>`;
    const dom = await define(keep);
    await conn.domainCreate(dom);
    const before = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);

    const shown = await updateDomainTags(conn, dom, () => ['web', 'db']);
    assert.deepEqual(shown, ['web', 'db']);

    const live = await conn.domainGetXmlDesc(dom, 0);
    const saved = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    assert.deepEqual(summarizeDomainXml(live).tags, ['web', 'db']);
    assert.deepEqual(summarizeDomainXml(saved).tags, ['web', 'db']);
    for (const xml of [live, saved]) {
      assert.match(xml, /<other:x xmlns:other="urn:other-app">o<\/other:x>/);
      assert.match(xml, /<vmm:note kind="kept">n &amp; m<\/vmm:note>/);
    }
    // Outside <metadata> the saved definition is unchanged.
    const outside = (x: string): string => x.replace(/<metadata>[\s\S]*<\/metadata>/, '');
    assert.equal(outside(saved), outside(before));

    // Removing the tags keeps our other child; the VM is still running.
    await updateDomainTags(conn, dom, () => []);
    assert.deepEqual(await readDomainTags(conn, dom), []);
    assert.match(await readAppMetadata(conn, dom), /<note kind="kept">n &amp; m<\/note>/);
    assert.deepEqual(summarizeDomainXml(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE)).tags, []);
    assert.equal((await conn.domainGetState(dom)).state, 1);
  });

  it('a second client receives METADATA_CHANGE for our namespace and reads the new tags', async () => {
    const dom = await define();
    const events: DomainEvent[] = [];
    const sub = other.onDomainEvent((e) => events.push(e), { kinds: ['metadataChange'] });
    await sub.ready;
    try {
      await updateDomainTags(conn, dom, () => ['from-elsewhere']);
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.dom.uuid === dom.uuid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const e = events.find((x) => x.dom.uuid === dom.uuid);
      assert.ok(e && e.kind === 'metadataChange', 'no METADATA_CHANGE event arrived');
      assert.equal(e.type, VirDomainMetadataType.ELEMENT);
      assert.equal(e.nsuri, APP_METADATA_NS);
      assert.deepEqual(await readDomainTags(other, dom), ['from-elsewhere']);
    } finally {
      sub.dispose();
    }
  });

  it('hostile tag names round-trip exactly; bad ones are refused before anything is written', async () => {
    const dom = await define();
    const hostile = ['<script>', 'a&b', '"quoted"', "it's", '$(rm)', '%x%', ']]>', 'ünïcødé-日本', '--', 'x'.repeat(64)];
    await updateDomainTags(conn, dom, () => hostile);
    assert.deepEqual(await readDomainTags(conn, dom), hostile);
    assert.deepEqual(summarizeDomainXml(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE)).tags, hostile);
    for (const bad of ['two words', 'line\nbreak', '', 'x'.repeat(65), 'rtl\u202eoverride']) {
      await assert.rejects(updateDomainTags(conn, dom, () => [bad]), (e: unknown) => TagError.is(e));
    }
    assert.deepEqual(await readDomainTags(conn, dom), hostile);
  });

  it('reads the tags of many VMs in one pipelined batch', async () => {
    const batch = await Promise.all(Array.from({ length: 20 }, () => define()));
    await Promise.all(batch.map((d, i) => updateDomainTags(conn, d, () => (i % 2 === 0 ? ['even'] : []))));
    const read = await readTagsBulk(conn, batch);
    assert.equal(read.size, batch.length);
    batch.forEach((d, i) => assert.deepEqual(read.get(d.uuid), i % 2 === 0 ? ['even'] : []));
  });
});
