// UI test of Migrate… in a real VS Code: the peer daemon is added as a connection through Add
// Connection, then a running VM's context menu opens the quick input (destination, storage,
// options), the migration runs with its progress notification, and the VM row moves to the peer.
// Screenshots: test-results/screenshots/migrate-*.png.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainState, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { leftoverOfDeadRun } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const SRC_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const DST_URI = process.env['LIBVIRT_TEST_PEER_URI'] ?? 'qemu+tcp://127.0.0.1:16510/system';
const SHARED = process.env['LIBVIRT_TEST_SHARED_DIR'] ?? '/var/lib/libvirt-vms-test/shared';
const PREFIX = 'vsuimig';
const RUN = `${PREFIX}${process.pid}-`;

async function sweep(conn: Connection, mine: (n: string) => boolean): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!mine(d.name)) continue;
    await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, U.NVRAM | U.MANAGED_SAVE).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!mine(p.name)) continue;
    for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
    await conn.storagePoolDestroy(p).catch(() => undefined);
    await conn.storagePoolDelete(p).catch(() => undefined);
    await conn.storagePoolUndefine(p).catch(() => undefined);
  }
}

describe('Migrate VM (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let src: Connection;
  let dst: Connection;
  const vm = `${RUN}web`;

  before(async () => {
    src = await Connection.open(SRC_URI);
    dst = await Connection.open(DST_URI);
    const dead = (n: string): boolean => leftoverOfDeadRun(n, PREFIX);
    await sweep(dst, dead);
    await sweep(src, dead);
    const dir = path.join(SHARED, `${RUN}pool`);
    const poolXml = `<pool type='dir'><name>${RUN}pool</name><target><path>${dir}</path><permissions><mode>0755</mode></permissions></target></pool>`;
    const sp: StoragePoolRef = await src.storagePoolDefineXml(poolXml);
    await src.storagePoolBuild(sp);
    await src.storagePoolCreate(sp);
    const dp = await dst.storagePoolDefineXml(poolXml);
    await dst.storagePoolCreate(dp);
    const vol = await src.storageVolCreateXml(sp, `<volume><name>${vm}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
    // The peer sees the shared file once its pool is refreshed (then "Shared storage" is offered first).
    await dst.storagePoolRefresh(dp);
    await src.domainCreate(
      await src.domainDefineXml(`<domain type='qemu'><name>${vm}</name><memory unit='MiB'>96</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='pc'>hvm</type></os>
        <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${path.join(dir, vol.name)}'/><target dev='vda' bus='virtio'/></disk>
        <video><model type='vga'/></video></devices></domain>`),
    );
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    const mine = (n: string): boolean => n.startsWith(RUN);
    if (dst) await sweep(dst, mine).catch(() => undefined);
    if (src) await sweep(src, mine).catch(() => undefined);
    await dst?.close();
    await src?.close();
  });

  /** Right-click on the VM row, then "Migrate VM…" (a tree refresh can close the menu: retried). */
  async function openMigrate(): Promise<void> {
    let shot = false;
    const whenShown = async (): Promise<void> => {
      if (!shot) await wb.screenshot('migrate-context-menu');
      shot = true;
    };
    await wb.clickTreeMenuItem(new RegExp(`^${vm}`), /^Migrate VM/, { whenShown });
  }

  it('migrates a running VM through the quick input, with progress, the row moving to the peer, and cancels the way back', async () => {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    await wb.clickActivityBar('Virtual Machines');
    await wb.waitForTreeItem(new RegExp(`^${vm}`));

    // The destination: the peer daemon, added as a saved connection.
    await wb.runCommand('Virtual Machines: Add Connection…').catch(async () => undefined);
    await input.waitFor({ state: 'visible' });
    await input.fill('Custom URI');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Custom URI' }).first().waitFor();
    await wb.page.keyboard.press('Enter');
    // Each step is waited for by its title: the input box stays on screen between steps, and text
    // typed before the next step shows would land in the previous one.
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: libvirt URI' }).waitFor();
    await input.fill(DST_URI);
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'Add Connection: name' }).waitFor();
    await input.fill('Peer host');
    await wb.page.keyboard.press('Enter');
    await wb.waitForTreeItem(/^Peer host/);

    // Let the new host's rows settle: a tree refresh closes an open context menu.
    await wb.page.locator('.monaco-list-row', { hasText: 'Peer host' }).locator('.label-description', { hasText: '0 VMs' }).waitFor();
    await wb.page.waitForTimeout(1000);
    await openMigrate();

    await widget.locator('.quick-input-title', { hasText: `Migrate "${vm}": destination` }).waitFor();
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Peer host' }).first().waitFor();
    await wb.screenshot('migrate-destination');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Peer host' }).first().click();

    await widget.locator('.quick-input-title', { hasText: 'storage' }).waitFor();
    await wb.screenshot('migrate-storage');
    assert.equal((await widget.locator('.quick-input-list .monaco-list-row').first().innerText()).split('\n')[0], 'Shared storage', 'shared storage first: the peer sees the disk');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Shared storage' }).first().click();

    await widget.locator('.quick-input-title', { hasText: 'options' }).waitFor();
    await wb.screenshot('migrate-options');
    // Tick two options the way a keyboard user finds them: filter, then toggle the row.
    for (const label of ['Unsafe', 'Migration address']) {
      await input.fill(label);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
    }
    await input.fill('');
    await wb.screenshot('migrate-options-chosen');
    await widget.locator('.quick-input-count', { hasText: '4 Selected' }).waitFor();
    const checked = await widget.locator('.quick-input-list .monaco-list-row[aria-checked="true"]').allInnerTexts();
    assert.deepEqual(
      checked.map((t) => t.split('\n')[0]).slice(0, 3),
      ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks'],
    );
    await wb.page.keyboard.press('Enter');

    await widget.locator('.quick-input-title', { hasText: 'migration address' }).waitFor();
    await input.fill('tcp://127.0.0.1');
    await wb.page.keyboard.press('Enter');

    await wb.page.locator('.notification-toast', { hasText: `Migrating ${vm} to Peer host` }).waitFor({ timeout: 30_000 }).then(
      () => wb.screenshot('migrate-progress'),
      () => undefined,
    );
    await wb.page.locator('.monaco-list-row', { hasText: vm }).first().waitFor();
    // The VM row now sits under the peer (its row comes after the peer's host row).
    for (let i = 0; i < 60; i++) {
      const d = await dst.domainLookupByName(vm).catch(() => undefined);
      if (d && (await dst.domainGetState(d)).state === VirDomainState.RUNNING) break;
      await wb.page.waitForTimeout(500);
    }
    assert.equal((await dst.domainGetState(await dst.domainLookupByName(vm))).state, VirDomainState.RUNNING);
    await assert.rejects(src.domainLookupByName(vm));
    // Both trees follow through events: the row leaves the source and shows under the peer.
    let rows: string[] = [];
    for (let i = 0; i < 60; i++) {
      rows = await wb.page.getByRole('treeitem').allInnerTexts();
      const peerAt = rows.findIndex((t) => t.startsWith('Peer host'));
      const at = rows.flatMap((t, j) => (t.startsWith(vm) ? [j] : []));
      if (peerAt >= 0 && at.length === 1 && at[0]! > peerAt) break;
      await wb.page.waitForTimeout(500);
    }
    const peerAt = rows.findIndex((t) => t.startsWith('Peer host'));
    const at = rows.flatMap((t, j) => (t.startsWith(vm) ? [j] : []));
    assert.ok(peerAt >= 0 && at.length === 1 && at[0]! > peerAt, `the VM row is not (only) under the peer: ${JSON.stringify(rows)}`);
    await wb.screenshot('migrate-done');

    // Back to the first host at 1 MiB/s, cancelled from the progress notification: the VM keeps
    // running on the peer. Other notifications (code-server's "port 5900 is available" for other
    // VMs' displays) must not hide the progress toast.
    await wb.setTheme('Default Light Modern', 'vs', { 'remote.autoForwardPorts': false });
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await openMigrate();
    await widget.locator('.quick-input-title', { hasText: 'destination' }).waitFor();
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'QEMU/KVM' }).first().click();
    await widget.locator('.quick-input-title', { hasText: 'storage' }).waitFor();
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Shared storage' }).first().click();
    await widget.locator('.quick-input-title', { hasText: 'options' }).waitFor();
    for (const label of ['Unsafe', 'Limit bandwidth', 'Migration address']) {
      await input.fill(label);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
    }
    await input.fill('');
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'bandwidth' }).waitFor();
    await input.fill('1');
    await wb.page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'migration address' }).waitFor();
    await input.fill('tcp://127.0.0.1');
    await wb.page.keyboard.press('Enter');
    const toast = wb.page.locator('.notification-toast', { hasText: `Migrating ${vm} to QEMU/KVM` });
    await toast.first().waitFor({ timeout: 30_000 });
    // A guest with little in its memory finishes even at 1 MiB/s within seconds (its pages are mostly
    // zero): cancel at once, while the job starts or copies (both must leave the VM on the peer).
    await toast.getByRole('button', { name: 'Cancel' }).click();
    const said = await wb.page
      .locator('.notification-toast', { hasText: `Migration of ${vm} cancelled: it keeps running on Peer host.` })
      .waitFor({ timeout: 30_000 })
      .then(() => true, () => false);
    if (!said) await wb.screenshot('migrate-cancel-missing');
    assert.ok(said, `no "cancelled" notification; toasts: ${JSON.stringify(await wb.page.locator('.notification-toast').allInnerTexts())}`);
    await wb.screenshot('migrate-cancelled');
    assert.equal((await dst.domainGetState(await dst.domainLookupByName(vm))).state, VirDomainState.RUNNING, 'still running on the peer');
    await assert.rejects(src.domainLookupByName(vm));

    // Remove the peer connection again (other UI suites count the hosts).
    await wb.runCommand('Virtual Machines: Remove Connection').catch(async () => undefined);
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Peer host' }).first().click();
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await wb.treeItem(/^Peer host/).waitFor({ state: 'detached' });
  });
});
