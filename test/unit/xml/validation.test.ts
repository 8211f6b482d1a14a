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
    ['wrong enum', base.replace("device='disk'", "device='bogus'"), "device='bogus'", /attribute 'device' of <disk>/],
    ['wrong enum in a nested element', base.replace("<source network='default'/>", "<source network='default'/>\n      <link state='sideways'/>"), "<link state='sideways'/>", /'sideways' for attribute 'state' of <link>: expected one of .*\bup\b/],
    ['wrong enum on one of many <model>s', base.replace("type='virtio' heads", "type='virtoi' heads"), "type='virtoi' heads", /'virtoi' for attribute 'type' of <model>: expected one of .*qxl/],
    ['unknown element', base.replace("<clock offset='utc'/>", "<clock offset='utc'/>\n  <frobnicate/>"), '<frobnicate/>', /frobnicate/],
    ['unknown device', base.replace('<emulator>', '<frob/>\n    <emulator>'), '<frob/>', /<frob>/],
    ['bad number', base.replace("<vcpu placement='static'>1", "<vcpu placement='static'>x"), '<vcpu', /'x' in <vcpu>/],
    ['bad number in an attribute', base.replace("port='-1'", "port='abc'"), "port='abc'", /'port' of <graphics>/],
    ['missing name', base.replace(/ {2}<name>.*\n/, ''), "<domain type='qemu'>", /name/],
  ];
  for (const [title, text, faultLine, msg] of invalid) {
    it(`reports ${title} on the line of the fault`, () => {
      const ds = validateDomainXml(text, { schema });
      assert.equal(ds.length, 1, JSON.stringify(ds));
      assert.equal(ds[0]!.code, 'schema');
      assert.equal(ds[0]!.range.startLine, lineOf(text, faultLine), JSON.stringify(ds[0]));
      assert.match(ds[0]!.message, msg);
    });
  }

  it('suggests the closest allowed value as a fix', () => {
    const text = base.replace("device='disk'", "device='disc'");
    const [d] = validateDomainXml(text, { schema });
    assert.match(d!.message, /expected one of .*cdrom/);
    assert.equal(d!.fix?.title, "Change to 'disk'");
    assert.equal(applyEdits(text, d!.fix!.edits), base);
  });

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
  it('current memory must not exceed maximum', () => {
    failsThenFixed('memory-current-above-max', win.replace("<currentMemory unit='KiB'>2097152", "<currentMemory unit='KiB'>9097152"), '<currentMemory');
  });
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
  it('Windows 11 needs UEFI and TPM 2.0', () => {
    const noTpm = win.replace(/ {4}<tpm[\s\S]*?<\/tpm>\n/, '');
    failsThenFixed('win11-needs-tpm', noTpm, '<libosinfo:libosinfo');
    failsThenFixed('win11-needs-tpm', win.replace("version='2.0'", "version='1.2'"), "version='1.2'");
    const bios = DomainXml.parse(minimal);
    bios.osinfoId = 'http://microsoft.com/win/11';
    bios.addDeviceXml("<tpm model='tpm-crb'>\n  <backend type='emulator' version='2.0'/>\n</tpm>");
    failsThenFixed('win11-needs-uefi', bios.toString(), '<os>');
    assert.deepEqual(codes(minimal.replace('<os>', '<os>')).filter((d) => d.code.startsWith('win11')), []);
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
