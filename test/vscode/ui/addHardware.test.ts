// UI test of Add Hardware in a real VS Code (code-server + Chromium): opened from a VM's context
// menu in the tree and from the palette; the kinds listed on the left and reached with the
// keyboard; a check shown on its field while typing (a malformed MAC); a watchdog added with
// Finish; a disk added end to end (a new qcow2 volume in a pool picked in the form) and read back
// from libvirt; a device added from the VM details tab through the form shown inside that tab
// (no second tab) and read back. One screenshot per group of kinds
// (test-results/screenshots/add-hardware-*.png), and the Storage form in the light, dark and
// high-contrast themes.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uiaddhw-';

describe('Add Hardware (UI)', function () {
  this.timeout(240_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;
  let pool: StoragePoolRef;
  let dir: string;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    for (const p of await conn.connectListAllStoragePools()) {
      if (!leftoverOfDeadRun(p.name, PREFIX)) continue;
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    // The Storage form offers the host's active pools; this one holds nothing and goes at the end.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}-pool</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolCreate(pool);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features>
      <devices><graphics type='vnc' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video></devices></domain>`);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    if (pool) {
      for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  /**
   * Runs a VM command from the palette and picks this test's VM in its own question. The palette is
   * opened again if F1 was swallowed; the command's VM pick follows in the same input, so this does
   * not wait for the palette to close as wb.runCommand does.
   */
  async function paletteForVm(command: string): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    for (let attempt = 0; ; attempt++) {
      await wb.page.keyboard.press('F1');
      if (await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false)) break;
      if (attempt === 5) throw new Error('the command palette did not open');
    }
    await input.fill(`>${command}`);
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor({ timeout: 30_000 });
    await wb.page.keyboard.press('Enter');
    // Without a VM selected the command asks which one.
    const pick = widget.locator('input.input[placeholder="Select a VM"]');
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    await pick.fill(name);
    await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    await wb.page.keyboard.press('Enter');
  }

  const kind = (id: string) => wb.webview().locator(`vscode-tree-item[data-section="${id}"]`);
  const title = () => wb.webview().locator('#section-title');

  it('opens from the VM context menu with the kinds on the left and the Storage form prefilled', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Add Hardware…$/);
    await wb.editorTab(`Add Hardware: ${name}`).waitFor({ state: 'visible', timeout: 30_000 });
    await title().filter({ hasText: 'Add Storage' }).waitFor({ timeout: 30_000 });
    const view = wb.webview();
    const labels = await view.locator('vscode-tree-item .section-title').allInnerTexts();
    for (const l of ['Storage', 'Filesystem', 'Network', 'Graphics', 'Video', 'Sound', 'Input', 'Serial', 'Parallel', 'Console', 'Channel', 'Controller', 'USB Redirection', 'Smartcard', 'TPM', 'RNG', 'Watchdog', 'Panic Notifier', 'VirtIO VSOCK']) assert.ok(labels.includes(l), `${l} listed: ${labels.join(', ')}`);
    assert.equal(await view.locator('.field[data-field="bus"] vscode-single-select').evaluate((e) => (e as unknown as { value: string }).value), 'virtio');
    await wb.page.waitForTimeout(1000);
    await wb.screenshot('add-hardware-storage');
    // The prefilled pool is the host's first when it has no 'default' one: another run's pool, which
    // may go away while this test runs. The later Storage screenshots use this run's own pool.
    const poolSelect = view.locator('.field[data-field="pool"] vscode-single-select');
    await poolSelect.click();
    await poolSelect.getByRole('option', { name: new RegExp(`^${name}-pool`) }).click();
    await view.locator('#summary', { hasText: /^Adds VirtIO Disk 1/ }).waitFor({ timeout: 15_000 });
    // LUKS: the passphrase fields appear, masked; a short one is refused on its field.
    await view.locator('.field[data-field="encrypt"] vscode-checkbox').click();
    const pass = view.locator('.field[data-field="passphrase"] input');
    await pass.waitFor();
    assert.equal(await pass.getAttribute('type'), 'password');
    await pass.fill('short');
    await view.locator('.field[data-field="passphraseRepeat"] input').fill('short');
    await view.locator('.field[data-field="passphrase"]').scrollIntoViewIfNeeded();
    await view.locator('.field[data-field="passphrase"] .problem.error', { hasText: /at least 8 characters/ }).waitFor({ timeout: 15_000 }).catch(() => undefined);
    await wb.screenshot('add-hardware-storage-luks');
    const shown = await view.locator('.field[data-field="passphrase"] .problem.error', { hasText: /at least 8 characters/ }).count();
    await view.locator('.field[data-field="encrypt"] vscode-checkbox').click();
    assert.equal(shown, 1, 'the short passphrase is refused on its field');
  });

  it('moves through the kinds with the keyboard', async () => {
    await kind('disk').click();
    await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('Enter');
    await title().filter({ hasText: 'Add Filesystem' }).waitFor();
    await wb.screenshot('add-hardware-filesystem');
  });

  it('shows a malformed MAC on its field while typing', async () => {
    await kind('interface').click();
    await title().filter({ hasText: 'Add Network' }).waitFor();
    const mac = wb.webview().locator('.field[data-field="mac"] input');
    await mac.fill('52:54:00:zz');
    await wb.webview().locator('.field[data-field="mac"] .problem.error', { hasText: /not a MAC address/ }).waitFor({ timeout: 15_000 });
    assert.equal(await wb.webview().locator('vscode-button', { hasText: 'Finish' }).evaluate((b) => (b as unknown as { disabled: boolean }).disabled), true);
    await wb.screenshot('add-hardware-network');
  });

  for (const [id, file] of [
    ['graphics', 'graphics'],
    ['channel', 'channel'],
    ['controller', 'controller'],
    ['tpm', 'tpm'],
    ['video', 'video'],
    ['sound', 'sound'],
    ['input', 'input'],
    ['serial', 'serial'],
    ['redirdev', 'usb-redirection'],
    ['smartcard', 'smartcard'],
    ['rng', 'rng'],
    ['panic', 'panic'],
    ['vsock', 'vsock'],
  ] as const) {
    it(`shows the ${id} form`, async () => {
      await kind(id).click();
      await wb.webview().locator(`.field[data-field]`).first().waitFor();
      await wb.webview().locator('#summary', { hasText: /^Adds / }).waitFor({ timeout: 15_000 });
      await wb.screenshot(`add-hardware-${file}`);
    });
  }

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`shows the Storage form natively in ${theme}`, async () => {
      // No port-forwarding toasts (other runs' VNC ports) over the form's buttons from here on.
      await wb.setTheme(theme, cssClass, { 'remote.autoForwardPorts': false });
      await kind('disk').click();
      await title().filter({ hasText: 'Add Storage' }).waitFor({ timeout: 30_000 });
      await wb.webview().locator('#summary', { hasText: /^Adds / }).waitFor({ timeout: 15_000 });
      await wb.screenshot(`add-hardware-storage-${file}`);
    });
  }

  it('adds a watchdog with Finish', async () => {
    await kind('watchdog').click();
    await title().filter({ hasText: 'Add Watchdog' }).waitFor();
    await wb.webview().locator('#summary', { hasText: /^Adds Watchdog/ }).waitFor({ timeout: 15_000 });
    await wb.screenshot('add-hardware-watchdog');
    await wb.webview().locator('vscode-button', { hasText: 'Finish' }).click();
    await wb.editorTab(`Add Hardware: ${name}`).waitFor({ state: 'detached', timeout: 30_000 });
    const xml = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    assert.match(xml, /<watchdog model='i6300esb' action='reset'/);
  });

  it('adds a disk end to end: opened from the palette, a new qcow2 volume in the picked pool', async () => {
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await paletteForVm('Virtual Machines: Add Hardware…');
    await wb.editorTab(`Add Hardware: ${name}`).waitFor({ state: 'visible', timeout: 30_000 });
    const view = wb.webview();
    await title().filter({ hasText: 'Add Storage' }).waitFor({ timeout: 30_000 });
    const poolSelect = view.locator('.field[data-field="pool"] vscode-single-select');
    await poolSelect.click();
    await poolSelect.getByRole('option', { name: new RegExp(`^${name}-pool`) }).click();
    await view.locator('.field[data-field="volumeName"] input').fill(`${name}-data`);
    await view.locator('.field[data-field="capacity"] input').fill('1');
    await view.locator('#summary', { hasText: new RegExp(`on a new volume ${name}-pool/${name}-data`) }).waitFor({ timeout: 15_000 });
    await wb.screenshot('add-hardware-storage-filled');
    await view.locator('vscode-button', { hasText: 'Finish' }).click();
    await wb.page.locator('.notifications-toasts .notification-toast', { hasText: /Added VirtIO Disk/ }).waitFor({ timeout: 60_000 });
    const back = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    const disks = back.devicesOf('disk');
    const file = path.join(dir, `${name}-data.qcow2`);
    assert.ok(disks.some((d) => d.element.child('source')?.attr('file') === file && d.get('bus') === 'virtio'), back.toString());
    const info = await conn.storageVolGetInfo(await conn.storageVolLookupByPath(file));
    assert.equal(info.capacity, 1024 ** 3);
  });
  it('adds a device from the details tab, inside that tab, and reads it back', async () => {
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    // From the palette (the sidebar may be hidden by now): Open Details asks which VM.
    await paletteForVm('Virtual Machines: Open Details');
    await wb.editorTab(name).waitFor({ state: 'visible' });
    const view = wb.webview();
    await title().filter({ hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    const tabsBefore = await wb.page.locator('.tabs-container .tab').count();
    const addButton = view.locator('#nav vscode-button', { hasText: 'Add Hardware' });

    // Cancel brings the sections back, nothing added.
    await addButton.click();
    await title().filter({ hasText: 'Add Storage' }).waitFor({ timeout: 15_000 });
    await view.locator('#summary', { hasText: /^Adds / }).waitFor({ timeout: 15_000 });
    await wb.screenshot('details-add-hardware');
    assert.equal(await wb.page.locator('.tabs-container .tab').count(), tabsBefore, 'no second tab');
    assert.equal(await wb.editorTab(`Add Hardware: ${name}`).count(), 0);
    assert.equal(await view.locator('#nav vscode-button', { hasText: 'Add Hardware' }).count(), 0, 'the form stands in place of the sections');
    await view.locator('vscode-button', { hasText: 'Cancel' }).click();
    await title().filter({ hasText: 'Overview' }).waitFor({ timeout: 15_000 });

    // Add a random number generator through it.
    const before = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE)).devicesOf('rng').length;
    await addButton.click();
    await title().filter({ hasText: 'Add Storage' }).waitFor({ timeout: 15_000 });
    await kind('rng').click();
    await title().filter({ hasText: 'Add RNG' }).waitFor();
    await view.locator('#summary', { hasText: /^Adds / }).waitFor({ timeout: 15_000 });
    await wb.screenshot('details-add-hardware-rng');
    await view.locator('vscode-button', { hasText: 'Finish' }).click();
    // Back at the sections, the new device selected and the status line saying what was done.
    await view.locator('#status', { hasText: new RegExp(`^Added .* to ${name}`) }).waitFor({ timeout: 30_000 });
    await title().filter({ hasText: /^RNG / }).waitFor({ timeout: 15_000 });
    await view.locator('vscode-tree-item[data-section^="rng"][aria-selected="true"]').waitFor({ timeout: 15_000 });
    await view.locator('#nav vscode-button', { hasText: 'Add Hardware' }).waitFor();
    await wb.screenshot('details-add-hardware-done');
    const back = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    const rngs = back.devicesOf('rng');
    assert.equal(rngs.length, before + 1, back.toString());
    assert.match(back.toString(), /<rng model='virtio[^']*'>\s*<backend model='random'>\/dev\/urandom<\/backend>/);
    assert.equal(await wb.editorTab(`Add Hardware: ${name}`).count(), 0, 'still no Add Hardware tab');

    // Another tab in front and back again: the page was kept (no reload, which waits about a
    // second for the webview's service worker in VS Code in a browser), the new device still shown.
    const origin = await view.locator('body').evaluate(() => performance.timeOrigin);
    await wb.runCommand('File: New Untitled Text File');
    await wb.editorTab(/^Untitled-/).first().waitFor({ state: 'visible' });
    await wb.editorTab(new RegExp(`^${name}$`)).click();
    await title().filter({ hasText: /^RNG / }).waitFor({ timeout: 15_000 });
    assert.equal(await view.locator('body').evaluate(() => performance.timeOrigin), origin, 'the details page was kept while hidden');
  });
});
