// UI test of alerts in a real VS Code: a VM forced off by another client shows one notification
// with Start / Open Details / Show Alerts, the Alerts view lists it under Active with a badge on
// the container, and the notification's Start starts the VM and moves the alert to Recent.
// Screenshots (dark, light, high contrast) in test-results/screenshots/alerts-*.png.
import * as assert from 'node:assert/strict';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { leftoverOfDeadRun } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'alr-';
const NAME = `${PREFIX}${process.pid}-ui`;

describe('Alerts (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${NAME}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>`);
    dom = await conn.domainCreate(dom);
    wb = await openWorkbench();
    await wb.clickActivityBar('Virtual Machines');
    // A wider sidebar, so the alert rows show their messages.
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 560, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
  });

  after(async () => {
    await wb?.setTheme('Default Dark Modern', 'vs-dark').catch(() => undefined);
    await wb?.close();
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom).catch(() => undefined);
    }
    await conn?.close();
  });

  it('notifies once with actions, lists the alert with a badge, and Start clears it', async () => {
    const rules = { 'libvirtVms.alerts.rules': [{ name: 'Stopped elsewhere', kind: 'unexpectedStop', scope: `vm:${dom.uuid}` }] };
    await wb.setTheme('Default Dark Modern', 'vs-dark', rules);
    // The Alerts view starts collapsed below the tree: open it as Show Alerts does.
    const header = wb.page.locator('.part.sidebar .pane-header', { hasText: /^\s*Alerts/i }).first();
    await header.waitFor();
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    await wb.waitForTreeItem(/^Active/);
    await wb.waitForTreeItem(new RegExp(`^${NAME}`));
    await wb.treeItem(/^No active alerts \(1 rule watching\)/).waitFor();

    await conn.domainDestroy(dom);
    const toast = wb.page.locator('.notification-toast', { hasText: 'Forced off by another client' });
    await toast.waitFor({ timeout: 30_000 });
    await wb.screenshot('alerts-notification-dark');
    const text = await toast.innerText();
    assert.match(text, new RegExp(`Stopped elsewhere: ${NAME} on .*: Forced off by another client`));
    for (const b of ['Start', 'Open Details', 'Show Alerts']) assert.equal(await toast.getByRole('button', { name: b }).count(), 1, `button ${b}`);
    const row = wb.page.getByRole('treeitem', { name: new RegExp(`^Active alert: Stopped elsewhere: ${NAME}`) });
    await row.waitFor();
    // With a badge the icon's label says it: "Virtual Machines - 1 active alert".
    const badge = wb.page.locator('.activitybar .action-item:has(a.action-label[aria-label^="Virtual Machines"]) .badge-content');
    await badge.waitFor();
    assert.equal((await badge.innerText()).trim(), '1');
    assert.equal(await wb.page.locator('.activitybar a.action-label[aria-label="Virtual Machines - 1 active alert"]').count(), 1);

    await wb.setTheme('Default Light Modern', 'vs', rules);
    await row.waitFor();
    await wb.screenshot('alerts-view-light');
    await wb.setTheme('Default High Contrast', 'hc-black', rules);
    await row.waitFor();
    await wb.screenshot('alerts-view-hc');

    // The notification may have timed out into the notification center while the theme changed.
    if (!(await toast.isVisible())) {
      await wb.runCommand('Notifications: Show Notifications');
    }
    await wb.page.locator('.notification-list-item', { hasText: 'Forced off by another client' }).getByRole('button', { name: 'Start' }).first().click();
    const until = Date.now() + 30_000;
    while ((await conn.domainGetState(dom)).state !== VirDomainState.RUNNING) {
      if (Date.now() > until) throw new Error('Start from the notification did not start the VM');
      await wb.page.waitForTimeout(250);
    }
    await wb.page.getByRole('treeitem', { name: new RegExp(`^Resolved alert: Stopped elsewhere: ${NAME}`) }).waitFor({ timeout: 30_000 });
    await wb.screenshot('alerts-resolved-hc');
    await badge.waitFor({ state: 'hidden', timeout: 10_000 });
  });
});
