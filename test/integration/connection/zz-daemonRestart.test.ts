// Kills the shared libvirtd and starts it again with scripts/testenv.sh: this file sorts last so
// that the other integration suites of this run are done before the daemon goes away.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainEvent } from '../../../src/libvirt/connection';
import { ManagedConnection, type ConnectionState } from '../../../src/libvirt/managedConnection';
import { ConnectionClosedError } from '../../../src/libvirt/rpc/errors';
import { VirDomainEventType } from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, lifecycleOf, removeLeftovers, sleep, tinyDomainXml, UNDEFINE_ALL, uniqueName } from './testEnv';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const STATE = process.env['LIBVIRT_VMS_STATE'] ?? '/run/libvirt-vms-test';

function libvirtdPid(): number {
  for (const f of [path.join(STATE, 'libvirtd.pid'), '/run/libvirtd.pid']) {
    if (!fs.existsSync(f)) continue;
    const pid = Number(fs.readFileSync(f, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) return pid;
  }
  throw new Error(`no libvirtd pid file under ${STATE} or /run`);
}

/** The process is gone (a zombie counts as alive: testenv.sh start would still see it). */
function gone(pid: number): boolean {
  return !fs.existsSync(`/proc/${pid}`);
}

describe('ManagedConnection across a libvirtd restart (integration, kills the shared daemon)', function () {
  this.timeout(240000);
  let managed: ManagedConnection | undefined;
  const names: string[] = [];

  after(async () => {
    managed?.dispose();
    const conn = await Connection.open(env.uri).catch(() => undefined);
    if (!conn) return;
    for (const name of names) {
      const d = await conn.domainLookupByName(name).catch(() => undefined);
      if (!d) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await conn.close();
  });

  it('fails the call in flight with ConnectionClosedError, reconnects by itself, and keeps its listener', async () => {
    const m = new ManagedConnection({ uri: env.uri, backoff: { initialMs: 250, maxMs: 2000 } });
    managed = m;
    const states: ConnectionState[] = [];
    m.onStateChange((s) => states.push(s));
    const events = new EventLog<DomainEvent>();
    m.onDomainEvent(events.push, { kinds: ['lifecycle'] });
    const conn = await m.connect();
    await removeLeftovers(conn);

    const name = uniqueName('restart');
    names.push(name);
    const dom = await conn.domainDefineXml(tinyDomainXml(name));
    await events.waitFor(lifecycleOf(name, VirDomainEventType.DEFINED), 'DEFINED before the kill');

    // Starting a TCG guest takes a second or more: kill the daemon while that call is in flight.
    const pid = libvirtdPid();
    const inFlight = conn.domainCreate(dom);
    const outcome = inFlight.then(
      () => undefined,
      (e: unknown) => e,
    );
    await sleep(150);
    process.kill(pid, 'SIGKILL');
    const err = await outcome;
    assert.ok(ConnectionClosedError.is(err), `the call in flight rejects with ConnectionClosedError, got ${String(err)}`);
    assert.match(err.message, /libvirt connection closed: (eof|socket error)/);
    assert.equal(conn.closed, true);
    const drop = states.find((s) => s.kind === 'disconnected');
    assert.ok(drop && drop.kind === 'disconnected', 'the state went to disconnected');
    assert.match(drop.reason, /closed/);
    assert.ok(drop.retryInMs !== undefined && drop.retryInMs > 0, 'a retry is scheduled');
    assert.equal(m.current(), undefined);

    // PID 1 reaps the killed daemon late on some hosts; start only once it is really gone.
    for (let i = 0; i < 600 && !gone(pid); i++) await sleep(100);
    execFileSync('bash', [path.join(ROOT, 'scripts', 'testenv.sh'), 'start'], { cwd: ROOT, stdio: 'ignore', timeout: 180000 });

    const deadline = Date.now() + 60000;
    while (m.state.kind !== 'connected' && Date.now() < deadline) await sleep(100);
    assert.equal(m.state.kind, 'connected', `reconnected by itself (states: ${states.map((s) => s.kind).join(' ')})`);
    const again = m.current();
    assert.ok(again && again !== conn, 'a new Connection');
    assert.ok(
      states.filter((s) => s.kind === 'connecting').length >= 2,
      'at least one reconnect attempt',
    );

    // The listener registered before the kill hears about changes made after the restart.
    const current = await again.domainLookupByName(name);
    if (current.id !== -1) await again.domainDestroy(current);
    await again.domainUndefine(current, UNDEFINE_ALL);
    await events.waitFor(lifecycleOf(name, VirDomainEventType.UNDEFINED), 'UNDEFINED after the restart');
    m.dispose();
    assert.equal(m.state.kind, 'idle');
  });
});
