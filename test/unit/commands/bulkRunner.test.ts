import * as assert from 'node:assert/strict';
import { runBulk, summarize, summaryLine } from '../../../src/commands/bulk/bulkRunner';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bulkRunner (unit)', () => {
  it('runs every item, keeps input order and records failures without stopping', async () => {
    const outcomes = await runBulk(
      ['a', 'b', 'c', 'd'],
      async (x) => {
        await tick(x === 'a' ? 15 : 1);
        if (x === 'b') throw new Error('b broke');
      },
      { concurrency: 2 },
    );
    assert.deepEqual(
      outcomes.map((o) => [o.item, o.status]),
      [
        ['a', 'ok'],
        ['b', 'failed'],
        ['c', 'ok'],
        ['d', 'ok'],
      ],
    );
    const failed = outcomes[1];
    assert.ok(failed.status === 'failed' && failed.error instanceof Error && failed.error.message === 'b broke');
  });

  it('never runs more than `concurrency` actions at once', async () => {
    let running = 0;
    let peak = 0;
    await runBulk(
      Array.from({ length: 10 }, (_, i) => i),
      async () => {
        running++;
        peak = Math.max(peak, running);
        await tick(2);
        running--;
      },
      { concurrency: 4 },
    );
    assert.equal(peak, 4);
  });

  it('skips the items not yet started once cancelled, and lets started ones finish', async () => {
    let cancelled = false;
    const started: number[] = [];
    const outcomes = await runBulk(
      [1, 2, 3, 4, 5],
      async (n) => {
        started.push(n);
        await tick(2);
        if (n === 2) cancelled = true;
      },
      { concurrency: 1, isCancelled: () => cancelled },
    );
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['ok', 'ok', 'skipped', 'skipped', 'skipped'],
    );
  });

  it('reports each settled item with a running count', async () => {
    const seen: number[] = [];
    await runBulk(['x', 'y', 'z'], async () => undefined, {
      concurrency: 3,
      onSettled: (_o, n) => seen.push(n),
    });
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('rejects a concurrency below 1', async () => {
    await assert.rejects(runBulk([1], async () => undefined, { concurrency: 0 }), RangeError);
  });

  it('summarises as "Started 2 of 3 VMs" and names a single VM', async () => {
    const outcomes = await runBulk(
      ['vm1', 'vm2', 'vm3'],
      async (n) => {
        if (n === 'vm3') throw new Error('domain is already running');
      },
      { concurrency: 4 },
    );
    const s = summarize(outcomes);
    assert.equal(summaryLine('Started', s, (x) => x), 'Started 2 of 3 VMs');
    assert.deepEqual(s.failed.map((f) => f.item), ['vm3']);
    const one = summarize(await runBulk(['vm1'], async () => undefined, { concurrency: 4 }));
    assert.equal(summaryLine('Paused', one, (x) => x), 'Paused vm1');
  });

  it('mentions items not started after a cancellation', () => {
    const line = summaryLine('Started', { ok: ['a'], failed: [], skipped: ['b', 'c'] }, (x) => x);
    assert.equal(line, 'Started 1 of 3 VMs (cancelled, 2 not started)');
  });
});
