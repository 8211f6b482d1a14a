// UI test of the suggestions (optimization hints) in a real VS Code (code-server + Chromium): the
// details tab's Suggestions list in light, dark and high contrast; Apply shows the XML change in a
// diff editor beside the tab and asks in a modal; applied, the suggestion leaves the list and
// libvirt has the change. The XML tab shows a hint as an Information diagnostic (blue squiggle,
// Problems panel) in the three themes.
// Screenshots: test-results/screenshots/suggestions-details-{light,dark,hc}.png,
// suggestions-apply-diff.png, suggestions-xml-{light,dark,hc}.png.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { baseDomain } from '../../hintCases';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uihnt-';
const THEMES = [
  ['Default Light Modern', 'vs', 'light'],
  ['Default Dark Modern', 'vs-dark', 'dark'],
  ['Default High Contrast', 'hc-black', 'hc'],
] as const;

describe('Suggestions (UI)', function () {
  this.timeout(240_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    const xml = baseDomain({ name, type: 'qemu' })
      .replace("<model type='virtio'/>", "<model type='e1000e'/>")
      .replace(" discard='unmap'", '')
      .replace(/\s*<input type='tablet' bus='usb'\/>/, '');
    dom = await conn.domainDefineXml(xml);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.setTheme('Default Dark Modern', 'vs-dark').catch(() => undefined);
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  async function menu(row: string, entry: RegExp): Promise<void> {
    await wb.clickTreeMenuItem(new RegExp(`^${row}`), entry);
  }

  it('lists the suggestions in the details tab, in light, dark and high contrast', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await menu(name, /^Open Details(\s|$)/);
    await wb.editorTab(name).waitFor({ state: 'visible' });
    const view = wb.webview();
    const summary = view.locator('#suggestions-summary');
    await summary.waitFor({ timeout: 30_000 });
    assert.match((await summary.textContent()) ?? '', /^Suggestions \(3\)$/);
    await summary.click();
    const items = view.locator('.suggestion');
    await items.first().waitFor();
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-code'))), ['nic-not-virtio', 'disk-no-discard', 'no-tablet']);
    for (const [theme, cssClass, file] of THEMES) {
      await wb.setTheme(theme, cssClass);
      await wb.screenshot(`suggestions-details-${file}`);
    }
  });

  it('Apply shows the change beside the tab, asks, and applies it', async () => {
    await wb.setTheme('Default Light Modern', 'vs');
    const view = wb.webview();
    const tablet = view.locator('.suggestion[data-code="no-tablet"]');
    await tablet.locator('vscode-button', { hasText: 'Apply…' }).click();
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    await wb.page.locator('.tabs-container .tab', { hasText: `${name}: Add a USB tablet` }).first().waitFor();
    await wb.screenshot('suggestions-apply-diff');
    assert.match((await dialog.textContent()) ?? '', /Add a USB tablet on/);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await wb.webview().locator('#status', { hasText: /^Add a USB tablet\. Saved/ }).waitFor({ timeout: 30_000 });
    await wb.webview().locator('.suggestion[data-code="no-tablet"]').waitFor({ state: 'detached' });
    assert.match(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE), /<input type='tablet' bus='usb'>/);
  });

  it('shows a hint as an Information diagnostic in the XML tab, in light, dark and high contrast', async () => {
    await menu(name, /^Open XML(\s|$)/);
    await wb.editorTab(`${name}.xml`).waitFor({ state: 'visible' });
    const squiggle = wb.page.locator('.editor-group-container.active .monaco-editor .squiggly-info').first();
    await squiggle.waitFor({ timeout: 30_000 });
    await wb.page.keyboard.press('Control+Shift+M');
    const problem = wb.page.locator('.markers-panel .monaco-list-row', { hasText: 'Pass discards of VirtIO Disk 1 to its image' }).first();
    await problem.waitFor({ timeout: 20_000 });
    // To the hint's place in the text: its squiggle and the light bulb of its quick fix in view.
    await problem.dblclick();
    await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: "type='qcow2'" }).waitFor();
    for (const [theme, cssClass, file] of THEMES) {
      await wb.setTheme(theme, cssClass);
      await wb.screenshot(`suggestions-xml-${file}`);
    }
  });
});
