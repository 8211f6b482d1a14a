import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDomainCapabilities, type DomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { checkDomain } from '../../../src/libvirt/xml/checks';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { validateDomainXmlFor } from '../../../src/libvirt/xml/validation';
import type { TextRange } from '../../../src/libvirt/xml/xmlDocument';
import { FIXTURE_DIR } from './helpers';

/** libvirt 9.0's domain capabilities for qemu-system-x86_64 (q35, TCG), whose <features> say sev='no' and sgx='no'; `yes` flips features to supported. */
function domcaps(yes: readonly string[] = []): DomainCapabilities {
  let xml = fs.readFileSync(path.join(FIXTURE_DIR, 'domcaps-qemu-q35.xml'), 'utf8');
  for (const f of yes) xml = xml.replace(`<${f} supported='no'/>`, `<${f} supported='yes'/>`);
  return parseDomainCapabilities(xml);
}

function domain(o: { arch?: string; emulator?: string; launchSecurity?: string; sgx?: boolean }): DomainXml {
  return DomainXml.parse(`<domain type='qemu'>
  <name>t</name><maxMemory slots='4' unit='MiB'>1024</maxMemory><memory unit='MiB'>256</memory><vcpu>1</vcpu>
  <os><type arch='${o.arch ?? 'x86_64'}' machine='q35'>hvm</type></os>
  ${o.launchSecurity !== undefined ? `<launchSecurity type='${o.launchSecurity}'><policy>0x0003</policy></launchSecurity>` : ''}
  <devices><emulator>${o.emulator ?? '/usr/bin/qemu-system-x86_64'}</emulator>
    ${o.sgx ? "<memory model='sgx-epc'><target><size unit='KiB'>16384</size></target></memory>" : ''}
  </devices>
</domain>`);
}

const slice = (d: DomainXml, r: TextRange): string => d.doc.text.slice(d.doc.offsetAt(r.startLine, r.startCol), d.doc.offsetAt(r.endLine, r.endCol));

const problems = (d: DomainXml, caps: DomainCapabilities | undefined) =>
  checkDomain(d, caps ? { domainCapabilities: caps } : {}).filter((p) => p.code === 'launch-security-unsupported' || p.code === 'sgx-unsupported');

describe("the confidential-guest checks against the host's domain capabilities (unit)", () => {
  it("refuses SEV launch security when the domain capabilities say <sev supported='no'/>, on the type attribute", () => {
    const d = domain({ launchSecurity: 'sev' });
    const [p, ...more] = problems(d, domcaps());
    assert.equal(more.length, 0);
    assert.equal(p?.severity, 'error');
    assert.equal(p?.code, 'launch-security-unsupported');
    assert.match(p!.message, /qemu-system-x86_64 cannot run AMD SEV guests.*libvirt refuses the definition/);
    assert.deepEqual(p!.target, { section: 'overview' });
    assert.equal(slice(d, p!.range), "type='sev'");
  });

  it('refuses SGX enclave memory on the memory device when SGX is not supported', () => {
    const d = domain({ sgx: true });
    const [p, ...more] = problems(d, domcaps());
    assert.equal(more.length, 0);
    assert.equal(p?.code, 'sgx-unsupported');
    assert.notEqual(p!.target.section, 'overview');
    assert.equal(slice(d, p!.range), "model='sgx-epc'");
  });

  it('accepts both where the domain capabilities say they are supported, and without domain capabilities', () => {
    assert.deepEqual(problems(domain({ launchSecurity: 'sev', sgx: true }), domcaps(['sev', 'sgx'])), []);
    assert.deepEqual(problems(domain({ launchSecurity: 'sev', sgx: true }), undefined), []);
  });

  it('says nothing from the capabilities of another arch or emulator than the document names', () => {
    assert.deepEqual(problems(domain({ arch: 'aarch64', launchSecurity: 'sev', sgx: true }), domcaps()), []);
    assert.deepEqual(problems(domain({ emulator: '/opt/qemu/bin/qemu-system-x86_64', launchSecurity: 'sev', sgx: true }), domcaps()), []);
  });

  it('leaves a launch security type alone whose feature the domain capabilities do not list', () => {
    // s390-pv is checked only when the capabilities carry an <s390-pv> feature; these (x86) do not.
    assert.deepEqual(problems(domain({ launchSecurity: 's390-pv' }), domcaps()), []);
  });

  it('finds the same problems through the XML validation entry with a per-document lookup', async () => {
    const asked: string[] = [];
    const text = domain({ launchSecurity: 'sev' }).doc.text;
    const diags = await validateDomainXmlFor(text, {}, async (dom) => {
      asked.push(`${dom.get('arch')}/${dom.get('machine')}`);
      return { domainCapabilities: domcaps() };
    });
    assert.deepEqual(asked, ['x86_64/q35']);
    assert.ok(diags.some((x) => x.code === 'launch-security-unsupported'));
  });
});
