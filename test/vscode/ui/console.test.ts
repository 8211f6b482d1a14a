// UI test of the graphical console in a real VS Code (code-server + Chromium): open it from a
// running VM's context menu, wait until noVNC has drawn the guest (non-black canvas pixels, read
// inside the webview frame), press the toolbar's Ctrl+Alt+Del (SeaBIOS reboots on it, which
// libvirt reports as a reboot event), and save screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';
import { litFraction, VNC_CANVAS } from './canvasPixels';
import { assertThemedLetterbox, assertZoomedOutLetterbox } from './screenPixels';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uicons-';

/** VM names carry the creating process id, so a run only removes leftovers of dead runs. */
function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><bios useserial='yes'/></os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

describe('Graphical console (UI)', function () {
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
    // Messages from every frame, the webview's included: a blocked script or style shows up here.
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

  it('opens the console from the VM context menu and shows the guest display', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.waitForTreeItem(new RegExp(`^${name}`), 60_000);
    await wb.page.locator('.monaco-list-row', { hasText: name }).locator('.label-description', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    const started = Date.now();
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Console(\s|$)/);
    await wb.editorTab(`Console: ${name}`).waitFor({ state: 'visible' });
    await wb.webview().locator('#screen canvas').first().waitFor({ state: 'attached', timeout: 60_000 });
    let lit = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (lit = await litFraction(wb).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    const firstFrameMs = Date.now() - started;
    console.log(`      context menu click -> first non-black frame: ${firstFrameMs} ms (${(lit * 100).toFixed(1)}% lit)`);
    assert.ok(lit > 0, 'the noVNC canvas stayed black');
    await wb.webview().locator('body[data-state="connected"]').waitFor();
    assert.match(await wb.webview().locator('#status').innerText(), /Connected/);
    await wb.screenshot('console-open');
  });

  it('sends Ctrl+Alt+Del from the toolbar (SeaBIOS reboots the VM)', async () => {
    let reboots = 0;
    const sub = conn.onDomainEvent((e) => {
      if (e.kind === 'reboot' && e.dom.uuid === dom.uuid) reboots++;
    });
    try {
      // Give the event registration a moment to reach the daemon.
      await wb.page.waitForTimeout(500);
      await wb.webview().locator('#send-cad').click();
      const deadline = Date.now() + 20_000;
      while (reboots === 0 && Date.now() < deadline) await wb.page.waitForTimeout(200);
      assert.ok(reboots > 0, 'no reboot event after Ctrl+Alt+Del');
    } finally {
      sub.dispose();
    }
    // The display comes back after the reset, on the same connection.
    await wb.page.waitForTimeout(1500);
    await wb.webview().locator('body[data-state="connected"]').waitFor();
    assert.ok((await litFraction(wb)) > 0, 'the display is black after the reset');
    await wb.screenshot('console-after-ctrl-alt-del');
  });

  it('shows the console state in the status bar and the title bar buttons', async () => {
    await wb.page.locator('.part.statusbar').getByText(`${name}: connected`).waitFor({ timeout: 10_000 });
    await wb.page.locator('.editor-actions [aria-label^="Take Screenshot"]').first().waitFor({ state: 'visible' });
    await wb.screenshot('console-status-bar');
  });

  it('switches between fit and native size, and view-only', async () => {
    const canvas = wb.webview().locator('#screen canvas').first();
    const scaledWidth = (): Promise<number> => canvas.evaluate((el) => (el as unknown as { clientWidth: number; width: number }).clientWidth);
    const pixelWidth = (): Promise<number> => canvas.evaluate((el) => (el as unknown as { width: number }).width);
    const fitted = await scaledWidth();
    await wb.webview().locator('#scale').click();
    await wb.webview().locator('#scale', { hasText: 'Fit' }).waitFor();
    assert.equal(await scaledWidth(), await pixelWidth(), 'native size shows one canvas pixel per CSS pixel');
    assert.notEqual(fitted, await pixelWidth(), 'the fitted display was not scaled');
    await wb.screenshot('console-native-size');
    // Zoom steps from 1:1: 110 %, then back down past 1:1 to 90 %; the canvas follows each step.
    const zoomLevel = wb.webview().locator('#zoom-level');
    assert.equal(await zoomLevel.innerText(), '100%');
    await wb.webview().locator('#zoom-in').click();
    await wb.webview().locator('#zoom-level', { hasText: '110%' }).waitFor();
    assert.equal(await scaledWidth(), Math.round((await pixelWidth()) * 1.1), 'zoomed in to 110 %');
    await wb.screenshot('console-zoom-110');
    await wb.webview().locator('#zoom-out').click();
    await wb.webview().locator('#zoom-out').click();
    await wb.webview().locator('#zoom-level', { hasText: '90%' }).waitFor();
    assert.equal(await scaledWidth(), Math.round((await pixelWidth()) * 0.9), 'zoomed out to 90 %');
    // Zooming from Fit starts at the fitted size: one step down is the level below it.
    await wb.webview().locator('#scale').click();
    await wb.webview().locator('#zoom-level', { hasText: 'Fit' }).waitFor();
    const fittedFactor = (await scaledWidth()) / (await pixelWidth());
    await wb.webview().locator('#zoom-out').click();
    const level = Number((await zoomLevel.innerText()).replace('%', '')) / 100;
    assert.ok(level < fittedFactor && level > fittedFactor - 0.3, `zoom ${level} is the step below the fitted ${fittedFactor.toFixed(2)}`);
    assert.equal(await wb.webview().locator('#scale').innerText(), 'Fit', 'a zoom is shown at a fixed size: the button offers Fit');
    await wb.webview().locator('#scale').click();
    await wb.webview().locator('#scale', { hasText: '1:1' }).waitFor();
    assert.equal(await scaledWidth(), fitted, 'Fit again after zooming');
    const viewOnly = wb.webview().locator('#view-only');
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-pressed'), 'true');
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-pressed'), 'false');
    // Clipboard sharing goes through the SPICE agent: a VNC console does not offer it.
    assert.equal(await wb.webview().locator('#share-clipboard').isVisible(), false);
  });

  // The area around the fitted display (noVNC centres it) is the editor's background in every
  // theme, so the display does not sit in a black frame in a light theme.
  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default High Contrast', 'hc-black', 'hc'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
  ] as const) {
    it(`shows the editor background around the fitted display in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass);
      await wb.webview().locator('#scale', { hasText: '1:1' }).waitFor(); // Fit is on
      await assertThemedLetterbox(wb, VNC_CANVAS, `console-fit-${file}`);
      await assertZoomedOutLetterbox(wb, VNC_CANVAS, `console-zoom-50-${file}`);
    });
  }

  it('says when the VM is off and starts it from the panel', async () => {
    await conn.domainDestroy(dom);
    await wb.webview().locator('body[data-state="vmOff"]').waitFor({ timeout: 30_000 });
    const start = wb.webview().locator('#overlay-action');
    assert.equal(await start.innerText(), 'Start VM');
    await wb.screenshot('console-vm-off');
    await start.click();
    try {
      await wb.webview().locator('body[data-state="connected"]').waitFor({ timeout: 90_000 });
    } catch (e) {
      await wb.screenshot('console-start-failed');
      throw e;
    }
    assert.equal((await conn.domainGetState(dom)).state, 1, 'libvirt reports the VM running');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await litFraction(wb).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    assert.ok((await litFraction(wb)) > 0, 'the display stayed black after Start');
    await wb.screenshot('console-restarted');
  });

  it('ran without Content Security Policy violations', () => {
    assert.deepEqual(cspViolations, []);
  });
});
