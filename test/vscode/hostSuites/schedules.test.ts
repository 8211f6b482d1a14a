// The schedule commands inside a real VS Code extension host, against the real libvirtd and the
// crontab of the user the host runs as (the local connection): New Schedule… on a VM through its
// quick picks and input boxes (the cron box refuses a bad time and reads a good one back in
// words), then Schedules… to Run Now (a snapshot appears), Pause (the job line is commented
// out) and Remove (the confirmation names the entry; only its two lines go, a sentinel line
// of someone else stays byte-identical).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfirmRequest, InputRequest, PickItem, PickRequest } from '../../../src/commands/prompts';
import type { SchedulesReport } from '../../../src/commands/schedules/scheduleCommands';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { parseCrontab } from '../../../src/libvirt/schedules/crontab';
import type { Schedule } from '../../../src/libvirt/schedules/schedule';
import { readCrontab as crontab, writeCrontab } from '../../crontabFile';
import { leftoverOfDeadRun } from '../../leftovers';
import { removeDeadRunSchedules } from '../../scheduleLeftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hsch';
const RUN = `${PREFIX}${process.pid}-`;
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const UNDEFINE_ALL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.NVRAM;

describe('Schedule commands (extension host, real cron and libvirtd)', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let dir: string;
  let dom: DomainRef;
  let saved: Schedule | undefined;
  const sentinel = `# ${RUN}sentinel: someone else's line 50% of the time`;

  const pick = (text: string) => (req: PickRequest<unknown>): PickItem<unknown> => {
    const item = req.items.find((i) => i.label.includes(text));
    assert.ok(item, `"${text}" not offered in "${req.title}": ${req.items.map((i) => i.label).join(' | ')}`);
    return item;
  };
  /** Answers the list's picks: first the schedule (by its id's entry), then the action. */
  const listAnswers = (action: string) => (req: PickRequest<unknown>): PickItem<unknown> => {
    if (req.title.startsWith('Schedules: ')) {
      const item = req.items.find((i) => (i.value as { schedule?: Schedule } | undefined)?.schedule?.id === saved!.id);
      assert.ok(item, `schedule ${saved!.id} not listed: ${req.items.map((i) => i.label).join(' | ')}`);
      return item;
    }
    return pick(action)(req);
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await removeDeadRunSchedules(URI, PREFIX);
    dir = fs.mkdtempSync('/tmp/hsch-');
    fs.chmodSync(dir, 0o755);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'schedule test', uri: URI, autoconnect: true });
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected');
    const name = `${RUN}${crypto.randomBytes(3).toString('hex')}`;
    const file = path.join(dir, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    fs.chmodSync(file, 0o666);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
    await waitFor('the VM in the tree', () => api.tree.vmItem(connectionId, name));
    const before = crontab();
    writeCrontab(`${before}${sentinel}\n`);
  });

  after(async () => {
    api?.prompts.setResponder(undefined);
    const lines = crontab().split('\n');
    const keep = lines.filter((l, i) => l !== sentinel && !(saved && (l.startsWith(`# libvirt-vms:${saved.id} `) || (lines[i - 1] ?? '').startsWith(`# libvirt-vms:${saved.id} `))));
    writeCrontab(keep.join('\n'));
    if (saved) fs.rmSync(path.join(os.homedir(), '.local/share/libvirt-vms/results', `${saved.id}.result`), { force: true });
    if (dom) await conn.domainUndefine(dom, UNDEFINE_ALL).catch(() => undefined);
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('New Schedule… on a VM asks what, how many and when, checks the cron time while typing, and writes the crontab entry', async () => {
    let cronBox: InputRequest | undefined;
    api.prompts.setResponder({
      pickOne: (req) => (req.placeHolder === 'What should it do?' ? pick('Take Snapshot')(req) : pick('Custom (cron)')(req)),
      input: (req) => {
        if (req.prompt?.startsWith('How many')) return '2';
        cronBox = req;
        return '30 4 * * 1-5';
      },
    });
    saved = (await vscode.commands.executeCommand<Schedule | undefined>('libvirtVms.schedules.new', { connectionId, uuid: dom.uuid })) ?? undefined;
    assert.ok(saved, 'no schedule saved');
    assert.deepEqual(saved.target, { kind: 'vm', uuid: dom.uuid, name: dom.name });
    assert.deepEqual(saved.action, { kind: 'snapshot', keep: 2 });
    assert.ok(cronBox?.validate && cronBox.describe);
    assert.match((await cronBox.validate('61 4 * * *')) ?? '', /minute "61": 61 is outside 0-59/);
    assert.equal(await cronBox.validate('30 4 * * 1-5'), undefined);
    assert.equal(cronBox.describe('30 4 * * 1-5'), 'Runs at 04:30 on Monday to Friday');
    const entry = parseCrontab(crontab()).entries.find((e) => e.schedule.id === saved!.id);
    assert.ok(entry?.hasJob);
    assert.match(entry.job!, /^30 4 \* \* 1-5 '\/.*\/run-schedule' '/);
  });

  it('Schedules… runs it now and shows the result; Pause comments its line out', async () => {
    api.prompts.setResponder({ pickOne: listAnswers('Run Now') });
    const ran = await vscode.commands.executeCommand<SchedulesReport | undefined>('libvirtVms.schedules.show', { connectionId, uuid: dom.uuid });
    assert.equal(ran?.did, 'run');
    assert.equal(ran.user, os.userInfo().username);
    assert.equal(ran.result?.exitCode, 0, ran.result?.output);
    const snaps = (await conn.domainListAllSnapshots(dom)).map((s) => s.name);
    assert.equal(snaps.length, 1);
    assert.match(snaps[0], new RegExp(`^sched-${saved!.id}-\\d{8}T\\d{6}Z$`));

    api.prompts.setResponder({ pickOne: listAnswers('Pause') });
    const paused = await vscode.commands.executeCommand<SchedulesReport | undefined>('libvirtVms.schedules.show', { connectionId });
    assert.equal(paused?.did, 'pause');
    assert.match(parseCrontab(crontab()).entries.find((e) => e.schedule.id === saved!.id)?.job ?? '', /^#paused# 30 4 /);
  });

  it('Remove… names the entry, then removes only its two lines', async () => {
    const before = crontab();
    let asked: ConfirmRequest | undefined;
    api.prompts.setResponder({
      pickOne: listAnswers('Remove'),
      confirm: (req) => {
        asked = req;
        return true;
      },
    });
    const report = await vscode.commands.executeCommand<SchedulesReport | undefined>('libvirtVms.schedules.show', { connectionId, uuid: dom.uuid });
    assert.equal(report?.did, 'remove');
    assert.equal(asked?.button, 'Remove');
    assert.match(asked!.message, /Take Snapshot \(keep last 2\) of hsch/);
    assert.ok(asked!.detail.includes(`# libvirt-vms:${saved!.id}`), asked!.detail);
    const after = crontab();
    const gone = before.split('\n').filter((l) => !after.split('\n').includes(l));
    assert.equal(gone.length, 2);
    assert.ok(after.includes(`${sentinel}\n`));
    assert.equal(after, before.split('\n').filter((l) => !gone.includes(l)).join('\n'));
    // Its snapshot stays: removing a schedule deletes no VM data.
    assert.equal((await conn.domainListAllSnapshots(dom)).length, 1);
  });
});
