import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CronError, cronOf, cronTimeProblem, describeCron, parseClock, parseCronTime } from '../../../src/libvirt/schedules/cronExpr';
import { cronCommandToShell, cronQuote, EntryNotFoundError, foreignLines, parseCrontab, removeEntry, renderEntry, upsertEntry } from '../../../src/libvirt/schedules/crontab';
import { decodeSchedule, describeSchedule, encodeSchedule, ScheduleError, validateSchedule, type Schedule } from '../../../src/libvirt/schedules/schedule';
import { parseResult } from '../../../src/libvirt/schedules/runScript';
import { localHostExec, sshCommandLine } from '../../../src/libvirt/transport/hostExec';
import { openScheduleHost, schedulesUnsupportedReason } from '../../../src/libvirt/schedules/scheduleAccess';
import { ScheduleHost, SchedulesUnavailableError } from '../../../src/libvirt/schedules/scheduleHost';

const SCRIPT = '/home/a b/.local/share/libvirt-vms/run-schedule';
const base: Schedule = {
  id: 'abc123def0',
  uri: 'qemu:///system',
  target: { kind: 'vm', uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', name: 'web1' },
  action: { kind: 'snapshot', keep: 2 },
  when: { kind: 'daily', hour: 3, minute: 0 },
  paused: false,
};

/** What sh receives as argv when cron runs `command` (cron's % handling, then sh -c). */
function argvAsCronRunsIt(command: string): string[] {
  const { command: sh, stdin } = cronCommandToShell(command);
  assert.equal(stdin, undefined, 'a % leaked through as a stdin split');
  const out = execFileSync('sh', ['-c', `set -- ${sh.replace(/^'[^']*'/, '')}; for a in "$@"; do printf '%s\\0' "$a"; done`]).toString();
  return out.split('\0').slice(0, -1);
}

describe('Schedules: cron times (unit)', () => {
  it('accepts the forms cron reads and lists their values', () => {
    assert.deepEqual(parseCronTime('*/15 3 * * *').values[0], [0, 15, 30, 45]);
    assert.deepEqual(parseCronTime('0 9-17/4 * * 1-5').values[1], [9, 13, 17]);
    assert.deepEqual(parseCronTime('0 0 * jan,Jul sun').values.slice(3), [[1, 7], [0]]);
    assert.deepEqual(parseCronTime('0 0 * * 7').values[4], [0]);
    assert.deepEqual(parseCronTime('0 0 * * 5-7').values[4], [0, 5, 6]);
    assert.equal(parseCronTime('  0   3 * *  * ').text, '0 3 * * *');
    assert.deepEqual(parseCronTime('@daily').fields, ['0', '0', '*', '*', '*']);
    assert.equal(parseCronTime('@Weekly').text, '@weekly');
  });

  const bad: [string, RegExp][] = [
    ['', /five fields/],
    ['* * * *', /4 fields given/],
    ['* * * * * *', /6 fields given/],
    ['60 * * * *', /minute "60": 60 is outside 0-59/],
    ['0 24 * * *', /hour "24": 24 is outside 0-23/],
    ['0 0 0 * *', /day of month "0": 0 is outside 1-31/],
    ['0 0 * 13 *', /month "13"/],
    ['0 0 * * 8', /day of week "8"/],
    ['0 0 * * fri-mon', /runs backwards/],
    ['*/0 * * * *', /step "0"/],
    ['5/15 * * * *', /a step needs a range or \*/],
    ['1,,2 * * * *', /empty item/],
    ['0 0 * * funday', /"funday" is not a number or a name/],
    ['0 3 * * * %', /6 fields/],
    ['0 3% * * *', /character that a cron time field cannot have/],
    ["0 3 * * '$(id)'", /character that a cron time field cannot have/],
    ['@reboot', /autostart/],
    ['@sometimes', /not a cron nickname/],
  ];
  for (const [text, why] of bad) {
    it(`refuses ${JSON.stringify(text)} naming the problem`, () => {
      assert.throws(() => parseCronTime(text), (e: unknown) => CronError.is(e) && why.test(e.message));
      assert.match(cronTimeProblem(text) ?? '', why);
    });
  }

  const words: [string, string][] = [
    ['0 3 * * *', 'every day at 03:00'],
    ['* * * * *', 'every minute'],
    ['*/5 * * * *', 'every 5 minutes'],
    ['0 * * * *', 'every hour'],
    ['15 * * * *', 'every hour at 15 minutes past'],
    ['30 22 * * 1,5', 'at 22:30 on Monday and Friday'],
    ['0 8 * * 1-5', 'at 08:00 on Monday to Friday'],
    ['0 0 1 * *', 'at 00:00 on day 1 of the month'],
    ['0 6,18 * * *', 'every day at 06:00 and 18:00'],
    ['0 0 1 1 *', 'at 00:00 on day 1 of the month in January'],
    ['0 */2 * * *', 'every 2 hours'],
    ['30 */6 * * *', 'every 6 hours at 30 minutes past'],
    ['0,30 9-17 * * 1-5', 'at minutes 0 and 30 of hours 09 to 17 on Monday to Friday'],
  ];
  for (const [text, expected] of words) {
    it(`describes ${text} as "${expected}"`, () => assert.equal(describeCron(parseCronTime(text)), expected));
  }

  it('renders the simple choices to cron fields', () => {
    assert.equal(cronOf({ kind: 'hourly', minute: 7 }).text, '7 * * * *');
    assert.equal(cronOf({ kind: 'daily', hour: 3, minute: 30 }).text, '30 3 * * *');
    assert.equal(cronOf({ kind: 'weekly', days: [5, 1, 1], hour: 22, minute: 0 }).text, '0 22 * * 1,5');
    assert.throws(() => cronOf({ kind: 'weekly', days: [], hour: 1, minute: 0 }), /at least one day/);
    assert.throws(() => cronOf({ kind: 'daily', hour: 24, minute: 0 }), /hour 24/);
    assert.deepEqual(parseClock(' 7:05 '), { hour: 7, minute: 5 });
    assert.throws(() => parseClock('7.05'), /HH:MM/);
    assert.throws(() => parseClock('12:60'), /minute 60/);
  });
});

describe('Schedules: crontab lines (unit)', () => {
  const hostile = ["it's", '$(touch /tmp/x)', '`id`', '5%d', '\\%', 'a\\\\%b%%', "'%'", ';|&*?[a]', 'ünï✓ ', '~root', '"\\"'];
  for (const text of hostile) {
    it(`cron + sh pass ${JSON.stringify(text)} through as one literal argument`, () => {
      const line = `'/x/run-schedule' ${cronQuote(text)} ${cronQuote('next')}`;
      assert.deepEqual(argvAsCronRunsIt(line), [text, 'next']);
    });
  }

  it('refuses control characters (a newline would end the crontab line)', () => {
    for (const t of ['a\nb', 'a\rb', 'a\0b', 'tab\there']) assert.throws(() => cronQuote(t), ScheduleError.is);
    assert.throws(() => validateSchedule({ ...base, target: { kind: 'tag', tag: 'x\ny' } }), /control character/);
  });

  it("emulates cron's % handling", () => {
    assert.deepEqual(cronCommandToShell('echo a%b%c'), { command: 'echo a', stdin: 'b\nc\n' });
    assert.deepEqual(cronCommandToShell('echo a\\%b'), { command: 'echo a%b', stdin: undefined });
    assert.deepEqual(cronCommandToShell('echo a\\\\%b'), { command: 'echo a\\\\', stdin: 'b\n' });
    assert.deepEqual(cronCommandToShell('echo \\x'), { command: 'echo \\x', stdin: undefined });
  });

  it('renders a schedule as a marker and a job line whose argv comes back intact', () => {
    const s: Schedule = { ...base, target: { kind: 'vm', uuid: base.target.kind === 'vm' ? base.target.uuid : '', name: "we'b %1 $(id)" } };
    const [marker, job] = renderEntry(s, SCRIPT);
    assert.match(marker, /^# libvirt-vms:abc123def0 [A-Za-z0-9_-]+$/);
    assert.ok(job.startsWith("0 3 * * * '/home/a b/.local/share/libvirt-vms/run-schedule' 'abc123def0' "));
    const cmd = job.slice('0 3 * * * '.length);
    assert.deepEqual(argvAsCronRunsIt(cmd), ['abc123def0', 'qemu:///system', 'snapshot', '2', 'vm', '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', "we'b %1 $(id)"]);
    const paused = renderEntry({ ...s, paused: true }, SCRIPT)[1];
    assert.equal(paused, `#paused# ${job}`);
  });

  it('adds, replaces and removes its entries, leaving every other line byte-identical', () => {
    const others = 'SHELL=/bin/bash\r\nMAILTO=""\n# my job\n*/5 * * * * /usr/bin/backup --to "%H"  \n\n# libvirt-vms:notours payload?\n';
    const one = upsertEntry(others, base, SCRIPT);
    assert.ok(one.startsWith(others));
    const two = upsertEntry(one, { ...base, id: 'zzz999zzz9', action: { kind: 'start' } }, SCRIPT);
    const changed = upsertEntry(two, { ...base, when: { kind: 'hourly', minute: 5 } }, SCRIPT);
    const parsed = parseCrontab(changed);
    assert.deepEqual(parsed.entries.map((e) => [e.schedule.id, e.hasJob]), [['abc123def0', true], ['zzz999zzz9', true]]);
    assert.match(parsed.entries[0].job!, /^5 \* \* \* \* /);
    assert.equal(parsed.unreadable.length, 1);
    assert.deepEqual(foreignLines(changed), foreignLines(others));
    assert.equal(removeEntry(removeEntry(changed, 'abc123def0'), 'zzz999zzz9'), others);
    assert.throws(() => removeEntry(others, 'abc123def0'), EntryNotFoundError.is);
    // A marker whose job line a user deleted is still ours to remove: only the marker goes.
    const lines = one.split('\n');
    const orphan = lines.filter((l) => !l.includes("/run-schedule' 'abc123def0' ")).join('\n');
    assert.equal(parseCrontab(orphan).entries[0].hasJob, false);
    assert.equal(removeEntry(orphan, 'abc123def0'), others);
  });

  it('round-trips a schedule through its marker and rejects tampered ones', () => {
    const tag: Schedule = { ...base, target: { kind: 'tag', tag: 'prod "eu" ✓' }, when: { kind: 'weekly', days: [1, 3], hour: 1, minute: 2 }, paused: true };
    assert.deepEqual(decodeSchedule(tag.id, encodeSchedule(tag)), tag);
    const bad = Buffer.from(JSON.stringify({ v: 1, uri: 'qemu:///system', target: tag.target, action: { kind: 'snapshot', keep: 0 }, when: tag.when, paused: false })).toString('base64url');
    assert.equal(decodeSchedule(tag.id, bad), undefined);
    assert.equal(decodeSchedule(tag.id, 'not json'), undefined);
    assert.equal(describeSchedule(tag), 'Take Snapshot (keep last 2) of VMs tagged "prod "eu" ✓", at 01:02 on Monday and Wednesday');
  });

  it('reads a result file', () => {
    assert.deepEqual(parseResult('version=1\nstarted=2026-12-03T03:00:01Z\nfinished=2026-12-03T03:00:04Z\nexit=1\n---\nweb1: x\nweb2: y\n'), {
      started: '2026-12-03T03:00:01Z',
      finished: '2026-12-03T03:00:04Z',
      exitCode: 1,
      output: 'web1: x\nweb2: y',
    });
    assert.equal(parseResult('garbage'), undefined);
  });

  it('quotes every argument of a host command for the SSH server', () => {
    assert.equal(sshCommandLine(['crontab', '-']), `'crontab' '-'`);
    const argv = ['sh', '-c', 'printf "%s|" "$@"', 'sh', "a'b", '$(id)', ''];
    assert.equal(execFileSync('sh', ['-c', sshCommandLine(argv)]).toString(), "a'b|$(id)||");
  });
});

describe('Schedules: where they can run (unit)', () => {
  it('says plainly that TLS, TCP and the test driver cannot take schedules', async () => {
    assert.match(schedulesUnsupportedReason('qemu+tls://h/system') ?? '', /uses TLS, which reaches only libvirtd.*qemu\+ssh/);
    assert.match(schedulesUnsupportedReason('qemu+tcp://h/system') ?? '', /uses TCP/);
    assert.match(schedulesUnsupportedReason('test:///default') ?? '', /test driver/);
    assert.equal(schedulesUnsupportedReason('qemu+ssh://root@h/system'), undefined);
    assert.equal(schedulesUnsupportedReason('qemu:///session'), undefined);
    await assert.rejects(openScheduleHost('qemu+tls://h/system'), SchedulesUnavailableError.is);
  });

  it('says so when the host has no crontab command', async () => {
    // A host whose PATH has sh but no crontab.
    const exec = localHostExec('a host without cron');
    const noCron = { label: exec.label, run: (argv: readonly string[], o?: Parameters<typeof exec.run>[1]) => exec.run(['env', 'PATH=/nonexistent', '/bin/sh', ...argv.slice(1)], o) };
    await assert.rejects(new ScheduleHost(noCron, 'qemu:///system').info(), (e: unknown) => SchedulesUnavailableError.is(e) && /has no cron: the crontab command is missing/.test(e.message));
  });

  it('runs local programs without a shell, with stdin, and reports the exit status', async () => {
    const exec = localHostExec('here');
    const r = await exec.run(['sh', '-c', 'cat; printf "%s" "$1" >&2; exit 3', 'sh', '$(id) ;'], { stdin: 'in%put' });
    assert.deepEqual(r, { stdout: 'in%put', stderr: '$(id) ;', code: 3 });
    await assert.rejects(exec.run(['/nonexistent/program']), /failed/);
  });
});
