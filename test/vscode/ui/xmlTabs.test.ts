// UI test of the XML tabs in a real VS Code (code-server + Chromium): the breadcrumb and the
// Problems panel name the connection (no id), completion offers <disk> and inserts it with its
// required parts, and the live XML opens as its own read-only tab beside the persistent one, with
// the extension's own message on typing. Screenshots: test-results/screenshots/xml-tab-*.png.
// Nothing is saved to the host.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'xtui-';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function vmXml(name: string, extra = ''): string {
  return `<domain type='qemu'>
  <name>${name}</name>${extra}
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

describe('XML tabs (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(vmXml(name));
    await conn.domainCreate(dom);
    // The persistent definition now differs from the running one, so there is a live view to open.
    await conn.domainDefineXml(vmXml(name, `\n  <uuid>${dom.uuid}</uuid>\n  <description>applies at the next boot</description>`));
    wb = await openWorkbench();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot('xml-tab-failed').catch(() => undefined);
  });

  after(async () => {
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom).catch(() => undefined);
    }
    await conn?.close();
  });

  const activeEditor = (): ReturnType<Workbench['page']['locator']> => wb.page.locator('.editor-group-container.active .monaco-editor').first();

  /** Puts the cursor before `text` on the first line holding `lineText` (Go to Line, 1-based). */
  async function goTo(lineText: string, text = lineText): Promise<void> {
    const lines = (await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE)).split('\n');
    const line = lines.findIndex((l) => l.includes(lineText));
    assert.ok(line >= 0, `${lineText} not in the definition`);
    await activeEditor().click();
    await wb.page.keyboard.press('Control+G');
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line + 1}:${lines[line]!.indexOf(text) + 1}`);
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  it('shows the connection name in the breadcrumb and the Problems panel', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(name), /^Open XML(\s|$)/);
    await wb.editorTab(`${name}.xml`).first().waitFor({ state: 'visible' });
    await wb.page.locator('.editor-group-container.active .view-line', { hasText: '<on_poweroff>destroy</on_poweroff>' }).first().waitFor();

    const crumbs = wb.page.locator('.editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item');
    await crumbs.first().waitFor({ state: 'visible' });
    const path = (await crumbs.allInnerTexts()).map((t) => t.trim()).filter((t) => t !== '');
    assert.ok(path.length >= 3, `breadcrumb: ${path.join(' › ')}`);
    assert.deepEqual(path.slice(1, 3), ['domain', `${name}.xml`], `breadcrumb: ${path.join(' › ')}`);
    assert.match(path[0]!, /QEMU/, `the connection's name first: ${path.join(' › ')}`);
    assert.doesNotMatch(path.join(' '), UUID);

    await goTo('<on_poweroff>', 'destroy');
    for (let i = 0; i < 'destroy'.length; i++) await wb.page.keyboard.press('Shift+ArrowRight');
    await wb.page.keyboard.type('explode');
    await wb.page.locator('.editor-group-container.active .view-line', { hasText: '<on_poweroff>explode</on_poweroff>' }).first().waitFor();
    await wb.page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ state: 'visible', timeout: 20_000 });
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const fileRow = wb.page.locator('.markers-panel .monaco-list-row', { hasText: `${name}.xml` }).first();
    await fileRow.waitFor({ state: 'visible', timeout: 20_000 });
    const rowText = await fileRow.innerText();
    assert.match(rowText, /QEMU/, `the Problems row names the connection: ${rowText}`);
    assert.doesNotMatch(rowText, UUID);
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await wb.screenshot('xml-tab-breadcrumb-problems');
    await wb.runCommand('File: Revert File');
  });

  it('completes <disk> with its required attributes and children', async () => {
    await goTo('<devices>');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.type('<di');
    await wb.page.keyboard.press('Control+Space');
    const suggestion = wb.page.locator('.suggest-widget .monaco-list-row', { hasText: /^disk/ }).first();
    await suggestion.waitFor({ state: 'visible', timeout: 20_000 });
    await wb.screenshot('xml-tab-completion-list');
    await suggestion.click();
    // The first tab stop is a choice: its list opens at once.
    await wb.page.locator('.suggest-widget .monaco-list-row', { hasText: /^cdrom/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot('xml-tab-completion-snippet');
    const text = await wb.activeEditorText();
    assert.match(text, /<disk device='[^']*' type='[^']*'>/, text);
    assert.match(text, /<target dev='[^']*'\/>/, text);
    await wb.page.keyboard.press('Escape');
    await wb.runCommand('File: Revert File');
  });

  it('opens the live XML beside the persistent tab, titled live and read-only, and says why typing does nothing', async () => {
    const before = await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE);
    await wb.editorTab(`${name}.xml`).first().click();
    await wb.runCommand('Virtual Machines: Open Live XML');
    const liveTab = wb.editorTab(`${name}.xml (live, read-only)`).first();
    await liveTab.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await wb.page.locator('.editor-group-container').count(), 2, 'one group for each tab');
    await liveTab.click();
    const live = activeEditor();
    await live.locator('.view-line', { hasText: '<on_poweroff>destroy</on_poweroff>' }).first().waitFor();
    await live.click();
    await wb.page.keyboard.type('x');
    const message = wb.page.locator('.monaco-editor-overlaymessage, .monaco-hover', { hasText: 'cannot be edited' }).first();
    await message.waitFor({ state: 'visible', timeout: 10_000 });
    await wb.page.waitForTimeout(400); // the message fades in
    await wb.screenshot('xml-tab-live-readonly');
    assert.equal(await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE), before, 'nothing changed on the host');
  });
});
