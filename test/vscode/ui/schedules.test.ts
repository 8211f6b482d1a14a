// UI test of the schedule quick picks in a real VS Code (code-server + Chromium): the Schedules
// list with a schedule and its last run, and New Schedule's cron box reading a valid time back in
// words and naming the wrong field of a bad one. Screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { openScheduleHost, type OpenedScheduleHost } from '../../../src/libvirt/schedules/scheduleAccess';
import { newScheduleId, type Schedule } from '../../../src/libvirt/schedules/schedule';
import { leftoverOfDeadRun } from '../../leftovers';
import { removeDeadRunSchedules } from '../../scheduleLeftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'vsuisch';

describe('Schedules (UI)', function () {
  this.timeout(150_000);
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir: string;
  let opened: OpenedScheduleHost | undefined;
  let schedule: Schedule | undefined;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainUndefine(d, U.SNAPSHOTS_METADATA).catch(() => undefined);
    }
    await removeDeadRunSchedules(URI, PREFIX);
    dir = fs.mkdtempSync('/tmp/vsuisch-');
    fs.chmodSync(dir, 0o755);
    const file = `${dir}/disk.qcow2`;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    fs.chmodSync(file, 0o666);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
    opened = await openScheduleHost(URI);
    schedule = { id: newScheduleId(), uri: 'qemu:///system', target: { kind: 'vm', uuid: dom.uuid, name }, action: { kind: 'snapshot', keep: 3 }, when: { kind: 'daily', hour: 3, minute: 0 }, paused: false };
    await opened.host.save(schedule);
    const ran = await opened.host.runNow(schedule);
    assert.equal(ran?.exitCode, 0, ran?.output);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (opened && schedule) await opened.host.remove(schedule.id).catch(() => undefined);
    opened?.release();
    if (dom) await conn.domainUndefine(dom, U.SNAPSHOTS_METADATA).catch(() => undefined);
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists a schedule with its last run, and the cron box reads times back in words', async () => {
    const page = wb.page;
    await wb.clickActivityBar('Virtual Machines');
    await wb.waitForTreeItem(new RegExp(name), 60_000);
    const widget = page.locator('.quick-input-widget');
    /** Runs a palette command that opens a quick pick of its own (so the widget never hides). */
    const start = async (title: string): Promise<void> => {
      const input = widget.locator('input.input');
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('F1');
        if (await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => input.fill(`>${title}`, { timeout: 3_000 })).then(() => true, () => false)) break;
      }
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await page.keyboard.press('Enter');
    };
    await start('Virtual Machines: Schedules…');
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: `Take Snapshot (keep last 3) · ${name}` }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await row.innerText(), /every day at 03:00/);
    assert.match(await row.innerText(), /Last run .*took snapshot sched-/);
    await wb.screenshot('schedules-list');
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 10_000 });

    await start('Virtual Machines: New Schedule…');
    const choose = async (text: string): Promise<void> => {
      const r = widget.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
      await r.waitFor({ state: 'visible', timeout: 30_000 });
      await r.click();
    };
    await choose('One VM');
    await widget.locator('input.input').fill(name);
    await choose(name);
    await choose('Reboot');
    await choose('Custom (cron)');
    const input = widget.locator('input.input');
    await input.fill('30 4 * * 1-5');
    const message = widget.locator('.quick-input-message');
    await message.filter({ hasText: 'Runs at 04:30 on Monday to Friday' }).waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot('schedules-cron-words');
    await input.fill('61 4 * * 1-5');
    await message.filter({ hasText: 'minute "61": 61 is outside 0-59' }).waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await message.innerText(), /minute "61"/);
    await wb.screenshot('schedules-cron-error');
    await page.keyboard.press('Escape');
  });
});
