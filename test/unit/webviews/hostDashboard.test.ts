// The Host Dashboard's data (sparklines and figures from the recorded history, gaps kept), its
// card filter and order, and the check of every message from its webview.
import * as assert from 'node:assert/strict';
import { HostHistory } from '../../../src/libvirt/history/hostHistory';
import type { SampleBatch } from '../../../src/libvirt/history/samples';
import { filterVms, sortVms } from '../../../src/webviews/hostDashboard/app/cards';
import { dashboardData, SPARK_POINTS } from '../../../src/webviews/hostDashboard/data';
import { parseFromWebview, type DashboardVm } from '../../../src/webviews/hostDashboard/protocol';

const T0 = Date.UTC(2026, 0, 1);
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

function batch(at: number, cpuA: number, cpuB: number | undefined): SampleBatch {
  const s = (cpu: number) => ({ at, cpuPercent: cpu, memoryUsedKiB: 100, memoryKiB: 200, diskReadBps: 10, diskWriteBps: 5, diskReadIops: 1, diskWriteIops: 1, netRxBps: undefined, netTxBps: undefined });
  return {
    connectionId: 'c',
    at,
    vms: [
      { uuid: A, name: 'alpha', stateCode: 1, active: true, sample: s(cpuA) },
      { uuid: B, name: 'beta', stateCode: 1, active: true, sample: cpuB === undefined ? undefined : s(cpuB) },
    ],
    host: { at, cpuPercent: 40, memoryUsedKiB: 1000, memoryTotalKiB: 4000 },
  };
}

describe('Host Dashboard data (unit)', () => {
  it('gives every VM a sparkline and average, peak and last figures over the range, gaps as null', () => {
    const h = new HostHistory();
    for (let i = 0; i < 720; i++) h.record(batch(T0 + i * 5000, i < 360 ? 10 : 30, i % 2 === 0 ? 50 : undefined));
    const now = T0 + 719 * 5000;
    const d = dashboardData(h, [
      { uuid: A, name: 'alpha', tags: ['web'], state: 'running' },
      { uuid: B, name: 'beta', tags: [], state: 'running' },
      { uuid: '00000000-0000-4000-8000-00000000000c', name: 'gamma', tags: [], state: 'shut off' },
    ], '1h', now, true);
    assert.equal(d.stepMs, 5000);
    const a = d.vms[0].metrics;
    assert.equal(a.cpu.points.length, SPARK_POINTS);
    assert.equal(a.cpu.avg, 20);
    assert.equal(a.cpu.peak, 30);
    assert.equal(a.cpu.last, 30);
    // The sparklines come from the minute tier (61 slots in the hour): the minute before the
    // first sample is a gap, the next one holds the first samples.
    assert.equal(a.cpu.points[0], null);
    assert.equal(a.cpu.points[1], 10);
    assert.equal(a.cpu.points[SPARK_POINTS - 1], 30);
    assert.equal(a.disk.avg, 15, 'disk is read + write');
    assert.equal(a.network.avg, null, 'never reported: no figure');
    assert.deepEqual(a.network.points, []);
    assert.equal(d.vms[1].metrics.cpu.avg, 50);
    assert.deepEqual(d.vms[2].metrics.cpu, { points: [], avg: null, peak: null, last: null }, 'a VM without history');
    assert.equal(d.host?.memoryTotalKiB, 4000);
    assert.equal(d.host?.cpuAvg.length, 721);
    assert.equal(d.host?.cpuAvg[0], null, 'the slot before the first sample is a gap');
    assert.equal(d.host?.cpuAvg[720], 40);
  });

  it('keeps a gap in a VM sparkline when the VM was off for a while', () => {
    const h = new HostHistory();
    for (let i = 0; i < 720; i++) if (i < 100 || i >= 600) h.record(batch(T0 + i * 5000, 5, undefined));
    const d = dashboardData(h, [{ uuid: A, name: 'alpha', tags: [], state: 'running' }], '1h', T0 + 719 * 5000, true);
    const pts = d.vms[0].metrics.cpu.points;
    assert.ok(pts.slice(12, 48).every((p) => p === null), 'the hours off are gaps');
    assert.equal(pts[1], 5);
    assert.equal(pts[59], 5);
  });

  it('filters by name words and tag: terms, and sorts by name or a metric, highest first', () => {
    const vm = (name: string, tags: string[], cpu: number | null): DashboardVm => {
      const s = { points: [], avg: cpu, peak: cpu, last: cpu };
      return { uuid: name, name, tags, state: 'running', metrics: { cpu: s, memory: s, disk: s, network: s } };
    };
    const vms = [vm('web-2', ['web', 'prod'], 5), vm('db-1', ['prod'], 50), vm('web-1', ['web'], null), vm('cache', [], 20)];
    assert.deepEqual(filterVms(vms, 'web').map((v) => v.name), ['web-2', 'web-1']);
    assert.deepEqual(filterVms(vms, 'tag:prod').map((v) => v.name), ['web-2', 'db-1']);
    assert.deepEqual(filterVms(vms, 'tag:PROD web').map((v) => v.name), ['web-2']);
    assert.deepEqual(filterVms(vms, '  ').length, 4);
    assert.deepEqual(sortVms(vms, 'name').map((v) => v.name), ['cache', 'db-1', 'web-1', 'web-2']);
    assert.deepEqual(sortVms(vms, 'cpu').map((v) => v.name), ['db-1', 'cache', 'web-2', 'web-1'], 'no data last');
  });

  it('checks every field of the messages from the webview', () => {
    assert.deepEqual(parseFromWebview({ type: 'setRange', range: '7d' }), { type: 'setRange', range: '7d' });
    assert.deepEqual(parseFromWebview({ type: 'openDetails', uuid: A }), { type: 'openDetails', uuid: A });
    assert.deepEqual(parseFromWebview({ type: 'shown', cards: 1000, ms: 120 }), { type: 'shown', cards: 1000, ms: 120 });
    assert.throws(() => parseFromWebview({ type: 'setRange', range: '1y' }), /range/);
    assert.throws(() => parseFromWebview({ type: 'openDetails', uuid: 'not-a-uuid' }), /UUID/);
    assert.throws(() => parseFromWebview({ type: 'openDetails', uuid: A, extra: 1 }), /unexpected field/);
    assert.throws(() => parseFromWebview({ type: 'shown', cards: -1, ms: 1 }), /cards/);
    assert.throws(() => parseFromWebview({ type: 'shown', cards: 1, ms: 1.5 }), /ms/);
    assert.throws(() => parseFromWebview({ type: 'loadTags', now: true }), /unexpected field/);
    assert.throws(() => parseFromWebview({ type: 'eval' }), /unknown message type/);
  });
});
