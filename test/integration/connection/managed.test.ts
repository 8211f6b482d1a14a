import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Connection, type DomainEvent } from '../../../src/libvirt/connection';
import { ManagedConnection, type ConnectionState } from '../../../src/libvirt/managedConnection';
import { ConnectionClosedError } from '../../../src/libvirt/rpc/errors';
import { VirDomainEventType } from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, lifecycleOf, removeLeftovers, sleep, tinyDomainXml, UNDEFINE_ALL, uniqueName } from './testEnv';

/** Client ids of libvirtd's main server, from libvirt's own admin tool. */
function adminClientIds(): Set<string> {
  const out = execFileSync('virt-admin', ['-c', 'libvirtd:///system', 'srv-clients-list', 'libvirtd'], { encoding: 'utf8' });
  const ids = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s/.exec(line);
    if (m) ids.add(m[1]!);
  }
  return ids;
}

function waitState(m: ManagedConnection, kind: ConnectionState['kind'], timeoutMs = 20000): Promise<ConnectionState> {
  if (m.state.kind === kind) return Promise.resolve(m.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`state ${kind} not reached in ${timeoutMs} ms (now ${JSON.stringify(m.state.kind)})`));
    }, timeoutMs);
    const sub = m.onStateChange((s) => {
      if (s.kind !== kind) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

describe('ManagedConnection (integration)', function () {
  this.timeout(120000);
  let helper: Connection;
  const managed: ManagedConnection[] = [];
  const domains: string[] = [];

  before(async () => {
    helper = await Connection.open(env.uri);
    await removeLeftovers(helper);
  });

  after(async () => {
    for (const m of managed) m.dispose();
    if (!helper) return;
    for (const name of domains) {
      const d = await helper.domainLookupByName(name).catch(() => undefined);
      if (d) await helper.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await helper.close();
  });

  it('goes idle -> connecting -> connected, delivers events, and closes on dispose', async () => {
    const m = new ManagedConnection({ uri: env.uri });
    managed.push(m);
    const states: string[] = [];
    m.onStateChange((s) => states.push(s.kind));
    assert.equal(m.state.kind, 'idle');
    assert.equal(m.current(), undefined);
    const events = new EventLog<DomainEvent>();
    m.onDomainEvent(events.push, { kinds: ['lifecycle'] });
    const conn = await m.connect();
    assert.equal(m.current(), conn);
    assert.equal(await m.connect(), conn, 'connect() while connected returns the same connection');
    assert.deepEqual(states, ['connecting', 'connected']);

    const name = uniqueName('mc');
    domains.push(name);
    const dom = await helper.domainDefineXml(tinyDomainXml(name));
    await events.waitFor(lifecycleOf(name, VirDomainEventType.DEFINED), 'DEFINED through the managed connection');
    await helper.domainUndefine(dom);
    await events.waitFor(lifecycleOf(name, VirDomainEventType.UNDEFINED), 'UNDEFINED');

    m.dispose();
    assert.equal(m.state.kind, 'idle');
    assert.equal(m.current(), undefined);
    await sleep(100);
    assert.equal(conn.closed, true);
    await assert.rejects(m.connect(), /disposed/);
  });

  it('retries an unreachable daemon with growing delays and stops after dispose', async () => {
    const m = new ManagedConnection({ uri: 'qemu+tcp://127.0.0.1:1/system', backoff: { initialMs: 40, maxMs: 400 } });
    managed.push(m);
    const delays: number[] = [];
    let attempts = 0;
    m.onStateChange((s) => {
      if (s.kind === 'disconnected' && s.retryInMs !== undefined) delays.push(s.retryInMs);
      if (s.kind === 'connecting') attempts = s.attempt;
    });
    await assert.rejects(m.connect(), (e: unknown) => e instanceof Error && /127\.0\.0\.1/.test(e.message));
    const st = m.state;
    assert.equal(st.kind, 'disconnected');
    assert.match(st.kind === 'disconnected' ? st.reason : '', /refused|connect/i);
    while (delays.length < 5) await sleep(20);
    assert.ok(attempts >= 5, `attempts counted: ${attempts}`);
    // Equal jitter: delay n lies in [base/2, base] with base = min(400, 40 * 2^(n-1)).
    delays.slice(0, 5).forEach((d, i) => {
      const base = Math.min(400, 40 * 2 ** i);
      assert.ok(d >= base / 2 && d <= base, `delay ${i + 1} = ${d} within [${base / 2}, ${base}]`);
    });
    m.dispose();
    const after = delays.length;
    await sleep(600);
    assert.equal(delays.length, after, 'no retries after dispose');
    assert.equal(m.state.kind, 'idle');
  });

  it('notices a server-side disconnect, reconnects by itself and keeps its listeners', async () => {
    const before = adminClientIds();
    const m = new ManagedConnection({ uri: env.uri, backoff: { initialMs: 100, maxMs: 1000 } });
    managed.push(m);
    const events = new EventLog<DomainEvent>();
    m.onDomainEvent(events.push, { kinds: ['lifecycle'] });
    const first = await m.connect();
    const mine = [...adminClientIds()].filter((id) => !before.has(id));
    assert.equal(mine.length, 1, `exactly one new admin client id (${mine.join(',')})`);
    const closed = new Promise<Error | undefined>((resolve) => first.onClose(resolve));
    execFileSync('virt-admin', ['-c', 'libvirtd:///system', 'client-disconnect', 'libvirtd', mine[0]!]);
    const err = await closed;
    assert.ok(ConnectionClosedError.is(err), `closed with ConnectionClosedError, got ${String(err)}`);
    await waitState(m, 'connected');
    const second = m.current();
    assert.ok(second && second !== first, 'a new connection');

    const name = uniqueName('mc');
    domains.push(name);
    const dom = await helper.domainDefineXml(tinyDomainXml(name));
    await events.waitFor(lifecycleOf(name, VirDomainEventType.DEFINED), 'DEFINED after the reconnect');
    await helper.domainUndefine(dom);
    m.dispose();
  });
});
