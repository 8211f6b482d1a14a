// UI test of the VM details tab in a real VS Code (code-server + Chromium): open it from a shut-off
// VM's context menu, change the memory in the form, Apply, and check the result through libvirt;
// an error is shown on its field and blocks Apply; screenshots in the light, dark and
// high-contrast themes (test-results/screenshots/details-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uidet-';

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <title>Details UI test</title>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

describe('VM details tab (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;
  const cspViolations: string[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(domainXml(name));
    wb = await openWorkbench();
    wb.page.on('console', (m) => {
      if (/Content Security Policy|CSP blocked/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  after(async () => {
    fs.rmSync(path.join(uiSession().workspace, '.vscode', 'settings.json'), { force: true });
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  it('opens from the VM context menu, changes the memory and applies it', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Details(\s|$)/);
    await wb.editorTab(name).waitFor({ state: 'visible' });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('.field[data-field="uuid"] .readonly-value').innerText(), dom.uuid);
    await view.locator('vscode-tree-item[data-section="memory"]').click();
    await view.locator('#section-title', { hasText: /^Memory$/ }).waitFor();
    const memory = view.locator('.field[data-field="memory"] input');
    assert.equal(await memory.inputValue(), '128');
    await memory.fill('256');
    await wb.editorTab(`● ${name}`).waitFor();
    await view.locator('.field.modified[data-field="memory"]').waitFor();
    await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).click();
    await view.locator('#status', { hasText: 'Saved: Memory: Maximum allocation.' }).waitFor();
    await wb.screenshot('details-applied');
    const d = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(d.memoryKiB, 256 * 1024);
    await wb.editorTab(new RegExp(`^${name}$`)).waitFor();
    assert.equal(await view.locator('.field.modified').count(), 0);
  });

  it('shows an error on its field and keeps Apply disabled', async () => {
    const view = wb.webview();
    await view.locator('vscode-tree-item', { hasText: 'CPUs' }).click();
    const vcpus = view.locator('.field[data-field="vcpus"] input');
    await vcpus.fill('0');
    await view.locator('.field[data-field="vcpus"] .problem.error', { hasText: 'The smallest value is 1.' }).waitFor();
    assert.equal(await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).getAttribute('disabled'), '');
    await view.locator('vscode-tree-item[aria-label="CPUs, modified, has errors"]').waitFor();
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`looks native in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass);
      const view = wb.webview();
      await view.locator('vscode-tree-item', { hasText: 'Overview' }).click();
      await view.locator('#section-title', { hasText: 'Overview' }).waitFor();
      await wb.screenshot(`details-overview-${file}`);
      await view.locator('vscode-tree-item', { hasText: 'CPUs' }).click();
      await view.locator('.field[data-field="vcpus"] .problem.error').waitFor();
      await wb.screenshot(`details-error-${file}`);
    });
  }

  it('opens from a click on the VM row, and at its section from a click on a hardware row', async () => {
    await wb.runCommand('View: Close All Editors');
    await wb.editorTab(new RegExp(name)).first().waitFor({ state: 'detached' });
    const row = await wb.waitForTreeItem(new RegExp(`^${name}`));
    await row.click();
    await wb.editorTab(new RegExp(name)).first().waitFor({ state: 'visible' });
    await wb.webview().locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    // The keyboard stayed in the tree (as a single click in the Explorer): expand the VM.
    await wb.page.keyboard.press('ArrowRight');
    const memoryRow = await wb.waitForTreeItem(/^Memory(?! Balloon)/);
    await memoryRow.click();
    await wb.webview().locator('#section-title', { hasText: /^Memory$/ }).waitFor();
    assert.equal(await wb.editorTab(new RegExp(name)).count(), 1, 'one tab per VM');
  });

  it('loaded without a Content Security Policy violation', () => {
    assert.deepEqual(cspViolations, []);
  });
});
