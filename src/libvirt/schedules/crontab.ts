// The crontab entries of schedules. Each is two lines:
//
//   # libvirt-vms:<id> <base64url JSON of the schedule>
//   <cron time> '<script>' '<id>' '<daemon uri>' '<action>' '<keep>' 'vm' '<uuid>' '<name>'
//
// (a paused schedule's second line is commented out with "#paused# "). Only lines in this shape
// are read or written; every other line of the crontab stays byte-identical, in its place.
//
// Quoting: cron hands the command to /bin/sh -c, after turning every unescaped % into a newline
// (the rest of the line becomes the command's stdin) and \% into %. So every argument is one
// single-quoted sh word ('\'' for a quote inside), and each % in it is written as '\%': the
// quote is closed, cron turns \% into %, which the shell then reads as a plain character outside
// quotes, and the quote reopens. Closing the quote first means a backslash in the argument can
// never pair up with the % (cron's escape looks only at the character before). Control
// characters (a newline would end the crontab line) are refused. No user text is ever outside
// such a word: the cron time fields are validated to the characters cron reads there.

import { cronOf } from './cronExpr';
import { decodeSchedule, encodeSchedule, ScheduleError, textProblem, validateSchedule, type Schedule } from './schedule';

export const MARKER = '# libvirt-vms:';
const PAUSED = '#paused# ';
const MARKER_RE = /^# libvirt-vms:([a-z0-9]{6,32}) ([A-Za-z0-9_-]+)\s*$/;

/** One argument as a crontab-safe sh word (see the file comment). */
export function cronQuote(arg: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(arg)) throw new ScheduleError(`a crontab argument cannot contain a control character: ${JSON.stringify(arg)}`);
  return `'${arg.replace(/'/g, `'\\''`).replace(/%/g, `'\\%'`)}'`;
}

/**
 * What cron does to a crontab command before running it (Vixie cron's do_command.c): an
 * unescaped % ends the command (the rest, with each further % as a newline, is its stdin) and
 * \% becomes %. Used by "Run Now" and the tests to run exactly what cron would.
 */
export function cronCommandToShell(command: string): { readonly command: string; readonly stdin: string | undefined } {
  let out = '';
  let escaped = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (escaped) {
      if (ch === '%') out = out.slice(0, -1);
      out += ch;
      escaped = false;
      continue;
    }
    if (ch === '\\') {
      out += ch;
      escaped = true;
      continue;
    }
    if (ch === '%') return { command: out, stdin: command.slice(i + 1).replace(/%/g, '\n') + '\n' };
    out += ch;
  }
  return { command: out, stdin: undefined };
}

/** The argument vector cron runs for a schedule (the runner script's, see runScript.ts). */
export function scheduleArgv(s: Schedule, scriptPath: string): string[] {
  const keep = s.action.kind === 'snapshot' ? String(s.action.keep) : '0';
  const target = s.target.kind === 'vm' ? ['vm', s.target.uuid, s.target.name] : ['tag', s.target.tag];
  return [scriptPath, s.id, s.uri, s.action.kind, keep, ...target];
}

/** The command part of the job line. */
export function scheduleCommand(s: Schedule, scriptPath: string): string {
  return scheduleArgv(s, scriptPath).map(cronQuote).join(' ');
}

/** The two crontab lines of a schedule (without line ends). */
export function renderEntry(s: Schedule, scriptPath: string): [marker: string, job: string] {
  validateSchedule(s);
  const p = textProblem(scriptPath, 'script path');
  if (p) throw new ScheduleError(p);
  const job = `${cronOf(s.when).text} ${scheduleCommand(s, scriptPath)}`;
  // Vixie cron reads at most 1000 bytes of a command (MAX_COMMAND); refuse rather than be cut.
  if (Buffer.byteLength(job, 'utf8') > 990) throw new ScheduleError('the crontab line would be longer than cron reads (1000 bytes): use a shorter VM name or tag');
  return [`${MARKER}${s.id} ${encodeSchedule(s)}`, s.paused ? `${PAUSED}${job}` : job];
}

export interface CrontabEntry {
  readonly schedule: Schedule;
  /** Index of the marker line. */
  readonly line: number;
  /** True when the line after the marker is this schedule's job line. */
  readonly hasJob: boolean;
  /** The job line as found (undefined without one). */
  readonly job: string | undefined;
}

export interface ParsedCrontab {
  /** The crontab split at '\n' (a final '' when it ends with a newline). */
  readonly lines: readonly string[];
  readonly entries: readonly CrontabEntry[];
  /** Marker lines whose payload could not be read (left alone, reported). */
  readonly unreadable: readonly number[];
}

/** Whether `line` is the job line of schedule `id` (active or paused). */
function isJobOf(line: string | undefined, id: string): boolean {
  return line !== undefined && line.includes(`/run-schedule' '${id}' `);
}

export function parseCrontab(text: string): ParsedCrontab {
  const lines = text.split('\n');
  const entries: CrontabEntry[] = [];
  const unreadable: number[] = [];
  lines.forEach((l, i) => {
    if (!l.startsWith(MARKER)) return;
    const m = MARKER_RE.exec(l);
    const schedule = m ? decodeSchedule(m[1], m[2]) : undefined;
    if (!m || !schedule) {
      unreadable.push(i);
      return;
    }
    const next = lines[i + 1];
    const hasJob = isJobOf(next, schedule.id);
    entries.push({ schedule, line: i, hasJob, job: hasJob ? next : undefined });
  });
  return { lines, entries, unreadable };
}

function join(lines: readonly string[]): string {
  const text = lines.join('\n');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * The crontab with schedule `s` added, or its entry (marker and job line) replaced in place.
 * Every other line is unchanged.
 */
export function upsertEntry(text: string, s: Schedule, scriptPath: string): string {
  const parsed = parseCrontab(text);
  const lines = [...parsed.lines];
  const rendered = renderEntry(s, scriptPath);
  const found = parsed.entries.find((e) => e.schedule.id === s.id);
  if (found) {
    lines.splice(found.line, found.hasJob ? 2 : 1, ...rendered);
    return join(lines);
  }
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.push(...rendered, '');
  return join(lines);
}

export class EntryNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`the crontab has no schedule ${id} (anymore)`);
    this.name = 'EntryNotFoundError';
  }

  static is(e: unknown): e is EntryNotFoundError {
    return e instanceof EntryNotFoundError;
  }
}

/** The crontab without schedule `id`'s marker and job line; every other line unchanged. */
export function removeEntry(text: string, id: string): string {
  const parsed = parseCrontab(text);
  const found = parsed.entries.find((e) => e.schedule.id === id);
  if (!found) throw new EntryNotFoundError(id);
  const lines = [...parsed.lines];
  lines.splice(found.line, found.hasJob ? 2 : 1);
  return join(lines);
}

/** The lines that are not schedule entries, for checking that an edit left them alone. */
export function foreignLines(text: string): string[] {
  const parsed = parseCrontab(text);
  const ours = new Set<number>();
  for (const e of parsed.entries) {
    ours.add(e.line);
    if (e.hasJob) ours.add(e.line + 1);
  }
  return parsed.lines.filter((l, i) => !ours.has(i) && !(i === parsed.lines.length - 1 && l === ''));
}
