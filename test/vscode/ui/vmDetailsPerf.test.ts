// UI test of the performance charts in the VM details tab's Overview, in a real VS Code
// (code-server + Chromium): a running TCG VM's charts fill from the bulk stats refresh, with the
// current values as text and an accessible description on each chart; once the VM is off the
// Overview says there is no data. Screenshots in the dark, light and high-contrast themes
// (test-results/screenshots/details-perf-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uiperf-';

/** A TCG VM whose firmware reads its disk and sends PXE requests (no guest OS needed). */
function domainXml(name: string, disk: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><boot dev='network'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>`;
}

describe('VM details performance charts (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir: string;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    // Under /tmp itself: the test's own TMPDIR may sit below folders QEMU cannot enter.
    dir = fs.mkdtempSync(path.join('/tmp', PREFIX));
    fs.chmodSync(dir, 0o755);
    const disk = path.join(dir, 'disk.raw');
    fs.writeFileSync(disk, Buffer.alloc(4 * 1024 * 1024));
    dom = await conn.domainDefineXml(domainXml(name, disk));
    await conn.domainCreate(dom);
    wb = await openWorkbench();
  });

  after(async () => {
    fs.rmSync(path.join(uiSession().workspace, '.vscode', 'settings.json'), { force: true });
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws CPU, memory, disk and network charts of a running VM, with the values as text', async () => {
    await wb.setTheme('Default Dark Modern', 'vs-dark', { 'libvirtVms.statsInterval': 1 });
    await wb.clickActivityBar('Virtual Machines');
    const row = await wb.waitForTreeItem(new RegExp(`^${name}`), 60_000);
    await row.click({ button: 'right' });
    const item = wb.page.getByRole('menuitem', { name: /^Open Details$/ }).first();
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await wb.page.waitForTimeout(300);
    await item.click();
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    const charts = view.locator('#performance .perf-chart');
    await charts.first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await view.locator('#performance figcaption').allInnerTexts(), ['CPU usage', 'Memory usage', 'Disk I/O', 'Network I/O']);
    // Several points on the CPU line: the samples arrived and were drawn.
    await view.locator('[data-chart="cpu"] polyline').first().evaluate(
      (el) =>
        new Promise<void>((resolve) => {
          const check = (): void => ((el.getAttribute('points') ?? '').trim().split(/\s+/).length >= 3 ? resolve() : void setTimeout(check, 200));
          check();
        }),
    );
    const cpuText = await view.locator('[data-chart="cpu"] .perf-values').innerText();
    assert.match(cpuText, /^CPU: \d+(\.\d)? %$/);
    assert.match(await view.locator('[data-chart="memory"] .perf-values').innerText(), /^In use: \d+ MiB of 128 MiB$/);
    assert.match(await view.locator('[data-chart="network"] .perf-values').innerText(), /Received: \d.* B\/s[\s\S]*Sent: \d/);
    assert.match((await view.locator('[data-chart="disk"] svg').getAttribute('aria-label')) ?? '', /^Disk I\/O over the last \d+ samples; now Read: .+, Write: .+$/);
    await view.locator('#performance').scrollIntoViewIfNeeded();
    await wb.screenshot('details-perf-dark');
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`draws the charts in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass, { 'libvirtVms.statsInterval': 1 });
      const view = wb.webview();
      await view.locator('#performance').scrollIntoViewIfNeeded();
      await wb.page.waitForTimeout(1500);
      await wb.screenshot(`details-perf-${file}`);
    });
  }

  it('says there is no data once the VM is off', async () => {
    await conn.domainDestroy(dom!);
    const view = wb.webview();
    await view.locator('#performance .perf-message', { hasText: 'No data while the VM is off.' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#performance .perf-grid-box').isVisible(), false);
    await wb.screenshot('details-perf-off');
  });
});
