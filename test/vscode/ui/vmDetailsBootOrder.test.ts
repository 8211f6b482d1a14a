// UI test of the VM details tab's Memory, CPUs and Boot Options in a real VS Code (code-server +
// Chromium): a shut-off VM whose boot order is the old `<os><boot dev>` list is opened from the
// tree's context menu; memory, vCPUs and the boot order (a checkbox, drag and drop, Alt+Up) are changed, Apply
// is pressed, and libvirt's definition is read back: per-device `<boot order>`, no `<os><boot>`.
// Screenshots of the boot order in the light, dark and high-contrast themes
// (test-results/screenshots/details-boot-order-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uiboot-';
const MAC = '52:54:00:b0:07:01';

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><boot dev='cdrom'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/${name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='${MAC}'/><model type='virtio'/></interface>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

/** `<boot order>` of each device that has one, by the device's own element text. */
function bootOrders(xml: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of xml.matchAll(/<(disk|interface)\b[\s\S]*?<\/\1>/g)) {
    const order = /<boot order='(\d+)'\/>/.exec(m[0]);
    if (!order) continue;
    const key = /<target dev='(\w+)'/.exec(m[0])?.[1] ?? /<mac address='([^']+)'/.exec(m[0])?.[1] ?? '?';
    out[key] = Number(order[1]);
  }
  return out;
}

describe('VM details: memory, vCPUs and boot order (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(domainXml(name));
    wb = await openWorkbench();
  });

  after(async () => {
    fs.rmSync(path.join(uiSession().workspace, '.vscode', 'settings.json'), { force: true });
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  const item = (value: string): ReturnType<ReturnType<Workbench['webview']>['locator']> => wb.webview().locator(`.field[data-field="bootOrder"] .order-item[data-value="${value}"]`);
  const order = async (): Promise<string[]> => wb.webview().locator('.field[data-field="bootOrder"] .order-item').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-value') ?? ''}${e.classList.contains('chosen') ? '*' : ''}`));

  it('opens from the tree, changes memory, vCPUs and the boot order, applies them', async () => {
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Details(\s|$)/);
    await wb.editorTab(name).waitFor({ state: 'visible', timeout: 30_000 });
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });

    await view.locator('vscode-tree-item[data-section="memory"]').click();
    const memory = view.locator('.field[data-field="memory"] input');
    assert.equal(await memory.inputValue(), '128');
    await memory.fill('256');
    assert.match(await view.locator('.field[data-field="hostFreeMemory"] .readonly-value').innerText(), /free of \d/);
    await wb.screenshot('details-memory-host-free');

    await view.locator('vscode-tree-item[data-section="cpus"]').click();
    await view.locator('.field[data-field="vcpus"] input').fill('2');

    await view.locator(`vscode-tree-item[data-section="interface:${MAC}"]`).click();
    await view.locator('.field[data-field="mac"] vscode-button', { hasText: 'Generate New MAC' }).waitFor();
    await wb.screenshot('details-nic-mac');

    await view.locator('vscode-tree-item[data-section="boot"]').click();
    await view.locator('#section-title', { hasText: 'Boot Options' }).waitFor();
    // Converted from <os><boot dev='hd'/><boot dev='cdrom'/>: the disk, then the CD-ROM; the NIC is offered unchecked, the video card not at all.
    assert.deepEqual(await order(), ['disk:vda*', 'disk:hdc*', `interface:${MAC}`]);
    await wb.screenshot('details-boot-order-before');

    await item(`interface:${MAC}`).locator('vscode-checkbox').click();
    assert.deepEqual(await order(), ['disk:vda*', 'disk:hdc*', `interface:${MAC}*`]);
    // Drag the NIC by its handle onto the upper half of the first row: it becomes the first.
    await item(`interface:${MAC}`).locator('.drag-handle').dragTo(item('disk:vda'), { targetPosition: { x: 40, y: 4 } });
    assert.deepEqual(await order(), [`interface:${MAC}*`, 'disk:vda*', 'disk:hdc*']);
    // Alt+Up on the CD-ROM's row moves it above the disk, and says so to screen readers.
    await item('disk:hdc').locator('vscode-checkbox').focus();
    await wb.page.keyboard.press('Alt+ArrowUp');
    assert.deepEqual(await order(), [`interface:${MAC}*`, 'disk:hdc*', 'disk:vda*']);
    assert.match(await view.locator('.field[data-field="bootOrder"] .sr-only').innerText(), /moved to position 2 of 3, boot device 2/);
    assert.match((await item('disk:hdc').getAttribute('aria-label')) ?? '', /boot device 2, position 2 of 3$/);
    await view.locator('.field.modified[data-field="bootOrder"]').waitFor();
    await wb.screenshot('details-boot-order-edited');

    await view.locator('vscode-button', { hasText: /^\s*Apply\s*$/ }).click();
    await view.locator('#status', { hasText: /^Saved: / }).waitFor();
    const status = await view.locator('#status').innerText();
    for (const label of ['Memory: Maximum allocation', 'CPUs: Maximum vCPUs', 'Boot Options: Boot order']) assert.ok(status.includes(label), `${label} not in: ${status}`);

    const xml = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    assert.match(xml, /<memory unit='KiB'>262144<\/memory>/);
    assert.match(xml, /<vcpu placement='static'>2<\/vcpu>/);
    assert.deepEqual(bootOrders(xml), { [MAC]: 1, hdc: 2, vda: 3 });
    assert.doesNotMatch(xml, /<boot dev=/, 'libvirt refuses <os><boot dev> together with per-device orders');
    await wb.editorTab(new RegExp(`^${name}$`)).waitFor();
    assert.deepEqual(await order(), [`interface:${MAC}*`, 'disk:hdc*', 'disk:vda*'], 'the reloaded form shows the order libvirt saved');
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`shows the boot order natively in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass);
      const view = wb.webview();
      await view.locator('#section-title', { hasText: 'Boot Options' }).waitFor();
      await item('disk:vda').locator('vscode-checkbox').click();
      await item('disk:hdc').hover();
      await wb.screenshot(`details-boot-order-${file}`);
      await item('disk:vda').locator('vscode-checkbox').click();
      await view.locator('.field.modified').waitFor({ state: 'detached' });
    });
  }
});
