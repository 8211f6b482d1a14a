// Schedules against a real cron daemon, the real libvirtd and the test sshd: entries go into the
// crontab of the test user (root here) over SSH and locally, the runner script acts through
// virsh, and the results come back from the host.
//
// Runs are triggered two ways. The real cron daemon runs every schedule here at least once (cron
// fires at the start of each minute: one wait of at most ~70 s covers all of them). The other
// runs execute the job line's command exactly as cron does (cron's % handling, then sh -c; see
// ScheduleHost.runNow), so three runs of the retention test take one cron minute, not three.
//
// The crontab is the user's real one: a sentinel line goes in first and must survive every edit
// byte-identical. Entries of this suite have ids starting sch<pid>x, so the entries of a killed
// run (dead pid) are removed in before(); those of a run going on are left alone.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { foreignLines, parseCrontab } from '../../../src/libvirt/schedules/crontab';
import { openScheduleHost, type OpenedScheduleHost } from '../../../src/libvirt/schedules/scheduleAccess';
import { snapshotPrefix, type Schedule } from '../../../src/libvirt/schedules/schedule';
import type { ScheduleHost } from '../../../src/libvirt/schedules/scheduleHost';
import { APP_METADATA_NS } from '../../../src/libvirt/xml/domainXml';
import { readCrontab as crontab, writeCrontab } from '../../crontabFile';
import { leftoverOfDeadRun } from '../../leftovers';
import { UNDEFINE_ALL } from '../connection/testEnv';
import { sshUri } from '../transport/testEnv';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'sch';
const RUN = `${PREFIX}${process.pid}-`;
const ID_BASE = `${PREFIX}${process.pid}x`;
const PWNED = path.join(os.tmpdir(), `sch-pwned-${process.pid}`);
// What the name's commands would create: a VM name cannot hold '/', so they touch a file in the
// home directory (cron's working directory, and `cd` goes there).
const PWNED_HOME = path.join(os.homedir(), `sch-pwned-${process.pid}`);
// Everything a shell or cron could misread: quotes, spaces, $(…), backquotes, %, a backslash
// before %, ;, & and |, glob characters, non-ASCII.
const HOSTILE = `${RUN}q'u"o $(cd;touch sch-pwned-${process.pid}) \`cd;touch sch-pwned-${process.pid}\` 5%d \\%x;|& * ünï✓`;
const HOSTILE_TAG = `t'a"g $(touch ${PWNED}) %s \\%; <&> ✓`;

const RESULTS = path.join(os.homedir(), '.local/share/libvirt-vms/results');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removes entries (marker + job) of dead runs of this suite and the given lines, by a fresh read. */
function dropLines(keep: (line: string, next: string | undefined) => boolean): void {
  const lines = crontab().split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (keep(lines[i], lines[i + 1])) out.push(lines[i]);
    else if (lines[i].startsWith('# libvirt-vms:') && lines[i + 1]?.includes('/run-schedule')) i++;
  }
  writeCrontab(out.join('\n'));
}

describe('Schedules (integration, real cron)', function () {
  this.timeout(300_000);
  let conn: Connection;
  let dir: string;
  let ssh: OpenedScheduleHost;
  let local: OpenedScheduleHost;
  const doms: DomainRef[] = [];
  let n = 0;
  const sentinel = [`# sch${process.pid} sentinel: someone else's line, keep it`, `59 23 31 2 * true 'sch${process.pid} 100%'`];
  let othersBefore: string[];

  const define = async (name: string, tags: readonly string[] = []): Promise<DomainRef> => {
    const file = path.join(dir, `${n++}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    fs.chmodSync(file, 0o666);
    const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const meta = tags.length === 0 ? '' : `<metadata><vmm:data xmlns:vmm='${APP_METADATA_NS}'>${tags.map((t) => `<vmm:tag>${esc(t)}</vmm:tag>`).join('')}</vmm:data></metadata>`;
    const xml = `<domain type='qemu'><name>${esc(name)}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>${meta}
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
    const dom = await conn.domainDefineXml(xml);
    doms.push(dom);
    return dom;
  };
  const snapshotsOf = async (dom: DomainRef): Promise<string[]> => (await conn.domainListAllSnapshots(dom)).map((s) => s.name).sort();
  const schedule = (id: string, target: Schedule['target'], action: Schedule['action']): Schedule => ({
    id: `${ID_BASE}${id}`,
    uri: 'qemu:///system',
    target,
    action,
    when: { kind: 'cron', expr: '* * * * *' },
    paused: false,
  });
  /** Waits for a result of `id` that finished after `after` (ISO time), i.e. a run nobody here started. */
  const cronRun = async (host: ScheduleHost, id: string, after: string): Promise<string> => {
    const until = Date.now() + 150_000;
    while (Date.now() < until) {
      const r = (await host.readResults()).get(id);
      if (r && r.finished > after) return r.output;
      await sleep(2000);
    }
    throw new Error(`cron did not run schedule ${id} within 150 s (is the cron daemon running? scripts/testenv.sh start)`);
  };

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    // Entries and sentinel lines of killed runs of this suite.
    const ofDeadRun = (line: string): boolean => {
      const m = /^# libvirt-vms:sch(\d+)x|^# sch(\d+) sentinel|^59 23 31 2 \* true 'sch(\d+) 100%'$/.exec(line);
      return m !== null && leftoverOfDeadRun(`${PREFIX}${m[1] ?? m[2] ?? m[3]}-`, PREFIX);
    };
    dropLines((l) => !ofDeadRun(l));
    // Results of dead runs (a cron run in flight can write one after its entry went).
    for (const f of fs.existsSync(RESULTS) ? fs.readdirSync(RESULTS) : []) {
      const m = /^sch(\d+)x[a-z0-9]*\.result$/.exec(f);
      if (m && leftoverOfDeadRun(`${PREFIX}${m[1]}-`, PREFIX)) fs.rmSync(path.join(RESULTS, f), { force: true });
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), RUN));
    fs.chmodSync(dir, 0o755);
    fs.rmSync(PWNED, { force: true });
    fs.rmSync(PWNED_HOME, { force: true });
    // Someone else's lines, which every edit must leave alone.
    const before = crontab();
    writeCrontab(`${before}${before === '' || before.endsWith('\n') ? '' : '\n'}${sentinel.join('\n')}\n`);
    othersBefore = foreignLines(crontab());
    ssh = await openScheduleHost(sshUri());
    local = await openScheduleHost('qemu:///system');
  });

  after(async () => {
    // Our entries and the sentinel go; every other line stays.
    dropLines((l) => !l.startsWith(`# libvirt-vms:${ID_BASE}`) && !sentinel.includes(l));
    for (const f of fs.existsSync(RESULTS) ? fs.readdirSync(RESULTS) : []) if (f.startsWith(ID_BASE)) fs.rmSync(path.join(RESULTS, f), { force: true });
    fs.rmSync(PWNED, { force: true });
    fs.rmSync(PWNED_HOME, { force: true });
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    ssh?.release();
    local?.release();
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('knows whose crontab it is and that cron runs', async () => {
    const info = await ssh.host.info();
    assert.equal(info.user, os.userInfo().username);
    assert.equal(info.cronDaemon, 'running');
    assert.equal((await local.host.info()).home, os.homedir());
  });

  it('never writes the crontab twice within one second, so cron cannot miss a write', async () => {
    // Cron keeps the crontab's mtime in whole seconds: a second write in the same second, after
    // cron loaded the first, would never be loaded. Two saves started at the top of a second
    // take far less than a second; the second must still land in a later second.
    const spool = `/var/spool/cron/crontabs/${os.userInfo().username}`;
    const vm = await define(`${RUN}second`);
    const a = { ...schedule('seca', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'start' }), paused: true };
    const b = { ...schedule('secb', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'start' }), paused: true };
    while (Date.now() % 1000 > 50) await sleep(5);
    const started = Date.now();
    await local.host.save(a);
    const first = fs.statSync(spool).mtimeMs;
    await ssh.host.save(b);
    const second = fs.statSync(spool).mtimeMs;
    assert.ok(Math.floor(second / 1000) > Math.floor(first / 1000), `both writes in second ${Math.floor(first / 1000)} (saves took ${Date.now() - started} ms)`);
    assert.ok(Date.now() - started < 4000, `two saves took ${Date.now() - started} ms`);
  });

  it('runs an every-minute snapshot schedule (retention 2) by cron and by its exact command line, hostile names included, and leaves other lines alone', async () => {
    const vm = await define(`${RUN}keep2`);
    const hostile = await define(HOSTILE);
    const decoy = await define(`${RUN}q'u"o`);
    const tagged = await define(`${RUN}tagged`, [HOSTILE_TAG, 'other']);
    const almost = await define(`${RUN}almost`, [HOSTILE_TAG.slice(0, 5), `${HOSTILE_TAG} `.replace(/ $/, 'x')]);
    // A snapshot the schedule did not take: retention never touches it.
    await conn.domainSnapshotCreateXml(vm, '<domainsnapshot><name>mine</name></domainsnapshot>', 0);

    const retention = schedule('ret', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'snapshot', keep: 2 });
    const byName = schedule('hostile', { kind: 'vm', uuid: hostile.uuid, name: HOSTILE }, { kind: 'start' });
    const byTag = schedule('tag', { kind: 'tag', tag: HOSTILE_TAG }, { kind: 'snapshot', keep: 1 });
    await ssh.host.save(retention);
    await ssh.host.save(byName);
    await local.host.save(byTag);

    // The hostile texts went through the crontab and came back unchanged.
    const listed = await local.host.list();
    const back = new Map(listed.schedules.map((s) => [s.schedule.id, s]));
    assert.deepEqual(back.get(byName.id)?.schedule, byName);
    assert.deepEqual(back.get(byTag.id)?.schedule, byTag);
    assert.equal(back.get(byName.id)?.modified, false);
    assert.deepEqual(foreignLines(crontab()), othersBefore);

    // Two runs now, exactly as cron runs the line.
    const first = await ssh.host.runNow(retention);
    assert.equal(first?.exitCode, 0, first?.output);
    await sleep(1100); // snapshot names carry the second
    const second = await ssh.host.runNow(retention);
    assert.equal(second?.exitCode, 0, second?.output);
    const tagRun = await local.host.runNow(byTag);
    assert.equal(tagRun?.exitCode, 0, tagRun?.output);
    assert.match(tagRun!.output, new RegExp(`^${RUN}tagged: took snapshot sched-${byTag.id}-`, 'm'));

    // The third run (and the hostile ones) by the cron daemon.
    const mark = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const [third, startOut] = await Promise.all([cronRun(ssh.host, retention.id, mark), cronRun(ssh.host, byName.id, '')]);
    assert.match(third, /deleted snapshot sched-/);
    const snaps = await snapshotsOf(vm);
    const ours = snaps.filter((s) => s.startsWith(snapshotPrefix(retention.id)));
    assert.equal(ours.length, 2, `snapshots: ${snaps.join(', ')}`);
    assert.ok(snaps.includes('mine'), 'retention deleted a snapshot it did not take');

    // The hostile VM was started (by UUID; its name came through intact), nothing else was, and
    // nothing ran the injected commands.
    assert.equal(startOut, `${HOSTILE}: started`);
    assert.equal((await conn.domainGetState(hostile)).state, VirDomainState.RUNNING);
    assert.equal((await conn.domainGetState(decoy)).state, VirDomainState.SHUTOFF);
    assert.equal(fs.existsSync(PWNED_HOME), false, `${PWNED_HOME} exists: a name was run as a command`);

    // The tag schedule (run by cron too) snapshotted only the VM with exactly that tag, keeping 1.
    await cronRun(local.host, byTag.id, mark);
    assert.deepEqual((await snapshotsOf(tagged)).filter((s) => s.startsWith(snapshotPrefix(byTag.id))).length, 1);
    assert.deepEqual(await snapshotsOf(almost), []);
    assert.deepEqual(await snapshotsOf(decoy), []);
    assert.equal(fs.existsSync(PWNED), false, `${PWNED} exists: a tag was run as a command`);
    assert.equal(fs.existsSync(PWNED_HOME), false);
    assert.deepEqual(foreignLines(crontab()), othersBefore);
  });

  it('pauses a schedule (its job line commented out) and resumes it', async () => {
    const vm = await define(`${RUN}pause`);
    const s = schedule('pause', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'reboot' });
    await local.host.save(s);
    await local.host.setPaused(s.id, true);
    let entry = parseCrontab(crontab()).entries.find((e) => e.schedule.id === s.id);
    assert.equal(entry?.schedule.paused, true);
    assert.match(entry!.job!, /^#paused# \* \* \* \* \* '/);
    await local.host.setPaused(s.id, false);
    entry = parseCrontab(crontab()).entries.find((e) => e.schedule.id === s.id);
    assert.match(entry!.job!, /^\* \* \* \* \* '/);
    assert.deepEqual(foreignLines(crontab()), othersBefore);
  });

  it('removes only its own entry: every other line stays byte-identical', async () => {
    const vm = await define(`${RUN}rm`);
    const a = schedule('rma', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'shutdown' });
    const b = schedule('rmb', { kind: 'vm', uuid: vm.uuid, name: vm.name }, { kind: 'start' });
    await ssh.host.save(a);
    await ssh.host.save(b);
    const before = crontab();
    await ssh.host.remove(a.id, a);
    const after = crontab();
    const removed = before.split('\n').filter((l) => !after.split('\n').includes(l));
    assert.equal(removed.length, 2, removed.join('\n'));
    assert.ok(removed[0].startsWith(`# libvirt-vms:${a.id} `));
    assert.ok(removed[1].includes(`/run-schedule' '${a.id}' `));
    const kept = before.split('\n').filter((l) => !removed.includes(l));
    assert.equal(after, kept.join('\n'));
    assert.ok(after.includes(sentinel.join('\n')));
    assert.ok(parseCrontab(after).entries.some((e) => e.schedule.id === b.id));
    // An entry that changed after it was shown is not removed.
    await ssh.host.save({ ...b, action: { kind: 'reboot' } });
    await assert.rejects(ssh.host.remove(b.id, b), /changed since it was shown/);
    assert.ok(parseCrontab(crontab()).entries.some((e) => e.schedule.id === b.id));
  });
});
