// UI test of New VM from Template in a real VS Code (code-server + Chromium): the palette command,
// the template quick pick (built-in Windows 11 desktop), the wizard opened with the template's
// answers (the banner, UEFI with Secure Boot and TPM on the firmware step), an ISO chosen, the
// name set and Create pressed; the VM is read back from libvirt. Screenshots:
// test-results/screenshots/template-pick.png, template-method.png, template-firmware.png,
// template-summary.png (and -dark, -hc).

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { templateOfDomain } from '../../../src/forms/vmTemplates';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { uploadFile } from '../../../src/libvirt/resources/transfer';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uitmpl-';

describe('New VM from Template (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const isoName = `${PREFIX}win11.iso`;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-pool`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'CCCOMA_X64FRE_EN-US_DV9' });
    const { vol } = await createVolume(conn, pool, { name: isoName, format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    await removeRunObjects(conn, { domains: (n) => n === name, pool, dir });
    await conn?.close();
  });


  /** The palette, then the command's own quick pick in the same widget (so not wb.runCommand, which waits for the widget to close). */
  async function openTemplatePick(template: string): Promise<ReturnType<Workbench['page']['locator']>> {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: template });
    for (let attempt = 0; ; attempt++) {
      await wb.page.keyboard.press('F1');
      if (await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false)) {
        await input.fill('>Virtual Machines: New VM from Template');
        const cmd = widget.locator('.quick-input-list .monaco-list-row', { hasText: 'New VM from Template' }).first();
        if (await cmd.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) {
          await wb.page.keyboard.press('Enter');
          if (await row.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false)) return widget;
        }
      }
      if (attempt > 4) throw new Error('New VM from Template did not show its quick pick');
      await wb.page.keyboard.press('Escape');
    }
  }

  it('creates a Windows 11 VM from the built-in template: pick, ISO, name, Create', async () => {
    await wb.clickActivityBar('Virtual Machines');
    // The host's row (at the top, however many VMs the shared host has) once it is connected.
    await wb.waitForTreeItem(/QEMU\/KVM.*VMs?/, 60_000);
    const widget = await openTemplatePick('Windows 11 desktop');
    assert.ok(await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'PXE client' }).count() > 0);
    await wb.screenshot('template-pick');
    await widget.locator('input.input').fill('Windows 11');
    await wb.page.keyboard.press('Enter');
    await wb.editorTab(/^New VM from Windows 11 desktop on /).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    await view.locator('#template-banner', { hasText: 'From template Windows 11 desktop' }).waitFor({ timeout: 30_000 });
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    const media = view.locator('.field[data-field="media"] vscode-single-select');
    await media.click();
    const option = media.getByRole('option', { name: new RegExp(isoName) });
    await option.waitFor({ state: 'visible' });
    await option.click();
    await wb.page.waitForTimeout(500);
    await wb.screenshot('template-method');
    // The steps by their list (a notification of another port can cover the footer's Next).
    await view.locator('vscode-tree-item[data-section="network"]').click();
    await view.locator('#section-title', { hasText: 'Network and firmware' }).waitFor();
    assert.equal(await view.locator('.field[data-field="firmware"] vscode-single-select').evaluate((e) => (e as unknown as { value: string }).value), 'efi-secure');
    assert.equal(await view.locator('.field[data-field="tpm"] vscode-checkbox').evaluate((e) => (e as unknown as { checked: boolean }).checked), true);
    await wb.screenshot('template-firmware');
    await view.locator('vscode-tree-item[data-section="summary"]').click();
    await view.locator('#section-title', { hasText: 'Name and create' }).waitFor();
    const nameField = view.locator('.field[data-field="name"] input');
    assert.match(await nameField.inputValue(), /^windows-11-desktop/);
    await nameField.fill(name);
    await view.locator('.field[data-field="start"] vscode-checkbox').click();
    await view.locator('vscode-button', { hasText: 'Save as Template…' }).waitFor();
    await wb.page.waitForTimeout(500);
    await wb.screenshot('template-summary');
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'template-summary-dark'],
      ['Default High Contrast', 'hc-black', 'template-summary-hc'],
      ['Default Light Modern', 'vs', ''],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await view.locator('#section-title', { hasText: 'Name and create' }).waitFor();
      if (shot) await wb.screenshot(shot);
    }
    // Notifications (a forwarded port of another test's display) would cover the footer.
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await view.locator('vscode-button', { hasText: 'Create' }).click();
    const deadline = Date.now() + 60_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      found = (await conn.connectListAllDomains()).some((d) => d.name === name);
      if (!found) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(found, 'the VM was defined');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(await conn.domainLookupByName(name), VirDomainXMLFlags.INACTIVE));
    assert.equal(templateOfDomain(def), 'Windows 11 desktop');
    assert.equal(def.osinfoId, 'http://microsoft.com/win/11');
    assert.equal(def.devicesOf('tpm').length, 1);
    assert.deepEqual(def.devicesOf('sound').map((s) => s.element.attr('model')), ['ich9']);
    assert.equal(def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')?.get('sourceVolume'), isoName);
  });

  it("the Linux server template's cloud-init step: a static address, packages and commands", async () => {
    await wb.runCommand('View: Close All Editors').catch(() => undefined);
    const widget = await openTemplatePick('Linux server');
    await widget.locator('input.input').fill('Linux server');
    await wb.page.keyboard.press('Enter');
    await wb.editorTab(/^New VM from Linux server/).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    await view.locator('vscode-tree-item[data-section="cloudinit"]').click();
    await view.locator('#section-title', { hasText: 'cloud-init' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('.field[data-field="ciUser"] input').inputValue(), 'admin');
    await view.locator('.field[data-field="ciKeys"] vscode-button', { hasText: 'Add from ~/.ssh…' }).waitFor();
    const mode = view.locator('.field[data-field="ciNetwork"] vscode-single-select');
    await mode.click();
    await mode.getByRole('option', { name: 'Static address' }).click();
    const address = view.locator('.field[data-field="ciAddress"] input');
    await address.waitFor({ state: 'visible' });
    await address.fill('192.168.122.77');
    await view.locator('.field[data-field="ciPackages"] input').fill('htop curl');
    await view.locator('.field[data-field="ciAddress"]', { hasText: 'is not an address with its prefix' }).waitFor({ timeout: 15_000 });
    await wb.screenshot('template-cloudinit');
    await address.fill('192.168.122.77/24');
    await view.locator('.field[data-field="ciPackages"] input').click();
    await view.locator('.field[data-field="ciAddress"]', { hasText: 'is not an address with its prefix' }).waitFor({ state: 'detached', timeout: 15_000 }).catch(async () => assert.equal(await view.locator('.field[data-field="ciAddress"]').innerText().then((t) => /is not an address/.test(t)), false));
  });
});
