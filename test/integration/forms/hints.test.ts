// Each optimization hint against a real libvirtd: a domain built to trigger it (test/hintCases.ts)
// is defined, read back as libvirt stores it, and analysed with the real host's facts and
// osinfo-db; the hint fires; its fix goes through the details panel's path (preview, then define
// with VALIDATE only if the definition is still the one previewed); read back again, the hint is
// gone. The base domains (everything the hints ask for) get no hint at all, as libvirt stores them.
// Memory overcommit is real too: two VMs whose memory together exceeds the host's run (TCG, no OS:
// QEMU reserves the memory without touching it), and the hint goes when one stops.
//
// One fact is supplied rather than read: this machine reserves no huge pages, and a test must not
// change the kernel's reservation for everyone else on it, so the huge pages case states a host
// with 32 GiB of them (the rule's other facts and the define are real).

import * as assert from 'node:assert/strict';
import type { HintChange } from '../../../src/forms/formSchema';
import { analyzeDomain, hintKey } from '../../../src/forms/hints';
import { applyHintPreview, domainHintFacts, hostHints, previewHint, readDefinition, readHostHintFacts, type HostHintFacts } from '../../../src/forms/hintHost';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { OsinstallCatalog, parseOsinstallXml } from '../../../src/libvirt/osinfoMedia';
import { domainCapabilities, type DomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { baseDomain, HINT_CASES } from '../../hintCases';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'hnt-';
const RUN = `${PREFIX}${process.pid}-`;
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM;

describe('optimization hints on a real libvirtd (integration)', function () {
  this.timeout(300_000);
  let conn: Connection;
  let host: HostHintFacts & { hostCpus: number; hostMemoryKiB: number };
  let install: OsinstallCatalog;
  const caps = new Map<string, Promise<DomainCapabilities | undefined>>();
  const made: DomainRef[] = [];
  let n = 0;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    const facts = await readHostHintFacts(conn);
    assert.ok(facts.hostCpus && facts.hostMemoryKiB, 'the host says its CPUs and memory');
    host = { ...facts, hostCpus: facts.hostCpus, hostMemoryKiB: facts.hostMemoryKiB };
    const texts = await readLocalOsinfoFiles();
    assert.ok(texts, 'osinfo-db is installed (the test environment installs it)');
    install = new OsinstallCatalog(texts.flatMap(parseOsinstallXml));
  });
  after(async () => {
    for (const r of made.splice(0)) {
      await conn.domainDestroy(r).catch(() => undefined);
      await conn.domainUndefine(r, UNDEFINE).catch(() => undefined);
    }
    await conn?.close();
  });

  const define = async (xml: string): Promise<DomainRef> => {
    const ref = await conn.domainDefineXml(xml, VirDomainDefineFlags.VALIDATE);
    made.push(ref);
    return ref;
  };
  const model = (ref: DomainRef): DomainDetailsModel =>
    new DomainDetailsModel(conn, ref, { stateLabel: () => '', capabilitiesCache: caps, osinfo: { entries: async () => undefined, installFacts: async () => install } });
  const name = (): string => `${RUN}${++n}`;

  it("libosinfo's facts for the test OSes: Debian 11 has VirtIO and supports Q35", () => {
    assert.equal(install.supportsVirtio('http://debian.org/debian/11'), true);
    assert.equal(install.supports('http://debian.org/debian/11', ['http://qemu.org/chipset/x86/q35']), true);
  });

  for (const type of ['kvm', 'qemu'] as const) {
    it(`no hint fires on the base ${type} domain as libvirt stores it`, async () => {
      const ref = await define(baseDomain({ name: name(), type }));
      const loaded = await model(ref).load();
      assert.deepEqual(
        (loaded.hints ?? []).map((h) => h.code),
        [],
      );
    });
  }

  for (const c of HINT_CASES) {
    it(`${c.code}: fires on ${c.label}; the fix defines with VALIDATE and the hint is gone`, async () => {
      const ref = await define(c.mutate(baseDomain({ name: name(), ...c.base }), host));
      const override = c.facts?.hostHugePagesKiB !== undefined ? { hostHugePagesKiB: c.facts.hostHugePagesKiB } : {};
      let change: HintChange;
      if (Object.keys(override).length === 0) {
        // The details panel's own path.
        const m = model(ref);
        const loaded = await m.load();
        const view = loaded.hints?.find((h) => h.code === c.code);
        assert.ok(view, `${c.code} fires: ${JSON.stringify(loaded.hints?.map((h) => h.code))}`);
        assert.equal(view.apply, c.apply);
        change = await m.previewHint(view.key);
        assert.notEqual(change.after, change.before);
        await m.applyHint(change);
      } else {
        const facts = async (d: DomainXml) => ({ ...domainHintFacts(d, host, { install, caps: await domainCapabilities(conn, d, caps) }), ...override });
        const d = DomainXml.parse(await readDefinition(conn, ref));
        const hint = analyzeDomain(d, await facts(d)).find((h) => h.code === c.code);
        assert.ok(hint, `${c.code} fires`);
        const p = await previewHint(conn, ref, hintKey(hint), facts);
        await applyHintPreview(conn, ref, p);
      }
      const after = DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE));
      const again = analyzeDomain(after, { ...domainHintFacts(after, host, { install, caps: await domainCapabilities(conn, after, caps) }), ...override });
      assert.deepEqual(again.filter((h) => h.code === c.code).map((h) => h.message), [], `${c.code} is gone once libvirt stored the fix`);
    });
  }

  it('a refused define keeps the old definition; a definition changed after the preview is not overwritten', async () => {
    const ref = await define(HINT_CASES.find((c) => c.code === 'disk-no-discard')!.mutate(baseDomain({ name: name() }), host));
    const m = model(ref);
    const key = (await m.load()).hints!.find((h) => h.code === 'disk-no-discard')!.key;
    const change = await m.previewHint(key);
    const before = await readDefinition(conn, ref);
    await assert.rejects(m.applyHint({ ...change, after: change.after.replace("discard='unmap'", "discard='sometimes'") }));
    assert.equal(await readDefinition(conn, ref), before, 'refused: nothing changed');
    await conn.domainDefineXml(before.replace('<vcpu placement=\'static\'>1</vcpu>', '<vcpu placement=\'static\'>2</vcpu>'), VirDomainDefineFlags.VALIDATE);
    const changed = await readDefinition(conn, ref);
    await assert.rejects(m.applyHint(change), /changed since the preview/);
    assert.equal(await readDefinition(conn, ref), changed, 'the newer definition stays');
  });

  it('the host-wide list: every VM of the host, definitions fetched together, the known ones reused', async () => {
    const a = await define(HINT_CASES.find((c) => c.code === 'no-tablet')!.mutate(baseDomain({ name: name() }), host));
    const b = await define(HINT_CASES.find((c) => c.code === 'nic-not-virtio')!.mutate(baseDomain({ name: name() }), host));
    const knownXml = await conn.domainGetXmlDesc(a, VirDomainXMLFlags.INACTIVE);
    const all = await hostHints(conn, { install, known: (r) => (r.uuid === a.uuid ? knownXml : undefined) });
    // Other suites define and undefine VMs meanwhile: compare with the list hostHints itself read.
    assert.ok(all.vms.some((v) => v.dom.uuid === a.uuid) && all.vms.some((v) => v.dom.uuid === b.uuid));
    assert.equal(all.fetched, all.vms.length - 1, 'the known definition was not fetched again');
    assert.deepEqual(all.vms.find((v) => v.dom.uuid === a.uuid)?.hints.map((h) => h.code), ['no-tablet']);
    assert.deepEqual(all.vms.find((v) => v.dom.uuid === b.uuid)?.hints.map((h) => h.code), ['nic-not-virtio']);
  });

  it('memory overcommitted across running VMs: fires while two big VMs run, gone when one stops', async () => {
    // What runs now (other suites start and stop VMs all the time), read just before.
    const others = [...((await readHostHintFacts(conn)).runningMemoryKiB?.values() ?? [])].reduce((x, y) => x + y, 0);
    // Together with what runs already, 2 GiB more than the host has; each alone less than it.
    const eachMiB = Math.ceil((host.hostMemoryKiB - others) / 2 / 1024) + 1024;
    assert.ok(eachMiB * 1024 < host.hostMemoryKiB, 'each VM alone fits the host');
    const xml = (nm: string): string => baseDomain({ name: nm, type: 'qemu', memoryMiB: eachMiB }).replace(/\s*<disk[\s\S]*?<\/disk>/, '').replace(/\s*<interface[\s\S]*?<\/interface>/, '');
    const a = await define(xml(name()));
    const b = await define(xml(name()));
    await conn.domainCreate(a);
    await conn.domainCreate(b);
    const loaded = await model(a).load();
    const h = loaded.hints?.find((x) => x.code === 'memory-overcommit');
    assert.ok(h, `fires: ${JSON.stringify(loaded.hints?.map((x) => x.code))}`);
    assert.equal(h.apply, 'manual', 'no one-click fix: which VM gives way is the user\'s choice');
    assert.ok((await hostHints(conn, { install })).host.some((x) => x.code === 'memory-overcommit'), 'the host-wide list has it once');
    await conn.domainDestroy(b);
    const after = await model(a).load();
    assert.ok(!after.hints?.some((x) => x.code === 'memory-overcommit'), 'gone when the other VM stopped');
    await conn.domainDestroy(a);
  });
});
