// VM templates (src/forms/vmTemplates.ts, src/commands/create/templateStore.ts): the file format
// round-trips, refuses bad input at its line and never holds a password; a VM's definition becomes
// wizard answers plus portable hardware; a template's answers that a host cannot take are dropped
// with a note; the folder store writes atomically and refuses to overwrite or delete outside it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TemplateExistsError, TemplateStore } from '../../../src/commands/create/templateStore';
import { initialValues, type NewVmFacts } from '../../../src/forms/newVmModel';
import { installDefinition } from '../../../src/forms/newDomain';
import { BUILT_IN_TEMPLATES, parseTemplate, stringifyTemplate, TemplateError, templateFileName, templateFromDomain, templateOfDomain, templateValues, withoutSecrets, type VmTemplate } from '../../../src/forms/vmTemplates';

const facts: NewVmFacts = {
  pools: [{ name: 'default', active: true, availableBytes: 100 * 1024 ** 3 }],
  volumes: [{ pool: 'default', name: 'debian-12-genericcloud.qcow2', capacity: 2 * 1024 ** 3, format: 'qcow2' }],
  networks: [{ name: 'default', active: true }],
  hostMemoryMiB: 16384,
  hostCpus: 8,
  virtType: 'kvm',
  uefi: true,
  secureBoot: true,
  tpm: true,
  names: [],
};

const VM = `<domain type='kvm'>
  <name>web1</name>
  <uuid>6c7b5bb2-8a8c-4d57-9a53-2d1e2c1f0a11</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='KiB'>3145728</memory>
  <vcpu placement='static'>3</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='web1.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <sound model='ich9'>
      <alias name='sound0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x1b' function='0x0'/>
    </sound>
    <watchdog model='i6300esb' action='reset'>
      <address type='pci' domain='0x0000' bus='0x10' slot='0x01' function='0x0'/>
    </watchdog>
    <hostdev mode='subsystem' type='usb'>
      <source><vendor id='0x1234'/><product id='0x5678'/></source>
    </hostdev>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
  </devices>
</domain>`;

function throwsAt(text: string, message: RegExp, line: number | undefined): void {
  assert.throws(
    () => parseTemplate(text),
    (e: unknown) => {
      assert.ok(TemplateError.is(e), String(e));
      assert.match(e.message, message);
      assert.equal(e.line, line, `line of: ${e.message}`);
      return true;
    },
  );
}

describe('VM templates (unit)', () => {
  it('writes every built-in template as a file that reads back the same', () => {
    assert.deepEqual(BUILT_IN_TEMPLATES.map((t) => t.name), ['Linux server (cloud image)', 'Windows 11 desktop', 'PXE client']);
    for (const t of BUILT_IN_TEMPLATES) {
      const text = stringifyTemplate(t);
      assert.match(text, /^kind: libvirt-vms\/vm-template$/m);
      const back = parseTemplate(text);
      assert.deepEqual(back, { name: t.name, description: t.description, values: t.values, devices: t.devices }, t.name);
    }
    assert.equal(BUILT_IN_TEMPLATES.find((t) => t.name === 'Windows 11 desktop')?.values['firmware'], 'efi-secure');
    assert.equal(BUILT_IN_TEMPLATES.find((t) => t.name === 'PXE client')?.values['method'], 'pxe');
    assert.equal(templateFileName('Linux server (cloud image)'), 'linux-server-cloud-image.vmtemplate.yaml');
    assert.equal(templateFileName('../../etc/passwd'), 'etc-passwd.vmtemplate.yaml', 'a name never leaves the folder');
  });

  it('refuses bad files with the line of the problem, and never a password', () => {
    const head = 'kind: libvirt-vms/vm-template\nversion: 1\nname: T\n';
    throwsAt('kind: something-else\n', /Not a VM template/, 1);
    throwsAt(`${head}wizard:\n  memory: lots\n`, /'memory' must be a number/, 5);
    throwsAt(`${head}wizard:\n  method: iso\n  ciPassword: hunter2\n`, /never holds a password/, 6);
    throwsAt(`${head}wizard:\n  colour: red\n`, /Unknown wizard answer 'colour'/, 5);
    throwsAt(`${head}devices:\n  - "<hostdev mode='subsystem' type='usb'/>"\n`, /not <hostdev>/, 5);
    throwsAt(`${head}devices:\n  - "<sound model='ich9'"\n`, /not well-formed XML/, 5);
    throwsAt(`${head}wizard: [1, 2\n`, /^Not valid YAML: Flow sequence[^\n]*end with a \] \(line 5\)$/, 5);
    throwsAt(`${head}version2: 3\n`, /Unknown key 'version2'/, 4);
    throwsAt('kind: libvirt-vms/vm-template\nversion: 7\nname: T\n', /Unsupported template version 7/, 2);
    assert.throws(() => stringifyTemplate({ name: 'x', values: { ciPassword: 'secret' }, devices: [] }), /never holds a password/);
  });

  it('removes passwords from raw cloud-config, at any depth', () => {
    const { text, removed } = withoutSecrets('users:\n  - name: a\n    passwd: $6$abc\n    plain_text_passwd: x\npassword: y\nchpasswd: { expire: false }\npackages: [vim]\n');
    assert.deepEqual(removed.sort(), ["cloud-config key 'chpasswd'", "cloud-config key 'passwd'", "cloud-config key 'password'", "cloud-config key 'plain_text_passwd'"]);
    assert.doesNotMatch(text, /passwd|password|\$6\$|chpasswd/);
    assert.match(text, /packages/);
    assert.match(text, /name: a/);
    assert.deepEqual(withoutSecrets('packages: [vim]\n').removed, []);
  });

  it("makes a VM's definition into wizard answers and portable hardware, saying what it left out", () => {
    const { template, notes } = templateFromDomain({ xml: VM, diskCapacityBytes: 25 * 1024 ** 3 + 1, diskPool: 'default' }, 'Web server');
    assert.deepEqual(template.values, { os: 'http://debian.org/debian/12', memory: 3072, vcpus: 3, firmware: 'efi', tpm: true, network: 'network:default', method: 'iso', diskMode: 'new', diskSizeGiB: 26, diskFormat: 'qcow2', diskPool: 'default' });
    assert.equal(template.devices.length, 2);
    assert.equal(template.devices[0], "<sound model='ich9'/>");
    assert.doesNotMatch(template.devices.join(''), /address|alias|hostdev/);
    assert.match(template.devices[1]!, /<watchdog model='i6300esb' action='reset'/);
    assert.ok(notes.some((n) => /1 hostdev device left out/.test(n)), notes.join('\n'));
    // With a base volume: the template imports a copy-on-write disk of it.
    const based = templateFromDomain({ xml: VM, baseVolume: { pool: 'default', volume: 'web-server-template-base.qcow2' } }, 'Web server').template;
    assert.equal(based.values['method'], 'import');
    assert.equal(based.values['importMode'], 'overlay');
    assert.equal(based.values['importVolume'], 'default/web-server-template-base.qcow2');
    // No secret of the VM gets in: the file is only what parseTemplate accepts.
    assert.deepEqual(parseTemplate(stringifyTemplate(template)).values, template.values);
  });

  it("fills in the wizard from a template, dropping what this host lacks with a note", () => {
    const t: VmTemplate = { name: 'T', values: { method: 'cloud', cloudImage: 'default/debian-12-genericcloud.qcow2', firmware: 'efi-secure', tpm: true, memory: 4096, network: 'network:lab' }, devices: [] };
    const here = templateValues(facts, initialValues(facts), t);
    assert.equal(here.values['cloudImage'], 'default/debian-12-genericcloud.qcow2');
    assert.equal(here.values['firmware'], 'efi-secure');
    assert.equal(here.values['memory'], 4096);
    assert.equal(here.values['network'], 'network:default', 'the missing network is not taken');
    assert.ok(here.answered.includes('memory') && !here.answered.includes('network'));
    assert.ok(here.notes.some((n) => /no network lab/.test(n)));
    const poor = templateValues({ ...facts, volumes: [], secureBoot: false, tpm: false }, initialValues(facts), t);
    assert.equal(poor.values['cloudImage'], undefined);
    assert.equal(poor.values['firmware'], 'efi');
    assert.equal(poor.values['tpm'], false);
    assert.equal(poor.notes.length, 4, poor.notes.join('\n'));
  });

  it("records the template in the new VM's metadata and adds its hardware", () => {
    const dom = installDefinition({ name: 'x', memoryMiB: 1024, vcpus: 1, type: 'qemu', firmware: 'bios', virtio: true, boot: 'network', network: { type: 'network', name: 'default' }, extraDevices: ["<sound model='ich9'/>"], template: 'Lab "A" & B' });
    assert.equal(templateOfDomain(dom), 'Lab "A" & B');
    assert.equal(dom.devicesOf('sound').length, 1);
  });

  it('keeps templates one file each; never overwrites or deletes outside its folder unasked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tmpl-store-'));
    try {
      const store = new TemplateStore(path.join(dir, 'templates'));
      assert.deepEqual(store.list(), { templates: [], broken: [] }, 'a missing folder is empty');
      const file = store.save(BUILT_IN_TEMPLATES[1]!);
      assert.equal(path.basename(file), 'windows-11-desktop.vmtemplate.yaml');
      assert.throws(() => store.save({ ...BUILT_IN_TEMPLATES[1]!, description: 'changed' }), (e: unknown) => TemplateExistsError.is(e));
      assert.match(fs.readFileSync(file, 'utf8'), /Secure Boot, TPM 2.0/, 'the refused save left the file as it was');
      store.save({ ...BUILT_IN_TEMPLATES[1]!, description: 'changed' }, { replace: true });
      fs.writeFileSync(path.join(store.folder, 'broken.vmtemplate.yaml'), 'kind: nope\n');
      fs.writeFileSync(path.join(store.folder, 'notes.txt'), 'not a template');
      const { templates, broken } = store.list();
      assert.deepEqual(templates.map((t) => t.template.description), ['changed']);
      assert.equal(broken.length, 1);
      assert.match(broken[0]!.error, /Not a VM template: 'kind' must be 'libvirt-vms\/vm-template' \(line 1\)/);
      assert.deepEqual(fs.readdirSync(store.folder).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
      assert.throws(() => store.delete(path.join(dir, 'other.vmtemplate.yaml')), /is not a template of/);
      assert.throws(() => store.delete(path.join(store.folder, 'notes.txt')), /is not a template of/);
      store.delete(file);
      assert.equal(fs.existsSync(file), false);
      assert.throws(() => TemplateStore.read(path.join(store.folder, 'broken.vmtemplate.yaml')), /broken.vmtemplate.yaml: Not a VM template/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
