import * as assert from 'node:assert/strict';
import { parseDomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { isField } from '../../../src/libvirt/xml/kinds/access';
import { DOMAIN_SECTIONS } from '../../../src/libvirt/xml/kinds/domain';
import { DEVICE_DESCRIPTIONS } from '../../../src/libvirt/xml/kinds/registry';
import type { FieldDescription } from '../../../src/libvirt/xml/kinds/types';
import { RngGrammar } from '../../../src/libvirt/xml/rngGrammar';
import { localReader } from '../../../src/xmlEditor/schema/schemaSource';
import { addDevice, applyChanges } from '../../../src/forms/apply';
import { ApplyRefusedError } from '../../../src/forms/formSchema';
import { planApply } from '../../../src/forms/livePlan';
import { buildSections, resolveOptions } from '../../../src/forms/sections';
import { fixture } from './helpers';

/** Every described field with where it lives: [owner, element path from <domain>, field]. */
function allFields(): [string, string[], FieldDescription][] {
  return [
    ...DOMAIN_SECTIONS.flatMap((s) => s.fields.map((f): [string, string[], FieldDescription] => [s.id, ['domain'], f])),
    ...DEVICE_DESCRIPTIONS.flatMap((d) => d.fields.map((f): [string, string[], FieldDescription] => [d.kind, ['domain', 'devices', d.element], f])),
  ];
}

describe('device and section descriptions (unit)', () => {
  it('describes every kind once, and its fields read through its own xml table (no second table)', () => {
    const elements = DEVICE_DESCRIPTIONS.map((d) => d.element);
    assert.equal(new Set(elements).size, elements.length, `an element is described twice: ${elements.join(', ')}`);
    assert.equal(new Set(DEVICE_DESCRIPTIONS.map((d) => d.kind)).size, DEVICE_DESCRIPTIONS.length, 'a kind is described twice');
    for (const d of DEVICE_DESCRIPTIONS) {
      const entries = new Set(Object.values(d.xml));
      for (const f of d.fields) if (isField(f.xml)) assert.ok(entries.has(f.xml), `${d.kind}.${f.id} reads an XML field that is not in ${d.kind}'s table`);
      // DomainXml's typed view reads the same table.
      const dom = DomainXml.parse(`<domain type='qemu'><name>x</name><devices><${d.element}/></devices></domain>`);
      const view = dom.devices()[0]!;
      assert.equal(view.kind, d.kind);
    }
  });

  it('every field has an id unique in its section, a label, help and a round-trip sample or a reason', () => {
    const owners = new Map<string, Set<string>>();
    for (const [owner, , f] of allFields()) {
      const ids = owners.get(owner) ?? new Set<string>();
      assert.ok(!ids.has(f.id), `${owner}.${f.id} is described twice`);
      ids.add(f.id);
      owners.set(owner, ids);
      assert.ok(f.label.trim().length > 0, `${owner}.${f.id} has no label`);
      assert.ok(f.help.trim().length > 10, `${owner}.${f.id} has no help`);
      if ('exempt' in f.roundTrip) assert.ok(f.roundTrip.exempt.length > 5, `${owner}.${f.id} is exempt without a reason`);
      else assert.ok(f.roundTrip.samples.length > 0, `${owner}.${f.id} has no sample`);
      if (f.widget === 'readonly' || f.hostValue) assert.ok('exempt' in f.roundTrip, `${owner}.${f.id} is not edited through the XML and must say so`);
    }
  });

  it('enumerations have no duplicates, and every sample is one of the options', () => {
    for (const [owner, , f] of allFields()) {
      const values = resolveOptions(f, undefined)?.map((o) => o.value) ?? [];
      assert.equal(new Set(values).size, values.length, `${owner}.${f.id} lists a value twice: ${values.join(', ')}`);
      if (isField(f.xml) && f.xml.values) assert.equal(new Set(f.xml.values).size, f.xml.values.length, `${owner}.${f.id}'s codec lists a value twice`);
      if (f.widget === 'select' && !f.allowCustom && !f.optionsFrom && 'samples' in f.roundTrip) {
        for (const s of f.roundTrip.samples) assert.ok(values.includes(String(s)), `${owner}.${f.id}: sample ${String(s)} is not an option`);
      }
    }
  });

  it("enumerations match the host's RelaxNG schema", async function () {
    this.timeout(30000);
    const grammar = await RngGrammar.load('domain.rng', localReader());
    let checked = 0;
    const outside: string[] = [];
    for (const [owner, base, f] of allFields()) {
      if (!isField(f.xml) || f.xml.presence || f.widget === 'readonly') continue;
      const values = f.widget === 'select' ? resolveOptions(f, undefined)?.map((o) => o.value) : undefined;
      if (!values) continue;
      const defs = grammar.defsForPath([...base, ...f.xml.path]);
      assert.ok(defs, `${owner}.${f.id}: <${[...base, ...f.xml.path].join('/')}> is not in the schema`);
      const info = grammar.info(defs);
      const set = f.xml.attr !== undefined ? info.attributes.get(f.xml.attr) : info.text;
      assert.ok(set, `${owner}.${f.id}: attribute '${f.xml.attr ?? ''}' is not in the schema`);
      if (set.free && set.values.size === 0) continue; // free text (a model name the hypervisor decides)
      checked++;
      for (const v of values) if (!set.values.has(v) && !set.free) outside.push(`${owner}.${f.id}=${v}`);
    }
    assert.deepEqual(outside, [], 'values the schema does not allow');
    assert.ok(checked > 40, `only ${checked} enumerations were compared`);
  });

  it('options come from the domain capabilities, unusable CPU models and modes marked', () => {
    const caps = parseDomainCapabilities(fixture('domcaps-qemu-q35'));
    const cpus = DOMAIN_SECTIONS.find((s) => s.id === 'cpus')!;
    const models = resolveOptions(cpus.fields.find((f) => f.id === 'cpuModel')!, caps)!;
    assert.ok(models.length > 5);
    assert.ok(models.some((m) => m.disabledReason !== undefined) && models.some((m) => m.disabledReason === undefined));
    const modes = resolveOptions(cpus.fields.find((f) => f.id === 'cpuMode')!, caps)!;
    assert.deepEqual(modes.map((m) => m.value), ['host-passthrough', 'host-model', 'custom', 'maximum']);
    const bus = resolveOptions(DEVICE_DESCRIPTIONS.find((d) => d.kind === 'disk')!.fields.find((f) => f.id === 'bus')!, caps)!;
    assert.deepEqual(bus.map((o) => o.value), caps.devices.disk!.enums.bus);
  });
});

describe('forms layer (unit)', () => {
  const text = fixture('minimal');

  it('builds the sections in the tree order with values read through the descriptions', () => {
    const sections = buildSections(DomainXml.parse(text), undefined, { state: 'shut off', autostart: true });
    assert.deepEqual(sections.slice(0, 5).map((s) => s.id), ['overview', 'os', 'cpus', 'memory', 'boot']);
    assert.equal(sections[0]!.values.state, 'shut off');
    assert.equal(sections[4]!.values.autostart, true);
    assert.equal(sections[3]!.values.memory, 256);
    const disk = sections.find((s) => s.id === 'disk:vda')!;
    assert.equal(disk.values.sourceFile, '/var/lib/libvirt/images/xmlfix-minimal.qcow2');
    assert.ok(disk.removable);
    const nic = sections.find((s) => s.id === 'interface:52:54:00:a1:b2:c3')!;
    assert.equal(nic.fields.find((f) => f.id === 'linkState')!.apply, 'live');
    assert.equal(nic.fields.find((f) => f.id === 'model')!.apply, 'next-boot');
    assert.ok(JSON.parse(JSON.stringify(sections)), 'sections are plain data');
  });

  it('applies changes losslessly: a one-value change is a one-value diff', () => {
    const out = applyChanges(text, [{ section: 'disk:vda', field: 'cache', value: 'none' }]).toString();
    const diff = out.split('\n').filter((l, i) => l !== text.split('\n')[i]);
    assert.deepEqual(diff, ["      <driver name='qemu' type='qcow2' cache='none'/>"]);
  });

  it('refuses a bad value with the problem on its field and changes nothing', () => {
    assert.throws(
      () => applyChanges(text, [{ section: 'cpus', field: 'vcpus', value: 'many' }, { section: 'disk:vda', field: 'cache', value: 'none' }]),
      (e: unknown) => ApplyRefusedError.is(e) && e.problems.length === 1 && e.problems[0]!.section === 'cpus' && e.problems[0]!.field === 'vcpus',
    );
    assert.throws(() => applyChanges(text, [{ section: 'overview', field: 'uuid', value: 'x' }]), ApplyRefusedError);
    assert.throws(() => applyChanges(text, [{ section: 'disk:vdz', field: 'cache', value: 'none' }]), ApplyRefusedError);
  });

  it('clears fields that stop applying (a disk switched from file to block loses its path)', () => {
    const d = applyChanges(text, [{ section: 'disk:vda', field: 'type', value: 'block' }, { section: 'disk:vda', field: 'sourceDev', value: '/dev/sdb' }]);
    const el = d.devicesOf('disk')[0]!;
    assert.equal(el.get('sourceFile'), undefined);
    assert.equal(el.get('sourceDev'), '/dev/sdb');
  });

  it('adds devices through the document model with defaults and companions', () => {
    const d = DomainXml.parse(text);
    const id = addDevice(d, 'disk', { bus: 'scsi', target: 'sdb', sourceFile: '/tmp/x.qcow2' });
    assert.equal(id, 'disk:sdb');
    assert.equal(d.devicesOf('controller').filter((c) => c.get('type') === 'scsi').length, 1, 'a SCSI controller came with the SCSI disk');
    addDevice(d, 'filesystem', { sourceDir: '/srv', target: 'share' });
    assert.equal(d.get('memoryAccess'), 'shared', 'virtiofs brought shared memory');
    assert.match(d.toString(), /<disk type='file' device='disk'>\s*<driver name='qemu' type='qcow2' discard='unmap'\/>\s*<source file='\/tmp\/x.qcow2'\/>\s*<target dev='sdb' bus='scsi'\/>\s*<\/disk>/);
  });

  it("a sound card's audio backend: shares one of its type, adds a new one, leaves no orphan, checks SPICE", () => {
    const vm = (devices: string): DomainXml => DomainXml.parse(`<domain type='qemu'><name>s</name><memory>1</memory><os><type machine='pc'>hvm</type></os><devices>${devices}</devices></domain>`);
    // A VNC-only VM without a backend: the new card plays through a new 'none' backend, linked by id.
    const d = vm(`<graphics type='vnc'/>`);
    const id = addDevice(d, 'sound');
    const audioOf = (x: DomainXml): string[] => x.devicesOf('audio').map((a) => `${String(a.get('id'))}:${String(a.get('type'))}`);
    assert.deepEqual(audioOf(d), ['1:none']);
    assert.match(d.toString(), /<sound model='ich6'>\s*<audio id='1'\/>\s*<\/sound>/);
    // Switching to PulseAudio adds that backend; the 'none' one stays (it is the first: libvirt's default).
    const changed = applyChanges(d.toString(), [{ section: id, field: 'audioBackend', value: 'pulseaudio' }]);
    assert.deepEqual(audioOf(changed), ['1:none', '2:pulseaudio']);
    // Then ALSA: PulseAudio, named by no card and not the default, goes.
    const again = applyChanges(changed.toString(), [{ section: id, field: 'audioBackend', value: 'alsa' }]);
    assert.deepEqual(audioOf(again), ['1:none', '3:alsa']);
    // A second card of the same backend shares it.
    addDevice(again, 'sound', { model: 'ac97', audioBackend: 'alsa' });
    assert.deepEqual(audioOf(again), ['1:none', '3:alsa']);
    assert.equal((again.toString().match(/<audio id='3'\/>/g) ?? []).length, 2);
    // The default follows what the VM has, then the display (SPICE audio needs a SPICE display).
    const spice = vm(`<graphics type='spice'/>`);
    assert.equal(DEVICE_DESCRIPTIONS.find((x) => x.kind === 'sound')!.defaults(spice).audioBackend, 'spice');
    assert.throws(() => applyChanges(again.toString(), [{ section: id, field: 'audioBackend', value: 'esd' }]), (e: unknown) => ApplyRefusedError.is(e) && e.problems.some((p) => p.field === 'audioBackend'));
    const sound = DEVICE_DESCRIPTIONS.find((x) => x.kind === 'sound')!;
    const el = d.devicesElement!.elements().find((e) => e.name === 'sound')!;
    assert.deepEqual(sound.check!({ model: 'ich6', audioBackend: 'spice' }, el, d).map((r) => r.field), ['audioBackend']);
    assert.deepEqual(sound.check!({ model: 'ich6', audioBackend: 'spice' }, el, spice), []);
  });

  it('plans live changes on a running VM as libvirt calls, the rest for the next boot', () => {
    const plan = planApply(text, [
      { section: 'cpus', field: 'vcpuCurrent', value: 1 },
      { section: 'memory', field: 'currentMemory', value: 200 },
      { section: 'interface:52:54:00:a1:b2:c3', field: 'linkState', value: 'down' },
      { section: 'disk:vda', field: 'cache', value: 'none' },
      { section: 'overview', field: 'name', value: 'renamed' },
    ], text);
    assert.deepEqual(plan.live.map((a) => a.action.call), ['domainSetVcpusFlags', 'domainSetMemoryFlags', 'domainUpdateDeviceFlags']);
    const upd = plan.live[2]!.action;
    assert.ok(upd.call === 'domainUpdateDeviceFlags' && /<link state='down'\/>/.test(upd.xml) && /^<interface/.test(upd.xml));
    assert.deepEqual(plan.nextBoot, ['VirtIO Disk 1: Cache mode']);
    assert.deepEqual(plan.host.map((h) => h.action), [{ call: 'domainRename', name: 'renamed' }]);
    assert.match(plan.xml, /cache='none'/);
    assert.doesNotMatch(plan.xml, /<name>renamed</);
    const off = planApply(text, [{ section: 'cpus', field: 'vcpuCurrent', value: 1 }]);
    assert.deepEqual([off.live, off.nextBoot], [[], []]);
  });
});
