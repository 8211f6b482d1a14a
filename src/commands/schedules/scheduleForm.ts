// The questions that make or edit a schedule, as quick picks and input boxes: what it acts on
// (one VM, or every VM with a tag), what it does, how many snapshots it keeps, and when (every
// hour at, every day at, every week on, or a cron time read back in words while typing). Each
// step starts from the schedule being edited, if any.

import { CronError, cronOf, cronTimeProblem, DAY_NAMES, describeCron, parseClock, parseCronTime, type ScheduleWhen } from '../../libvirt/schedules/cronExpr';
import { ACTION_LABEL, MAX_KEEP, newScheduleId, textProblem, type Schedule, type ScheduleAction, type ScheduleActionKind, type ScheduleTarget } from '../../libvirt/schedules/schedule';
import { required } from '../../ui/cancel';
import type { HostSession } from '../../views/hostSession';
import { STATE_LABEL } from '../../views/vmState';
import type { PickItem, Prompts } from '../prompts';

const TITLE = 'New Schedule';

const ACTION_DETAIL: Readonly<Record<ScheduleActionKind, string>> = {
  start: 'Starts the VM unless it is already running.',
  shutdown: 'Asks the guest to shut down (ACPI), as Shut Down does; a shut-off VM is left alone.',
  reboot: 'Asks the guest to reboot; a VM that is not running is left alone.',
  snapshot: 'Takes a snapshot named sched-<id>-<time> and deletes the oldest of its own snapshots beyond the number to keep.',
};

function clockText(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

function clockProblem(v: string): string | undefined {
  try {
    parseClock(v);
    return undefined;
  } catch (e) {
    if (CronError.is(e)) return e.message;
    throw e;
  }
}

async function askTarget(prompts: Prompts, host: HostSession, title: string): Promise<ScheduleTarget> {
  const kind = required(
    await prompts.pickOne<'vm' | 'tag'>({
      title,
      placeHolder: 'What should the schedule act on?',
      items: [
        { label: '$(vm) One VM', detail: 'Found by its UUID, so a rename does not break the schedule.', value: 'vm' },
        { label: '$(tag) Every VM with a tag', detail: 'The VMs are looked up each time the schedule runs.', value: 'tag' },
      ],
    }),
  ).value;
  if (kind === 'vm') {
    const vms = host.snapshots().sort((a, b) => a.ref.name.localeCompare(b.ref.name));
    if (vms.length === 0) throw new Error(`${host.config.name} has no VMs to schedule (is it connected?)`);
    const pick = required(
      await prompts.pickOne({ title, placeHolder: 'Select a VM', items: vms.map((v): PickItem<ScheduleTarget> => ({ label: v.ref.name, description: STATE_LABEL[v.state], value: { kind: 'vm', uuid: v.ref.uuid, name: v.ref.name } })) }),
    );
    return pick.value;
  }
  const known = [...new Set(host.snapshots().flatMap((v) => v.tags))].sort();
  const items: PickItem<string | undefined>[] = [
    ...known.map((t) => ({ label: `$(tag) ${t}`, value: t })),
    { label: '$(edit) Enter a tag…', value: undefined },
  ];
  const picked = known.length === 0 ? undefined : required(await prompts.pickOne({ title, placeHolder: 'Select a tag', items })).value;
  const tag = picked ?? required(await prompts.input({ title, prompt: 'The tag (VMs that carry it when the schedule runs)', validate: (v) => textProblem(v, 'tag') }));
  return { kind: 'tag', tag };
}

async function askAction(prompts: Prompts, title: string, old: ScheduleAction | undefined): Promise<ScheduleAction> {
  const kinds: ScheduleActionKind[] = ['start', 'shutdown', 'reboot', 'snapshot'];
  const kind = required(
    await prompts.pickOne({
      title,
      placeHolder: 'What should it do?',
      items: kinds.map((k) => ({ label: ACTION_LABEL[k], description: k === old?.kind ? 'current' : undefined, detail: ACTION_DETAIL[k], value: k })),
    }),
  ).value;
  if (kind !== 'snapshot') return { kind };
  const keep = required(
    await prompts.input({
      title,
      prompt: `How many of this schedule's snapshots to keep (1-${MAX_KEEP}); older ones are deleted after each new one. Other snapshots are never touched.`,
      value: String(old?.kind === 'snapshot' ? old.keep : 3),
      validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= MAX_KEEP ? undefined : `enter a whole number from 1 to ${MAX_KEEP}`),
    }),
  );
  return { kind: 'snapshot', keep: Number(keep.trim()) };
}

async function askWhen(prompts: Prompts, title: string, timezone: string, old: ScheduleWhen | undefined): Promise<ScheduleWhen> {
  const tz = timezone ? ` (the host's time zone: ${timezone})` : " (the host's time zone)";
  const kind = required(
    await prompts.pickOne<ScheduleWhen['kind']>({
      title,
      placeHolder: `When should it run?${tz}`,
      items: (
        [
          { label: 'Every hour', detail: 'At a minute past each hour.', value: 'hourly' },
          { label: 'Every day at…', detail: 'At a time of day.', value: 'daily' },
          { label: 'Every week on…', detail: 'On chosen days of the week at a time of day.', value: 'weekly' },
          { label: 'Custom (cron)…', detail: 'Five cron fields: minute hour day-of-month month day-of-week.', value: 'cron' },
        ] as const
      ).map((i): PickItem<ScheduleWhen['kind']> => ({ ...i, description: i.value === old?.kind ? 'current' : undefined })),
    }),
  ).value;
  const oldClock = old && old.kind !== 'cron' && old.kind !== 'hourly' ? clockText(old.hour, old.minute) : '03:00';
  switch (kind) {
    case 'hourly': {
      const m = required(
        await prompts.input({
          title,
          prompt: 'Minute past the hour (0-59)',
          value: String(old?.kind === 'hourly' ? old.minute : 0),
          validate: (v) => (/^\d{1,2}$/.test(v.trim()) && Number(v) <= 59 ? undefined : 'enter a minute from 0 to 59'),
        }),
      );
      return { kind: 'hourly', minute: Number(m.trim()) };
    }
    case 'daily': {
      const t = parseClock(required(await prompts.input({ title, prompt: `Time of day, HH:MM (24-hour)${tz}`, value: oldClock, validate: clockProblem })));
      return { kind: 'daily', ...t };
    }
    case 'weekly': {
      const days = required(
        await prompts.pickMany({
          title,
          placeHolder: 'Select the days',
          items: [1, 2, 3, 4, 5, 6, 0].map((d) => ({ label: DAY_NAMES[d], value: d, picked: old?.kind === 'weekly' && old.days.includes(d) })),
        }),
      ).map((i) => i.value);
      if (days.length === 0) throw new CronError('choose at least one day of the week');
      const t = parseClock(required(await prompts.input({ title, prompt: `Time of day, HH:MM (24-hour)${tz}`, value: oldClock, validate: clockProblem })));
      return { kind: 'weekly', days, ...t };
    }
    case 'cron': {
      const expr = required(
        await prompts.input({
          title,
          prompt: `minute hour day-of-month month day-of-week, e.g. "0 3 * * 1-5"${tz}`,
          value: old ? cronOf(old).text : '0 3 * * *',
          validate: cronTimeProblem,
          describe: (v) => `Runs ${describeCron(parseCronTime(v))}`,
        }),
      );
      return { kind: 'cron', expr: parseCronTime(expr).text };
    }
  }
}

export interface ScheduleFormInput {
  readonly prompts: Prompts;
  readonly host: HostSession;
  /** The daemon URI on the host (qemu:///system). */
  readonly daemonUri: string;
  readonly timezone: string;
  /** A fixed target (the VM the command was run on). */
  readonly target?: ScheduleTarget;
  /** The schedule being edited. */
  readonly old?: Schedule;
}

/** Asks every step; returns the new or edited schedule (not saved). */
export async function askSchedule(i: ScheduleFormInput): Promise<Schedule> {
  const title = i.old ? 'Edit Schedule' : TITLE;
  const target = i.target ?? i.old?.target ?? (await askTarget(i.prompts, i.host, title));
  const subject = target.kind === 'vm' ? target.name : `VMs tagged "${target.tag}"`;
  const action = await askAction(i.prompts, `${title}: ${subject}`, i.old?.action);
  const when = await askWhen(i.prompts, `${title}: ${ACTION_LABEL[action.kind]} ${subject}`, i.timezone, i.old?.when);
  return { id: i.old?.id ?? newScheduleId(), uri: i.daemonUri, target, action, when, paused: i.old?.paused ?? false };
}
