import * as assert from 'node:assert/strict';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';
import { placeDefineError } from '../../../src/xmlEditor/defineErrorPlace';
import { hostHasKvm, hostValues, parseHostEnums } from '../../../src/xmlEditor/hostEnums';
import { copyDefinition, definedName, withoutUuid } from '../../../src/xmlEditor/definitionText';
import { freeThirdOctet, networkTemplate, usedThirdOctets, vmTemplate } from '../../../src/xmlEditor/templates';

describe('placing a define error on the document (unit)', () => {
  const text = `<domain type='qemu'>\n  <name>x</name>\n  <on_poweroff>explode</on_poweroff>\n  <devices>\n    <video><model type='bogus'/></video>\n  </devices>\n</domain>`;
  const span = (msg: string): string | undefined => {
    const s = placeDefineError(text, msg);
    return s ? text.slice(s.start, s.end) : undefined;
  };

  it('finds the named value, attribute or element', () => {
    assert.equal(span("XML error: Invalid value for attribute 'type' in element 'model': 'bogus'."), 'bogus');
    assert.equal(span('unsupported configuration: unknown lifecycle action explode'), undefined);
    assert.equal(span("XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng\nExtra element on_poweroff in interleave\nElement domain failed to validate content"), 'on_poweroff');
    assert.equal(span("invalid argument: unknown attribute 'type' somewhere"), 'type');
    assert.equal(span('nothing recognisable here'), undefined);
  });
});

describe('host enumerations (unit)', () => {
  const caps = `<capabilities><host/><guest><os_type>hvm</os_type><arch name='x86_64'><machine maxCpus='255'>pc-i440fx-7.2</machine><machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine><domain type='qemu'/></arch></guest></capabilities>`;
  const domcaps = `<domainCapabilities><domain>qemu</domain><machine>pc-q35-7.2</machine><os supported='yes'><enum name='firmware'><value>efi</value></enum></os>
    <cpu><mode name='host-passthrough' supported='no'/><mode name='custom' supported='yes'><model usable='yes'>qemu64</model><model usable='no'>Skylake-Server</model></mode></cpu>
    <devices><video supported='yes'><enum name='modelType'><value>vga</value><value>virtio</value></enum></video><tpm supported='yes'><enum name='model'><value>tpm-crb</value></enum></tpm></devices></domainCapabilities>`;

  it('maps capabilities to places in a domain XML', () => {
    const e = parseHostEnums(caps, domcaps);
    assert.deepEqual(hostValues(e, ['domain', 'os', 'type'], 'machine'), ['pc-i440fx-7.2', 'q35', 'pc-q35-7.2']);
    assert.deepEqual(hostValues(e, ['domain', 'devices', 'video', 'model'], 'type'), ['vga', 'virtio']);
    assert.deepEqual(hostValues(e, ['domain', 'cpu', 'model'], undefined), ['qemu64']);
    assert.deepEqual(hostValues(e, ['domain', 'cpu'], 'mode'), ['custom']);
    assert.deepEqual(hostValues(e, ['domain', 'devices', 'tpm'], 'model'), ['tpm-crb']);
    assert.equal(hostHasKvm(e), false);
    assert.equal(hostHasKvm(parseHostEnums(caps.replace("<domain type='qemu'/>", "<domain type='qemu'/><domain type='kvm'/>"), undefined)), true);
    assert.equal(parseHostEnums('not xml', undefined).size, 0);
  });
});

describe('templates and rename helpers (unit)', () => {
  it('VM template: kvm only when the host has it, q35, 1 GiB, 1 vCPU, VNC, no disk', () => {
    const doc = XmlDocument.parse(vmTemplate({ name: 'n', kvm: false }));
    assert.equal(doc.root.attr('type'), 'qemu');
    assert.equal(XmlDocument.parse(vmTemplate({ name: 'n', kvm: true })).root.attr('type'), 'kvm');
    assert.equal(doc.root.find(['os', 'type'])!.attr('machine'), 'q35');
    assert.equal(doc.textContent(doc.root.child('memory')!), '1');
    assert.equal(doc.root.child('memory')!.attr('unit'), 'GiB');
    assert.equal(doc.textContent(doc.root.child('vcpu')!), '1');
    assert.equal(doc.root.find(['devices', 'graphics'])!.attr('type'), 'vnc');
    assert.equal(doc.root.find(['devices', 'disk']), undefined);
  });

  it('network template picks a free /24', () => {
    const used = usedThirdOctets([`<network><ip address='192.168.100.1' prefix='24'/></network>`, `<network><ip address='192.168.101.1'/></network>`, 'junk']);
    assert.deepEqual([...used].sort(), [100, 101]);
    assert.equal(freeThirdOctet(used, ['192.168.102.7']), 103);
    const doc = XmlDocument.parse(networkTemplate({ name: 'n', thirdOctet: 103 }));
    assert.equal(doc.root.child('forward')!.attr('mode'), 'nat');
    assert.equal(doc.root.child('ip')!.attr('address'), '192.168.103.1');
    assert.equal(doc.root.find(['ip', 'dhcp', 'range'])!.attr('end'), '192.168.103.254');
    assert.throws(() => freeThirdOctet(new Set(Array.from({ length: 256 }, (_, i) => i))));
  });

  it('reads <name> and drops <uuid> with its line', () => {
    const text = `<domain>\n  <name> new </name>\n  <uuid>abc</uuid>\n  <memory>1</memory>\n</domain>`;
    const doc = XmlDocument.parse(text);
    assert.equal(definedName(doc), 'new');
    assert.equal(withoutUuid(doc), `<domain>\n  <name> new </name>\n  <memory>1</memory>\n</domain>`);
    assert.equal(withoutUuid(XmlDocument.parse('<domain><name>a</name></domain>')), '<domain><name>a</name></domain>');
  });

  it('a network copy also drops the bridge name and MAC libvirt gave the original', () => {
    const net = `<network>\n  <name>b</name>\n  <uuid>u</uuid>\n  <bridge name='virbr1' stp='on' delay='0'/>\n  <mac address='52:54:00:01:02:03'/>\n</network>`;
    const copy = copyDefinition(net, 'network');
    assert.equal(copy.text, `<network>\n  <name>b</name>\n  <bridge stp='on' delay='0'/>\n</network>`);
    assert.deepEqual(copy.dropped, ['<uuid>', 'the bridge name', 'the bridge <mac>']);
  });
});
