// The optimization hints' rules: each fires on the domain built for it, its fix (through the
// descriptions) makes it go, and nothing fires on the base domain; the rules that must stay quiet
// (unknown OS, TCG, too few huge pages, Windows without drivers) stay quiet.
import * as assert from 'node:assert/strict';
import { analyzeDomain, applyHint, HINT_CODES, osHintFacts, type Hint, type HintFacts } from '../../../src/forms/hints';
import { OsinstallCatalog, parseOsinstallXml } from '../../../src/libvirt/osinfoMedia';
import { parseCapabilities } from '../../../src/libvirt/xml/capabilities';
import { checkDomain } from '../../../src/libvirt/xml/checks';
import { applyEdits } from '../../../src/libvirt/xml/diagnostics';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { baseDomain, baseFacts, DEBIAN, HINT_CASES, WINDOWS } from '../../hintCases';
import { fixture } from '../xml/helpers';

const HOST = { hostCpus: 4, hostMemoryKiB: 16 * 1024 * 1024 };
const analyze = (xml: string, facts: HintFacts): Hint[] => analyzeDomain(DomainXml.parse(xml), facts);
const codes = (hs: readonly Hint[]): string[] => hs.map((h) => h.code);

describe('optimization hints (unit)', () => {
  it('no hint fires on the base domain (KVM and TCG, Linux and Windows 11)', () => {
    assert.deepEqual(codes(analyze(baseDomain({ name: 'b' }), baseFacts(HOST))), []);
    assert.deepEqual(codes(analyze(baseDomain({ name: 'b', type: 'qemu' }), baseFacts(HOST))), []);
  });

  for (const c of HINT_CASES) {
    it(`${c.code}: fires on ${c.label}, and its fix makes it go`, () => {
      const facts: HintFacts = { ...baseFacts(HOST), ...c.facts };
      const xml = c.mutate(baseDomain({ name: 'u', ...c.base }), HOST);
      const hints = analyze(xml, facts).filter((h) => h.code === c.code);
      assert.equal(hints.length, 1, `${c.code}: ${JSON.stringify(codes(analyze(xml, facts)))}`);
      const h = hints[0]!;
      assert.equal(h.severity, 'info');
      assert.ok(h.title && h.why && h.effect, 'says what, why and what changes');
      assert.equal(h.apply.kind, c.apply);
      if (h.apply.kind === 'confirm') assert.ok(h.apply.consequence.length > 20);
      assert.ok(h.fix, 'a fix is offered');
      // The range points into the text (the XML editor places it there).
      assert.ok(h.range.startLine >= 0 && h.range.startLine < xml.split('\n').length);
      const fixed = applyHint(xml, h);
      assert.deepEqual(codes(analyze(fixed.toString(), facts)).filter((x) => x === c.code), [], `${c.code} after the fix`);
      // The fix leaves nothing the checker refuses.
      assert.deepEqual(checkDomain(fixed).filter((p) => p.severity === 'error').map((p) => p.message), []);
    });
  }

  it('every rule has at least one case', () => {
    const covered = new Set(HINT_CASES.map((c) => c.code));
    assert.deepEqual(HINT_CODES.filter((c) => !covered.has(c) && c !== 'memory-overcommit'), []);
  });

  it('the chipset fix on a libvirt-dumped i440FX VM: q35, no old PCI addresses or controllers, IDE on SATA', () => {
    const d = DomainXml.parse(fixture('minimal'));
    d.addDeviceXml("<disk type='file' device='cdrom'>\n  <target dev='hdc' bus='ide'/>\n  <readonly/>\n  <address type='drive' controller='0' bus='1' target='0' unit='0'/>\n</disk>");
    const h = analyzeDomain(d, { os: DEBIAN }).find((x) => x.code === 'machine-i440fx');
    assert.ok(h?.fix);
    const fixed = applyHint(d.toString(), h);
    assert.equal(fixed.get('machine'), 'q35');
    assert.ok(!/type='pci'/.test(fixed.toString()), 'no PCI address or controller is left');
    assert.ok(!/bus='ide'/.test(fixed.toString()));
    assert.ok(fixed.devicesOf('disk').some((x) => x.get('device') === 'cdrom' && x.get('bus') === 'sata' && x.get('target') === 'sda'));
    assert.ok(/model='qemu-xhci'/.test(fixed.toString()), 'the PIIX3 USB controller becomes XHCI');
  });

  it('Windows: no one-click fix for VirtIO or the chipset; Hyper-V only on KVM', () => {
    const win = baseDomain({ name: 'w', osinfo: 'http://microsoft.com/win/10' });
    const sata = win.replace("<target dev='vda' bus='virtio'/>", "<target dev='sda' bus='sata'/>").replace("machine='q35'", "machine='pc'");
    const hs = analyze(sata, { ...baseFacts(HOST), os: { ...WINDOWS, virtio: true } });
    for (const code of ['disk-not-virtio', 'machine-i440fx']) {
      const h = hs.find((x) => x.code === code);
      assert.equal(h?.apply.kind, 'manual', code);
      assert.equal(h?.fix, undefined, `${code} offers no fix`);
    }
    assert.ok(!codes(analyze(win.replace("type='kvm'", "type='qemu'"), { ...baseFacts(HOST), os: WINDOWS })).includes('windows-no-hyperv'));
  });

  it('quiet without its facts: no VirtIO hint for an unknown OS, no huge pages when the host has too few', () => {
    const sata = baseDomain({ name: 'q' }).replace("<target dev='vda' bus='virtio'/>", "<target dev='sda' bus='sata'/>");
    assert.ok(!codes(analyze(sata, { ...baseFacts(HOST), os: undefined })).includes('disk-not-virtio'));
    const big = baseDomain({ name: 'q', memoryMiB: 16 * 1024 });
    assert.ok(!codes(analyze(big, { ...baseFacts(HOST), hostHugePagesKiB: 8 * 1024 * 1024 })).includes('memory-no-hugepages'));
    assert.ok(!codes(analyze(baseDomain({ name: 'q', type: 'qemu' }).replace("<cpu mode='maximum'/>", "<cpu mode='host-model'/>"), baseFacts(HOST))).includes('cpu-not-passthrough'));
    assert.ok(!codes(analyze(baseDomain({ name: 'q' }).replace("<cpu mode='host-passthrough'/>", "<cpu mode='host-model'/>"), { ...baseFacts(HOST), caps: { cpu: { hostPassthrough: false } } as never })).includes('cpu-not-passthrough'));
  });

  it('memory overcommitted across running VMs: on a running VM, no one-click fix', () => {
    const xml = baseDomain({ name: 'm' });
    const running = new Map([
      ['m', 10 * 1024 * 1024],
      ['other', 8 * 1024 * 1024],
    ]);
    const h = analyze(xml, { ...baseFacts(HOST), running: true, runningMemoryKiB: running }).find((x) => x.code === 'memory-overcommit');
    assert.ok(h, 'fires');
    assert.equal(h.apply.kind, 'manual');
    assert.equal(h.fix, undefined);
    assert.match(h.why, /18 GiB/);
    assert.ok(!codes(analyze(xml, { ...baseFacts(HOST), running: false, runningMemoryKiB: running })).includes('memory-overcommit'), 'not on a VM that is off');
    assert.ok(!codes(analyze(xml, { ...baseFacts(HOST), running: true, runningMemoryKiB: new Map([['m', 1024]]) })).includes('memory-overcommit'));
  });

  it('recent performance is quoted in the why', () => {
    const xml = HINT_CASES.find((c) => c.code === 'vcpus-over-host')!.mutate(baseDomain({ name: 'p' }), HOST);
    const perf = [0, 60_000, 120_000].map((at) => ({ at, cpuPercent: 90, memoryUsedKiB: undefined, memoryKiB: undefined, diskReadBps: 0, diskWriteBps: 0, diskReadIops: 0, diskWriteIops: 0, netRxBps: 0, netTxBps: 0 }));
    const h = analyze(xml, { ...baseFacts(HOST), perf }).find((x) => x.code === 'vcpus-over-host');
    assert.match(h?.why ?? '', /last 2 min it used 90%/);
  });

  it('the XML editor gets the same fix as text edits', () => {
    const xml = HINT_CASES.find((c) => c.code === 'disk-no-discard')!.mutate(baseDomain({ name: 'e' }), HOST);
    const h = analyze(xml, baseFacts(HOST)).find((x) => x.code === 'disk-no-discard')!;
    assert.equal(applyEdits(xml, h.fix!.edits), applyHint(xml, h).toString());
    assert.match(applyEdits(xml, h.fix!.edits), /<driver name='qemu' type='qcow2' discard='unmap'\/>/);
  });

  it('libosinfo facts: VirtIO and Q35 through derives-from, Windows by id', () => {
    const os = (id: string, body: string): string => `<libosinfo><os id="${id}"><name>${id}</name>${body}</os></libosinfo>`;
    const cat = new OsinstallCatalog(
      [
        os('http://x/old', '<devices><device id="http://pcisig.com/pci/1af4/1001"/><device id="http://pcisig.com/pci/1af4/1000"/><device id="http://qemu.org/chipset/x86/q35"/></devices>'),
        os('http://x/new', '<derives-from id="http://x/old"/>'),
        os('http://microsoft.com/win/10', ''),
      ].flatMap(parseOsinstallXml),
    );
    assert.deepEqual(osHintFacts('http://x/new', cat), { windows: false, virtio: true, q35: true });
    assert.deepEqual(osHintFacts('http://microsoft.com/win/10', cat), { windows: true, virtio: false, q35: false });
    assert.deepEqual(osHintFacts('http://unknown/1', cat), { windows: false });
    assert.equal(osHintFacts(undefined, cat), undefined);
  });

  it("the host's reserved huge pages from its capabilities", () => {
    const caps = (n2m: number, n1g: number): string =>
      `<capabilities><host><cpu><arch>x86_64</arch></cpu><topology><cells num='1'><cell id='0'><memory unit='KiB'>100</memory><pages unit='KiB' size='4'>10</pages><pages unit='KiB' size='2048'>${n2m}</pages><pages unit='KiB' size='1048576'>${n1g}</pages></cell></cells></topology></host></capabilities>`;
    assert.equal(parseCapabilities(caps(0, 0)).hugePagesKiB, 0);
    assert.equal(parseCapabilities(caps(512, 2)).hugePagesKiB, 512 * 2048 + 2 * 1048576);
  });
});
