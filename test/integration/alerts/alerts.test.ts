// Alerts on real triggers against the real libvirtd: a VM forced off by another client, a pool
// filled by a volume, a host that becomes unreachable, a CPU busy loop in the real Debian guest,
// its filesystem filling up, its agent stopping, and a guest kernel panic reported by pvpanic.
// Each alert must also clear when its condition ends.
//
// Unreachability: the shared daemons (16509, and the peer on 16510) serve every other test, so
// stopping one is out of the question. The monitor reaches the daemon through a TCP proxy this
// test owns instead; closing the proxy (and its open sockets) is, for the client, exactly a host
// that went away, and listening again on the same port is the host coming back.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Alert, AlertChange } from '../../../src/libvirt/alerts/engine';
import { AlertMonitor } from '../../../src/libvirt/alerts/monitor';
import { OperationJournal } from '../../../src/libvirt/alerts/operationJournal';
import { parseRules } from '../../../src/libvirt/alerts/rules';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { ManagedConnection } from '../../../src/libvirt/managedConnection';
import { sharedGuest } from '../../guestVm';
import { leftoverOfDeadRun, removeDeadRunObjects } from '../../leftovers';
import { BulkHost } from './bulkHost';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const TCP = process.env.LIBVIRT_TEST_TCP ?? '127.0.0.1:16509';
const PREFIX = 'alr-';
const RUN = `${PREFIX}${process.pid}-`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rules(list: Record<string, unknown>[]): ReturnType<typeof parseRules>['rules'] {
  const parsed = parseRules(list);
  assert.deepEqual(parsed.problems, []);
  return parsed.rules;
}

/** Resolves with the first change matching `pred`; rejects after `ms` naming what was seen. */
function waitForChange(monitor: AlertMonitor, pred: (c: AlertChange) => boolean, ms: number, what: string): Promise<Alert> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${what} within ${ms} ms; changes seen: ${seen.join(' | ') || 'none'}`));
    }, ms);
    const sub = monitor.engine.onDidChange((c) => {
      seen.push(`${c.type} ${c.alert.rule} ${c.alert.subject.label}: ${c.alert.message}`);
      if (!pred(c)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(c.alert);
    });
  });
}

const tinyXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices/>
</domain>`;

describe('alerts on real triggers (integration)', function () {
  this.timeout(120_000);
  let outside: Connection;
  let journal: OperationJournal;
  let monitor: AlertMonitor;
  let managed: ManagedConnection;
  let host: BulkHost;
  const cleanups: (() => Promise<unknown>)[] = [];
  let log: string[] = [];

  before(async () => {
    outside = await Connection.open(URI);
    await removeDeadRunObjects(outside, PREFIX);
    for (const e of fs.readdirSync('/tmp', { withFileTypes: true })) {
      if (e.isDirectory() && leftoverOfDeadRun(e.name, PREFIX)) {
        try {
          execFileSync('umount', [path.join('/tmp', e.name)], { stdio: 'ignore' });
        } catch {
          // not mounted
        }
        fs.rmSync(path.join('/tmp', e.name), { recursive: true, force: true });
      }
    }
  });

  beforeEach(async () => {
    journal = new OperationJournal();
    monitor = new AlertMonitor({ journal, poolIntervalMs: 1000, agentIntervalMs: 2000, agentTimeoutS: 5, tickMs: 500, log: (m) => log.push(m) });
    managed = new ManagedConnection({ uri: URI, connectOptions: { stopIntents: journal } });
    host = new BulkHost('local', 'local', managed);
    await managed.connect();
    monitor.addHost(host);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(`monitor log:\n${log.slice(-20).join('\n')}`);
    log = [];
    monitor.dispose();
    host.dispose();
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    managed.dispose();
  });

  after(async () => {
    await outside?.close();
  });

  it('a VM forced off by another client alerts; one forced off from here does not; starting it clears the alert', async () => {
    const conn = managed.current()!;
    const name = `${RUN}stop`;
    let dom: DomainRef = await conn.domainDefineXml(tinyXml(name));
    // Scoped to this VM: other suites stop their VMs on the same daemon meanwhile.
    monitor.setRules(rules([{ name: 'Unexpected stop', kind: 'unexpectedStop', scope: `vm:${dom.uuid}` }]));
    cleanups.push(async () => {
      await outside.domainDestroy(dom).catch(() => undefined);
      await outside.domainUndefine(dom);
    });
    dom = await conn.domainCreate(dom);
    const fired = waitForChange(monitor, (c) => c.type === 'fired' && c.alert.subject.vmUuid === dom.uuid, 20_000, 'alert for the stop');
    await outside.domainDestroy(dom);
    const alert = await fired;
    assert.equal(alert.message, 'Forced off by another client');
    assert.equal(alert.subject.label, name);
    assert.equal(monitor.engine.active().length, 1);

    const cleared = waitForChange(monitor, (c) => c.type === 'resolved' && c.alert.subject.vmUuid === dom.uuid, 20_000, 'resolution');
    dom = await conn.domainCreate(dom);
    assert.equal((await cleared).resolution, 'running again');

    // Forced off through the monitored client: expected, no alert.
    let extra: Alert | undefined;
    const sub = monitor.engine.onDidChange((c) => {
      if (c.type === 'fired') extra = c.alert;
    });
    await conn.domainDestroy(dom);
    await sleep(3000);
    sub.dispose();
    assert.equal(extra, undefined, `unexpected alert: ${extra?.message}`);
    assert.equal(monitor.engine.active().length, 0);
  });

  it('a pool filled by a volume alerts and clears when the volume is deleted', async () => {
    const name = `${RUN}pool`;
    const dir = path.join('/tmp', name);
    fs.mkdirSync(dir, { mode: 0o755 });
    // A small filesystem of our own: a dir pool's capacity is its filesystem's.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', dir]);
    cleanups.push(async () => {
      execFileSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const conn = managed.current()!;
    const pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`);
    cleanups.push(async () => {
      await outside.storagePoolDestroy(pool).catch(() => undefined);
      await outside.storagePoolUndefine(pool);
    });
    await conn.storagePoolCreate(pool);
    monitor.setRules(rules([{ name: 'Pool full', kind: 'poolFull', threshold: 50, pool: name }]));
    await sleep(2500);
    assert.equal(monitor.engine.active().length, 0, 'an empty pool does not alert');

    const fired = waitForChange(monitor, (c) => c.type === 'fired' && c.alert.subject.label === name, 20_000, 'pool alert');
    const vol = await conn.storageVolCreateXml(pool, `<volume><name>fill.raw</name><capacity unit='MiB'>48</capacity><allocation unit='MiB'>48</allocation><target><format type='raw'/></target></volume>`);
    const alert = await fired;
    assert.match(alert.message, /^Pool \d+(\.\d)? % full \(above 50 %\)$/);
    assert.equal(alert.rule, 'Pool full');

    const cleared = waitForChange(monitor, (c) => c.type === 'resolved' && c.alert.subject.label === name, 20_000, 'pool resolution');
    await conn.storageVolDelete(vol);
    assert.match((await cleared).resolution ?? '', /^\d+(\.\d)? % full$/);
  });

  it('a host that becomes unreachable alerts after its minutes and clears when it answers again', async () => {
    const [tHost, tPort] = TCP.split(':');
    const sockets = new Set<net.Socket>();
    const makeProxy = (): net.Server =>
      net.createServer((client) => {
        const upstream = net.connect(Number(tPort), tHost);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
    let proxy = makeProxy();
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    cleanups.push(async () => {
      proxy.close();
      for (const s of sockets) s.destroy();
    });
    const remote = new ManagedConnection({ uri: `qemu+tcp://127.0.0.1:${port}/system`, backoff: { initialMs: 200, maxMs: 1000 } });
    cleanups.push(async () => remote.dispose());
    await remote.connect();
    const remoteHost = new BulkHost('proxied', 'proxied host', remote);
    monitor.addHost(remoteHost);
    monitor.setRules(rules([{ name: 'Host down', kind: 'hostUnreachable', minutes: 0.05, connection: 'proxied host' }]));

    const fired = waitForChange(monitor, (c) => c.type === 'fired', 30_000, 'unreachable alert');
    const t0 = Date.now();
    proxy.close();
    for (const s of sockets) s.destroy();
    const alert = await fired;
    assert.ok(Date.now() - t0 >= 2900, `fired after ${Date.now() - t0} ms, before its 3 s`);
    assert.equal(alert.subject.label, 'proxied host');
    assert.match(alert.message, /^Unreachable for 3 s/);

    const cleared = waitForChange(monitor, (c) => c.type === 'resolved', 30_000, 'reachable again');
    proxy = makeProxy();
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    assert.equal((await cleared).resolution, 'reachable again');
    assert.equal(remote.state.kind, 'connected');
  });

  describe('in the real Debian guest', function () {
    // Boot (about 1.5 minutes under TCG, more on a loaded machine) plus the checks.
    this.timeout(900_000);

    it('a CPU busy loop started through the agent alerts; killing it clears the alert', async () => {
      const guest = await sharedGuest();
      const cpu: number[] = [];
      host.onDidSample((smp) => {
        const v = smp.vms.find((x) => x.ref.uuid === guest.dom.uuid)?.cpuPercent;
        if (v !== undefined) cpu.push(v);
        log.push(`cpu ${v ?? 'none'}`);
      });
      // The guest's CPU use is host CPU time: on a 2-core machine shared with other suites' guests
      // (load average above 20 seen) a busy loop per vCPU reached only ~25 % while idle read 4-8 %.
      // So the threshold is set above the idle reading measured now, not at a fixed 80 %.
      const hold = host.holdSampling();
      cleanups.push(async () => hold.dispose());
      const until = Date.now() + 12_000;
      while (Date.now() < until || cpu.length < 6) await sleep(500);
      const idle = Math.max(...cpu);
      const threshold = Math.min(90, Math.ceil(idle) + 8);
      monitor.setRules(rules([{ name: 'Busy guest', kind: 'cpu', threshold, clearBelow: Math.ceil(idle) + 3, minutes: 0.1, scope: `vm:${guest.dom.uuid}` }]));
      const fired = waitForChange(monitor, (c) => c.type === 'fired', 120_000, `CPU alert above ${threshold} % (idle ${idle.toFixed(1)} %)`);
      // One busy loop per vCPU, ended by `timeout` should the test die before killing them.
      const r = await guest.exec('/bin/sh', ['-c', 'for i in 1 2; do timeout 600 sh -c "while :; do :; done" >/dev/null 2>&1 & done; echo started']);
      assert.equal(r.stdout.trim(), 'started');
      cleanups.push(() => guest.exec('/usr/bin/pkill', ['-f', 'while :; do :; done']));
      const alert = await fired;
      assert.equal(alert.subject.vmUuid, guest.dom.uuid);
      assert.match(alert.message, new RegExp(`^CPU \\d+(\\.\\d)? % \\(above ${threshold} % for 6 s\\)$`));
      const cleared = waitForChange(monitor, (c) => c.type === 'resolved', 120_000, 'CPU resolution');
      await guest.exec('/usr/bin/pkill', ['-f', 'while :; do :; done']);
      assert.match((await cleared).resolution ?? '', /^CPU \d+(\.\d)? %$/);
    });

    it('a guest filesystem filling up alerts (guest-get-fsinfo) and clears when the file goes', async () => {
      const guest = await sharedGuest();
      const info = JSON.parse((await managed.current()!.qemuDomainAgentCommand(guest.dom, '{"execute":"guest-get-fsinfo"}', 10)) ?? '{}') as {
        return: { mountpoint: string; 'used-bytes': number; 'total-bytes': number }[];
      };
      const root = info.return.find((f) => f.mountpoint === '/')!;
      const base = (root['used-bytes'] / root['total-bytes']) * 100;
      // 300 MiB of a 3 GiB disk is ~10 points: fire 3 points above today, clear 1 point above.
      const threshold = Math.min(99, Math.ceil(base) + 3);
      monitor.setRules(rules([{ name: 'Root full', kind: 'guestFilesystem', threshold, clearBelow: Math.ceil(base) + 1, mountpoint: '/', scope: `vm:${guest.dom.uuid}` }]));
      await sleep(5000);
      assert.equal(monitor.engine.active().length, 0);
      const fired = waitForChange(monitor, (c) => c.type === 'fired', 60_000, 'filesystem alert');
      await guest.exec('/usr/bin/fallocate', ['-l', '300M', '/var/tmp/alr-fill']);
      cleanups.push(() => guest.exec('/bin/rm', ['-f', '/var/tmp/alr-fill']));
      const alert = await fired;
      assert.match(alert.message, new RegExp(`^Filesystem / \\d+(\\.\\d)? % full \\(above ${threshold} %\\)$`));
      const cleared = waitForChange(monitor, (c) => c.type === 'resolved', 60_000, 'filesystem resolution');
      await guest.exec('/bin/rm', ['-f', '/var/tmp/alr-fill']);
      await cleared;
    });

    it('a stopped guest agent alerts; the agent coming back clears it', async () => {
      const guest = await sharedGuest();
      monitor.setRules(rules([{ name: 'Agent', kind: 'agentUnresponsive', minutes: 0.05, scope: `vm:${guest.dom.uuid}` }]));
      await sleep(5000);
      assert.equal(monitor.engine.active().length, 0, 'an answering agent does not alert');
      const fired = waitForChange(monitor, (c) => c.type === 'fired', 60_000, 'agent alert');
      // The agent cannot restart itself once stopped, and a fixed delay costs its full length on
      // every run: a transient unit (outside the agent's cgroup, which the stop kills) stops it,
      // then asks a port of this host (the guest's gateway) every second and starts the agent
      // once the answer is "go", which this test sends only after the alert; after 120 s without
      // it, it starts the agent anyway.
      let go = false;
      const signal = net.createServer((s) => (go ? s.end('go') : s.destroy()));
      await new Promise<void>((r) => signal.listen(0, '0.0.0.0', r));
      cleanups.push(async () => signal.close());
      const port = (signal.address() as net.AddressInfo).port;
      const script = `sleep 1; systemctl stop qemu-guest-agent; gw=$(ip route | awk '/^default/ {print $3; exit}'); end=$((SECONDS + 120));
while [ $SECONDS -lt $end ] && [ "$(timeout 3 bash -c "exec 3<>/dev/tcp/$gw/${port}; cat <&3" 2>/dev/null)" != go ]; do sleep 1; done
systemctl start qemu-guest-agent`;
      await guest.exec('/usr/bin/systemd-run', ['--collect', '/bin/bash', '-c', script]);
      const alert = await fired;
      assert.match(alert.message, /^Guest agent not answering for 3 s/);
      const cleared = waitForChange(monitor, (c) => c.type === 'resolved', 180_000, 'agent answering again');
      go = true;
      assert.equal((await cleared).resolution, 'answering again');
    });

    it('a guest kernel panic (pvpanic) alerts; starting the VM again clears it', async () => {
      const guest = await sharedGuest();
      await guest.waitForAgent(120_000);
      const lsmod = await guest.exec('/bin/sh', ['-c', 'ls /sys/bus/platform/drivers/ | grep -i pvpanic || ls /sys/bus/acpi/drivers | grep -i pvpanic || true']);
      monitor.setRules(rules([{ name: 'Crash', kind: 'crashed', scope: `vm:${guest.dom.uuid}` }, { name: 'Stop', kind: 'unexpectedStop', scope: `vm:${guest.dom.uuid}` }]));
      const changes: AlertChange[] = [];
      monitor.engine.onDidChange((c) => changes.push(c));
      const fired = waitForChange(monitor, (c) => c.type === 'fired' && c.alert.rule === 'Crash', 60_000, `panic alert (pvpanic driver: ${lsmod.stdout.trim() || 'none seen'})`);
      // guest-exec returns the pid at once; the guest dies before anyone asks for the status.
      await guest.agent('guest-exec', { path: '/bin/sh', arg: ['-c', 'sleep 1; echo c > /proc/sysrq-trigger'] });
      const alert = await fired;
      assert.equal(alert.message, 'Guest kernel panicked (pvpanic)');
      await sleep(2000);
      assert.deepEqual(
        changes.filter((c) => c.type === 'fired' && c.alert.subject.vmUuid === guest.dom.uuid).map((c) => c.alert.rule),
        ['Crash'],
        'one alert: the stop after the crash is no second, "unexpected stop" alert',
      );
      const cleared = waitForChange(monitor, (c) => c.type === 'resolved' && c.alert.rule === 'Crash', 60_000, 'crash resolution');
      guest.dom = await managed.current()!.domainCreate(guest.dom);
      assert.equal((await cleared).resolution, 'running again');
    });
  });
});
