// UI test of the Virtual Machines view's connection row and menus in a real VS Code: "1 of N VMs"
// under a filter, the host details in the connection tooltip, the context menu of the Networks
// group row, and the grouping of a network's context menu. Screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef, NetworkRef } from '../../../src/libvirt/refs';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'vsuip-';

function domainXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>`;
}

describe('Connection row and context menus (UI)', function () {
  this.timeout(120_000);
  let wb: Workbench;
  let conn: Connection;
  const doms: DomainRef[] = [];
  let net: NetworkRef | undefined;
  const tag = `${PREFIX}${process.pid % 10000}${crypto.randomBytes(2).toString('hex')}`;
  const vmNames = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
  const netName = `${tag}-net`;

  /** The entries of the open context menu, in order ("---" for a separator). */
  async function menuEntries(): Promise<string[]> {
    const menu = wb.page.locator('.monaco-menu').last();
    await menu.getByRole('menuitem').first().waitFor({ state: 'visible' });
    const items = menu.locator('.action-item');
    const out: string[] = [];
    for (let i = 0; i < (await items.count()); i++) {
      const item = items.nth(i);
      const label = (await item.locator('.action-label').first().innerText().catch(() => '')).trim();
      out.push(label === '' ? '---' : label);
    }
    return out;
  }

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!d.name.startsWith(PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    for (const n of await conn.connectListAllNetworks()) {
      if (!n.name.startsWith(PREFIX)) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    for (const n of vmNames) doms.push(await conn.domainDefineXml(domainXml(n)));
    net = await conn.networkDefineXml(`<network><name>${netName}</name><bridge name='vb${crypto.randomBytes(4).toString('hex')}'/></network>`);
    await conn.networkCreate(net);
    wb = await openWorkbench();
    await wb.clickActivityBar('Virtual Machines');
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 560, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    await wb.waitForTreeItem(new RegExp(`^${vmNames[0]}`));
  });

  after(async () => {
    await wb?.runCommand('Virtual Machines: Clear Filter').catch(() => undefined);
    await wb?.close();
    for (const d of doms) await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    if (net) {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
    await conn?.close();
  });

  it('says "1 of N VMs" on the connection row while the filter shows one VM', async () => {
    await wb.runCommand('Virtual Machines: Filter…');
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(vmNames[1]!);
    await wb.page.keyboard.press('Enter');
    const row = wb.page.locator('.monaco-list-row', { hasText: /^QEMU\/KVM/ }).first();
    const description = row.locator('.label-description', { hasText: /^1 of \d+ VMs$/ });
    await description.waitFor({ timeout: 30_000 });
    await wb.waitForTreeItem(new RegExp(`^${vmNames[1]}`));
    assert.equal(await wb.treeItem(new RegExp(`^${vmNames[0]}`)).count(), 0, 'the filter hides the other VMs');
    await wb.screenshot('tree-filter-count');
    await wb.runCommand('Virtual Machines: Clear Filter');
    await row.locator('.label-description', { hasText: /^\d+ VMs$/ }).waitFor();
  });

  it('shows the host details in the connection tooltip', async () => {
    const row = await wb.waitForTreeItem(/^QEMU\/KVM/);
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Running VMs' }).first();
    for (let attempt = 0; attempt < 4 && !(await hover.isVisible()); attempt++) {
      await wb.page.mouse.move(700, 700);
      await row.locator('.label-name').hover();
      await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
    }
    await wb.screenshot('connection-tooltip');
    assert.ok(await hover.isVisible(), 'the connection tooltip did not appear');
    const text = await hover.innerText();
    assert.match(text, /Host: \S+/);
    assert.match(text, /libvirt \d+\.\d+\.\d+ · QEMU \d+\.\d+\.\d+/);
    assert.match(text, /CPU: \S+, \d+ CPUs?/);
    assert.match(text, /Memory: \d/);
    assert.match(text, /Running VMs: \d+ of \d+/);
    await wb.page.mouse.move(700, 700);
  });

  it('gives the Networks group row a context menu with New and Refresh', async () => {
    await wb.openTreeMenu(/^Networks/, wb.menuItem(/^New Virtual Network/));
    const entries = await menuEntries();
    await wb.screenshot('group-context-menu');
    await wb.page.keyboard.press('Escape');
    assert.deepEqual(entries, ['New Virtual Network…', '---', 'Refresh']);
  });

  it('groups the network context menu: state, open, manage, copy, delete', async () => {
    const group = await wb.waitForTreeItem(/^Networks/);
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    await wb.openTreeMenu(new RegExp(`^${netName}`), wb.menuItem(/^Stop Network/));
    const entries = await menuEntries();
    await wb.screenshot('network-context-menu');
    await wb.page.keyboard.press('Escape');
    assert.deepEqual(entries, [
      'Stop Network',
      '---',
      'Open XML',
      'Open Live XML',
      'Show DHCP Leases',
      '---',
      'Enable Network Autostart',
      'Add DHCP Static Host…',
      'Change DHCP Static Host…',
      'Remove DHCP Static Host…',
      'Add DNS Record…',
      'Change DNS Record…',
      'Remove DNS Record…',
      'Add Port Group…',
      'Remove Port Group…',
      'Set Network QoS…',
      '---',
      'Copy Name',
      'Copy UUID',
      '---',
      'Delete Network…',
    ]);
  });
});
