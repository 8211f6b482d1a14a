// UI test of the New VM wizard's install media and Customize in a real VS Code (code-server +
// Chromium): "Browse local ISO…" opens VS Code's file dialog, the chosen ISO file is uploaded into
// a pool and Debian 11 is detected from it; "Customize configuration before install" defines the
// VM without starting it and opens its details tab with Begin Installation, which starts it.
// "Upload disk image…" does the same with a qcow2 image for an import.
// Screenshots: test-results/screenshots/new-vm-browse-iso.png, new-vm-uploaded.png,
// new-vm-customize.png, vm-details-begin-install.png and new-vm-upload-image.png (each also -dark, -hc).

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool } from '../../../src/libvirt/resources/operations';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'mdaui';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Answers VS Code's own file dialog (the simple one in a browser) with `file`. The dialog fills in
 * its starting folder a moment after it shows: the path is typed only after that, and again if it
 * was overwritten; then Enter.
 */
async function chooseInFileDialog(wb: Workbench, file: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await until('the dialog to show its folder', async () => (await input.inputValue()).startsWith('/'), 30_000);
  await until('the typed path to stay', async () => {
    await input.fill(file);
    await wb.page.waitForTimeout(700);
    return (await input.inputValue()) === file;
  }, 30_000);
  await input.press('Enter');
}

describe('New VM wizard: Browse local ISO… and Customize before install (UI)', function () {
  this.timeout(240_000);
  let wb: Workbench;
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  let isoFile: string;
  const isoName = `${PREFIX}-debian-11-netinst.iso`;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdaui-'));
    fs.chmodSync(dir, 0o755);
    // The only active pool of this run sorts first among the pools: it is the upload pool's default.
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-pool`, targetPath: path.join(dir, 'pool') });
    isoFile = path.join(dir, isoName);
    fs.renameSync(makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' }), isoFile);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    await removeRunObjects(conn, { domains: (n) => n === name, pool, dir });
    await conn?.close();
  });

  it('uploads a local ISO through the file dialog, then defines the VM for customizing and begins the installation from its details', async () => {
    await wb.clickActivityBar('Virtual Machines');
    // Connected once the connection row counts its VMs (there may be none on a fresh machine).
    await wb.page.locator('.monaco-list-row', { hasText: 'QEMU/KVM' }).locator('.label-description', { hasText: /\bVMs?\b/ }).first().waitFor({ timeout: 60_000 });
    await wb.page.getByRole('button', { name: 'New VM…' }).first().click();
    await wb.editorTab(/^New VM on /).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    const poolSelect = view.locator('.field[data-field="mediaPool"] vscode-single-select');
    await poolSelect.click();
    await poolSelect.getByRole('option', { name: new RegExp(pool.name) }).click();
    const browse = view.locator('.field[data-field="media"] vscode-button', { hasText: 'Browse local ISO…' });
    await browse.waitFor();
    await wb.page.waitForTimeout(300);
    await wb.screenshot('new-vm-browse-iso');
    await browse.click();
    await chooseInFileDialog(wb, isoFile);
    await until('the uploaded volume', async () => (await conn.storagePoolListAllVolumes(pool, 0)).some((v) => v.name === isoName));
    await view.locator('.field[data-field="media"] vscode-single-select', { hasText: isoName }).waitFor({ timeout: 30_000 });
    await wb.page.waitForTimeout(300);
    await wb.screenshot('new-vm-uploaded');
    await view.locator('vscode-button', { hasText: 'Next' }).click();
    await view.locator('.section-description', { hasText: 'Detected from the media: Debian 11' }).waitFor({ timeout: 30_000 });
    // Next, each time once the step before has been drawn (a click on a busy machine can land early).
    for (const title of ['Memory and CPUs', 'Storage', 'Network and firmware', 'Name and create']) {
      await view.locator('vscode-button', { hasText: 'Next' }).click();
      await view.locator('#section-title', { hasText: title }).waitFor({ timeout: 30_000 });
      if (title === 'Network and firmware') {
        // BIOS: this machine's /dev/kvm (when present) refuses the SMM that libvirt's default UEFI
        // firmware (Secure Boot) needs; CI runs TCG, where either works.
        const firmware = view.locator('.field[data-field="firmware"] vscode-single-select');
        await firmware.click();
        await firmware.getByRole('option', { name: 'BIOS' }).click();
        await until('BIOS to be chosen', async () => (await firmware.evaluate((e) => (e as unknown as { value?: string }).value)) === 'bios', 10_000);
      }
    }
    await view.locator('.field[data-field="name"] input').fill(name);
    await view.locator('.field[data-field="customize"] vscode-checkbox').click();
    await view.locator('.field[data-field="start"]').waitFor({ state: 'hidden' });
    await wb.page.waitForTimeout(500);
    await wb.screenshot('new-vm-customize');
    await view.locator('vscode-button', { hasText: 'Create' }).click();

    // The details tab of the defined, not started VM, with Begin Installation.
    await wb.editorTab(name).waitFor({ state: 'visible', timeout: 60_000 });
    await wb.webview().locator('#install-banner vscode-button', { hasText: 'Begin Installation' }).waitFor({ state: 'visible', timeout: 30_000 });
    // Begin Installation opens the console tab, a second webview: keep to the details' frame.
    const details = await wb.pinnedWebview();
    const begin = details.locator('#install-banner vscode-button', { hasText: 'Begin Installation' });
    const dom = await conn.domainLookupByName(name);
    assert.equal(await conn.domainIsActive(dom), false, 'defined, not started');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')?.get('sourceVolume'), isoName);
    await wb.page.waitForTimeout(500);
    await wb.screenshot('vm-details-begin-install');
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'vm-details-begin-install-dark'],
      ['Default High Contrast', 'hc-black', 'vm-details-begin-install-hc'],
      ['Default Light Modern', 'vs', ''],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await begin.waitFor({ state: 'visible' });
      if (shot) await wb.screenshot(shot);
    }
    await begin.click();
    await until('the VM to run', () => conn.domainIsActive(dom));
    await wb.editorTab(`Console: ${name}`).waitFor({ state: 'visible', timeout: 60_000 });
    // Back on the details tab, Begin Installation is no longer offered.
    await wb.editorTab(new RegExp(`^${name}`)).click();
    await details.locator('#install-banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await details.locator('#section-title').first().waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('uploads a qcow2 disk image for Import through the file dialog and chooses it', async () => {
    const image = path.join(dir, `${PREFIX}-guest.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '3G']);
    // The details tab of the test before is a webview too: only the wizard's may be open.
    await wb.runCommand('View: Close All Editors');
    await wb.page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 30_000 });
    await wb.page.getByRole('button', { name: 'New VM…' }).first().click();
    await wb.editorTab(/^New VM on /).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    const method = view.locator('.field[data-field="method"] vscode-single-select');
    await method.click();
    await method.getByRole('option', { name: 'Import an existing disk image' }).click();
    const poolSelect = view.locator('.field[data-field="mediaPool"] vscode-single-select');
    await poolSelect.click();
    await poolSelect.getByRole('option', { name: new RegExp(pool.name) }).click();
    const upload = view.locator('.field[data-field="importVolume"] vscode-button', { hasText: 'Upload disk image…' });
    await upload.waitFor({ timeout: 30_000 });
    await upload.click();
    await chooseInFileDialog(wb, image);
    await until('the uploaded volume', async () => (await conn.storagePoolListAllVolumes(pool, 0)).some((v) => v.name === path.basename(image)));
    await view.locator('.field[data-field="importVolume"] vscode-single-select', { hasText: path.basename(image) }).waitFor({ timeout: 30_000 });
    const vol = await conn.storageVolLookupByName(pool, path.basename(image));
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, 3 * 1024 ** 3, "libvirt reads the image's own disk size");
    await wb.page.waitForTimeout(300);
    await wb.screenshot('new-vm-upload-image');
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'new-vm-upload-image-dark'],
      ['Default High Contrast', 'hc-black', 'new-vm-upload-image-hc'],
      ['Default Light Modern', 'vs', ''],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await upload.waitFor({ state: 'visible' });
      if (shot) await wb.screenshot(shot);
    }
    await view.locator('vscode-button', { hasText: 'Cancel' }).click();
    await wb.editorTab(/^New VM on /).waitFor({ state: 'hidden', timeout: 30_000 });
  });
});
