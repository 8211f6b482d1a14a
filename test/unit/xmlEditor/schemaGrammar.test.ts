// The schema summary over an inline grammar (pure logic) and over this machine's libvirt schemas
// (/usr/share/libvirt/schemas, package libvirt0: the test fails when they are missing).
import * as assert from 'node:assert/strict';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';
import { RngGrammar, RngLoadError } from '../../../src/libvirt/xml/rngGrammar';
import { checkAgainstSchema } from '../../../src/libvirt/xml/schemaCheck';
import { localReader } from '../../../src/xmlEditor/schema/schemaSource';

const MAIN = `<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><ref name="top"/></start>
  <include href="common.rng"/>
  <define name="top">
    <element name="top">
      <optional><attribute name="mode"><choice><value>a</value><value>b</value></choice></attribute></optional>
      <attribute name="free"/>
      <interleave>
        <zeroOrMore><ref name="leaf"/></zeroOrMore>
        <optional><element name="state"><ref name="states"/></element></optional>
        <optional><element name="box"><element name="leaf"><data type="string"/></element></element></optional>
        <optional><element name="any"><element><anyName/><text/></element></element></optional>
      </interleave>
    </element>
  </define>
</grammar>`;
const COMMON = `<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <define name="leaf"><element name="leaf"><attribute name="kind"><value>x</value></attribute></element></define>
  <define name="states"><choice><value>on</value><value>off</value></choice></define>
  <define name="states" combine="choice"><value>auto</value></define>
</grammar>`;

const files: Record<string, string> = { 'main.rng': MAIN, 'common.rng': COMMON };
const inlineReader = async (name: string): Promise<string> => {
  const f = files[name];
  if (f === undefined) throw new Error(`no ${name}`);
  return f;
};

describe('RelaxNG summary (unit)', () => {
  let g: RngGrammar;
  before(async () => {
    g = await RngGrammar.load('main.rng', inlineReader);
  });

  it('follows includes, refs and combine="choice"', () => {
    assert.deepEqual(g.rootNames(), ['top']);
    const top = g.info(g.defsForPath(['top'])!);
    assert.deepEqual(top.childNames, ['any', 'box', 'leaf', 'state']);
    assert.deepEqual([...top.attributes.get('mode')!.values].sort(), ['a', 'b']);
    assert.equal(top.attributes.get('free')!.free, true);
    assert.deepEqual([...g.info(g.defsForPath(['top', 'state'])!).text.values].sort(), ['auto', 'off', 'on']);
  });

  it('keeps same-named elements apart by context', () => {
    const topLeaf = g.info(g.defsForPath(['top', 'leaf'])!);
    const boxLeaf = g.info(g.defsForPath(['top', 'box', 'leaf'])!);
    assert.deepEqual([...topLeaf.attributes.keys()], ['kind']);
    assert.equal(boxLeaf.attributes.size, 0);
    assert.equal(boxLeaf.text.free, true);
    assert.equal(g.defsForPath(['top', 'nope']), undefined);
  });

  it('checks a document: bad enum values, unknown attributes and elements, wildcards', () => {
    const text = `<top mode="c" free="?" bogus="1"><leaf kind="y"/><state>maybe</state><box><leaf>t</leaf></box><any><whatever/></any><stray/></top>`;
    const problems = checkAgainstSchema(XmlDocument.parse(text), g);
    const at = (p: { start: number; end: number }): string => text.slice(p.start, p.end);
    assert.deepEqual(
      problems.map((p) => [p.code, at(p)]),
      [
        ['bad-attribute-value', 'c'],
        ['unknown-attribute', 'bogus'],
        ['bad-attribute-value', 'y'],
        ['bad-text-value', 'maybe'],
        ['unexpected-element', 'stray'],
      ],
    );
    assert.deepEqual(checkAgainstSchema(XmlDocument.parse('<other/>'), g).map((p) => p.code), ['unexpected-root']);
  });

  it('reports an unreadable include as RngLoadError', async () => {
    await assert.rejects(RngGrammar.load('main.rng', async (n) => (n === 'main.rng' ? MAIN : Promise.reject(new Error('gone')))), RngLoadError);
  });
});

/** A domain as libvirt 9 writes it (virsh dumpxml --inactive of a small q35 VM). */
export const LIBVIRT_DOMAIN = `<domain type='qemu'>
  <name>demo</name>
  <uuid>0e4a6a9a-4c43-4a39-8c1d-5c8c1e0b6a11</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='custom' match='exact' check='none'>
    <model fallback='forbid'>qemu64</model>
    <topology sockets='1' dies='1' cores='2' threads='1'/>
  </cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/demo.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'>
      <model name='pcie-root-port'/>
      <target chassis='1' port='0x10'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/>
    </controller>
    <interface type='network'>
      <mac address='52:54:00:6b:3c:58'/>
      <source network='default'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/>
    </channel>
    <input type='tablet' bus='usb'>
      <address type='usb' bus='0' port='1'/>
    </input>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video>
      <model type='virtio' heads='1' primary='yes'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </video>
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0'/>
    </tpm>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
    </memballoon>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;

describe('libvirt schemas of this machine (unit, needs /usr/share/libvirt/schemas)', () => {
  let domain: RngGrammar;
  before(async () => {
    domain = await RngGrammar.load('domain.rng', localReader());
  });

  it('offers <tpm> (and the other devices) inside <devices>', () => {
    const names = domain.info(domain.defsForPath(['domain', 'devices'])!).childNames;
    for (const n of ['tpm', 'disk', 'interface', 'graphics', 'video', 'rng']) assert.ok(names.includes(n), n);
  });

  it('knows the enumerations of on_poweroff and video/model@type', () => {
    assert.ok(domain.info(domain.defsForPath(['domain', 'on_poweroff'])!).text.values.has('destroy'));
    const vt = domain.info(domain.defsForPath(['domain', 'devices', 'video', 'model'])!).attributes.get('type')!;
    assert.ok(vt.values.has('virtio') && vt.values.has('qxl') && !vt.free);
  });

  it('finds no problem in a domain as libvirt writes it', () => {
    assert.deepEqual(checkAgainstSchema(XmlDocument.parse(LIBVIRT_DOMAIN), domain), []);
  });

  it('underlines an invalid enum value exactly', () => {
    const text = LIBVIRT_DOMAIN.replace('<on_poweroff>destroy</on_poweroff>', '<on_poweroff>explode</on_poweroff>').replace("<model type='virtio' heads", "<model type='bogus' heads");
    const problems = checkAgainstSchema(XmlDocument.parse(text), domain);
    assert.deepEqual(
      problems.map((p) => [p.code, text.slice(p.start, p.end)]),
      [
        ['bad-text-value', 'explode'],
        ['bad-attribute-value', 'bogus'],
      ],
    );
  });

  it('loads the network, pool and volume schemas', async () => {
    for (const [entry, root] of [['network.rng', 'network'], ['storagepool.rng', 'pool'], ['storagevol.rng', 'volume']] as const) {
      const g = await RngGrammar.load(entry, localReader());
      assert.ok(g.rootNames().includes(root), entry);
    }
    const net = await RngGrammar.load('network.rng', localReader());
    assert.ok([...net.info(net.defsForPath(['network', 'forward'])!).attributes.get('mode')!.values].includes('nat'));
  });
});
