// UI test of the details tab's CPUs and OS sections in a real VS Code (code-server + Chromium):
// pinning and NUMA cells shown as their compact text, a NUMA mistake shown on its field, the fix
// applied and read back from libvirt; the OS searched in libosinfo's list, picked and saved as the
// libosinfo metadata. Screenshots: test-results/screenshots/details-cpus-numa.png, details-os-search.png.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uicpuos-';

const domainXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='0'/>
    <vcpupin vcpu='1' cpuset='1'/>
  </cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu>
    <numa>
      <cell id='0' cpus='0-1' memory='256' unit='MiB'/>
    </numa>
  </cpu>
</domain>`;

describe('VM details tab: CPUs and OS (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;

  const inactive = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    dom = await conn.domainDefineXml(domainXml(name));
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  it('shows pinning and NUMA cells, a vCPU the VM does not have on its field, and applies the fix', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Details(\s|$)/);
    await wb.editorTab(name).waitFor({ state: 'visible' });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    await view.locator('vscode-tree-item[data-section="cpus"]').click();
    await view.locator('#section-title', { hasText: /^CPUs$/ }).waitFor();
    assert.equal(await view.locator('.field[data-field="vcpuPin"] input').inputValue(), '0:0; 1:1');
    const numa = view.locator('.field[data-field="numaCells"] input');
    assert.equal(await numa.inputValue(), '0-1:256');
    // A vCPU the VM does not have: libvirt refuses it (a total short of the memory it completes: a warning).
    await numa.fill('0-1:128; 2:128');
    await view.locator('.field[data-field="numaCells"] .problem.error', { hasText: 'NUMA cells name vCPU 2 but the VM has 2 vCPUs (0-1)' }).waitFor();
    assert.equal(await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).getAttribute('disabled'), '');
    await view.locator('.field[data-field="numaCells"]').scrollIntoViewIfNeeded();
    await wb.screenshot('details-cpus-numa');
    await numa.fill('0:128; 1:128');
    await view.locator('.field[data-field="numaCells"] .problem').waitFor({ state: 'detached' });
    await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).click();
    await view.locator('#status', { hasText: 'Saved: CPUs: NUMA cells.' }).waitFor();
    const d = await inactive();
    assert.deepEqual(d.element.find(['cpu', 'numa'])!.elements('cell').map((c) => [c.attr('cpus'), c.attr('memory')]), [['0', '131072'], ['1', '131072']]);
  });

  it('searches the OS in libosinfo\'s list, picks it and saves the libosinfo metadata', async () => {
    const view = wb.webview();
    await view.locator('vscode-tree-item[data-section="os"]').click();
    await view.locator('#section-title', { hasText: /^OS$/ }).waitFor();
    const select = view.locator('.field[data-field="osinfo"] vscode-single-select');
    const search = select.locator('input');
    await search.click();
    await search.fill('debian 11');
    const option = select.getByRole('option', { name: 'Debian 11 (debian11)', exact: true });
    await option.waitFor({ state: 'visible' });
    await wb.screenshot('details-os-search');
    await option.click();
    await view.locator('.field.modified[data-field="osinfo"]').waitFor();
    await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).click();
    await view.locator('#status', { hasText: 'Saved: OS: Operating system.' }).waitFor();
    assert.equal((await inactive()).osinfoId, 'http://debian.org/debian/11');
  });
});
