// A schedule: a recurring action (start, shut down, reboot, snapshot with retention) on one VM or
// on every VM with a tag, at a cron time, run by the host's cron daemon while VS Code is closed.
// The schedule is stored whole in its crontab marker line (see crontab.ts), so the crontab is
// the only place it lives and every client that reads it sees the same list.

import { randomBytes } from 'node:crypto';
import { cronOf, describeCron, type ScheduleWhen } from './cronExpr';

export type ScheduleActionKind = 'start' | 'shutdown' | 'reboot' | 'snapshot';

export type ScheduleAction =
  | { readonly kind: 'start' | 'shutdown' | 'reboot' }
  /** keep: how many of this schedule's own snapshots stay after a run (the oldest go first). */
  | { readonly kind: 'snapshot'; readonly keep: number };

export type ScheduleTarget =
  /** One VM: found by UUID (it survives renames); the name is for messages. */
  | { readonly kind: 'vm'; readonly uuid: string; readonly name: string }
  /** Every VM of the connection that carries the tag when the schedule runs. */
  | { readonly kind: 'tag'; readonly tag: string };

export interface Schedule {
  /** Lower-case letters and digits; names the crontab entry, the result file and the snapshots. */
  readonly id: string;
  /** The daemon URI on the host (qemu:///system or qemu:///session) that virsh connects to. */
  readonly uri: string;
  readonly target: ScheduleTarget;
  readonly action: ScheduleAction;
  readonly when: ScheduleWhen;
  readonly paused: boolean;
}

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }

  static is(e: unknown): e is ScheduleError {
    return e instanceof ScheduleError;
  }
}

export const SCHEDULE_ID_RE = /^[a-z0-9]{6,32}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAEMON_URI_RE = /^[a-z][a-z0-9]*:\/\/\/(system|session)$/;
/** Most snapshots a schedule may keep. */
export const MAX_KEEP = 100;
/** Longest VM name or tag that fits a crontab line with room to spare (Vixie cron reads 1000-byte commands). */
export const MAX_TEXT_BYTES = 200;

export const ACTION_LABEL: Readonly<Record<ScheduleActionKind, string>> = {
  start: 'Start',
  shutdown: 'Shut Down',
  reboot: 'Reboot',
  snapshot: 'Take Snapshot',
};

export function newScheduleId(): string {
  // 10 base-32 characters (50 bits): unique within any one crontab.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(10)].map((b) => alphabet[b & 31]).join('');
}

/** The prefix of the snapshots a schedule takes; only those are ever deleted by its retention. */
export function snapshotPrefix(id: string): string {
  return `sched-${id}-`;
}

/** Undefined when `text` can be a VM name or tag in a schedule, else why not. */
export function textProblem(text: string, what: string): string | undefined {
  if (text.trim() === '') return `the ${what} is empty`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return `the ${what} contains a control character (a line break, tab or similar), which a crontab line cannot carry`;
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return `the ${what} is longer than ${MAX_TEXT_BYTES} bytes`;
  return undefined;
}

/** Throws ScheduleError naming the first problem. */
export function validateSchedule(s: Schedule): void {
  if (!SCHEDULE_ID_RE.test(s.id)) throw new ScheduleError(`schedule id "${s.id}" is not 6-32 lower-case letters and digits`);
  if (!DAEMON_URI_RE.test(s.uri)) throw new ScheduleError(`"${s.uri}" is not a daemon URI like qemu:///system`);
  if (s.target.kind === 'vm') {
    if (!UUID_RE.test(s.target.uuid)) throw new ScheduleError(`"${s.target.uuid}" is not a VM UUID`);
    const p = textProblem(s.target.name, 'VM name');
    if (p) throw new ScheduleError(p);
  } else {
    const p = textProblem(s.target.tag, 'tag');
    if (p) throw new ScheduleError(p);
  }
  if (s.action.kind === 'snapshot' && (!Number.isInteger(s.action.keep) || s.action.keep < 1 || s.action.keep > MAX_KEEP)) {
    throw new ScheduleError(`keep ${s.action.keep} snapshots: choose 1-${MAX_KEEP}`);
  }
  cronOf(s.when);
}

export function describeTarget(t: ScheduleTarget): string {
  return t.kind === 'vm' ? t.name : `VMs tagged "${t.tag}"`;
}

export function describeAction(a: ScheduleAction): string {
  return a.kind === 'snapshot' ? `Take Snapshot (keep last ${a.keep})` : ACTION_LABEL[a.kind];
}

/** "Take Snapshot (keep last 2) of web1, every day at 03:00". */
export function describeSchedule(s: Schedule): string {
  return `${describeAction(s.action)} of ${describeTarget(s.target)}, ${describeCron(cronOf(s.when))}`;
}

// ---------------------------------------------------------------- (de)serialisation

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function whenFrom(v: unknown): ScheduleWhen | undefined {
  if (!isRecord(v)) return undefined;
  switch (v.kind) {
    case 'hourly':
      return isInt(v.minute) ? { kind: 'hourly', minute: v.minute } : undefined;
    case 'daily':
      return isInt(v.hour) && isInt(v.minute) ? { kind: 'daily', hour: v.hour, minute: v.minute } : undefined;
    case 'weekly':
      return isInt(v.hour) && isInt(v.minute) && Array.isArray(v.days) && v.days.every(isInt)
        ? { kind: 'weekly', days: v.days as number[], hour: v.hour, minute: v.minute }
        : undefined;
    case 'cron':
      return typeof v.expr === 'string' ? { kind: 'cron', expr: v.expr } : undefined;
    default:
      return undefined;
  }
}

function targetFrom(v: unknown): ScheduleTarget | undefined {
  if (!isRecord(v)) return undefined;
  if (v.kind === 'vm' && typeof v.uuid === 'string' && typeof v.name === 'string') return { kind: 'vm', uuid: v.uuid, name: v.name };
  if (v.kind === 'tag' && typeof v.tag === 'string') return { kind: 'tag', tag: v.tag };
  return undefined;
}

function actionFrom(v: unknown): ScheduleAction | undefined {
  if (!isRecord(v)) return undefined;
  if (v.kind === 'snapshot') return isInt(v.keep) ? { kind: 'snapshot', keep: v.keep } : undefined;
  if (v.kind === 'start' || v.kind === 'shutdown' || v.kind === 'reboot') return { kind: v.kind };
  return undefined;
}

/** The schedule minus its id, as JSON text (the id is in the marker already). */
export function encodeSchedule(s: Schedule): string {
  const body = { v: 1, uri: s.uri, target: s.target, action: s.action, when: s.when, paused: s.paused };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Reads a marker payload back; undefined when it is not a well-formed, valid schedule. */
export function decodeSchedule(id: string, payload: string): Schedule | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(raw) || raw.v !== 1 || typeof raw.uri !== 'string' || typeof raw.paused !== 'boolean') return undefined;
  const target = targetFrom(raw.target);
  const action = actionFrom(raw.action);
  const when = whenFrom(raw.when);
  if (!target || !action || !when) return undefined;
  const s: Schedule = { id, uri: raw.uri, target, action, when, paused: raw.paused };
  try {
    validateSchedule(s);
  } catch {
    return undefined;
  }
  return s;
}
