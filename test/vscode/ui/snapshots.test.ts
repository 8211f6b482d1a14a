// UI test of the Snapshots node in a real VS Code (code-server + Chromium): a VM with a small
// snapshot tree (a running snapshot with memory, a shut-off child that is current, a sibling with
// a description), expanded from the tree, its tooltip and context menu, the current marker
// following a revert made elsewhere (domain events), and screenshots in
// test-results/screenshots/.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { takeSnapshot } from '../../../src/libvirt/snapshots/snapshotPlan';
import { leftoverOfDeadRun } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'vsuisnap';

describe('Snapshots node (UI)', function () {
  this.timeout(150_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir: string;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, U.SNAPSHOTS_METADATA).catch(() => undefined);
    }
    dir = fs.mkdtempSync('/tmp/vsuisnap-');
    fs.chmodSync(dir, 0o755);
    const file = `${dir}/disk.qcow2`;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    fs.chmodSync(file, 0o666);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>96</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk><video><model type='vga'/></video></devices></domain>`);
    await conn.domainCreate(dom);
    await takeSnapshot(conn, dom, { name: 'installed', kind: 'internal', description: 'Fresh install, running' });
    await conn.domainDestroy(dom);
    await takeSnapshot(conn, dom, { name: 'before-upgrade', kind: 'internal' });
    await conn.domainRevertToSnapshot({ dom, name: 'installed' });
    await conn.domainDestroy(dom);
    await takeSnapshot(conn, dom, { name: 'config-test', kind: 'internal', description: 'Trying a new network setup' });
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, U.SNAPSHOTS_METADATA).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the snapshot tree under the VM, the current one marked, with a tooltip and a context menu', async () => {
    await wb.clickActivityBar('Virtual Machines');
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 560, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    await (await wb.waitForTreeItem(new RegExp(`^${name}`))).click();
    await wb.page.keyboard.press('ArrowRight');
    const snapshots = await wb.waitForTreeItem(/^Snapshots/);
    await wb.page.locator('.monaco-list-row', { hasText: 'Snapshots' }).locator('.label-description', { hasText: /^3$/ }).waitFor();
    await snapshots.click();
    await wb.page.keyboard.press('ArrowRight');
    await wb.waitForTreeItem(/^Snapshot installed/);
    await wb.waitForTreeItem(/^Snapshot before-upgrade/);
    const current = await wb.waitForTreeItem(/^Snapshot config-test, current/);
    const desc = await wb.page.locator('.monaco-list-row', { hasText: 'config-test' }).locator('.label-description').innerText();
    assert.match(desc, /^current · shut off · \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    const runningDesc = await wb.page.locator('.monaco-list-row', { hasText: 'installed' }).locator('.label-description').innerText();
    assert.match(runningDesc, /^running · /);
    // The children sit one level deeper than their parent.
    const level = async (label: string): Promise<string | null> => wb.page.locator('.monaco-list-row', { hasText: label }).first().getAttribute('aria-level');
    assert.equal(Number(await level('config-test')), Number(await level('installed')) + 1);
    assert.equal(Number(await level('before-upgrade')), Number(await level('installed')) + 1);
    await wb.screenshot('snapshots-tree');

    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'current snapshot' }).first();
    for (let attempt = 0; attempt < 4 && !(await hover.isVisible()); attempt++) {
      await wb.page.mouse.move(700, 700);
      await current.locator('.label-name').hover();
      await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
    }
    assert.ok(await hover.isVisible(), 'the snapshot tooltip did not appear');
    assert.match(await hover.innerText(), /Trying a new network setup/);
    await wb.screenshot('snapshots-tooltip');
    await wb.page.mouse.move(700, 700);

    await wb.openTreeMenu(/^Snapshot config-test, current/, wb.menuItem(/^Revert to Snapshot/));
    await wb.page.getByRole('menuitem', { name: /^Delete Snapshot/ }).first().waitFor({ state: 'visible' });
    await wb.screenshot('snapshots-context-menu');
    await wb.page.keyboard.press('Escape');
  });

  it('follows a revert made outside VS Code through the domain events: the current marker moves', async () => {
    assert.ok(dom);
    await conn.domainRevertToSnapshot({ dom, name: 'before-upgrade' });
    await wb.waitForTreeItem(/^Snapshot before-upgrade, current/);
    await wb.waitForTreeItem(/^Snapshot config-test, shut off/);
    await wb.screenshot('snapshots-after-revert');
  });

  it('Take Snapshot… from the Snapshots node asks in a quick pick, with the kind that is not offered and why', async () => {
    await wb.clickTreeMenuItem(/^Snapshots/, /^Take Snapshot/);
    const list = wb.page.locator('.quick-input-widget .quick-input-list');
    await list.locator('.monaco-list-row', { hasText: 'Internal' }).first().waitFor().catch(async (e: unknown) => {
      await wb.screenshot('snapshots-take-pick-missing');
      throw e;
    });
    const refused = list.locator('.monaco-list-row', { hasText: 'External, with memory' });
    await refused.waitFor();
    assert.match(await refused.innerText(), /not offered[\s\S]*a shut-off VM has no memory to save/);
    await wb.screenshot('snapshots-take-pick');
    await wb.page.keyboard.press('Escape');
    await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    assert.deepEqual((await conn.domainListAllSnapshots(dom!)).map((x) => x.name).sort(), ['before-upgrade', 'config-test', 'installed']);
  });

  it('reads in the dark and high-contrast themes', async () => {
    for (const [theme, cssClass, shot] of [
      ['Default Dark Modern', 'vs-dark', 'snapshots-tree-dark'],
      ['Default High Contrast', 'hc-black', 'snapshots-tree-hc'],
    ] as const) {
      await wb.setTheme(theme, cssClass);
      await wb.waitForTreeItem(/^Snapshot before-upgrade, current/);
      await wb.screenshot(shot);
    }
  });
});
