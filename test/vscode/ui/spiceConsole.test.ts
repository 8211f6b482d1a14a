// UI test of the SPICE console in a real VS Code (code-server + Chromium): a TCG VM whose only
// display is SPICE (a two-head virtio video device, SeaBIOS) opens in the console tab through
// spice-html5, every SPICE channel on its own relay stream. The first head's canvas must show the
// firmware screen (non-black pixels, read inside the webview frame), the second head (QEMU's own
// "Guest has not initialized the display" picture until a guest driver enables it) its own canvas
// beside it, the toolbar's Ctrl+Alt+Del must reach the guest (SeaBIOS reboots on it, which libvirt
// reports as a reboot event), and the page must load spice-html5 from its own file without a
// Content Security Policy violation.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';
import { litFraction as canvasLit, SPICE_CANVAS } from './canvasPixels';

/** Both heads, scaled together: the letterbox is what they leave free. */
const SPICE_HEADS = '#screen .spice-heads';
import { assertThemedLetterbox, assertZoomedOutLetterbox } from './screenPixels';

/** Fraction of sampled pixels of the SPICE primary surface that are not black. */
const litFraction = (wb: Workbench): Promise<number> => canvasLit(wb, SPICE_CANVAS);

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uispice-';

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <graphics type='spice' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='virtio' heads='2' primary='yes'/></video>
  </devices>
</domain>`;
}

describe('SPICE console (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;
  const cspViolations: string[] = [];
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainCreate(await conn.domainDefineXml(domainXml(name)));
    wb = await openWorkbench();
    wb.page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  after(async () => {
    fs.rmSync(path.join(uiSession().workspace, '.vscode', 'settings.json'), { force: true });
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom).catch(() => undefined);
    }
    await conn?.close();
  });

  it('shows the guest screen of a SPICE-only VM through spice-html5', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.page.locator('.monaco-list-row', { hasText: name }).locator('.label-description', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Console(\s|$)/);
    await wb.editorTab(`Console: ${name}`).waitFor({ state: 'visible' });
    await wb.webview().locator('body[data-protocol="spice"]').waitFor({ timeout: 60_000 });
    await wb.webview().locator('#screen .spice-area canvas').first().waitFor({ state: 'attached', timeout: 60_000 });
    let lit = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (lit = await litFraction(wb).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    assert.ok(lit > 0, 'the SPICE canvas stayed black');
    await wb.webview().locator('body[data-state="connected"]').waitFor();
    // Two heads: each display channel in its own canvas, the second to the right of the first.
    assert.match(await wb.webview().locator('#status').innerText(), /Connected \(SPICE\) · 2 monitors/);
    const second = wb.webview().locator(`${SPICE_CANVAS}`).nth(1);
    await second.waitFor({ state: 'attached', timeout: 30_000 });
    let lit2 = 0;
    const until = Date.now() + 30_000;
    while (Date.now() < until && (lit2 = await canvasLit(wb, '#screen .spice-area[data-head="1"] canvas', 1).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    assert.ok(lit2 > 0, "the second head's canvas stayed black");
    const first = (await wb.webview().locator(SPICE_CANVAS).first().boundingBox())!;
    const beside = (await second.boundingBox())!;
    assert.ok(beside.x >= first.x + first.width, `the second head is drawn beside the first (${JSON.stringify({ first, beside })})`);
    assert.equal(await wb.webview().locator('#screen .spice-area[data-head="1"]').getAttribute('aria-label'), 'Display 2 of 2');
    assert.equal(await wb.webview().locator('#screen canvas[id^="spice_surface_"]').count(), 1, 'canvas ids stay unique');
    await wb.page.locator('.part.statusbar').getByText(`${name}: connected (SPICE)`).waitFor({ timeout: 10_000 });
    await wb.screenshot('spice-console-open');
  });

  it('sends Ctrl+Alt+Del through the SPICE inputs channel (SeaBIOS reboots the VM)', async () => {
    let reboots = 0;
    const sub = conn.onDomainEvent((e) => {
      if (e.kind === 'reboot' && e.dom.uuid === dom.uuid) reboots++;
    });
    try {
      await wb.page.waitForTimeout(500);
      await wb.webview().locator('#send-cad').click();
      const deadline = Date.now() + 20_000;
      while (reboots === 0 && Date.now() < deadline) await wb.page.waitForTimeout(200);
      assert.ok(reboots > 0, 'no reboot event after Ctrl+Alt+Del');
    } finally {
      sub.dispose();
    }
    await wb.page.waitForTimeout(1500);
    await wb.webview().locator('body[data-state="connected"]').waitFor();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await litFraction(wb).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    assert.ok((await litFraction(wb)) > 0, 'the display is black after the reset');
    await wb.screenshot('spice-console-after-ctrl-alt-del');
  });

  it('toggles full screen with Ctrl+Alt+F typed into the display (not sent to the guest)', async () => {
    const sideBar = wb.page.locator('.part.sidebar');
    await sideBar.waitFor({ state: 'visible' });
    await wb.webview().locator('#screen .spice-area canvas').first().click();
    await wb.page.keyboard.press('Control+Alt+KeyF');
    await sideBar.waitFor({ state: 'hidden', timeout: 10_000 });
    await wb.page.waitForTimeout(1000);
    await wb.screenshot('spice-console-full-screen');
    await wb.webview().locator('#screen .spice-area canvas').first().click();
    await wb.page.keyboard.press('Control+Alt+KeyF');
    await sideBar.waitFor({ state: 'visible', timeout: 10_000 });
    await wb.webview().locator('body[data-state="connected"]').waitFor();
  });

  it('zooms the SPICE display: 1:1, one step in, and back to Fit', async () => {
    const view = wb.webview();
    const canvas = view.locator('#screen .spice-area canvas').first();
    // The drawn width (the area's transform included) per canvas pixel.
    const factor = (): Promise<number> => canvas.evaluate((el) => (el as unknown as { getBoundingClientRect(): { width: number }; width: number }).getBoundingClientRect().width / (el as unknown as { width: number }).width);
    await view.locator('#scale', { hasText: '1:1' }).click();
    await view.locator('#zoom-level', { hasText: '100%' }).waitFor();
    assert.ok(Math.abs((await factor()) - 1) < 0.01, `1:1 draws one pixel per pixel (${await factor()})`);
    await view.locator('#zoom-in').click();
    await view.locator('#zoom-level', { hasText: '110%' }).waitFor();
    assert.ok(Math.abs((await factor()) - 1.1) < 0.01, `110 % (${await factor()})`);
    await wb.screenshot('spice-console-zoom-110');
    await view.locator('#scale', { hasText: 'Fit' }).click();
    await view.locator('#zoom-level', { hasText: 'Fit' }).waitFor();
    assert.ok((await litFraction(wb)) > 0, 'the display is still drawn after zooming');
  });

  it('turns clipboard sharing on and off with the toolbar switch (off by default)', async () => {
    const view = wb.webview();
    const share = view.locator('vscode-toolbar-button#share-clipboard');
    await share.waitFor({ state: 'visible' });
    assert.equal(await share.getAttribute('aria-pressed'), 'false');
    // Pressed once the host has stored the choice and said so (the host decides, not the page).
    await share.click();
    await view.locator('#share-clipboard[aria-pressed="true"]').waitFor({ timeout: 10_000 });
    await wb.screenshot('spice-console-share-clipboard-on');
    await share.click();
    await view.locator('#share-clipboard[aria-pressed="false"]').waitFor({ timeout: 10_000 });
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`shows a native toolbar in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass);
      const view = wb.webview();
      // Codicons in toolbar buttons; the editor title's actions (screenshot, reconnect) are not repeated.
      await view.locator('vscode-toolbar-button#send-cad').waitFor();
      assert.equal(await view.locator('#screenshot, #reconnect, select#send-key').count(), 0);
      assert.equal(await view.locator('vscode-toolbar-button#view-only').getAttribute('aria-pressed'), 'false');
      await wb.screenshot(`spice-console-toolbar-${file}`);
      // Fitted, the display leaves part of the tab free: the editor's background, not black.
      await view.locator('#zoom-level', { hasText: 'Fit' }).waitFor();
      await assertThemedLetterbox(wb, SPICE_HEADS, `spice-console-fit-${file}`);
      await assertZoomedOutLetterbox(wb, SPICE_HEADS, `spice-console-zoom-50-${file}`);
    });
  }

  it('ran without Content Security Policy violations', () => {
    assert.deepEqual(cspViolations, []);
  });
});
