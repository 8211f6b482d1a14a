// UI test of the Host Dashboard in a real VS Code (code-server + Chromium): opened from the
// connection row's context menu, it shows the host's CPU and memory charts (uPlot, values under
// the cursor in the legend) and a card per VM with a sparkline once the history recorded a running
// TCG VM; the filter keeps matching VMs, the range picker reads another tier. Screenshots in the
// dark, light and high-contrast themes (test-results/screenshots/dashboard-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hst-ui-';

describe('Host Dashboard (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><memballoon model='virtio'/></devices></domain>`);
    await conn.domainCreate(dom);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
  });

  it('opens from the connection row and shows the host charts and a card with a sparkline per VM', async () => {
    await wb.setTheme('Default Dark Modern', 'vs-dark', { 'libvirtVms.statsInterval': 1 });
    await wb.clickActivityBar('Virtual Machines');
    await wb.waitForTreeItem(new RegExp(`^${name}`), 60_000);
    // The row offers the dashboard once it is connected and loaded; a menu opened earlier lacks it.
    await wb.clickTreeMenuItem(/^QEMU\/KVM/, /^Host Dashboard$/, { attempts: 11, pauseMs: 2_000 });
    const view = wb.webview();
    await view.locator('#title', { hasText: 'Host Dashboard: ' }).waitFor({ timeout: 30_000 });
    const card = view.locator('#cards .card', { hasText: name });
    await card.waitFor({ timeout: 30_000 });
    // The history records at the 1 s stats interval: the 5 s tier fills within a few seconds;
    // the dashboard re-sends at most every 5 s.
    await view.locator('.host-chart figcaption', { hasText: 'CPU' }).waitFor({ timeout: 30_000 });
    await card.locator('.fig', { hasText: /^CPU \d/ }).waitFor({ timeout: 30_000 });
    assert.match(await card.locator('.fig').first().innerText(), /^CPU \d+(\.\d)? %$/);
    assert.match((await card.locator('canvas').getAttribute('aria-label')) ?? '', new RegExp(`^CPU of ${name}: average \\d.* %, peak \\d`));
    assert.match(await view.locator('#count').innerText(), /^\d+ of \d+ VMs/);
    // Let the dashboard re-send twice (every 5 s while recording), so the charts hold several slots.
    await wb.page.waitForTimeout(12_000);
    // The legend follows the cursor over the CPU chart.
    const over = view.locator('.host-chart').first().locator('.u-over');
    const box = await over.boundingBox();
    assert.ok(box);
    // From the right edge leftwards until the cursor is over a recorded slot (the newest may be open still).
    const legend = view.locator('.host-chart').first().locator('.u-legend');
    let text = '';
    // The host's CPU needs two readings, and the chart is redrawn every 5 s: try a few redraws.
    for (let attempt = 0; attempt < 5 && !/Average\s*\d/.test(text); attempt++) {
      if (attempt > 0) await wb.page.waitForTimeout(5_000);
      for (let x = box.width - 0.5; x > box.width / 2; x -= x > box.width - 12 ? 1 : 6) {
        await wb.page.mouse.move(box.x + x, box.y + box.height / 2);
        await wb.page.waitForTimeout(100);
        text = await legend.innerText();
        if (/Average\s*\d/.test(text)) break;
      }
    }
    assert.match(text, /Average\s*\d+(\.\d)? %/);
    await wb.screenshot('dashboard-dark');
  });

  it('filters the cards by name and reads a longer range', async () => {
    const view = wb.webview();
    await view.locator('#filter input').fill(name);
    await view.locator('#count', { hasText: /^1 of \d+ VMs/ }).waitFor({ timeout: 10_000 });
    await view.locator('#filter input').fill(`${name} tag:nothing-has-this`);
    await view.locator('#count', { hasText: /^0 of \d+ VMs/ }).waitFor({ timeout: 30_000 });
    await view.locator('#filter input').fill(name);
    const range = view.locator('vscode-single-select#range');
    await range.click();
    await range.getByRole('option', { name: 'Last 24 hours', exact: true }).click();
    // The 24 h range reads the 1-minute tier: still the same VM, its figure from a coarser slot.
    await view.locator('#cards .card', { hasText: name }).locator('.fig', { hasText: /^CPU \d/ }).waitFor({ timeout: 30_000 });
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`draws the dashboard in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass, { 'libvirtVms.statsInterval': 1 });
      await wb.webview().locator('#cards .card', { hasText: name }).waitFor({ timeout: 30_000 });
      await wb.page.waitForTimeout(1500);
      await wb.screenshot(`dashboard-${file}`);
    });
  }
});
