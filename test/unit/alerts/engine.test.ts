import * as assert from 'node:assert/strict';
import { AlertEngine, type AlertChange, type AlertSubject } from '../../../src/libvirt/alerts/engine';
import { OperationJournal } from '../../../src/libvirt/alerts/operationJournal';
import { parseRules, type AlertRule } from '../../../src/libvirt/alerts/rules';

function rule(setting: Record<string, unknown>): AlertRule {
  const { rules, problems } = parseRules([setting]);
  assert.deepEqual(problems, []);
  return rules[0]!;
}

const vm = (n: number): AlertSubject => ({ key: `c1/vm/${n}`, connectionId: 'c1', connectionName: 'local', label: `vm${n}`, vmUuid: String(n) });

describe('alert engine (unit, synthetic clock)', () => {
  let now: number;
  let engine: AlertEngine;
  let changes: AlertChange[];
  const fired = (): string[] => changes.filter((c) => c.type === 'fired').map((c) => `${c.alert.rule}@${c.alert.subject.label}`);
  const resolved = (): string[] => changes.filter((c) => c.type === 'resolved').map((c) => `${c.alert.rule}@${c.alert.subject.label}:${c.alert.resolution}`);

  beforeEach(() => {
    now = 1_000_000;
    engine = new AlertEngine(() => now, { recentLimit: 3 });
    changes = [];
    engine.onDidChange((c) => changes.push(c));
  });

  it('fires a CPU rule only after the value held above the threshold for the whole duration', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 80, minutes: 5 });
    engine.setRules([cpu]);
    engine.observe(cpu, vm(1), 95);
    assert.equal(engine.phaseOf('busy', 'c1/vm/1'), 'pending');
    now += 4 * 60_000;
    engine.observe(cpu, vm(1), 90);
    assert.deepEqual(fired(), []);
    now += 59_999;
    engine.tick();
    assert.deepEqual(fired(), []);
    now += 1;
    engine.tick();
    assert.deepEqual(fired(), ['busy@vm1']);
    assert.equal(engine.active()[0]?.message, 'CPU 90 % (above 80 % for 5 min)');
  });

  it('a dip below the threshold restarts the duration', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 80, minutes: 1 });
    engine.setRules([cpu]);
    engine.observe(cpu, vm(1), 95);
    now += 50_000;
    engine.observe(cpu, vm(1), 70);
    now += 5_000;
    engine.observe(cpu, vm(1), 95);
    now += 50_000;
    engine.tick();
    assert.deepEqual(fired(), []);
    now += 10_000;
    engine.tick();
    assert.deepEqual(fired(), ['busy@vm1']);
  });

  it('hysteresis: a firing alert resolves only below clearBelow, and does not fire again while the value hovers', () => {
    const mem = rule({ name: 'mem', kind: 'memory', threshold: 90, clearBelow: 80 });
    engine.setRules([mem]);
    for (const v of [91, 89, 92, 85, 95, 81, 93]) {
      engine.observe(mem, vm(1), v);
      now += 5000;
    }
    assert.deepEqual(fired(), ['mem@vm1'], 'one notification while the value hovers around 90');
    assert.deepEqual(resolved(), []);
    engine.observe(mem, vm(1), 79);
    assert.deepEqual(resolved(), ['mem@vm1:memory 79 % in use']);
    assert.equal(engine.active().length, 0);
    assert.equal(engine.recent()[0]?.phase, 'resolved');
    engine.observe(mem, vm(1), 91);
    assert.deepEqual(fired(), ['mem@vm1', 'mem@vm1'], 'fires again after it cleared');
  });

  it('the default hysteresis is five points below the threshold', () => {
    const pool = rule({ name: 'p', kind: 'poolFull', threshold: 50 });
    assert.equal(pool.clearBelow, 45);
    engine.setRules([pool]);
    const s: AlertSubject = { key: 'c1/pool/x', connectionId: 'c1', connectionName: 'local', label: 'x' };
    engine.observe(pool, s, 60);
    engine.observe(pool, s, 46);
    assert.equal(engine.active().length, 1);
    engine.observe(pool, s, 44.9);
    assert.equal(engine.active().length, 0);
  });

  it('no storm: many VMs, each fires once, repeated readings add nothing', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 50, minutes: 0 });
    engine.setRules([cpu]);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) engine.observe(cpu, vm(i), 99);
      now += 5000;
      engine.tick();
    }
    assert.equal(fired().length, 10);
    assert.equal(engine.active().length, 10);
  });

  it('event rules fire at once, once, and clear when the VM runs again', () => {
    const crash = rule({ name: 'crash', kind: 'crashed' });
    engine.setRules([crash]);
    engine.trigger(crash, vm(2), 'Guest kernel panicked (pvpanic)');
    engine.trigger(crash, vm(2), 'Stopped after a crash');
    assert.deepEqual(fired(), ['crash@vm2']);
    engine.clear('crash', 'c1/vm/2', 'running again');
    assert.deepEqual(resolved(), ['crash@vm2:running again']);
    engine.trigger(crash, vm(2), 'Guest kernel panicked (pvpanic)');
    assert.equal(fired().length, 2);
  });

  it('a VM that stops being measured resolves its alert; a pending one never fires', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 50, minutes: 1 });
    engine.setRules([cpu]);
    engine.observe(cpu, vm(1), 99);
    now += 120_000;
    engine.tick();
    engine.observe(cpu, vm(2), 99);
    engine.observe(cpu, vm(1), undefined);
    engine.observe(cpu, vm(2), undefined);
    now += 120_000;
    engine.tick();
    assert.deepEqual(fired(), ['busy@vm1']);
    assert.deepEqual(resolved(), ['busy@vm1:no longer measured']);
  });

  it('host unreachable fires after its minutes and clears when connected', () => {
    const host = rule({ name: 'down', kind: 'hostUnreachable', minutes: 2 });
    engine.setRules([host]);
    const h: AlertSubject = { key: 'c1/host', connectionId: 'c1', connectionName: 'local', label: 'local' };
    engine.observe(host, h, 1, 'connection refused');
    now += 119_000;
    engine.tick();
    assert.deepEqual(fired(), []);
    now += 1000;
    engine.tick();
    assert.deepEqual(fired(), ['down@local']);
    assert.equal(engine.active()[0]?.message, 'Unreachable for 2 min: connection refused');
    engine.observe(host, h, 0);
    assert.deepEqual(resolved(), ['down@local:reachable again']);
  });

  it('a dismissed alert moves to recent and fires again only after the condition cleared', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 50, minutes: 0 });
    engine.setRules([cpu]);
    engine.observe(cpu, vm(1), 99);
    const id = engine.active()[0]!.id;
    assert.equal(engine.dismiss(id), true);
    assert.deepEqual(resolved(), ['busy@vm1:dismissed']);
    engine.observe(cpu, vm(1), 99);
    now += 600_000;
    engine.tick();
    assert.equal(fired().length, 1, 'still hot: no new notification');
    engine.observe(cpu, vm(1), 10);
    engine.observe(cpu, vm(1), 99);
    assert.equal(fired().length, 2);
  });

  it('removing or changing a rule resolves its alerts; observations of an old rule are ignored', () => {
    const cpu = rule({ name: 'busy', kind: 'cpu', threshold: 50, minutes: 0 });
    engine.setRules([cpu]);
    engine.observe(cpu, vm(1), 99);
    const stricter = rule({ name: 'busy', kind: 'cpu', threshold: 95, minutes: 0 });
    engine.setRules([stricter]);
    assert.deepEqual(resolved(), ['busy@vm1:the rule changed']);
    engine.observe(cpu, vm(1), 99);
    assert.equal(fired().length, 1, 'the old rule object fires nothing');
    engine.observe(stricter, vm(1), 96);
    assert.equal(fired().length, 2);
    engine.setRules([]);
    assert.equal(engine.active().length, 0);
  });

  it('the recent list keeps the newest resolved alerts up to its limit', () => {
    const crash = rule({ name: 'crash', kind: 'crashed' });
    engine.setRules([crash]);
    for (let i = 0; i < 5; i++) {
      engine.trigger(crash, vm(i), 'x');
      now += 1000;
      engine.clear('crash', `c1/vm/${i}`, 'running again');
    }
    assert.deepEqual(
      engine.recent().map((a) => a.subject.label),
      ['vm4', 'vm3', 'vm2'],
    );
  });
});

describe('operation journal (unit)', () => {
  it('a recorded stop explains one stop event within its window', () => {
    let now = 0;
    const j = new OperationJournal(() => now, 60_000);
    j.recordStop('u1');
    assert.equal(j.consumeStop('u1'), true);
    assert.equal(j.consumeStop('u1'), false, 'used up');
    j.recordStop('u2');
    now = 60_001;
    assert.equal(j.consumeStop('u2'), false, 'too old');
    assert.equal(j.consumeStop('u3'), false);
  });
});
