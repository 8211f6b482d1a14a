import * as assert from 'node:assert/strict';
import { Coalescer, type TimerApi } from '../../../src/views/coalescer';

/** Manual clock: timers fire only when advance() passes their due time. */
class ManualTimers implements TimerApi {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

describe('coalescer (unit)', () => {
  it('applies a single event after a quiet period at once', () => {
    const t = new ManualTimers();
    const flushes: string[][] = [];
    const c = new Coalescer<string>((items) => flushes.push([...items]), 150, 1000, t, () => t.now);
    c.add('domains');
    assert.deepEqual(flushes, [['domains']], 'flushed synchronously, without waiting for a timer');
    t.advance(150);
    c.add('networks');
    assert.deepEqual(flushes, [['domains'], ['networks']], 'quiet again after delayMs: at once again');
  });

  it('turns a burst of 1000 events into the first at once and one trailing flush with the distinct rest', () => {
    const t = new ManualTimers();
    const flushes: string[][] = [];
    const c = new Coalescer<string>((items) => flushes.push([...items]), 150, 1000, t, () => t.now);
    for (let i = 0; i < 1000; i++) c.add(i % 2 ? 'domains' : 'networks');
    assert.deepEqual(flushes, [['networks']]);
    t.advance(149);
    assert.equal(flushes.length, 1);
    t.advance(1);
    assert.deepEqual(flushes, [['networks'], ['domains', 'networks']]);
  });

  it('200 defines 5 ms apart cause only a handful of flushes', () => {
    const t = new ManualTimers();
    let flushes = 0;
    const c = new Coalescer<string>(() => flushes++, 150, 1000, t, () => t.now);
    for (let i = 0; i < 200; i++) {
      c.add('domains');
      t.advance(5);
    }
    t.advance(1000);
    assert.ok(flushes >= 2 && flushes <= 3, `flushes: ${flushes}`);
  });

  it('coalesces a steady stream, flushing at the latest after maxDelay', () => {
    const t = new ManualTimers();
    const flushes: number[] = [];
    const c = new Coalescer<number>((items) => flushes.push(items.size), 150, 1000, t, () => t.now);
    for (let i = 0; i < 30; i++) {
      c.add(i);
      t.advance(100);
    }
    // 3000 ms of events every 100 ms: the first at once, then about once per second, not once per event and not never.
    assert.ok(flushes.length >= 3 && flushes.length <= 5, `flushes: ${flushes.join(',')}`);
    assert.equal(flushes[0], 1);
    t.advance(200);
    assert.equal(flushes.reduce((a, b) => a + b, 0), 30);
  });

  it('flushNow and dispose', () => {
    const t = new ManualTimers();
    const flushes: number[] = [];
    const c = new Coalescer<number>((items) => flushes.push(items.size), 150, 1000, t, () => t.now);
    c.add(1); // at once
    c.add(2); // pending: within delayMs of the flush
    c.add(3);
    assert.deepEqual(flushes, [1]);
    c.flushNow();
    assert.deepEqual(flushes, [1, 2]);
    c.add(4);
    c.dispose();
    t.advance(1000);
    assert.deepEqual(flushes, [1, 2]);
  });
});
