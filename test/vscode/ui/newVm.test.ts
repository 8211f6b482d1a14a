// UI test of the New VM wizard in a real VS Code (code-server + Chromium): opened from the view
// title, an ISO volume chosen (Debian 11 detected from it), the steps walked with Next, the name
// set and Create pressed; the VM is read back from libvirt. Screenshots:
// test-results/screenshots/new-vm-method.png, new-vm-os.png, new-vm-summary.png (and -dark, -hc).
// Then the same path with the keyboard alone (palette, Tab, arrows, Enter, Ctrl+Enter), each step
// photographed: new-vm-keyboard-*.png.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { uploadFile } from '../../../src/libvirt/resources/transfer';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uiwiz-';

/** Waits until an input shows `value` (what was typed reached the field). */
async function waitForValue(input: ReturnType<ReturnType<Workbench['webview']>['locator']>, value: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < until) {
    seen = await input.inputValue();
    if (seen === value) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the field shows '${seen}', not the typed '${value}'`);
}

describe('New VM wizard (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const isoName = `${PREFIX}debian-11.iso`;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const kbdName = `${PREFIX}${process.pid}-kbd-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uiwiz-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-pool`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const { vol } = await createVolume(conn, pool, { name: isoName, format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    wb = await openWorkbench();
  });

  after(async () => {
    // Whatever a failed test left open would be restored in the next file's workbench.
    await wb?.runCommand('View: Close All Editors').catch(() => undefined);
    await wb?.close();
    await removeRunObjects(conn, { domains: (n) => n === name || n === kbdName, pool, dir });
    await conn?.close();
  });

  it('creates a VM from an ISO volume: method, ISO, name, Create', async () => {
    await wb.clickActivityBar('Virtual Machines');
    // Once the host is connected (its groups are listed), New VM… in the view title.
    // The host's row (at the top, however many VMs the shared host has) once it is connected.
    await wb.waitForTreeItem(/QEMU\/KVM.*VMs?/, 60_000);
    await wb.page.getByRole('button', { name: 'New VM…' }).first().click();
    await wb.editorTab(/^New VM on /).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    const media = view.locator('.field[data-field="media"] vscode-single-select');
    await media.click();
    const option = media.getByRole('option', { name: new RegExp(isoName) });
    await option.waitFor({ state: 'visible' });
    await wb.screenshot('new-vm-method');
    await option.click();
    await view.locator('vscode-button', { hasText: 'Next' }).click();
    await view.locator('.section-description', { hasText: 'Detected from the media: Debian 11' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('new-vm-os');
    for (let i = 0; i < 4; i++) await view.locator('vscode-button', { hasText: 'Next' }).click();
    await view.locator('#section-title', { hasText: 'Name and create' }).waitFor();
    const nameField = view.locator('.field[data-field="name"] input');
    assert.equal(await nameField.inputValue(), 'debian11');
    await nameField.fill(name);
    await view.locator('.field[data-field="start"] vscode-checkbox').click();
    await wb.page.waitForTimeout(500);
    await wb.screenshot('new-vm-summary');
    // The same step in the dark and high-contrast themes, then back to light.
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'new-vm-summary-dark'],
      ['Default High Contrast', 'hc-black', 'new-vm-summary-hc'],
      ['Default Light Modern', 'vs', ''],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await view.locator('#section-title', { hasText: 'Name and create' }).waitFor();
      if (shot) await wb.screenshot(shot);
    }
    await view.locator('vscode-button', { hasText: 'Create' }).click();
    const deadline = Date.now() + 60_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      found = (await conn.connectListAllDomains()).some((d) => d.name === name);
      if (!found) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(found, 'the VM was defined');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(await conn.domainLookupByName(name), VirDomainXMLFlags.INACTIVE));
    assert.equal(def.osinfoId, 'http://debian.org/debian/11');
    assert.equal(def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')?.get('sourceVolume'), isoName);
  });

  it('creates a VM with the keyboard alone: the palette, the ISO, a name, Ctrl+Enter; three decisions, every step shown', async () => {
    const page = wb.page;
    const view = wb.webview();
    /** Presses Tab until `target` has the focus (a shadow host matches :focus while its inside has it). */
    const tabTo = async (target: ReturnType<typeof view.locator>, what: string): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        if (await target.evaluate((e) => e.matches(':focus')).catch(() => false)) return;
        await page.keyboard.press('Tab');
      }
      assert.fail(`40 presses of Tab did not reach ${what}`);
    };
    // The first test's "VM … was created" toast would cover the wizard's buttons in the pictures.
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.runCommand('Virtual Machines: New VM…');
    // One connected host opens the wizard on it; several ask which, in a quick pick.
    const hostPick = page.locator('.quick-input-widget');
    if (await hostPick.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) {
      await hostPick.locator('.quick-input-list .monaco-list-row', { hasText: /QEMU\/KVM/ }).first().waitFor();
      await page.keyboard.press('Enter');
    }
    await wb.editorTab(/^New VM on /).waitFor({ state: 'visible', timeout: 60_000 });
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    // Decision 1: the ISO, picked from the list with the arrow keys and Enter.
    const media = view.locator('.field[data-field="media"] vscode-single-select');
    await tabTo(media, 'the install media list');
    // ArrowDown opens the list on "Choose…" (nothing is chosen yet), then walks the options.
    await page.keyboard.press('ArrowDown');
    for (let i = 0; ; i++) {
      const active = media.locator('.option.active');
      const text = (await active.count()) > 0 ? ((await active.first().textContent()) ?? '') : '';
      if (text.includes(isoName)) break;
      assert.ok(i < 50, `no option ${isoName} in the list (last: ${text})`);
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    // The host took the choice: the field's "required" is gone and the OS is read from the ISO.
    await view.locator('.field[data-field="media"] .problem').first().waitFor({ state: 'detached', timeout: 10_000 });
    await view.locator('#nav', { hasText: 'Detected' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('new-vm-keyboard-1-method');
    // Every step with Tab to Next and Enter: nothing chosen, the OS's defaults stand.
    const next = view.locator('vscode-button', { hasText: 'Next' });
    const shown: string[] = ['Install method'];
    for (let step = 2; step <= 8; step++) {
      const title = (await view.locator('#section-title').textContent()) ?? '';
      if (title.includes('Name and create')) break;
      await tabTo(next, 'Next');
      await page.keyboard.press('Enter');
      await view.locator('#section-title', { hasText: new RegExp(`^(?!${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$)`) }).waitFor({ timeout: 10_000 });
      const now = (await view.locator('#section-title').textContent()) ?? '';
      shown.push(now);
      await wb.screenshot(`new-vm-keyboard-${step}-${now.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`);
    }
    assert.equal(shown.at(-1), 'Name and create', `the steps shown: ${shown.join(' → ')}`);
    assert.ok(shown.includes('Operating system') || shown.some((t) => /OS/.test(t)), `an OS step among ${shown.join(' → ')}`);
    const nameField = view.locator('.field[data-field="name"] vscode-textfield');
    assert.match(await view.locator('.field[data-field="name"] input').inputValue(), /^debian11/, 'the name suggested from the detected OS');
    // Decision 2: a name of this run's own (the suggestion would do; a leftover must not clash).
    await tabTo(nameField, 'the name field');
    // The suggestion erased with End and Backspace (Ctrl+A also reaches VS Code's own key
    // handling, and a CI run lost the next typed character), then the name typed.
    const nameInput = view.locator('.field[data-field="name"] input');
    await page.keyboard.press('End');
    for (let n = (await nameInput.inputValue()).length; n > 0; n--) await page.keyboard.press('Backspace');
    await page.keyboard.type(kbdName, { delay: 15 });
    await waitForValue(nameInput, kbdName);
    await wb.screenshot('new-vm-keyboard-summary');
    // Decision 3: Create, with Ctrl+Enter. The wizard closes and the new VM's console opens; a
    // failure keeps the wizard open with the reason in its status line.
    await page.keyboard.press('Control+Enter');
    const consoleTab = wb.editorTab(new RegExp(`^Console: ${kbdName}`));
    const failed = view.locator('#status.error');
    await Promise.race([consoleTab.waitFor({ state: 'visible', timeout: 120_000 }), failed.waitFor({ timeout: 120_000 }).then(
        async () => assert.fail(`Create failed: ${await failed.textContent()}`),
        // No error line within the time: the console tab's own wait decides.
        () => new Promise<never>(() => undefined),
      ),
    ]);
    const created = (await conn.connectListAllDomains()).map((d) => d.name).find((n) => n === kbdName);
    assert.ok(created, `the VM ${kbdName} was defined`);
    await wb.screenshot('new-vm-keyboard-console');
    // The console tab would come back in the next file's workbench (VS Code restores editors).
    await wb.runCommand('View: Close All Editors');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(await conn.domainLookupByName(created), VirDomainXMLFlags.INACTIVE));
    assert.equal(def.osinfoId, 'http://debian.org/debian/11');
    assert.equal(def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')?.get('sourceVolume'), isoName);
    assert.ok(def.devicesOf('disk').some((d) => d.get('device') === 'disk'), 'with a new disk, the default');
  });
});
