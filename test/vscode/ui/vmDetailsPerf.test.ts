// UI test of the performance charts in the VM details tab's Overview, in a real VS Code
// (code-server + Chromium): a running TCG VM's charts fill from the bulk stats refresh, with the
// current values as text and an accessible description on each chart; once the VM is off the
// Overview says there is no data, and the range picker still shows what was recorded. Each field
// of the running VM says whether a change applies now or at the next boot. Screenshots in the
// dark, light and high-contrast themes
// (test-results/screenshots/details-perf-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';
import { near, screenPixels, themeColour } from './screenPixels';

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
  /** When the charts first showed samples of the running VM: the history records from then on. */
  let recordingSince = 0;

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
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Details(\s|$)/);
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    const charts = view.locator('#performance .perf-chart');
    await charts.first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await view.locator('#performance figcaption').allInnerTexts(), ['CPU usage', 'Memory usage', 'Disk I/O', 'Network I/O']);
    // Several points on the CPU line: the samples arrived and were drawn.
    await view.locator('[data-chart="cpu"] path.perf-line:not(.perf-peak)').first().evaluate(
      (el) =>
        new Promise<void>((resolve) => {
          const check = (): void => ((el.getAttribute('d') ?? '').split('L').length >= 3 ? resolve() : void setTimeout(check, 200));
          check();
        }),
    );
    recordingSince = Date.now();
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

  it('says on each field of a running VM whether a change applies now or at the next boot', async () => {
    const view = wb.webview();
    await view.locator('vscode-tree-item[data-section="memory"]').click();
    await view.locator('#section-title', { hasText: /^Memory$/ }).waitFor();
    // The balloon (current allocation) changes at once; the maximum only when the VM boots again.
    assert.equal(await view.locator('.field[data-field="currentMemory"] .applies-now').innerText(), 'Applies now');
    assert.equal(await view.locator('.field[data-field="currentMemory"] .next-boot').count(), 0);
    assert.equal(await view.locator('.field[data-field="memory"] .next-boot').innerText(), 'Applies at the next boot');
    assert.equal(await view.locator('.field[data-field="memory"] .applies-now').count(), 0);
    await wb.screenshot('details-applies-hc');
    await view.locator('vscode-tree-item[data-section="overview"]').click();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor();
  });

  it('says there is no data once the VM is off', async () => {
    // The last-hour view below draws 10 s points: let the VM run long enough to record several of
    // them, however fast the tests before were (a quick run left a single point, a line of 1.5 px).
    await wb.page.waitForTimeout(Math.max(0, 40_000 - (Date.now() - recordingSince)));
    await conn.domainDestroy(dom!);
    const view = wb.webview();
    await view.locator('#performance .perf-message', { hasText: 'No data while the VM is off.' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#performance .perf-grid-box').isVisible(), false);
    await wb.screenshot('details-perf-off');
  });

  it('shows the recorded last hour after the VM stopped, with the figures of the point under the pointer', async () => {
    const view = wb.webview();
    const range = view.locator('vscode-single-select#perf-range');
    await range.scrollIntoViewIfNeeded();
    await range.click();
    await range.getByRole('option', { name: 'Last hour', exact: true }).click();
    // The minute or so the VM ran was recorded (5 s slots): the charts are back although it is off.
    await view.locator('#performance .perf-grid-box').waitFor({ state: 'visible', timeout: 30_000 });
    const cpu = view.locator('[data-chart="cpu"]');
    const d = (await cpu.locator('path.perf-line:not(.perf-peak)').getAttribute('d')) ?? '';
    // The VM ran for 40 s or more of the test: several 10-second points at the right end.
    assert.ok(d.split('L').length >= 2, `a CPU line of at least two points: ${d.slice(0, 80)}`);
    assert.match((await cpu.locator('svg').getAttribute('aria-label')) ?? '', /^CPU usage over the last hour, \d+ points of 10 s; latest CPU: \d+(\.\d)? %/);
    assert.match(await view.locator('[data-chart="memory"] .perf-values').innerText(), /^In use: \d+ MiB/);
    // The point under the pointer where the VM ran (the right end of the hour): its time and figures.
    const graph = cpu.locator('svg');
    const points = (d.match(/[ML]([\d.]+),/g) ?? []).map((p) => Number(p.slice(1, -1)));
    const x = points[Math.floor(points.length / 2)]!;
    const rect = await graph.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, width: r.width, height: r.height };
    });
    await graph.dispatchEvent('mousemove', { clientX: rect.left + (x / 240) * rect.width, clientY: rect.top + rect.height / 2, bubbles: true });
    const when = cpu.locator('.perf-when');
    await when.waitFor({ timeout: 10_000 });
    assert.match(await when.innerText(), /\d{1,2}:\d{2}/);
    assert.match(await cpu.locator('.perf-values').innerText(), /CPU: \d+(\.\d)? %/);
    await graph.dispatchEvent('mouseleave');
    await when.waitFor({ state: 'detached', timeout: 10_000 });
    // The same with the keyboard: the chart takes focus, the arrow keys walk its points.
    await graph.focus();
    await wb.page.keyboard.press('ArrowLeft');
    await when.waitFor({ timeout: 10_000 });
    await wb.screenshot('details-perf-history');
    await range.click();
    await range.getByRole('option', { name: 'Last 90 days', exact: true }).click();
    await view.locator('[data-chart="cpu"] svg[aria-label*="over the last 90 days"]').waitFor({ timeout: 30_000 });
    await wb.screenshot('details-perf-history-90d');
    // The minute the VM ran is one point of the 90 days (4.5 h points), or two adjacent ones when
    // the run straddled a point's boundary. A lone point is drawn as a dot, not a line of one
    // point (which showed as a 1.5 px sliver); two are a short line. Either way it must show:
    // counted on screen, pixels of the CPU colour there.
    const dot = (await cpu.locator('path.perf-dot:not(.perf-peak)').getAttribute('d')) ?? '';
    const line = (await cpu.locator('path.perf-line:not(.perf-peak)').getAttribute('d')) ?? '';
    const lone = /^M([\d.]+),([\d.]+)h0$/.exec(dot);
    const pair = /^M([\d.]+),([\d.]+)L([\d.]+),[\d.]+$/.exec(line);
    const at = lone ?? (pair && Number(pair[3]) - Number(pair[1]) < 3 ? pair : null);
    assert.ok(at, `the run is a dot, or two adjacent points: dot ${JSON.stringify(dot)}, line ${JSON.stringify(line)}`);
    const box = (await graph.boundingBox())!;
    const cx = box.x + (Number(at[1]) / 240) * box.width;
    const cy = box.y + (Number(at[2]) / 60) * box.height;
    const blue = await themeColour(wb, '--vscode-charts-blue');
    const drawn = (await screenPixels(wb, { x: cx - 8, y: cy - 8, width: 16, height: 16 })).filter((p) => near(p, blue, 40)).length;
    assert.ok(drawn >= 9, `the dot shows: ${drawn} pixels of the chart colour around it`);
  });
});
