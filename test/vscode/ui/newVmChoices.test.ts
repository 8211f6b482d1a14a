// UI test of the New VM wizard's further choices in a real VS Code (code-server + Chromium): an
// ISO by its path on the host (checked there, its OS recognised), the CPU mode and a topology set
// from the keyboard (Tab reaches each new control; a product that does not match is refused on its
// field), an existing volume as the disk, and a NIC on macvtap and then on a host bridge. The VM
// is read back from libvirt. Screenshots: test-results/screenshots/new-vm-host-path.png,
// new-vm-cpu-topology.png, new-vm-existing-disk.png, new-vm-network-list.png, new-vm-macvtap.png, new-vm-bridge.png
// (and new-vm-macvtap-dark / -hc).

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uiwizc-';

type FocusDoc = { ownerDocument: { activeElement: { closest(s: string): { getAttribute(n: string): string | null } | null } | null } };

describe('New VM wizard choices (UI)', function () {
  this.timeout(240_000);
  let wb: Workbench;
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  let iso: string;
  const tag = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const name = `${tag}-vm`;
  const diskName = `${tag}-disk.qcow2`;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uiwizc-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${tag}-pool`, targetPath: path.join(dir, 'pool') });
    await createVolume(conn, pool, { name: diskName, format: 'qcow2', capacity: 64 * 1024 * 1024 });
    // The ISO is in no pool: only its path on the host is known.
    fs.mkdirSync(path.join(dir, 'isos'), { mode: 0o755 });
    iso = makeIso(path.join(dir, 'isos'), { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    await removeRunObjects(conn, { domains: (n) => n === name, pool, dir });
    await conn?.close();
  });

  it('an ISO by host path, CPU topology from the keyboard, an existing volume, macvtap then a bridge', async () => {
    await wb.clickActivityBar('Virtual Machines');
    // The host's row (at the top, however many VMs the shared host has) once it is connected.
    await wb.waitForTreeItem(/QEMU\/KVM.*VMs?/, 60_000);
    await wb.page.getByRole('button', { name: 'New VM…' }).first().click();
    await wb.editorTab(/^New VM on /).waitFor({ state: 'visible', timeout: 60_000 });
    const view = wb.webview();
    const next = async (title: string): Promise<void> => {
      await view.locator('vscode-button', { hasText: 'Next' }).click();
      await view.locator('#section-title', { hasText: title }).waitFor({ timeout: 30_000 });
    };
    const choose = async (field: string, option: RegExp): Promise<void> => {
      const select = view.locator(`.field[data-field="${field}"] vscode-single-select`);
      await select.click();
      const o = select.getByRole('option', { name: option }).first();
      await o.waitFor({ state: 'visible' });
      await o.click();
    };
    const focused = (): Promise<string | null> => view.locator('body').evaluate((b) => (b as unknown as FocusDoc).ownerDocument.activeElement?.closest('.field')?.getAttribute('data-field') ?? null);
    const problemsOf = (field: string): Promise<string> => view.locator(`.field[data-field="${field}"] .problems`).innerText();

    // 1. Install method: an ISO by its path on the host; a wrong path is refused on the field.
    await view.locator('#section-title', { hasText: 'Install method' }).waitFor({ timeout: 30_000 });
    await choose('media', /A path on the host/);
    const isoPath = view.locator('.field[data-field="isoPath"] input');
    await isoPath.waitFor();
    await isoPath.fill(path.join(dir, 'isos', 'missing.iso'));
    await view.locator('.field[data-field="isoPath"] .problems', { hasText: 'The host has no file' }).waitFor({ timeout: 30_000 });
    await isoPath.fill(iso);
    // The check on the host runs once typing pauses: wait for it to start and end.
    const checking = view.locator('#status', { hasText: 'Checking' });
    await checking.waitFor({ timeout: 10_000 }).catch(() => undefined);
    await checking.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal((await problemsOf('isoPath')).trim(), '');
    await wb.screenshot('new-vm-host-path');
    await next('Operating system');
    await view.locator('.section-description', { hasText: 'Detected from the media: Debian 11' }).waitFor({ timeout: 30_000 });

    // 2. Memory and CPUs, from the keyboard: Tab from vCPUs reaches the CPU mode and the topology checkbox.
    await next('Memory and CPUs');
    const vcpus = view.locator('.field[data-field="vcpus"] input');
    await vcpus.fill('2');
    await vcpus.focus();
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'cpuMode');
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'cpuTopology');
    await wb.page.keyboard.press('Space');
    await view.locator('.field[data-field="cpuSockets"]').waitFor({ state: 'visible' });
    // Turning it on starts at one socket per vCPU; Tab walks sockets, cores, threads.
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'cpuSockets');
    await wb.page.keyboard.press('Control+A');
    await wb.page.keyboard.type('1');
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'cpuCores');
    await view.locator('.field[data-field="cpuSockets"] .problems', { hasText: '1 sockets × 1 cores × 1 threads = 1 CPUs, but the VM has 2 vCPUs' }).waitFor({ timeout: 10_000 });
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'cpuThreads');
    await wb.page.keyboard.press('Control+A');
    await wb.page.keyboard.type('2');
    await view.locator('.field[data-field="cpuSockets"] .problems', { hasText: 'CPUs, but the VM has' }).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await wb.page.waitForTimeout(500);
    assert.equal((await problemsOf('cpuSockets')).trim(), '');
    await wb.screenshot('new-vm-cpu-topology');

    // 3. Storage: an existing volume.
    await next('Storage');
    await choose('diskMode', /An existing volume/);
    await choose('diskVolume', new RegExp(diskName.replace(/\./g, '\\.')));
    await wb.page.waitForTimeout(500);
    await wb.screenshot('new-vm-existing-disk');

    // 4. Network: macvtap (its NIC and mode reachable by Tab), then a host bridge.
    await next('Network and firmware');
    // The virtual networks show their state, mode, addresses, DHCP and PXE files.
    const network = view.locator('.field[data-field="network"] vscode-single-select');
    await network.click();
    await network.getByRole('option', { name: /Host device \(macvtap\)/ }).waitFor({ state: 'visible' });
    await wb.screenshot('new-vm-network-list');
    await wb.page.keyboard.press('Escape');
    await choose('network', /Host device \(macvtap\)/);
    await view.locator('.field[data-field="netDev"]').waitFor({ state: 'visible' });
    await view.locator('.field[data-field="network"] vscode-single-select').focus();
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'netDev');
    await wb.page.keyboard.press('Tab');
    assert.equal(await focused(), 'netMode');
    await wb.page.waitForTimeout(500);
    await wb.screenshot('new-vm-macvtap');
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'new-vm-macvtap-dark'],
      ['Default High Contrast', 'hc-black', 'new-vm-macvtap-hc'],
      ['Default Light Modern', 'vs', ''],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await view.locator('#section-title', { hasText: 'Network and firmware' }).waitFor();
      if (shot) await wb.screenshot(shot);
    }
    await choose('network', /Bridge device/);
    await choose('netBridge', /virbr\d+/);
    await wb.page.waitForTimeout(500);
    await wb.screenshot('new-vm-bridge');

    // 5. Name, Create (not started), read back.
    await next('Name and create');
    const nameField = view.locator('.field[data-field="name"] input');
    await nameField.fill(name);
    const start = view.locator('.field[data-field="start"] vscode-checkbox');
    if ((await start.evaluate((c) => (c as unknown as { checked: boolean }).checked)) === true) await start.click();
    await view.locator('vscode-button', { hasText: 'Create' }).click();
    const deadline = Date.now() + 60_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      found = (await conn.connectListAllDomains()).some((d) => d.name === name);
      if (!found) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(found, 'the VM was defined');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(await conn.domainLookupByName(name), VirDomainXMLFlags.INACTIVE));
    const cd = def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')!;
    assert.deepEqual([cd.get('type'), cd.get('sourceFile')], ['file', iso]);
    const disk = def.devicesOf('disk').find((d) => d.get('device') === 'disk')!;
    assert.deepEqual([disk.get('sourcePool'), disk.get('sourceVolume')], [pool.name, diskName]);
    assert.deepEqual([def.get('vcpus'), def.get('topologySockets'), def.get('topologyCores'), def.get('topologyThreads')], [2, 1, 1, 2]);
    const nic = def.devicesOf('interface')[0]!;
    assert.equal(nic.get('type'), 'bridge');
    assert.match(String(nic.get('sourceBridge')), /^virbr\d+$/);
  });
});
