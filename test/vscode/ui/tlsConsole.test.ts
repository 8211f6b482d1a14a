// UI test of an encrypted console in a real VS Code (code-server + Chromium): the test
// environment's TLS-display host (scripts/testenv.sh "tlshost", whose libvirt requires x509 TLS
// on every VNC and SPICE display) is added through Add Connection as a qemu+tls:// URI with the
// test PKI, its VM's console opens from the tree's context menu, and noVNC draws the firmware
// screen (non-black pixels) while the tab and the status bar say the display is encrypted with
// TLS. Screenshots in the dark and light themes; the connection is removed again.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';
import { litFraction } from './canvasPixels';

const TLS_HOST = process.env['LIBVIRT_TEST_TLSHOST_TLS'] ?? '127.0.0.1:16515';
const PKI = process.env['LIBVIRT_TEST_PKI'] ?? '/run/libvirt-vms-test/pki';
const URI = `qemu+tls://${TLS_HOST}/system?pkipath=${PKI}`;
const PREFIX = 'uitls-';
const HOST_LABEL = 'TLS display host';
const TLS_TCP = process.env['LIBVIRT_TEST_TLSHOST_TCP'] ?? '127.0.0.1:16511';
const TCP_LABEL = 'TLS display host over TCP';

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

describe('Encrypted console of a TLS host (UI)', function () {
  this.timeout(240_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;
  const cspViolations: string[] = [];
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  /** Labels of the connections this test added (removed again in `after`). */
  const added = new Set<string>();
  const caOnly = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));

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
    // Other UI suites count the hosts: remove the connections (best effort when a test failed).
    for (const label of [...added]) if (wb) await removeConnection(label).catch(() => undefined);
    fs.rmSync(caOnly, { recursive: true, force: true });
    await wb?.setTheme('Default Dark Modern', 'vs-dark').catch(() => undefined);
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom).catch(() => undefined);
    }
    await conn?.close();
  });

  async function removeConnection(label: string): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget');
    await wb.page.keyboard.press('Escape');
    await wb.runCommand('Virtual Machines: Remove Connection').catch(async () => undefined);
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await wb.treeItem(new RegExp(`^${label}`)).waitFor({ state: 'detached' });
    added.delete(label);
  }

  /** Add Connection → Custom URI, as a user does. */
  async function addConnection(uri: string, label: string): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    await wb.clickActivityBar('Virtual Machines');
    await wb.runCommand('Virtual Machines: Add Connection…').catch(async () => undefined);
    await input.waitFor({ state: 'visible' });
    await input.fill('Custom URI');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Custom URI' }).first().waitFor();
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: libvirt URI' }).waitFor();
    await input.fill(uri);
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: name' }).waitFor();
    await input.fill(label);
    await wb.page.keyboard.press('Enter');
    added.add(label);
    await wb.waitForTreeItem(new RegExp(`^${label}`), 60_000);
  }

  /** Opens the console of the test VM from its row's context menu (the only host with it). */
  async function openConsoleFromTree(): Promise<void> {
    await wb.waitForTreeItem(new RegExp(`^${name}`), 60_000);
    await wb.page.locator('.monaco-list-row', { hasText: name }).locator('.label-description', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    // Let the new host's rows settle: a tree refresh closes an open context menu.
    await wb.page.waitForTimeout(1000);
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Console(\s|$)/);
    await wb.editorTab(`Console: ${name}`).waitFor({ state: 'visible' });
  }

  /** Closes the console tab with the mouse (the console keeps the keyboard for its guest). */
  async function closeConsoleTab(): Promise<void> {
    const tab = wb.editorTab(`Console: ${name}`);
    // A hover left by the command center would take the click: move over the tab first.
    await tab.hover();
    await wb.page.locator('.context-view .hover-contents').waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
    await tab.locator('.codicon-close, .tab-actions .action-label').first().click({ timeout: 10_000 });
    await tab.waitFor({ state: 'detached' });
  }

  it('adds the TLS host, opens its VM console from the context menu and shows the firmware screen, encrypted', async () => {
    await addConnection(URI, HOST_LABEL);

    await openConsoleFromTree();
    await wb.webview().locator('#screen canvas').first().waitFor({ state: 'attached', timeout: 60_000 });
    let lit = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (lit = await litFraction(wb).catch(() => 0)) === 0) await wb.page.waitForTimeout(200);
    if (lit === 0) await wb.screenshot('tls-console-black');
    assert.ok(lit > 0, 'the noVNC canvas stayed black');
    await wb.webview().locator('body[data-state="connected"][data-encryption="tls"]').waitFor({ timeout: 30_000 });
    assert.match(await wb.webview().locator('#status').innerText(), /Connected — encrypted \(TLS\)/);
    const status = wb.page.locator('.part.statusbar').getByText(`${name}: connected`);
    await status.waitFor({ timeout: 10_000 });
    assert.equal(await wb.page.locator('.part.statusbar .statusbar-item', { hasText: `${name}: connected` }).locator('.codicon-lock').count(), 1, 'the status bar shows a lock');
    // No "port is available" toasts of code-server's port forwarding over the display.
    const quiet = { 'remote.autoForwardPorts': false };
    await wb.setTheme('Default Dark Modern', 'vs-dark', quiet);
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await wb.screenshot('tls-console-dark');
    await wb.setTheme('Default Light Modern', 'vs', quiet);
    await wb.webview().locator('body[data-state="connected"]').waitFor();
    await wb.page.waitForTimeout(1000);
    await wb.screenshot('tls-console-light');
  });

  it('over qemu+tcp:// with a PKI directory lacking the client certificate, says where it looked and offers Retry', async () => {
    // The same host over TCP (only the display is encrypted), its PKI named by pkipath= but
    // without the client certificate QEMU asks for.
    fs.copyFileSync(path.join(PKI, 'cacert.pem'), path.join(caOnly, 'cacert.pem'));
    await closeConsoleTab();
    await removeConnection(HOST_LABEL);
    await addConnection(`qemu+tcp://${TLS_TCP}/system?pkipath=${caOnly}`, TCP_LABEL);
    await openConsoleFromTree();
    await wb.webview().locator('body[data-state="error"]').waitFor({ timeout: 60_000 });
    const overlay = await wb.webview().locator('#overlay').innerText();
    assert.match(overlay, new RegExp(`requires TLS but no client certificate was found in '${caOnly}/clientcert\\.pem'`));
    assert.equal(await wb.webview().locator('#overlay-action').innerText(), 'Retry');
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await wb.screenshot('tls-console-no-client-cert');
    await closeConsoleTab();
  });

  it('ran without Content Security Policy violations', () => {
    assert.deepEqual(cspViolations, []);
  });
});
