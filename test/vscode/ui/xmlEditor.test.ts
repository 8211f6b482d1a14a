// UI test of the XML editor in a real VS Code (code-server + Chromium): Open XML from a VM's
// context menu, type an invalid value, see the squiggle and the Problems panel entry, and save a
// screenshot (test-results/screenshots/xml-editor-diagnostic.png); then type more vCPUs than the
// host's machine type takes and see its limit (xml-editor-host-limit.png). Nothing is saved to the
// host.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'xeui-';

describe('XML editor (UI)', function () {
  this.timeout(120_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;
  const name = `${PREFIX}${crypto.randomBytes(3).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    dom = await conn.domainDefineXml(`<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices><video><model type='vga'/></video></devices>
</domain>`);
    wb = await openWorkbench();
  });

  /**
   * Selects the first match of `text` from the top with Find (its count shown as `count`), then
   * types `replacement` over it. A hover left over a line, or the keyboard still in the Problems
   * panel, can take the click or the Ctrl+F: then the find widget stays hidden (its input disabled),
   * and the editor is focused again until it shows.
   */
  async function typeOverFirstMatch(text: string, count: RegExp, replacement: string): Promise<void> {
    const find = wb.page.locator('.editor-group-container.active .find-widget.visible');
    for (let attempt = 0; ; attempt++) {
      await wb.dismissHover();
      await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await wb.page.keyboard.press('Control+Home');
      await wb.page.keyboard.press('Control+F');
      if (await find.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) break;
      if (attempt === 3) throw new Error('the find widget did not open in the XML tab');
    }
    await find.locator('textarea, input').first().fill(text);
    await find.locator('.matchesCount', { hasText: count }).waitFor();
    await wb.page.keyboard.press('Escape');
    await find.waitFor({ state: 'hidden' });
    await wb.page.keyboard.type(replacement);
  }

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot('xml-editor-failed').catch(() => undefined);
  });

  after(async () => {
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  it('shows a squiggle and a Problems entry for an invalid value typed into a VM definition', async () => {
    const before = await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE);
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(name), /^Open XML(\s|$)/);
    await wb.editorTab(`${name}.xml`).first().waitFor({ state: 'visible' });
    await wb.page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: '<on_poweroff>destroy</on_poweroff>' }).first().waitFor();

    // The first match from the top is on_poweroff's.
    await typeOverFirstMatch('destroy', /^1 of/, 'explode');
    await wb.page.locator('.editor-group-container.active .view-line', { hasText: '<on_poweroff>explode</on_poweroff>' }).first().waitFor();

    await wb.page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ state: 'visible', timeout: 20_000 });
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const problem = wb.page.locator('.markers-panel .monaco-list-row', { hasText: "'explode' is not a valid value" }).first();
    await problem.waitFor({ state: 'visible', timeout: 20_000 });
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    // Hover the squiggle so the screenshot shows the message at the faulty value too.
    await wb.page.locator('.editor-group-container.active .squiggly-error').first().hover({ force: true, timeout: 5_000 }).catch(() => undefined);
    await wb.page.locator('.monaco-hover', { hasText: 'explode' }).first().waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    const file = await wb.screenshot('xml-editor-diagnostic');
    assert.ok(file.endsWith('xml-editor-diagnostic.png'));
    assert.ok(await wb.editorTab(`${name}.xml`).first().evaluate((el) => el.classList.contains('dirty')), 'the tab is dirty (unsaved)');
    assert.equal(await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE), before, 'typing does not change the host');
  });

  it("marks more vCPUs than the host's machine type takes, with its limit from the host's capabilities", async () => {
    // More than any QEMU machine type takes, and still within the schema's bound.
    await typeOverFirstMatch('1</vcpu>', /^1 of 1/, '65535</vcpu>');
    await wb.page.locator('.editor-group-container.active .view-line', { hasText: '>65535</vcpu>' }).first().waitFor();
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const problem = wb.page.locator('.markers-panel .monaco-list-row', { hasText: /Machine type '[^']+' takes at most \d+ vCPUs \(this VM has 65535\)/ }).first();
    await problem.waitFor({ state: 'visible', timeout: 30_000 });
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await wb.page.locator('.editor-group-container.active .view-line', { hasText: '>65535</vcpu>' }).first().hover({ force: true, timeout: 5_000 }).catch(() => undefined);
    await wb.page.locator('.monaco-hover', { hasText: 'vCPUs' }).first().waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    const file = await wb.screenshot('xml-editor-host-limit');
    assert.ok(file.endsWith('xml-editor-host-limit.png'));
  });
});
