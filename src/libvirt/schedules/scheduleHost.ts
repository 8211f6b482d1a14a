// The schedules of one host user: reads and writes that user's crontab (`crontab -l`,
// `crontab -` with the table on stdin), installs the runner script, reads the last results, and
// runs a schedule now. Every change is read-modify-write on a fresh read, touching only our own
// entries (crontab.ts); the table is read back afterwards to check the change landed.

import type { ExecResult, HostExec } from '../transport/hostExec';
import { cronCommandToShell, EntryNotFoundError, foreignLines, parseCrontab, removeEntry, renderEntry, scheduleCommand, upsertEntry } from './crontab';
import { encodeSchedule, ScheduleError, validateSchedule, type Schedule } from './schedule';
import { parseResult, RESULTS_DIR, RUN_SCRIPT_NAME, runScript, SCHEDULE_DIR, type RunResult } from './runScript';

/** Why a host cannot take schedules, in words for the user. */
export class SchedulesUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulesUnavailableError';
  }

  static is(e: unknown): e is SchedulesUnavailableError {
    return e instanceof SchedulesUnavailableError;
  }
}

export interface ScheduleHostInfo {
  /** The user whose crontab holds the schedules. */
  readonly user: string;
  readonly home: string;
  /** Whether a cron daemon process was seen ('unknown' without a usable ps). */
  readonly cronDaemon: 'running' | 'not running' | 'unknown';
  /** The host's time zone, in which cron reads the times: "UTC +0000". */
  readonly timezone: string;
}

export interface ListedSchedule {
  readonly schedule: Schedule;
  /** False when the job line after the marker is missing (the entry does nothing). */
  readonly hasJob: boolean;
  /** True when the job line differs from what the marker says (edited by hand). */
  readonly modified: boolean;
  readonly lastRun: RunResult | undefined;
}

export interface ScheduleListing {
  readonly info: ScheduleHostInfo;
  /** Schedules for this connection's daemon URI. */
  readonly schedules: readonly ListedSchedule[];
  /** Schedules in the same crontab for another daemon (qemu:///session next to ///system). */
  readonly otherDaemon: number;
  /** Marker lines that could not be read (left alone). */
  readonly unreadable: number;
}

const PROBE = [
  'printf "user=%s\\n" "$(id -un)"',
  'printf "home=%s\\n" "$HOME"',
  'if command -v crontab >/dev/null 2>&1; then echo crontab=yes; else echo crontab=no; fi',
  'if p=$(ps -e -o comm= 2>/dev/null); then if printf "%s\\n" "$p" | grep -Eqx "cron|crond|cronie|fcron|dcron"; then echo daemon=running; else echo daemon=stopped; fi; else echo daemon=unknown; fi',
  'printf "tz=%s\\n" "$(date +"%Z %z")"',
].join('; ');

// The scripts below are one line each: a login shell of the csh family refuses a quoted newline.
// Writes stdin to the runner script's place atomically; fixed text, no argument.
const INSTALL = [
  'set -e',
  'umask 077',
  `d="$HOME/${SCHEDULE_DIR}"`,
  `mkdir -p "$d/${RESULTS_DIR}"`,
  `cat >"$d/${RUN_SCRIPT_NAME}.new"`,
  `chmod 700 "$d/${RUN_SCRIPT_NAME}.new"`,
  `mv -f "$d/${RUN_SCRIPT_NAME}.new" "$d/${RUN_SCRIPT_NAME}"`,
].join('; ');

// Writes stdin as the crontab, then waits (at most ~1.2 s) for the host's clock to pass into the
// next second. Debian's cron notices a changed crontab by the mtime of its spool directory, in
// whole seconds, once a minute: a write in the same second as an earlier one, after cron loaded
// the earlier one, has the mtime cron already saw and is never loaded (until the next change).
// Measured on cron 3.0pl1-162: an entry written 0.6 s after another, both in the second cron
// loads in, did not run in the next two minutes. With the wait, no two writes from here share a
// second. `sleep 0.1` falls back to `sleep 1` where sleep takes whole seconds only.
const WRITE_CRONTAB = 'crontab - || exit; s=$(date +%s); i=0; while [ "$(date +%s)" = "$s" ] && [ $i -lt 12 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; exit 0';

// Prints every result file as RS name LF content; $1 is the results directory.
const READ_RESULTS = `cd "$1" 2>/dev/null || exit 0; for f in *.result; do [ -f "$f" ] || continue; printf '\\036%s\\n' "$f"; cat "$f"; done`;

function fail(what: string, r: ExecResult): never {
  throw new ScheduleError(`${what} failed (exit ${r.code ?? 'signal'}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`);
}

export class ScheduleHost {
  private probed: Promise<ScheduleHostInfo> | undefined;

  constructor(
    private readonly exec: HostExec,
    /** The daemon URI on the host that this connection's schedules use (qemu:///system). */
    readonly daemonUri: string,
  ) {}

  get label(): string {
    return this.exec.label;
  }

  /** Who runs the schedules and whether cron is there; throws SchedulesUnavailableError without crontab. */
  info(): Promise<ScheduleHostInfo> {
    this.probed ??= this.probe();
    this.probed.catch(() => (this.probed = undefined));
    return this.probed;
  }

  private async probe(): Promise<ScheduleHostInfo> {
    const r = await this.exec.run(['sh', '-c', PROBE]);
    if (r.code !== 0) fail(`Checking ${this.exec.label} for cron`, r);
    const kv = new Map<string, string>();
    for (const l of r.stdout.split('\n')) {
      const eq = l.indexOf('=');
      if (eq > 0) kv.set(l.slice(0, eq), l.slice(eq + 1));
    }
    const user = kv.get('user') ?? '';
    const home = kv.get('home') ?? '';
    if (kv.get('crontab') !== 'yes') {
      throw new SchedulesUnavailableError(`${this.exec.label} has no cron: the crontab command is missing. Install cron there (Debian/Ubuntu: apt install cron; Fedora/RHEL: dnf install cronie) to use schedules.`);
    }
    if (!home.startsWith('/')) throw new SchedulesUnavailableError(`The home directory of ${user || 'the user'} on ${this.exec.label} is not known ($HOME is "${home}"): schedules need it for their runner script.`);
    const d = kv.get('daemon');
    return { user, home, cronDaemon: d === 'running' ? 'running' : d === 'stopped' ? 'not running' : 'unknown', timezone: kv.get('tz') ?? '' };
  }

  async scriptPath(): Promise<string> {
    const { home } = await this.info();
    return `${home.replace(/\/$/, '')}/${SCHEDULE_DIR}/${RUN_SCRIPT_NAME}`;
  }

  private async resultsDir(): Promise<string> {
    const { home } = await this.info();
    return `${home.replace(/\/$/, '')}/${SCHEDULE_DIR}/${RESULTS_DIR}`;
  }

  /** The user's crontab ('' when there is none). */
  async readCrontab(): Promise<string> {
    await this.info();
    const r = await this.exec.run(['crontab', '-l']);
    if (r.code === 0) return r.stdout;
    if (/no crontab for/i.test(r.stderr)) return '';
    fail(`Reading the crontab on ${this.exec.label}`, r);
  }

  private async writeCrontab(text: string): Promise<void> {
    const r = await this.exec.run(['sh', '-c', WRITE_CRONTAB], { stdin: text });
    if (r.code !== 0) fail(`Writing the crontab on ${this.exec.label}`, r);
  }

  async list(): Promise<ScheduleListing> {
    const [info, text, results] = await Promise.all([this.info(), this.readCrontab(), this.readResults()]);
    const parsed = parseCrontab(text);
    const script = await this.scriptPath();
    const mine = parsed.entries.filter((e) => e.schedule.uri === this.daemonUri);
    const schedules = mine.map((e): ListedSchedule => {
      let rendered: string | undefined;
      try {
        rendered = renderEntry(e.schedule, script)[1];
      } catch {
        rendered = undefined; // a marker written by hand that this version would not write
      }
      const modified = e.hasJob && e.job !== rendered;
      return { schedule: e.schedule, hasJob: e.hasJob, modified, lastRun: results.get(e.schedule.id) };
    });
    return { info, schedules, otherDaemon: parsed.entries.length - mine.length, unreadable: parsed.unreadable.length };
  }

  /** Last results by schedule id. */
  async readResults(): Promise<Map<string, RunResult>> {
    const r = await this.exec.run(['sh', '-c', READ_RESULTS, 'sh', await this.resultsDir()]);
    if (r.code !== 0) fail(`Reading the schedule results on ${this.exec.label}`, r);
    const out = new Map<string, RunResult>();
    for (const chunk of r.stdout.split('\x1e').slice(1)) {
      const nl = chunk.indexOf('\n');
      const m = /^([a-z0-9]+)\.result$/.exec(chunk.slice(0, nl));
      const res = m ? parseResult(chunk.slice(nl + 1)) : undefined;
      if (m && res) out.set(m[1], res);
    }
    return out;
  }

  /** Installs the runner script, then adds the schedule or replaces its entry. */
  async save(s: Schedule): Promise<void> {
    validateSchedule(s);
    if (s.uri !== this.daemonUri) throw new ScheduleError(`schedule ${s.id} is for ${s.uri}, not ${this.daemonUri}`);
    const script = await this.scriptPath();
    const inst = await this.exec.run(['sh', '-c', INSTALL], { stdin: runScript() });
    if (inst.code !== 0) fail(`Installing the schedule runner on ${this.exec.label}`, inst);
    const before = await this.readCrontab();
    const after = upsertEntry(before, s, script);
    await this.writeCrontab(after);
    const check = parseCrontab(await this.readCrontab()).entries.find((e) => e.schedule.id === s.id);
    if (!check || encodeSchedule(check.schedule) !== encodeSchedule(s)) throw new ScheduleError(`The crontab on ${this.exec.label} did not keep schedule ${s.id}; something else may have rewritten it at the same time.`);
  }

  /**
   * Removes schedule `id`'s two lines from a fresh read of the crontab. With `expected`, refuses
   * when the entry changed since the caller showed it (another window or user edited it).
   * Deletes the schedule's last result too; its snapshots stay.
   */
  async remove(id: string, expected?: Schedule): Promise<void> {
    const before = await this.readCrontab();
    const found = parseCrontab(before).entries.find((e) => e.schedule.id === id);
    if (!found) throw new EntryNotFoundError(id);
    if (expected && encodeSchedule(found.schedule) !== encodeSchedule(expected)) {
      throw new ScheduleError(`Schedule ${id} on ${this.exec.label} changed since it was shown; nothing was removed. Open the list again.`);
    }
    const after = removeEntry(before, id);
    await this.writeCrontab(after);
    const reread = await this.readCrontab();
    if (parseCrontab(reread).entries.some((e) => e.schedule.id === id)) throw new ScheduleError(`Schedule ${id} is still in the crontab on ${this.exec.label}.`);
    if (foreignLines(reread).join('\n') !== foreignLines(before).join('\n')) {
      throw new ScheduleError(`Other lines of the crontab on ${this.exec.label} changed while schedule ${id} was removed; check it with crontab -l.`);
    }
    await this.exec.run(['rm', '-f', '--', `${await this.resultsDir()}/${id}.result`]);
  }

  async setPaused(id: string, paused: boolean): Promise<Schedule> {
    const found = parseCrontab(await this.readCrontab()).entries.find((e) => e.schedule.id === id);
    if (!found) throw new EntryNotFoundError(id);
    const s = { ...found.schedule, paused };
    await this.save(s);
    return s;
  }

  /**
   * Runs a schedule now, exactly as cron would (the job line's command through cron's %
   * handling, then sh -c), and returns the result it recorded.
   */
  async runNow(s: Schedule, timeoutMs = 600_000): Promise<RunResult | undefined> {
    const { command, stdin } = cronCommandToShell(scheduleCommand(s, await this.scriptPath()));
    await this.exec.run(['sh', '-c', command], { stdin, timeoutMs });
    return (await this.readResults()).get(s.id);
  }
}
