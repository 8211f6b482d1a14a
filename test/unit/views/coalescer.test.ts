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
  it('turns a burst of 1000 events into one flush with the distinct items', () => {
    const t = new ManualTimers();
    const flushes: string[][] = [];
    const c = new Coalescer<string>((items) => flushes.push([...items]), 150, 1000, t, () => t.now);
    for (let i = 0; i < 1000; i++) c.add(i % 2 ? 'domains' : 'networks');
    assert.equal(flushes.length, 0);
    t.advance(149);
    assert.equal(flushes.length, 0);
    t.advance(1);
    assert.deepEqual(flushes, [['networks', 'domains']]);
  });

  it('is a trailing debounce, but flushes at the latest after maxDelay during a steady stream', () => {
    const t = new ManualTimers();
    const flushes: number[] = [];
    const c = new Coalescer<number>((items) => flushes.push(items.size), 150, 1000, t, () => t.now);
    for (let i = 0; i < 30; i++) {
      c.add(i);
      t.advance(100);
    }
    // 3000 ms of events every 100 ms: flushed about once per second, not once per event and not never.
    assert.ok(flushes.length >= 2 && flushes.length <= 4, `flushes: ${flushes.join(',')}`);
    t.advance(200);
    assert.equal(flushes.reduce((a, b) => a + b, 0), 30);
  });

  it('flushNow and dispose', () => {
    const t = new ManualTimers();
    const flushes: number[] = [];
    const c = new Coalescer<number>((items) => flushes.push(items.size), 150, 1000, t, () => t.now);
    c.add(1);
    c.flushNow();
    assert.deepEqual(flushes, [1]);
    c.add(2);
    c.dispose();
    t.advance(1000);
    assert.deepEqual(flushes, [1]);
  });
});
