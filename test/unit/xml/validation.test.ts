import * as assert from 'node:assert/strict';
import { applyEdits, checkWellFormed, Diagnostic } from '../../../src/libvirt/xml/diagnostics';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { DomainSchemaValidator } from '../../../src/libvirt/xml/schemaValidator';
import { ExecSchemaSource, LocalSchemaSource, MapSchemaSource, SchemaSourceError } from '../../../src/libvirt/xml/schemaSource';
import { checkDomain as checkSemantics, type CheckContext as SemanticContext } from '../../../src/libvirt/xml/checks';
import { validateDomainXml } from '../../../src/libvirt/xml/validation';
import { fixture, FIXTURES } from './helpers';

/** 0-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `'${needle}' not in text`);
  return text.slice(0, i).split('\n').length - 1;
}

describe('domain XML validation (unit, local libvirt schemas)', function () {
  this.timeout(60000);
  let schema: DomainSchemaValidator;
  before(async () => {
    schema = await DomainSchemaValidator.forSource(new LocalSchemaSource());
  });

  it('accepts every fixture libvirt accepted', () => {
    for (const name of FIXTURES) assert.deepEqual(validateDomainXml(fixture(name), { schema }).filter((d) => d.severity === 'error'), [], name);
  });

  it('compiles once per schema set (same content -> same validator)', async () => {
    const local = new LocalSchemaSource();
    const files = new Map<string, Buffer>();
    for (const f of await local.listFiles()) files.set(f, await local.readFile(f));
    const again = await DomainSchemaValidator.forSource(new MapSchemaSource(files));
    assert.equal(again, schema);
  });

  const base = fixture('minimal');
  const invalid: [string, string, string, RegExp][] = [
    ['wrong enum', base.replace("device='disk'", "device='bogus'"), "device='bogus'", /'bogus' is not a valid value of disk\/@device: expected .*'cdrom'/],
    ['wrong enum in a nested element', base.replace("<source network='default'/>", "<source network='default'/>\n      <link state='sideways'/>"), "<link state='sideways'/>", /'sideways' is not a valid value of link\/@state: expected .*'up'/],
    ['wrong enum on one of many <model>s', base.replace("type='virtio' heads", "type='virtoi' heads"), "type='virtoi' heads", /'virtoi' is not a valid value of model\/@type: expected .*'qxl'/],
    ['unknown element', base.replace("<clock offset='utc'/>", "<clock offset='utc'/>\n  <frobnicate/>"), '<frobnicate/>', /frobnicate/],
    ['unknown device', base.replace('<emulator>', '<frob/>\n    <emulator>'), '<frob/>', /<frob>/],
    ['bad number', base.replace("<vcpu placement='static'>1", "<vcpu placement='static'>x"), '<vcpu', /'x' is not a valid value of <vcpu>: expected a positive integer up to 65535/],
    ['bad number in an attribute', base.replace("port='-1'", "port='abc'"), "port='abc'", /'abc' is not a valid value of graphics\/@port: expected an integer from -1 to 65535/],
    ['missing name', base.replace(/ {2}<name>.*\n/, ''), "<domain type='qemu'>", /<domain> needs <name> inside/],
    ['a required attribute missing', base.replace("<target dev='vda' bus='virtio'/>", "<target bus='virtio'/>"), "<target bus='virtio'/>", /<target> needs the attribute 'dev'/],
    ['a malformed MAC address (datatype pattern)', base.replace(/<mac address='[^']*'/, "<mac address='52:54:00:zz'"), "<mac address='52:54:00:zz'", /'52:54:00:zz' is not a valid value of mac\/@address: expected text matching/],
  ];
  for (const [title, text, faultLine, msg] of invalid) {
    it(`reports ${title} on the line of the fault`, () => {
      const ds = validateDomainXml(text, { schema }).filter((d) => d.code === 'schema');
      assert.equal(ds.length, 1, JSON.stringify(ds));
      assert.equal(ds[0]!.code, 'schema');
      assert.equal(ds[0]!.range.startLine, lineOf(text, faultLine), JSON.stringify(ds[0]));
      assert.match(ds[0]!.message, msg);
    });
  }

  it('suggests the closest allowed value as a fix', () => {
    const text = base.replace("device='disk'", "device='disc'");
    const [d] = validateDomainXml(text, { schema });
    assert.match(d!.message, /expected .*'cdrom'/);
    assert.equal(d!.fix?.title, "Change to 'disk'");
    assert.equal(applyEdits(text, d!.fix!.edits), base);
  });

  // A fault among the 40 devices of a domain as virt-install writes it: libxml2 reports it on
  // <devices> only. Located in one libxml2 run by the grammar summary, or by bisection when only
  // the full validator sees it, never by trying each child.
  const q35 = fixture('virt-install-q35');
  const located: [string, string, string, RegExp, number][] = [
    ['an unknown device', q35.replace('<memballoon', '<bogus/>\n    <memballoon'), '<bogus/>', /<bogus> is not allowed inside <devices>/, 1],
    ['an enumeration', q35.replace("<watchdog model='i6300esb'", "<watchdog model='itco'"), "<watchdog model='itco'", /'itco' is not a valid value of watchdog\/@model: expected 'i6300esb', 'ib700', 'diag288'/, 1],
    ['an attribute only another disk type takes', q35.replace(/<source file='[^']*'\/>/, "<source dev='/dev/sdz'/>"), "<source dev='/dev/sdz'/>", /Attribute 'dev' is not allowed on <source>/, 16],
    ['an element twice', q35.replace('<on_reboot>restart</on_reboot>', '<on_reboot>restart</on_reboot>\n  <on_reboot>destroy</on_reboot>'), '<on_reboot>destroy', /<on_reboot> may appear only once inside <domain>/, 16],
  ];
  for (const [title, text, faultLine, msg, maxRuns] of located) {
    it(`locates ${title} in a 40-device domain with at most ${maxRuns} libxml2 run(s)`, () => {
      const before = schema.runs;
      const ds = validateDomainXml(text, { schema }).filter((d) => d.code === 'schema');
      const runs = schema.runs - before;
      assert.equal(ds.length, 1, JSON.stringify(ds));
      assert.match(ds[0]!.message, msg);
      assert.equal(ds[0]!.range.startLine, lineOf(text, faultLine), JSON.stringify(ds[0]));
      assert.ok(runs <= maxRuns, `${runs} libxml2 runs`);
    });
  }

  it('reports malformed XML with line and column', () => {
    const text = base.replace('</name>', '</nam>');
    const ds = validateDomainXml(text, { schema });
    assert.equal(ds[0]!.code, 'xml-syntax');
    assert.equal(ds[0]!.range.startLine, lineOf(text, '</nam>'));
    assert.equal(ds[0]!.range.startCol, text.split('\n')[lineOf(text, '</nam>')]!.indexOf('</nam>'));
    const amp = checkWellFormed('<domain>\n  <name>a & b</name>\n</domain>');
    assert.equal(amp.diagnostics[0]!.range.startLine, 1);
  });
});

describe('domain XML semantic checks (unit)', () => {
  const codes = (text: string, ctx: SemanticContext = {}): Diagnostic[] => checkSemantics(DomainXml.parse(text), ctx);
  /** The check fires on `needle`'s line, and its fix (if any) makes it pass. */
  function failsThenFixed(code: string, text: string, needle: string, ctx: SemanticContext = {}): void {
    const ds = codes(text, ctx).filter((d) => d.code === code);
    assert.equal(ds.length, 1, `${code}: ${JSON.stringify(codes(text, ctx))}`);
    assert.equal(ds[0]!.range.startLine, lineOf(text, needle), code);
    if (ds[0]!.fix) {
      const fixed = applyEdits(text, ds[0]!.fix.edits);
      assert.deepEqual(codes(fixed, ctx).filter((d) => d.code === code), [], `${code} after fix`);
    }
  }
  const win = fixture('efi-win11');
  const every = fixture('every-device');
  const minimal = fixture('minimal');

  it('fixtures pass every semantic check', () => {
    for (const name of FIXTURES) assert.deepEqual(codes(fixture(name)), [], name);
  });
  it('topology product must equal max vCPUs', () => {
    failsThenFixed('topology-mismatch', win.replace("cores='2' threads='2'", "cores='2' threads='1'"), '<topology');
  });
  it('current memory above the maximum is a warning (libvirt lowers it)', () => {
    const text = win.replace("<currentMemory unit='KiB'>2097152", "<currentMemory unit='KiB'>9097152");
    failsThenFixed('memory-current-above-max', text, '<currentMemory');
    assert.equal(codes(text).find((d) => d.code === 'memory-current-above-max')!.severity, 'warning');
  });

  // What libvirt refuses when it parses a definition (each seen refused by define(VALIDATE) in the
  // differential test), on the element at fault.
  const q35 = fixture('virt-install-q35');
  const defineRules: [string, string, string][] = [
    ['duplicate-controller', q35.replace("<controller type='sata' index='0'>", "<controller type='sata' index='0'/>\n    <controller type='sata' index='0'>"), "<controller type='sata' index='0'>"],
    ['usb-disabled', q35.replace(/<controller type='usb' index='0' model='qemu-xhci' ports='15'>/, "<controller type='usb' index='0' model='none'>"), "<input type='tablet' bus='usb'>"],
    ['tpm-crb-version', q35.replace('<memballoon', "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>\n    <memballoon"), "<tpm model='tpm-crb'>"],
    ['spice-needed', q35.replace(/<graphics type='spice'[\s\S]*?<\/graphics>/, ''), "<channel type='spicevmc'>"],
    ['max-memory-needs-numa', q35.replace('<memory', "<maxMemory slots='16' unit='KiB'>8388608</maxMemory>\n  <memory"), '<maxMemory'],
    ['max-memory-incomplete', q35.replace('<memory', "<maxMemory slots='0' unit='KiB'>8388608</maxMemory>\n  <memory"), '<maxMemory'],
    ['memory-zero', q35.replace(/<memory unit='KiB'>\d+/, "<memory unit='KiB'>0"), '<memory'],
    ['console-serial-first', q35.replace('</console>', "</console>\n    <console type='pty'><target type='serial' port='1'/></console>"), "<target type='serial' port='1'/>"],
    [
      'bios-serial-port',
      q35.replace("<boot dev='hd'/>", "<boot dev='hd'/>\n    <bios useserial='yes'/>").replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '').replace("<target type='serial' port='0'/>", "<target type='virtio' port='0'/>"),
      "<bios useserial='yes'/>",
    ],
    ['readonly-disk-bus', q35.replace("<disk type='file' device='cdrom'>", "<disk type='file' device='disk'>"), "<readonly/>"],
    ['readonly-disk-bus', q35.replace("<disk type='file' device='cdrom'>", "<disk type='file'>").replace("<target dev='sda' bus='sata'/>", "<target dev='hda'/>"), '<readonly/>'],
    ['disk-bus-fdc', q35.replace("<target dev='sda' bus='sata'/>", "<target dev='fda' bus='fdc'/>"), "<target dev='fda' bus='fdc'/>"],
    ['pci-root-index', q35.replace("<controller type='pci' index='1' model='pcie-root-port'>", "<controller type='pci' index='1' model='pcie-root'>"), "<controller type='pci' index='1' model='pcie-root'>"],
    ['pci-root-address', q35.replace("<controller type='pci' index='0' model='pcie-root'/>", "<controller type='pci' index='0' model='pcie-root'>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x0'/>\n    </controller>"), "<address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x0'/>\n    </controller>"],
    ['chardev-needs-path', q35.replace("<serial type='pty'>", "<serial type='file'>"), "<serial type='file'>"],
    ['ide-controller', q35.replace("<controller type='sata' index='0'>", "<controller type='ide' index='0'/>\n    <controller type='sata' index='0'>"), "<controller type='ide' index='0'/>"],
    ['graphics-qemu', q35.replace(/<graphics type='spice'/, "<graphics type='rdp'/>\n    <graphics type='spice'"), "<graphics type='rdp'/>"],
    ['chardev-needs-path', q35.replace("<channel type='spicevmc'>", "<channel type='unix'>\n      <target type='guestfwd' address='10.0.2.1' port='4600'/>\n    </channel>\n    <channel type='spicevmc'>"), "<channel type='unix'>\n      <target type='guestfwd'"],
    ['panic-pseries', q35.replace('<memballoon', "<panic model='pseries'/>\n    <memballoon"), "<panic model='pseries'/>"],
    ['disk-source-missing', q35.replace("<source file='/var/lib/libvirt/images/xmlfix-virt-install-q35.qcow2'/>", '<source/>'), '<source/>'],
    ['disk-removable', q35.replace("<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio' removable='off'/>"), "<target dev='vda' bus='virtio' removable='off'/>"],
    ['usb-disabled-controller', q35.replace("<controller type='sata' index='0'>", "<controller type='usb' model='none'/>\n    <controller type='sata' index='0'>"), "<controller type='usb' index='0' model='qemu-xhci' ports='15'>"],
    ['drive-address', q35.replace("<address type='drive' controller='0' bus='0' target='0' unit='0'/>", "<address type='drive' controller='0' bus='1' target='0' unit='0'/>"), "<address type='drive' controller='0' bus='1' target='0' unit='0'/>"],
    ['usb-address', q35.replace("<address type='usb' bus='0' port='1'/>", "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>"), "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>"],
    ['timer-platform', q35.replace("<timer name='hpet' present='no'/>", "<timer name='platform'/>"), "<timer name='platform'/>"],
    ['video-heads', q35.replace("<model type='virtio' heads='1' primary='yes'/>", "<model type='vga' heads='2' primary='yes'/>"), "<model type='vga' heads='2'"],
    ['disk-address-type', q35.replace("<target dev='vda' bus='virtio'/>\n      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>", "<target dev='vda' bus='virtio'/>\n      <address type='isa' iobase='0x300'/>"), "<address type='isa' iobase='0x300'/>"],
    ['max-memory-below-memory', q35.replace('<memory', "<maxMemory slots='16' unit='KiB'>1048576</maxMemory>\n  <memory").replace('</cpu>', "<numa><cell id='0' cpus='0-1' memory='2' unit='GiB'/></numa></cpu>"), '<maxMemory'],
    ['chardev-needs-service', q35.replace("<console type='pty'>\n      <target type='serial' port='0'/>", "<console type='tcp'>\n      <target type='virtio' port='0'/>"), "<console type='tcp'>"],
    ['tpm-arch', q35.replace('<memballoon', "<tpm model='tpm-spapr'><backend type='emulator' version='2.0'/></tpm>\n    <memballoon"), "<tpm model='tpm-spapr'>"],
    ['smartcard-single', q35.replace('<memballoon', "<smartcard mode='passthrough' type='spicevmc'/>\n    <smartcard mode='passthrough' type='spicevmc'/>\n    <memballoon"), "<smartcard mode='passthrough' type='spicevmc'/>\n    <memballoon"],
    ['smartcard-address', q35.replace('<memballoon', "<smartcard mode='passthrough' type='spicevmc'><address type='ccid' controller='0' slot='1'/></smartcard>\n    <memballoon"), "<smartcard mode='passthrough' type='spicevmc'><address"],
    ['sound-model', q35.replace('<memballoon', "<sound model='ich7'/>\n    <memballoon"), "<sound model='ich7'/>"],
    ['console-target', q35.replace("<console type='pty'>\n      <target type='serial' port='0'/>", "<console type='pty'>\n      <target type='sclp' port='0'/>"), "<target type='sclp' port='0'/>"],
    ['pci-port-bus', q35.replace("<controller type='pci' index='1' model='pcie-root-port'>\n      <model name='pcie-root-port'/>\n      <target chassis='1' port='0x10'/>\n      <address type='pci' domain='0x0000' bus='0x00'", "<controller type='pci' index='1' model='pcie-root-port'>\n      <model name='pcie-root-port'/>\n      <target chassis='1' port='0x10'/>\n      <address type='pci' domain='0x0000' bus='0x1f'"), "bus='0x1f'"],
    ['address-chipset', q35.replace("<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>", "<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x3'/>"), "slot='0x1f' function='0x3'"],
    ['address-chipset', q35.replace("<controller type='sata' index='0'>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>", "<controller type='sata' index='0'>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0'/>"), "slot='0x1e' function='0x0'"],
    ['pci-bus-room', q35.replace("<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x06'", "<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0xff'"), "bus='0xff'"],
    ['pci-slot', q35.replace("<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x06' slot='0x00'", "<memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x30' slot='0x01'"), "bus='0x30' slot='0x01'"],
    ['pci-slot', q35.replace('<memballoon', "<interface type='user'><model type='e1000'/><address type='pci' domain='0x0000' bus='0x30' slot='0x00' function='0x0'/></interface>\n    <memballoon"), "<interface type='user'><model type='e1000'/>"],
    ['video-secondary', q35.replace('<memballoon', "<video><model type='vga'/></video>\n    <memballoon"), "<video><model type='vga'/></video>"],
    ['video-none', q35.replace('<memballoon', "<video><model type='none'/></video>\n    <memballoon"), "<video><model type='none'/></video>"],
    ['usb-port', q35.replace("<address type='usb' bus='0' port='1'/>", "<address type='usb' bus='0' port='16'/>"), "<address type='usb' bus='0' port='16'/>"],
    ['usb-companion-master', q35.replace(/<controller type='usb' index='0' model='qemu-xhci' ports='15'>[\s\S]*?<\/controller>/, "<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>"), "<controller type='usb' index='0' model='ich9-uhci1'>"],
    ['pci-port-bus', q35.replace('<memballoon', "<controller type='pci' index='17' model='pcie-to-pci-bridge'><address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></controller>\n    <memballoon"), "<controller type='pci' index='17' model='pcie-to-pci-bridge'>"],
    ['pci-slot', q35.replace('<memballoon', "<controller type='pci' index='17' model='pcie-root-port'/>\n    <controller type='pci' index='18' model='pcie-to-pci-bridge'><address type='pci' domain='0x0000' bus='0x11' slot='0x00' function='0x0'/></controller>\n    <interface type='user'><model type='e1000'/><address type='pci' domain='0x0000' bus='0x12' slot='0x00' function='0x0'/></interface>\n    <memballoon"), "<interface type='user'><model type='e1000'/><address"],
    ['xen-only', q35.replace('<memballoon', "<controller type='xenbus' index='0'/>\n    <memballoon"), "<controller type='xenbus' index='0'/>"],
    ['address-in-use', q35.replace('<memballoon', "<input type='keyboard' bus='usb'><address type='usb' bus='0' port='1'/></input>\n    <memballoon"), "<input type='keyboard' bus='usb'><address"],
    ['chardev-needs-service', q35.replace('<memballoon', "<smartcard mode='passthrough' type='udp'><source mode='connect' host='127.0.0.1'/></smartcard>\n    <memballoon"), "<smartcard mode='passthrough' type='udp'>"],
    ['drive-address-in-use', q35.replace('<memballoon', "<disk type='file' device='cdrom'><target dev='sdc' bus='sata'/><address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>\n    <memballoon"), "<disk type='file' device='cdrom'><target dev='sdc' bus='sata'/><address"],
    ['drive-address-in-use', q35.replace('<memballoon', "<disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><address type='drive' controller='0' bus='0' target='0' unit='3'/></disk>\n    <disk type='file' device='cdrom'><target dev='sdd' bus='sata'/></disk>\n    <memballoon"), "<disk type='file' device='cdrom'><target dev='sdd' bus='sata'/>"],
    ['cputune-overlap', q35.replace('<memballoon', '<memballoon').replace('</vcpu>', "</vcpu>\n  <cputune><vcpusched vcpus='0-1' scheduler='fifo' priority='1'/><vcpusched vcpus='1' scheduler='fifo' priority='1'/></cputune>"), "<cputune>"],
    ['usb-bus', q35.replace("<address type='usb' bus='0' port='1'/>", "<address type='usb' bus='1' port='1'/>"), "<address type='usb' bus='1' port='1'/>"],
    ['pci-numa-node', q35.replace('<memballoon', "<controller type='pci' index='17' model='pcie-root-port'><target><node>0</node></target></controller>\n    <memballoon"), "<controller type='pci' index='17' model='pcie-root-port'><target><node>"],
    ['pci-numa-node', q35.replace('<memballoon', "<controller type='pci' index='17' model='pcie-expander-bus'><target busNr='254'><node>1</node></target></controller>\n    <memballoon"), "<controller type='pci' index='17' model='pcie-expander-bus'>"],
    ['loader-autoselect', win.replace('</os>', "<loader type='pflash'/></os>").replace(/<loader [^/]*readonly[^>]*>[^<]*<\/loader>/, ''), "<loader type='pflash'/>"],
    ['address-chipset', minimal.replace("<address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>", "<address type='pci' slot='1' function='3'/>"), "<address type='pci' slot='1' function='3'/>"],
    ['pci-root-model', minimal.replace("<controller type='pci' index='0' model='pci-root'/>", "<controller type='pci' model='pci-bridge'/>"), "<controller type='pci' model='pci-bridge'/>"],
    ['mdev-arch', q35.replace('<memballoon', "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>\n    <memballoon"), "<hostdev mode='subsystem' type='mdev' model='vfio-ap'>"],
  ];
  it("accepts what libvirt accepts: the serial port's console takes the port's source, and NUMA cells give the memory <maxMemory> is compared with", () => {
    const consoleOfSerial = q35.replace("<console type='pty'>", "<console type='tcp'>");
    assert.notEqual(consoleOfSerial, q35);
    assert.deepEqual(codes(consoleOfSerial).map((d) => d.code), []);
    const numaMemory = q35
      .replace('<memory', "<maxMemory slots='16' unit='KiB'>1048576</maxMemory>\n  <memory")
      .replace('</cpu>', "<numa><cell id='0' cpus='0-1' memory='1048576' unit='KiB'/></numa></cpu>");
    // <memory> (2 GiB) is above <maxMemory>, but the cells' 1 GiB is what libvirt compares: only the
    // warning that libvirt sets <memory> from the cells.
    assert.deepEqual(codes(numaMemory).map((d) => `${d.severity} ${d.code}`), ['warning numa-memory-sum']);
  });
  it('accepts BIOS serial output where a serial console stands for the port, and read-only disks on SCSI or VirtIO, as libvirt does', () => {
    const bios = q35.replace("<boot dev='hd'/>", "<boot dev='hd'/>\n    <bios useserial='yes'/>").replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '');
    for (const target of ["<target type='serial' port='0'/>", '']) {
      const text = bios.replace("<target type='serial' port='0'/>", target);
      assert.deepEqual(codes(text).filter((d) => d.code.startsWith('bios-serial')), [], target || 'a console without a target');
    }
    for (const bus of ['scsi', 'virtio']) {
      const text = q35.replace("<disk type='file' device='cdrom'>", "<disk type='file' device='disk'>").replace("<target dev='sda' bus='sata'/>", `<target dev='sda' bus='${bus}'/>`);
      assert.deepEqual(codes(text).filter((d) => d.code === 'readonly-disk-bus'), [], bus);
    }
  });

  it("does not count a USB address on an input or disk that is not on USB as taking the port (libvirt gives it none)", () => {
    const text = q35.replace('<memballoon', "<input type='keyboard' bus='virtio'><address type='usb' bus='0' port='1'/></input>\n    <disk type='file' device='disk'><source file='/tmp/d.img'/><target dev='vdz' bus='virtio'/><address type='usb' bus='0' port='1'/></disk>\n    <memballoon");
    assert.deepEqual(codes(text).filter((d) => d.code === 'address-in-use'), []);
  });

  it('accepts a xenbus controller that names its address, and a PCI address of all zeros as none (libvirt assigns it), as libvirt does', () => {
    for (const address of ["<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0'/>", "<address type='drive' controller='0' bus='0' target='0' unit='0'/>"]) {
      const text = q35.replace('<memballoon', `<controller type='xenbus' index='0'>${address}</controller>\n    <memballoon`);
      assert.deepEqual(codes(text).filter((d) => d.code === 'xen-only'), [], address);
    }
    const bridge = "<controller type='pci' index='17' model='pcie-to-pci-bridge'><address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x0'/></controller>";
    assert.deepEqual(codes(q35.replace('<memballoon', `${bridge}\n    <memballoon`)).filter((d) => d.code.startsWith('pci-')), []);
  });

  it('accepts a bridge on an index no controller has below the highest (libvirt fills it with a root port on q35)', () => {
    const gap = q35.replace('<memballoon', "<controller type='pci' index='20' model='pcie-root-port'/>\n    <controller type='pci' index='21' model='pcie-to-pci-bridge'><address type='pci' domain='0x0000' bus='0x12' slot='0x00' function='0x0'/></controller>\n    <memballoon");
    assert.notEqual(gap, q35);
    assert.deepEqual(codes(gap).filter((d) => d.severity === 'error').map((d) => d.code), []);
  });
  it('accepts an ICH9 EHCI controller with its UHCI companions on one index (what virt-install writes for USB 2)', () => {
    const usb2 = q35.replace(
      /<controller type='usb' index='0' model='qemu-xhci' ports='15'>[\s\S]*?<\/controller>/,
      "<controller type='usb' index='0' model='ich9-ehci1'/>\n    <controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>\n    <controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>\n    <controller type='usb' index='0' model='ich9-uhci3'><master startport='4'/></controller>",
    );
    assert.notEqual(usb2, q35);
    assert.deepEqual(codes(usb2).filter((d) => d.severity === 'error').map((d) => d.code), []);
  });
  it('gives controllers without an index the one libvirt gives them: the lowest free, or the USB 2 master\'s for its companions', () => {
    const rootPort = q35.replace('<memballoon', "<controller type='pci' model='pcie-root-port'/>\n    <memballoon");
    assert.notEqual(rootPort, q35);
    assert.deepEqual(codes(rootPort).filter((d) => d.severity === 'error').map((d) => d.code), [], 'a root port after the root complex takes a free index');
    const usb2 = q35.replace(
      /<controller type='usb' index='0' model='qemu-xhci' ports='15'>[\s\S]*?<\/controller>/,
      "<controller type='usb' model='ich9-ehci1'/>\n    <controller type='usb' model='ich9-uhci1'><master startport='0'/></controller>\n    <controller type='usb' model='ich9-uhci2'><master startport='2'/></controller>",
    );
    assert.notEqual(usb2, q35);
    assert.deepEqual(codes(usb2).filter((d) => d.severity === 'error').map((d) => d.code), [], 'the companions join the EHCI controller on index 0');
  });
  it('accepts a floppy on q35 and an iSCSI or pool volume LUN, as libvirt does', () => {
    const floppy = q35.replace('<memballoon', "<controller type='fdc' index='0'/>\n    <disk type='file' device='floppy'><source file='/tmp/f.img'/><target dev='fda' bus='fdc'/></disk>\n    <memballoon");
    assert.notEqual(floppy, q35);
    assert.deepEqual(codes(floppy).filter((d) => d.severity === 'error').map((d) => d.code), []);
    for (const source of ["type='network' device='lun'><source protocol='iscsi' name='iqn.2013-07.com.example:iscsi/1'><host name='storage.example'/></source>", "type='volume' device='lun'><source pool='default' volume='lun0'/>"]) {
      const lun = q35.replace('<memballoon', `<disk ${source}<target dev='sdc' bus='scsi'/></disk>\n    <memballoon`);
      assert.deepEqual(codes(lun).filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), [], source);
    }
    const rbd = q35.replace('<memballoon', "<disk type='network' device='lun'><source protocol='rbd' name='pool/image'><host name='storage.example'/></source><target dev='sdc' bus='scsi'/></disk>\n    <memballoon");
    assert.deepEqual(codes(rbd).filter((d) => d.code === 'lun-source').length, 1, 'but not over RBD');
  });
  it('accepts a switch upstream port on a bus that does not exist yet (libvirt adds a root port for it)', () => {
    const text = q35.replace('<memballoon', "<controller type='pci' index='20' model='pcie-switch-upstream-port'><address type='pci' domain='0x0000' bus='0x15' slot='0x00' function='0x0'/></controller>\n    <memballoon");
    assert.notEqual(text, q35);
    assert.deepEqual(codes(text).filter((d) => d.code === 'pci-port-bus'), []);
    const onRoot = q35.replace('<memballoon', "<controller type='pci' index='20' model='pcie-switch-upstream-port'><address type='pci' domain='0x0000' bus='0x00' slot='0x0a' function='0x0'/></controller>\n    <memballoon");
    assert.deepEqual(codes(onRoot).filter((d) => d.code === 'pci-port-bus').length, 1, 'but not on the root complex');
  });
  it("holds a PCI controller's numbers to libvirt's ranges beyond the schema's (index, chassisNr, busNr, target index)", () => {
    const withController = (xml: string): string => minimal.replace('</devices>', `  ${xml}\n  </devices>`);
    const range = (xml: string): string[] => codes(withController(xml)).filter((d) => d.code === 'pci-controller-range').map((d) => d.message);
    assert.deepEqual(range("<controller type='pci' index='256' model='pci-bridge'/>").length, 1);
    assert.match(range("<controller type='pci' index='1' model='pci-bridge'><target chassisNr='0'/></controller>")[0] ?? '', /chassisNr 0 is out of range: it must be 1-255/);
    assert.match(range("<controller type='pci' index='1' model='pci-expander-bus'><target busNr='0xff'/></controller>")[0] ?? '', /busNr 0xff is out of range: it must be 1-254/);
    assert.deepEqual(range("<controller type='pci' index='1' model='pci-bridge'><target chassisNr='1'/></controller>"), []);
    assert.deepEqual(range("<controller type='pci' index='1' model='pci-expander-bus'><target busNr='254'/></controller>"), []);
    assert.equal(range("<controller type='pci' index='1' model='pci-bridge'><target index='0'/></controller>").length, 1);
    assert.equal(range("<controller type='pci' index='1' model='pci-bridge'><target index='31'/></controller>").length, 1);
  });
  it('refuses a <target> option the PCI controller model does not take, on the attribute', () => {
    const q35Doc = (xml: string): string => q35.replace('</devices>', `  ${xml}\n  </devices>`);
    const options = (text: string): string[] => codes(text).filter((d) => d.code === 'pci-target-option').map((d) => d.message);
    assert.deepEqual(options(minimal.replace('</devices>', "  <controller type='pci' index='9' model='pci-bridge'><target chassisNr='3' port='0x10'/></controller>\n  </devices>")), [
      'A pci-bridge controller has no <target port=…>: it takes chassisNr',
    ]);
    assert.deepEqual(options(q35Doc("<controller type='pci' index='20' model='pcie-root-port'><target chassis='20' port='0x20' hotplug='off' busNr='9'/></controller>")), [
      'A pcie-root-port controller has no <target busNr=…>: it takes chassis, port, hotplug',
    ]);
    assert.deepEqual(options(q35Doc("<controller type='pci' index='20' model='pcie-switch-upstream-port'><target hotplug='off'/></controller>")), [
      'A pcie-switch-upstream-port controller has no <target hotplug=…>: it takes none of them',
    ]);
    assert.deepEqual(options(minimal.replace("<controller type='pci' index='0' model='pci-root'/>", "<controller type='pci' index='0' model='pci-root'><target hotplug='off'/></controller>")), []);
    const text = q35Doc("<controller type='pci' index='20' model='pcie-expander-bus'><target busNr='100' index='3'/></controller>");
    const d = codes(text).find((x) => x.code === 'pci-target-option');
    assert.equal(d?.range.startLine, lineOf(text, "<target busNr='100' index='3'/>"));
  });
  for (const [code, text, needle] of defineRules) {
    it(`refuses what libvirt refuses: ${code} (${needle.split('\n')[0]!.trim()})`, () => {
      assert.notEqual(text, q35, 'the mutation applies');
      const ds = codes(text).filter((d) => d.code === code);
      assert.ok(ds.length >= 1, `${code}: ${JSON.stringify(codes(text).map((d) => d.code))}`);
      assert.equal(ds[0]!.severity, 'error');
      assert.equal(ds[0]!.range.startLine, lineOf(text, needle), code);
    });
  }
  it('duplicate disk targets', () => {
    failsThenFixed('duplicate-target', win.replace("<target dev='sdb' bus='sata'/>", "<target dev='sda' bus='sata'/>"), "<target dev='sda' bus='sata'/>\n      <readonly");
  });
  it('duplicate boot orders', () => {
    failsThenFixed('duplicate-boot-order', win.replace("<boot order='2'/>", "<boot order='1'/>"), "<boot order='1'/>\n      <address type='drive' controller='0' bus='0' target='0' unit='1'/>");
  });
  it('duplicate and malformed MACs', () => {
    failsThenFixed('duplicate-mac', every.replace("52:54:00:00:00:02", '52:54:00:00:00:01'), "<mac address='52:54:00:00:00:01'/>\n      <source bridge");
    failsThenFixed('malformed-mac', minimal.replace('52:54:00:a1:b2:c3', '52:54:00:a1:b2'), '52:54:00:a1:b2');
  });
  it('secure boot needs q35 and SMM', () => {
    failsThenFixed('secure-boot-machine', win.replace("machine='pc-q35-7.2'", "machine='pc-i440fx-7.2'"), "machine='pc-i440fx-7.2'");
    failsThenFixed('secure-boot-smm', win.replace("<smm state='on'/>", "<smm state='off'/>"), "<smm state='off'/>");
  });
  it('UEFI needs ACPI', () => {
    failsThenFixed('uefi-needs-acpi', win.replace('    <acpi/>\n', ''), "<os firmware='efi'>");
  });
  it('Windows 11 without UEFI or TPM is no error here: libvirt runs it, the hints suggest them (test/unit/forms/hints.test.ts)', () => {
    const noTpm = win.replace(/ {4}<tpm[\s\S]*?<\/tpm>\n/, '');
    assert.notEqual(noTpm, win);
    assert.deepEqual(codes(noTpm).filter((d) => d.code.startsWith('win11')), []);
  });
  it('host devices must exist on the host', () => {
    const ctx: SemanticContext = { hostPciAddresses: ['0000:00:1f.2'], hostUsbDevices: [{ vendor: '0x1234', product: '0x5678' }] };
    const ds = codes(every, ctx).filter((d) => d.code === 'hostdev-missing');
    assert.equal(ds.length, 2);
    assert.equal(ds[0]!.range.startLine, lineOf(every, "<address domain='0x0000' bus='0x7f'"));
    assert.equal(ds[1]!.range.startLine, lineOf(every, '<source>\n        <vendor'));
    const ok = codes(every, { hostPciAddresses: ['0000:7f:1f.7'], hostUsbDevices: [{ vendor: '0x046d', product: '0xc52b' }] });
    assert.deepEqual(ok.filter((d) => d.code === 'hostdev-missing'), []);
  });
  it('disk sources must exist in their pool', () => {
    const present = new Set(['/var/lib/libvirt/images/xmlfix-minimal.qcow2']);
    assert.deepEqual(codes(minimal, { diskSourceExists: (s) => (s.file ? present.has(s.file) : undefined) }), []);
    const ds = codes(minimal, { diskSourceExists: () => false });
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.code, 'disk-source-missing');
    assert.equal(ds[0]!.range.startLine, lineOf(minimal, "<source file='/var/lib/libvirt/images/xmlfix-minimal.qcow2'/>"));
  });
});

describe('ExecSchemaSource (unit, local tar)', () => {
  it('reads the archive produced by its fixed command', async () => {
    const { execFile } = await import('node:child_process');
    const commands: string[][] = [];
    const exec = (argv: readonly string[]): Promise<Buffer> => {
      commands.push([...argv]);
      return new Promise((resolve, reject) =>
        execFile(argv[0]!, argv.slice(1), { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
    };
    const src = new ExecSchemaSource(exec);
    const local = new LocalSchemaSource();
    assert.deepEqual(await src.listFiles(), await local.listFiles());
    assert.deepEqual(await src.readFile('domain.rng'), await local.readFile('domain.rng'));
    assert.deepEqual(commands, [['tar', '-C', '/usr/share/libvirt/schemas', '-c', '.']]);
    await assert.rejects(src.readFile('../etc/passwd'), SchemaSourceError);
  });
});
