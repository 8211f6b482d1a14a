// UI test of the graphical console in a real VS Code (code-server + Chromium): open it from a
// running VM's context menu, wait until noVNC has drawn the guest (non-black canvas pixels, read
// inside the webview frame), press the toolbar's Ctrl+Alt+Del (SeaBIOS reboots on it, which
// libvirt reports as a reboot event), and save screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

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

/** The canvas API used inside the webview (this test compiles without the DOM library). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(type: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Fraction of sampled canvas pixels that are not black (evaluated inside the webview). */
async function litFraction(wb: Workbench): Promise<number> {
  const canvas = wb.webview().locator('#screen canvas').first();
  return canvas.evaluate((el) => {
    const c = el as unknown as CanvasLike;
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    let n = 0;
    for (let i = 0; i < d.length; i += 4 * 97) {
      n++;
      if (d[i]! > 16 || d[i + 1]! > 16 || d[i + 2]! > 16) lit++;
    }
    return n === 0 ? 0 : lit / n;
  });
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
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom).catch(() => undefined);
    }
    await conn?.close();
  });

  it('opens the console from the VM context menu and shows the guest display', async () => {
    await wb.clickActivityBar('Virtual Machines');
    const row = await wb.waitForTreeItem(new RegExp(`^${name}`), 60_000);
    await wb.page.locator('.monaco-list-row', { hasText: name }).locator('.label-description', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    const started = Date.now();
    await row.click({ button: 'right' });
    const item = wb.page.getByRole('menuitem', { name: /^Open Console$/ }).first();
    await item.waitFor({ state: 'visible' });
    // The menu ignores a click that lands while it is still opening.
    await item.hover();
    await wb.page.waitForTimeout(300);
    await item.click();
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
    await wb.webview().locator('#scale').click();
    await wb.webview().locator('#scale', { hasText: '1:1' }).waitFor();
    const viewOnly = wb.webview().locator('#view-only');
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-pressed'), 'true');
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-pressed'), 'false');
  });

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
