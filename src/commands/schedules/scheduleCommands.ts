// Schedules… and New Schedule… on a VM or a connection (tree node, `{ connectionId[, uuid] }`, or
// the palette with a quick pick). The list shows each schedule with its last run on the host and
// offers Run Now, Pause/Resume, Edit, Show Last Output and Remove. Schedules live in the crontab
// of the connection's user on the host (see src/libvirt/schedules/); TLS/TCP connections and
// hosts without cron get a plain explanation instead.

import * as vscode from 'vscode';
import { describeCron, cronOf } from '../../libvirt/schedules/cronExpr';
import { openScheduleHost, type OpenedScheduleHost } from '../../libvirt/schedules/scheduleAccess';
import type { ListedSchedule, ScheduleHost, ScheduleListing } from '../../libvirt/schedules/scheduleHost';
import { describeAction, describeSchedule, describeTarget, snapshotPrefix, type Schedule, type ScheduleTarget } from '../../libvirt/schedules/schedule';
import type { RunResult } from '../../libvirt/schedules/runScript';
import { summarizeDomainXml } from '../../libvirt/xml/summary';
import { required, UserCancelledError } from '../../ui/cancel';
import type { HostSession } from '../../views/hostSession';
import type { PickItem } from '../prompts';
import type { CommandDeps, CommandEntry } from '../registry';
import { isVmArg } from '../vmTargets';
import { askSchedule } from './scheduleForm';
import { isRecord } from '../args';

interface Where {
  readonly host: HostSession;
  /** Set when the command was run on a VM. */
  readonly vm?: { readonly uuid: string; readonly name: string; readonly tags: readonly string[] };
}

async function whereOf(deps: CommandDeps, node: unknown, title: string): Promise<Where> {
  if (isVmArg(node)) {
    const host = deps.tree.session(node.connectionId);
    if (!host) throw new Error(`The connection of this VM (${node.connectionId}) is no longer configured`);
    const conn = host.connection();
    if (!conn) throw new Error(`${host.config.name} is not connected`);
    // The VM's tags from its XML (the tree knows them only while a tag filter is on): tag schedules apply to it too.
    const dom = host.snapshot(node.uuid)?.ref ?? (await conn.domainLookupByUuid(node.uuid));
    const { tags } = summarizeDomainXml(await conn.domainGetXmlDesc(dom, 0));
    return { host, vm: { uuid: node.uuid, name: dom.name, tags } };
  }
  let id: string | undefined;
  if (isRecord(node) && node['kind'] === 'connection' && isRecord(node['session']) && typeof node['session']['id'] === 'string') id = node['session']['id'];
  else if (isRecord(node) && typeof node['connectionId'] === 'string') id = node['connectionId'];
  if (id !== undefined) {
    const host = deps.tree.session(id);
    if (!host) throw new Error(`No saved connection with id ${id}`);
    return { host };
  }
  const sessions = deps.tree.sessions();
  if (sessions.length === 0) throw new Error('No connections yet. Use "Add Connection" first.');
  if (sessions.length === 1) return { host: sessions[0] };
  const pick = required(
    await deps.prompts.pickOne({ title, placeHolder: 'Select a connection', items: sessions.map((h) => ({ label: h.config.name, description: h.config.uri, value: h })) }),
  );
  return { host: pick.value };
}

function applies(s: Schedule, where: Where): boolean {
  if (!where.vm) return true;
  return s.target.kind === 'vm' ? s.target.uuid === where.vm.uuid : where.vm.tags.includes(s.target.tag);
}

function runWords(r: RunResult | undefined): string {
  if (!r) return 'Not run yet';
  const when = new Date(r.started).toLocaleString();
  const last = r.output.split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  return `${r.exitCode === 0 ? 'Last run' : `Last run FAILED (exit ${r.exitCode})`} ${when}${last ? `: ${last}` : ''}`;
}

function listedItem(l: ListedSchedule): PickItem<ListedSchedule | undefined> {
  const s = l.schedule;
  const icon = s.paused ? '$(debug-pause)' : l.lastRun && l.lastRun.exitCode !== 0 ? '$(error)' : '$(calendar)';
  const notes = [!l.hasJob ? 'its job line is missing from the crontab: it does not run' : undefined, l.modified ? 'its crontab line was edited by hand' : undefined].filter((x) => x !== undefined);
  return {
    label: `${icon} ${describeAction(s.action)} · ${describeTarget(s.target)}`,
    description: `${s.paused ? 'paused · ' : ''}${describeCron(cronOf(s.when))}`,
    detail: [runWords(l.lastRun), ...notes].join(' — '),
    value: l,
  };
}

/** What Schedules… did; returned to `executeCommand` callers (tests). */
export interface SchedulesReport {
  /** Whose crontab: "root". */
  readonly user: string;
  /** Where the crontab is: "root@127.0.0.1:2222" or "this machine". */
  readonly label: string;
  readonly listing: ScheduleListing;
  /** The schedules shown (for a VM: those acting on it). */
  readonly shown: readonly ListedSchedule[];
  readonly did?: 'new' | 'run' | 'pause' | 'resume' | 'edit' | 'remove' | 'output';
  readonly schedule?: Schedule;
  readonly result?: RunResult;
}

type Act = 'run' | 'pause' | 'resume' | 'edit' | 'remove' | 'output';

async function showSchedules(deps: CommandDeps, node: unknown): Promise<SchedulesReport> {
  const title = 'Schedules';
  const where = await whereOf(deps, node, title);
  const subject = where.vm ? where.vm.name : where.host.config.name;
  let opened: OpenedScheduleHost | undefined;
  try {
    opened = await openScheduleHost(where.host.config.uri);
    const sh = opened.host;
    const listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reading schedules of ${subject}…` }, () => sh.list());
    const shown = listing.schedules.filter((l) => applies(l.schedule, where));
    const base = { user: listing.info.user, label: sh.label, listing, shown };
    const warn: PickItem<ListedSchedule | undefined>[] =
      listing.info.cronDaemon === 'not running'
        ? [{ label: '$(warning) No cron daemon seems to run on the host', detail: 'Schedules are saved but nothing runs them until cron runs (e.g. systemctl enable --now cron).', value: undefined }]
        : [];
    const items: PickItem<ListedSchedule | 'new' | undefined>[] = [
      { label: '$(add) New Schedule…', value: 'new' },
      ...warn,
      ...shown.map(listedItem),
    ];
    const tz = listing.info.timezone ? `, times in ${listing.info.timezone}` : '';
    const chosen = required(
      await deps.prompts.pickOne({
        title: `${title}: ${subject}`,
        placeHolder: shown.length === 0 ? `No schedules yet (crontab of ${listing.info.user} on ${sh.label})` : `Crontab of ${listing.info.user} on ${sh.label}${tz}`,
        items,
      }),
    ).value;
    if (chosen === undefined) return base;
    if (chosen === 'new') {
      const schedule = await createOrEdit(deps, where, sh, listing.info.timezone, undefined);
      return { ...base, did: 'new', schedule };
    }
    const s = chosen.schedule;
    const acts: PickItem<Act>[] = [
      { label: '$(play) Run Now', detail: 'Runs it on the host now, exactly as cron would, and shows the result.', value: 'run' },
      s.paused ? { label: '$(debug-continue) Resume', value: 'resume' } : { label: '$(debug-pause) Pause', detail: 'Comments out its crontab line; Resume restores it.', value: 'pause' },
      { label: '$(edit) Edit…', value: 'edit' },
      ...(chosen.lastRun ? [{ label: '$(output) Show Last Output', value: 'output' as const }] : []),
      { label: '$(trash) Remove…', value: 'remove' },
    ];
    const act = required(await deps.prompts.pickOne({ title: describeSchedule(s), items: acts })).value;
    switch (act) {
      case 'run': {
        const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Running "${describeSchedule(s)}" on ${sh.label}…` }, () => sh.runNow(s));
        if (!result) throw new Error(`The schedule ran on ${sh.label} but left no result (is the runner script there?)`);
        if (result.exitCode === 0) void vscode.window.showInformationMessage(`Schedule ran: ${result.output.split('\n').pop() ?? 'done'}`);
        else void vscode.window.showErrorMessage(`The schedule failed (exit ${result.exitCode}): ${result.output}`);
        return { ...base, did: 'run', schedule: s, result };
      }
      case 'pause':
      case 'resume': {
        const changed = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${act === 'pause' ? 'Pausing' : 'Resuming'} the schedule on ${sh.label}…` }, () =>
          sh.setPaused(s.id, act === 'pause'),
        );
        return { ...base, did: act, schedule: changed };
      }
      case 'edit': {
        const schedule = await createOrEdit(deps, where, sh, listing.info.timezone, s);
        return { ...base, did: 'edit', schedule };
      }
      case 'output': {
        const r = chosen.lastRun!;
        const doc = await vscode.workspace.openTextDocument({ content: `# ${describeSchedule(s)}\n# started ${r.started}, finished ${r.finished}, exit ${r.exitCode}\n${r.output}\n`, language: 'log' });
        await vscode.window.showTextDocument(doc, { preview: true });
        return { ...base, did: 'output', schedule: s, result: r };
      }
      case 'remove': {
        const ok = await deps.prompts.confirm({
          message: `Remove the schedule "${describeSchedule(s)}"?`,
          detail:
            `This removes its two lines (the comment "# libvirt-vms:${s.id} …" and the job line after it) from the crontab of ${listing.info.user} on ${sh.label}, and its last result. ` +
            `Every other crontab line stays as it is.` +
            (s.action.kind === 'snapshot' ? ` Snapshots it took (named ${snapshotPrefix(s.id)}…) are kept.` : ''),
          button: 'Remove',
        });
        if (!ok) throw new UserCancelledError(title);
        // remove() re-reads the crontab and refuses if this entry changed since it was shown.
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing the schedule from ${sh.label}…` }, () => sh.remove(s.id, s));
        return { ...base, did: 'remove', schedule: s };
      }
    }
    return base;
  } finally {
    opened?.release();
  }
}

async function createOrEdit(deps: CommandDeps, where: Where, sh: ScheduleHost, timezone: string, old: Schedule | undefined): Promise<Schedule> {
  const target: ScheduleTarget | undefined = old ? undefined : where.vm ? { kind: 'vm', uuid: where.vm.uuid, name: where.vm.name } : undefined;
  const schedule = await askSchedule({ prompts: deps.prompts, host: where.host, daemonUri: sh.daemonUri, timezone, target, old });
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Saving the schedule on ${sh.label}…` }, () => sh.save(schedule));
  const info = await sh.info();
  void vscode.window.showInformationMessage(`Scheduled: ${describeSchedule(schedule)} (crontab of ${info.user} on ${sh.label}).`);
  return schedule;
}

async function newSchedule(deps: CommandDeps, node: unknown): Promise<Schedule> {
  const where = await whereOf(deps, node, 'New Schedule');
  let opened: OpenedScheduleHost | undefined;
  try {
    opened = await openScheduleHost(where.host.config.uri);
    const sh = opened.host;
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking cron on ${where.host.config.name}…` }, () => sh.info());
    return await createOrEdit(deps, where, sh, info.timezone, undefined);
  } finally {
    opened?.release();
  }
}

export const scheduleCommands: readonly CommandEntry[] = [
  { id: 'libvirtVms.schedules.show', title: 'Schedules', run: (deps, node) => showSchedules(deps, node) },
  { id: 'libvirtVms.schedules.new', title: 'New Schedule', run: (deps, node) => newSchedule(deps, node) },
];
