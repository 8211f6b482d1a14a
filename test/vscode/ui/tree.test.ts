// UI test of the Virtual Machines view in a real VS Code (code-server + Chromium): the activity
// bar container, real VMs with state icons and descriptions, the hardware list, a right-click
// Start, and screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'vsui-';

function domainXml(name: string, mib: number): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><serial type='pty'/><video><model type='vga'/></video></devices>
</domain>`;
}

describe('Virtual Machines view (UI)', function () {
  this.timeout(120_000);
  let wb: Workbench;
  let conn: Connection;
  const doms: DomainRef[] = [];
  const tag = crypto.randomBytes(3).toString('hex');
  const running = `${PREFIX}${tag}-web`;
  const stopped = `${PREFIX}${tag}-db`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!d.name.startsWith(PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    doms.push(await conn.domainDefineXml(domainXml(running, 96)), await conn.domainDefineXml(domainXml(stopped, 64)));
    await conn.domainCreate(doms[0]!);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    await conn?.close();
  });

  it('opens from the activity bar and lists the host with its VMs', async () => {
    await wb.clickActivityBar('Virtual Machines');
    // A wider side bar, so that descriptions show in full in the screenshots.
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 520, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    await wb.waitForTreeItem(/^QEMU\/KVM/);
    const web = await wb.waitForTreeItem(new RegExp(`^${running}`));
    const db = await wb.waitForTreeItem(new RegExp(`^${stopped}`));
    await wb.page.locator('.monaco-list-row', { hasText: running }).locator('.label-description', { hasText: 'running · 1 vCPU · 96 MiB' }).waitFor();
    await wb.page.locator('.monaco-list-row', { hasText: stopped }).locator('.label-description', { hasText: 'shut off · 1 vCPU · 64 MiB' }).waitFor();
    assert.ok(await web.isVisible());
    assert.ok(await db.isVisible());
    await wb.screenshot('tree-vms');
  });

  it('expands a VM into its hardware list', async () => {
    await (await wb.waitForTreeItem(new RegExp(`^${running}`))).click();
    await wb.page.keyboard.press('ArrowRight');
    await wb.waitForTreeItem(/^Overview/);
    await wb.waitForTreeItem(/^Memory/);
    await wb.waitForTreeItem(/^Serial 1/);
    await wb.screenshot('tree-hardware');
  });

  it('starts a VM from its context menu and the row follows', async () => {
    const item = await wb.openTreeMenu(new RegExp(`^${stopped}`), wb.menuItem(/^Start VM/));
    await wb.screenshot('tree-context-menu');
    await item.click();
    await wb.page.locator('.monaco-list-row', { hasText: stopped }).locator('.label-description', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    const state = await conn.domainGetState(await conn.domainLookupByName(stopped));
    assert.equal(state.state, 1, 'libvirt reports the VM running');
  });

  it('shows the tooltip on hover, with IPs and disks resolved lazily', async () => {
    const row = await wb.waitForTreeItem(new RegExp(`^${running}`));
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'CPU time' }).first();
    for (let attempt = 0; attempt < 4 && !(await hover.isVisible()); attempt++) {
      await wb.page.mouse.move(700, 700);
      await row.locator('.label-name').hover();
      await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
    }
    await wb.screenshot('tree-tooltip');
    assert.ok(await hover.isVisible(), 'the VM tooltip did not appear');
    const text = await hover.innerText();
    assert.match(text, new RegExp(`${running}.*running`));
    assert.match(text, /IPs: /);
  });

  it('adds a connection by URI (validated while typing), shows it disconnected with Retry, and removes it', async () => {
    const widget = wb.page.locator('.quick-input-widget');
    await wb.runCommand('Virtual Machines: Add Connection…').catch(async () => undefined);
    await widget.locator('input.input').waitFor({ state: 'visible' });
    await widget.locator('input.input').fill('Custom URI');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Custom URI' }).first().waitFor();
    await wb.page.keyboard.press('Enter');
    const input = widget.locator('input.input');
    // Each step is waited for by its title: text typed before the next step shows lands in the last.
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: libvirt URI' }).waitFor();
    await input.fill('qemu+ext:///system');
    await widget.locator('.quick-input-message', { hasText: /Invalid libvirt URI/ }).waitFor();
    await wb.screenshot('add-connection-invalid-uri');
    await input.fill('qemu+tcp://127.0.0.1:1/system');
    await widget.locator('.quick-input-message', { hasText: /Invalid libvirt URI/ }).waitFor({ state: 'hidden' });
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: name' }).waitFor();
    await wb.page.keyboard.press('Enter');
    const row = wb.treeItem(/^127\.0\.0\.1 \(system\)/);
    await row.locator('.label-description', { hasText: /^disconnected: / }).waitFor({ timeout: 30_000 });
    await wb.page.locator('.statusbar-item', { hasText: /1\/2 hosts/ }).waitFor();
    await wb.page.locator('.notification-toast', { hasText: /Connecting to 127\.0\.0\.1 \(system\) failed: / }).waitFor();
    await wb.screenshot('tree-disconnected');
    // The context menu of a disconnected connection offers Remove.
    await wb.openTreeMenu(/^127\.0\.0\.1 \(system\)/, wb.menuItem(/^Remove Connection/));
    await wb.screenshot('connection-context-menu');
    await wb.page.keyboard.press('Escape');
    // Remove it from the command palette: a pick of the saved connections, then a modal.
    const dialog = wb.page.locator('.monaco-dialog-box');
    await wb.page.keyboard.press('F1');
    await input.fill('>Virtual Machines: Remove Connection');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Remove Connection' }).first().waitFor();
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: '127.0.0.1 (system)' }).first().click();
    await dialog.waitFor();
    await wb.screenshot('remove-connection-dialog');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await wb.treeItem(/^127\.0\.0\.1 \(system\)/).count(), 0);
  });
});
