// UI test of the Secrets group and the network creation flow in a real VS Code: a libvirt secret
// listed with its usage and flags (its value nowhere on screen), the group's context menu, and the
// connectivity step of New Virtual Network offering bridge, macvtap and SR-IOV networks, Remove
// Port Group's list of an SR-IOV pool's port groups, and Start Network on a PF without virtual
// functions: libvirt's reason and what to do, in the notification; a bridge network over a bridge
// the host lacks, flagged in Networks and Host Interfaces, and the warning of Start Network.
// Screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Connection, type NetworkRef, type SecretRef } from '../../../src/libvirt/connection';
import { leftoverOfDeadRun } from '../../leftovers';
import { buildSecretXml } from '../../../src/libvirt/resources/secret';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

describe('Secrets group and network creation (UI)', function () {
  this.timeout(120_000);
  let wb: Workbench;
  let conn: Connection;
  let secret: SecretRef | undefined;
  const usage = `vsuins-${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const value = `v-${crypto.randomBytes(8).toString('hex')}`;

  const NET_PREFIX = 'nsui';
  const LINK_PREFIX = 'nsu';
  const sriovName = `${NET_PREFIX}${process.pid}-sriov`;
  const pf = `${LINK_PREFIX}${process.pid}-pf`;
  let sriov: NetworkRef | undefined;

  before(async () => {
    conn = await Connection.open(URI);
    for (const n of await conn.connectListAllNetworks()) {
      if (!leftoverOfDeadRun(n.name, NET_PREFIX)) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    for (const l of fs.readdirSync('/sys/class/net')) if (leftoverOfDeadRun(l, LINK_PREFIX)) execFileSync('ip', ['link', 'del', l]);
    // A NIC that is no SR-IOV physical function (one end of a veth pair), and a pool over it.
    execFileSync('ip', ['link', 'add', pf, 'type', 'veth', 'peer', 'name', `${pf}p`]);
    sriov = await conn.networkDefineXml(`<network><name>${sriovName}</name><forward mode='hostdev' managed='yes'><pf dev='${pf}'/></forward>
  <portgroup name='office' default='yes'><vlan><tag id='42'/></vlan></portgroup><portgroup name='lab'><vlan><tag id='43'/></vlan></portgroup></network>`);
    secret = await conn.secretDefineXml(buildSecretXml({ usage: 'ceph', usageId: usage, description: 'UI test' }));
    await conn.secretSetValue(secret, new TextEncoder().encode(value));
    wb = await openWorkbench();
    await wb.clickActivityBar('Virtual Machines');
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 560, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
  });

  after(async () => {
    await wb?.close();
    if (secret) await conn.secretUndefine(secret).catch(() => undefined);
    if (sriov) await conn.networkUndefine(sriov).catch(() => undefined);
    try {
      execFileSync('ip', ['link', 'del', pf]);
    } catch {
      // already gone
    }
    await conn?.close();
  });

  it('lists the secret under Secrets with its usage and flags, never its value', async () => {
    const group = await wb.waitForTreeItem(/^Secrets/);
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    const row = await wb.waitForTreeItem(new RegExp(`^${usage}`));
    assert.equal((await row.locator('.label-description').innerText()).trim(), 'Ceph · private');
    await wb.screenshot('secrets-group');
    assert.ok(!(await wb.page.content()).includes(value), 'the secret value is on the page');
    await wb.openTreeMenu(/^Secrets/, wb.menuItem(/^New Secret/));
    const menu = wb.page.locator('.monaco-menu').last();
    const entries = (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter((t) => t !== '');
    await wb.screenshot('secrets-group-menu');
    await wb.page.keyboard.press('Escape');
    assert.ok(entries.includes('New Secret…'), entries.join(', '));
  });

  it('offers every connectivity in New Virtual Network', async () => {
    await wb.runCommand('Virtual Machines: New Virtual Network…');
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    await input.waitFor({ state: 'visible' });
    // One connected host: the first step is the network name; a host pick comes first otherwise.
    const title = await widget.locator('.quick-input-title').innerText().catch(() => '');
    assert.match(title, /New Virtual Network/);
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    if ((await rows.count()) > 0 && (await rows.first().innerText()).includes('QEMU')) await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-message, .quick-input-description').first().waitFor({ state: 'attached' }).catch(() => undefined);
    await wb.page.keyboard.press('Enter');
    await rows.filter({ hasText: 'SR-IOV pool' }).first().waitFor({ state: 'visible' });
    const labels = (await rows.locator('.label-name').allInnerTexts()).map((t) => t.trim());
    await wb.screenshot('network-create-connectivity');
    await wb.page.keyboard.press('Escape');
    assert.deepEqual(labels, ['NAT', 'Routed', 'Isolated', 'Open', 'Host bridge', 'macvtap', 'SR-IOV pool']);
  });

  /** Opens a network's context menu (the SR-IOV one unless named) and runs an entry (by the keyboard if a click falls in the menu's opening). */
  async function networkMenu(entry: string, network = sriovName): Promise<void> {
    const group = await wb.waitForTreeItem(/^Networks/);
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    const menu = wb.page.locator('.monaco-menu').last();
    const item = await wb.openTreeMenu(new RegExp(`^${network}`), menu.getByRole('menuitem', { name: entry }));
    await item.hover();
    await item.click();
    if (!(await menu.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false))) await wb.page.keyboard.press('Enter');
  }

  it('Remove Port Group lists the port groups with their VLAN tags', async () => {
    await networkMenu('Remove Port Group…');
    const widget = wb.page.locator('.quick-input-widget');
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'lab' }).first().waitFor({ state: 'visible' });
    const texts: string[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      texts.push(`${(await row.locator('.label-name').innerText()).trim()} | ${(await row.locator('.label-description').innerText()).trim()}`);
    }
    await wb.screenshot('network-remove-port-group');
    await wb.page.keyboard.press('Escape');
    assert.deepEqual(texts, ['office | default · VLAN 42', 'lab | VLAN 43']);
  });

  it('Start Network on a PF without virtual functions says libvirt’s reason and what to do', async () => {
    await networkMenu('Start Network');
    const toast = wb.page.locator('.notification-toast', { hasText: sriovName });
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    // The toast slides in: wait until it is opaque; expand it to show the whole message.
    await wb.page.waitForTimeout(800);
    const expand = toast.locator('.codicon-notifications-expand');
    if ((await expand.count()) > 0) await expand.first().click().catch(() => undefined);
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    await wb.screenshot('network-start-refused');
    assert.match(text, new RegExp(`Start Network failed: ${sriovName}: .*No usable Vf's present on SRIOV PF ${pf}\\. ${pf} has no virtual functions`));
    assert.match(text, new RegExp(`/sys/class/net/${pf}/device/sriov_numvfs`));
    // The guide's section on network start failures is one click away.
    assert.equal(await toast.getByRole('button', { name: 'Help' }).count(), 1, text);
    assert.equal(await conn.networkIsActive(sriov ?? assert.fail('no network')), false);
    await toast.hover();
    await toast.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => wb.page.keyboard.press('Escape'));
  });

  it('asks for port groups while creating an Open vSwitch network, listing those added so far', async () => {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    /** Waits until the quick input's placeholder or prompt matches. */
    const showing = async (what: RegExp): Promise<void> => {
      const end = Date.now() + 30_000;
      for (;;) {
        const placeholder = (await input.getAttribute('placeholder').catch(() => null)) ?? '';
        const message = (await widget.locator('.quick-input-message').first().innerText().catch(() => '')) ?? '';
        if (what.test(placeholder) || what.test(message)) return;
        if (Date.now() > end) assert.fail(`the quick input never asked ${what}: placeholder "${placeholder}", message "${message}"`);
        await wb.page.waitForTimeout(100);
      }
    };
    /** Waits for the step whose placeholder or prompt matches, then answers it (text for an input, a row label for a pick). */
    const step = async (what: RegExp, answer: { type?: string; row?: string }): Promise<void> => {
      await showing(what);
      if (answer.row !== undefined) {
        await input.fill(answer.row);
        await rows.filter({ hasText: answer.row }).first().waitFor({ state: 'visible' });
      } else {
        await input.fill(answer.type ?? '');
      }
      await wb.page.keyboard.press('Enter');
    };
    await wb.runCommand('Virtual Machines: New Virtual Network…');
    await input.waitFor({ state: 'visible' });
    if ((await rows.count()) > 0 && (await rows.first().innerText()).includes('QEMU')) await wb.page.keyboard.press('Enter');
    await step(/Network name/, { type: `${NET_PREFIX}${process.pid}-ovs` });
    await step(/Connectivity/, { row: 'Host bridge' });
    await step(/Host bridge/, { row: 'Other bridge…' });
    await step(/Bridge name/, { type: 'ovsbr-ui' });
    await step(/Kind of bridge/, { row: 'Open vSwitch bridge' });
    await step(/inbound/, { type: '' });
    await step(/outbound/, { type: '' });
    await step(/^Port groups \(VLAN tags/, { row: 'Add a port group…' });
    await step(/Port group name/, { type: 'office' });
    await step(/VLAN tags/, { type: '42,43' });
    await step(/office QoS.*inbound/, { type: '1000' });
    await step(/office QoS.*outbound/, { type: '' });
    await showing(/Port groups so far/);
    const placeholder = await input.getAttribute('placeholder');
    const labels = (await rows.locator('.label-name').allInnerTexts()).map((t) => t.trim());
    await wb.screenshot('network-create-port-groups');
    await wb.page.keyboard.press('Escape');
    assert.equal(placeholder, 'Port groups so far: office (VLAN trunk 42, 43 · QoS in 1000 KiB/s)');
    assert.deepEqual(labels, ['Done', 'Add a port group…']);
    assert.ok(!(await conn.connectListAllNetworks()).some((n) => n.name === `${NET_PREFIX}${process.pid}-ovs`), 'Escape created nothing');
  });

  it('flags a bridge network whose host bridge does not exist, in Networks and Host Interfaces, and Start Network warns', async () => {
    const gone = `${LINK_PREFIX}${process.pid}-gone`;
    const name = `${NET_PREFIX}${process.pid}-gone`;
    const net = await conn.networkDefineXml(`<network><name>${name}</name><forward mode='bridge'/><bridge name='${gone}'/></network>`);
    try {
      const group = await wb.waitForTreeItem(/^Networks/);
      if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
      const row = await wb.waitForTreeItem(new RegExp(`^${name}`));
      assert.equal((await row.locator('.label-description').innerText()).trim(), `inactive · missing ${gone} · bridge · ${gone}`);
      assert.equal(await row.locator('.codicon-warning').count(), 1, 'the network row has a warning icon');
      await networkMenu('Start Network', name);
      const toast = wb.page.locator('.notification-toast', { hasText: name });
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      await wb.page.waitForTimeout(800);
      const text = (await toast.innerText()).replace(/\s+/g, ' ');
      const interfaces = await wb.waitForTreeItem(/^Host Interfaces/);
      if ((await interfaces.getAttribute('aria-expanded')) !== 'true') await interfaces.click();
      const missing = await wb.waitForTreeItem(new RegExp(`^${gone}`));
      const description = (await missing.locator('.label-description').innerText()).trim();
      await wb.screenshot('network-missing-bridge');
      assert.match(text, new RegExp(`${name} started, but this host has no ${gone}: VMs on this network cannot start until it exists again\\.`));
      assert.equal(description, `missing on this host · networks ${name}`);
      assert.equal(await missing.locator('.codicon-warning').count(), 1, 'the Host Interfaces row has a warning icon');
      await toast.hover();
      await toast.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => wb.page.keyboard.press('Escape'));
    } finally {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
  });
});
