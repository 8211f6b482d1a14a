// The performance charts' numbers: counters read from bulk stats parameters, rates from their
// deltas (CPU time against the VM's vCPUs, bytes per second), the per-VM history, the check of the
// messages that carry them to the webview, and the controller forwarding them.
import * as assert from 'node:assert/strict';
import { MIN_SAMPLE_INTERVAL_MS, PerfHistory, PerfTracker, perfCounters, perfRates, type PerfCounters, type PerfSource, type PerfUpdate } from '../../../src/libvirt/domainPerf';
import type { DetailsModel } from '../../../src/forms/formSchema';
import { DetailsController } from '../../../src/webviews/vmDetails/controller';
import { parseFromWebview, parsePerfMessage, type ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { formatRate } from '../../../src/libvirt/perfSample';
import { HostHistory } from '../../../src/libvirt/history/hostHistory';
import { PERF_HISTORY_POINTS, perfHistoryState } from '../../../src/webviews/vmDetails/perfHistory';

/** A reading of a running VM at `at` ms. */
function reading(at: number, o: Partial<PerfCounters> = {}): PerfCounters {
  return { at, active: true, cpuTimeNs: 0, vcpus: 2, memoryKiB: 1048576, memoryUsedKiB: 524288, diskReadBytes: 0, diskWriteBytes: 0, diskReadReqs: 0, diskWriteReqs: 0, netRxBytes: 0, netTxBytes: 0, ...o };
}

describe('VM performance samples (unit)', () => {
  it('reads the counters of a bulk stats reply, summing every disk and interface', () => {
    const c = perfCounters(
      {
        'cpu.time': 5e9,
        'vcpu.current': 2,
        'balloon.current': 1048576,
        'balloon.unused': 262144,
        'balloon.rss': 900000,
        'block.count': 2,
        'block.0.rd.bytes': 100,
        'block.0.wr.bytes': 10,
        'block.1.rd.bytes': 1000,
        'block.0.rd.reqs': 4,
        'block.1.rd.reqs': 6,
        'block.1.wr.reqs': 3,
        'net.count': 2,
        'net.0.rx.bytes': 7,
        'net.0.tx.bytes': 3,
        'net.1.rx.bytes': 70,
        'net.1.tx.bytes': 30,
      },
      42,
      true,
    );
    assert.deepEqual(c, { at: 42, active: true, cpuTimeNs: 5e9, vcpus: 2, memoryKiB: 1048576, memoryUsedKiB: 786432, memoryUsedFrom: 'guest', diskReadBytes: 1100, diskWriteBytes: 10, diskReadReqs: 10, diskWriteReqs: 3, netRxBytes: 77, netTxBytes: 33 });
  });

  it('takes memory in use from the RSS without a balloon driver, and leaves unreported counters unknown', () => {
    const c = perfCounters({ 'balloon.current': 1000, 'balloon.rss': 400, 'block.count': 0 }, 0, true);
    assert.equal(c.memoryUsedKiB, 400);
    assert.equal(perfCounters({ 'balloon.current': 1000, 'balloon.rss': 4000 }, 0, true).memoryUsedKiB, 1000, 'capped at what the guest has');
    assert.equal(c.diskReadBytes, undefined);
    assert.equal(c.netRxBytes, undefined);
    assert.equal(c.cpuTimeNs, undefined);
  });

  it('computes CPU % of the VM vCPUs and bytes per second from two readings', () => {
    // 2 vCPUs over 2 s = 4e9 ns available; 1e9 ns used = 25 %.
    const s = perfRates(reading(0, { cpuTimeNs: 1e9 }), reading(2000, { cpuTimeNs: 2e9, diskReadBytes: 4096, diskWriteBytes: 2048, diskReadReqs: 20, diskWriteReqs: 8, netRxBytes: 1000, netTxBytes: 500, memoryUsedKiB: 600000 }));
    assert.ok(s);
    assert.equal(s.cpuPercent, 25);
    assert.equal(s.diskReadBps, 2048);
    assert.equal(s.diskWriteBps, 1024);
    assert.equal(s.diskReadIops, 10);
    assert.equal(s.diskWriteIops, 4);
    assert.equal(s.netRxBps, 500);
    assert.equal(s.netTxBps, 250);
    assert.equal(s.memoryUsedKiB, 600000);
    assert.equal(s.at, 2000);
  });

  it('caps CPU at 100 % and leaves a rate unknown when its counter is unknown or went back', () => {
    const s = perfRates(reading(0, { cpuTimeNs: 0, vcpus: 1 }), reading(1000, { cpuTimeNs: 3e9, vcpus: 1, diskReadBytes: undefined, netTxBytes: -1 }));
    assert.equal(s?.cpuPercent, 100);
    assert.equal(s?.diskReadBps, undefined);
    assert.equal(s?.netTxBps, undefined);
    assert.equal(perfRates(reading(1000), reading(1000)), undefined, 'no time passed');
    assert.equal(perfRates(reading(0, { cpuTimeNs: 5e9 }), reading(1000, { cpuTimeNs: 1e9 })), undefined, 'restarted in between');
    assert.equal(perfRates(reading(0, { vcpus: undefined }), reading(1000, { vcpus: undefined }))?.cpuPercent, undefined, 'vCPUs unknown');
  });

  it('keeps the last samples of a running VM, and none once it is off', () => {
    const h = new PerfHistory(3);
    assert.equal(h.add(reading(0)), undefined, 'the first reading is only a base');
    for (let i = 1; i <= 5; i++) assert.ok(h.add(reading(i * 1000, { cpuTimeNs: i * 1e9 })));
    assert.deepEqual(h.samples().map((s) => s.at), [3000, 4000, 5000]);
    assert.equal(h.add(reading(5000 + MIN_SAMPLE_INTERVAL_MS - 1, { cpuTimeNs: 9e9 })), undefined, 'a reading right after another is skipped');
    assert.equal(h.add(reading(6000, { cpuTimeNs: 6e9 }))?.cpuPercent, 50, 'rated against the last kept reading');
    assert.equal(h.add({ ...reading(7000), active: false }), undefined);
    assert.deepEqual(h.samples(), []);
    assert.equal(h.active, false);
  });

  it('starts the history again when the counters restart (the VM was restarted between two readings)', () => {
    const h = new PerfHistory();
    h.add(reading(0, { cpuTimeNs: 1e9 }));
    h.add(reading(1000, { cpuTimeNs: 2e9 }));
    assert.equal(h.samples().length, 1);
    assert.equal(h.add(reading(2000, { cpuTimeNs: 1e8 })), undefined);
    assert.deepEqual(h.samples(), []);
    assert.ok(h.add(reading(3000, { cpuTimeNs: 2e8 })));
  });

  it('tracks every VM of a connection and forgets VMs that are gone or off', () => {
    const t = new PerfTracker();
    t.update(new Map([['a', reading(0)], ['b', reading(0)]]));
    const added = t.update(new Map([['a', reading(1000, { cpuTimeNs: 1e9 })], ['b', reading(1000)]]));
    assert.deepEqual([...added.keys()], ['a', 'b']);
    assert.equal(added.get('a')?.cpuPercent, 50);
    t.update(new Map([['a', { ...reading(2000), active: false }]]));
    assert.deepEqual(t.samples('a'), []);
    assert.deepEqual(t.samples('b'), []);
    assert.deepEqual(t.samples('unknown'), []);
  });

  it('formats rates for the charts', () => {
    assert.equal(formatRate(0), '0 B/s');
    assert.equal(formatRate(1023), '1023 B/s');
    assert.equal(formatRate(1536), '1.5 KiB/s');
    assert.equal(formatRate(50 * 1048576), '50 MiB/s');
    assert.equal(formatRate(undefined), '—');
  });
});

describe('VM details performance messages (unit)', () => {
  const sample = { at: 1, cpuPercent: 3, memoryUsedKiB: 10, memoryKiB: 20, diskReadBps: 0, diskWriteBps: 0, diskReadIops: 0, diskWriteIops: 0, netRxBps: 1, netTxBps: 2 };

  it('checks every field of a performance message before the webview draws it', () => {
    assert.deepEqual(parsePerfMessage({ type: 'perfSample', sample }), { type: 'perfSample', sample });
    const { cpuPercent: _, ...noCpu } = sample;
    assert.deepEqual(parsePerfMessage({ type: 'perf', perf: { active: true, samples: [noCpu] } }), { type: 'perf', perf: { active: true, samples: [noCpu] } }, 'a metric may be unknown');
    assert.throws(() => parsePerfMessage({ type: 'perfSample', sample: { ...sample, cpuPercent: '3' } }), /cpuPercent/);
    assert.throws(() => parsePerfMessage({ type: 'perfSample', sample: { ...sample, extra: 1 } }), /unexpected field/);
    assert.throws(() => parsePerfMessage({ type: 'perf', perf: { active: 'yes', samples: [] } }), /active/);
    assert.throws(() => parsePerfMessage({ type: 'state', state: {} }), /unknown message type/);
  });

  it('accepts the webview saying it has drawn a form, with checked fields', () => {
    assert.deepEqual(parseFromWebview({ type: 'shown', section: 'overview', fields: 12 }), { type: 'shown', section: 'overview', fields: 12 });
    assert.throws(() => parseFromWebview({ type: 'shown', section: 'overview', fields: -1 }));
  });

  it('sends the history on ready, each new sample after it, and the whole state again when the VM stops', async () => {
    let listener: ((u: PerfUpdate) => void) | undefined;
    let active = true;
    let watching = 0;
    const perf: PerfSource = {
      samples: () => (active ? [sample] : []),
      active: () => active,
      watch: (l) => {
        listener = l;
        watching++;
        return { dispose: () => watching-- };
      },
    };
    const model: DetailsModel = {
      title: 'vm',
      load: async () => ({ sections: [], problems: [] }),
      check: async () => [],
      apply: async () => ({ appliedLive: [], nextBoot: [] }),
      remove: async () => ({ appliedLive: [], nextBoot: [] }),
      onDidChangeDefinition: () => ({ dispose: () => undefined }),
    };
    const posted: ToWebview[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const ctl = new DetailsController(model, (m) => posted.push(m), { openXml: () => undefined, addHardware: () => undefined, confirmRemove: async () => false, log, perf });
    assert.equal(watching, 1);
    await ctl.handle({ type: 'ready' });
    assert.deepEqual(posted.filter((m) => m.type === 'perf'), [{ type: 'perf', perf: { active: true, samples: [sample] } }]);
    listener!({ active: true, sample: { ...sample, at: 2 } });
    listener!({ active: true, sample: undefined });
    assert.deepEqual(posted.filter((m) => m.type === 'perfSample'), [{ type: 'perfSample', sample: { ...sample, at: 2 } }]);
    active = false;
    listener!({ active: false, sample: undefined });
    assert.deepEqual(posted[posted.length - 1], { type: 'perf', perf: { active: false, samples: [] } });
    const shown: string[] = [];
    assert.deepEqual([...ctl.drawnSections], []);
    ctl.onDidShowForm((section, fields) => shown.push(`${section}:${fields}`));
    await ctl.handle({ type: 'shown', section: 'overview', fields: 3 });
    assert.deepEqual(shown, ['overview:3']);
    assert.deepEqual([...ctl.drawnSections], ['overview'], 'a listener added later still learns what was drawn');
    ctl.dispose();
    assert.equal(watching, 0, 'closing the panel stops watching');
  });

  it('switches the charts to a recorded range and back, and refuses a range it does not know', async () => {
    let listener: ((u: PerfUpdate) => void) | undefined;
    const perf: PerfSource = { samples: () => [sample], active: () => true, watch: (l) => ((listener = l), { dispose: () => undefined }) };
    const model: DetailsModel = {
      title: 'vm',
      load: async () => ({ sections: [], problems: [] }),
      check: async () => [],
      apply: async () => ({ appliedLive: [], nextBoot: [] }),
      remove: async () => ({ appliedLive: [], nextBoot: [] }),
      onDidChangeDefinition: () => ({ dispose: () => undefined }),
    };
    const posted: ToWebview[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const asked: string[] = [];
    const recorded = { range: '24h' as const, from: 0, to: 86_400_000, pointMs: 180_000, avg: [{ ...sample, at: 0 }], max: [{ ...sample, at: 0 }] };
    const ctl = new DetailsController(model, (m) => posted.push(m), {
      openXml: () => undefined,
      addHardware: () => undefined,
      confirmRemove: async () => false,
      log,
      perf,
      perfHistory: (range) => (asked.push(range), range === '24h' ? recorded : undefined),
    });
    await ctl.handle({ type: 'ready' });
    assert.deepEqual(posted.find((m) => m.type === 'perf'), { type: 'perf', perf: { active: true, samples: [sample], history: true } }, 'the picker is offered');
    await ctl.handle(parseFromWebview({ type: 'perfRange', range: '24h' }));
    assert.deepEqual(posted[posted.length - 1], { type: 'perfHistory', range: '24h', history: recorded });
    assert.doesNotThrow(() => parsePerfMessage(posted[posted.length - 1]), 'the webview accepts what the host sends');
    await ctl.handle(parseFromWebview({ type: 'perfRange', range: '90d' }));
    assert.deepEqual(posted[posted.length - 1], { type: 'perfHistory', range: '90d' }, 'nothing recorded: no history field');
    const before = posted.length;
    listener!({ active: true, sample: { ...sample, at: 5 } });
    assert.equal(posted.slice(before).filter((m) => m.type === 'perfSample').length, 0, 'no live samples while a recorded range is shown');
    await ctl.handle(parseFromWebview({ type: 'perfRange', range: 'live' }));
    assert.equal(posted[posted.length - 1]?.type, 'perf', 'back to live: the recent samples again');
    assert.deepEqual(asked, ['24h', '90d']);
    assert.throws(() => parseFromWebview({ type: 'perfRange', range: '1y' }), /time range/);
    assert.throws(() => parsePerfMessage({ type: 'perfHistory', range: 'live' }), /recorded time range/);
    assert.throws(() => parsePerfMessage({ type: 'perfHistory', range: '1h', history: { ...recorded, range: '1h', avg: Array(PERF_HISTORY_POINTS + 1).fill(sample) } }), /at most|too many|items/);
    ctl.dispose();
  });

  it('folds a recorded range into at most 480 points: mean of the averages, largest peak, gaps kept', () => {
    const T0 = Date.UTC(2026, 0, 1);
    const h = new HostHistory();
    const vm = (at: number, cpu: number): void =>
      h.record({ connectionId: 'c', at, host: undefined, vms: [{ uuid: 'v', name: 'v', stateCode: 1, active: true, sample: { ...sample, at, cpuPercent: cpu, diskReadBps: undefined } }] });
    // A day at one sample a minute, then a 3-hour gap, then an hour.
    for (let i = 0; i < 20 * 60; i++) vm(T0 + i * 60_000, i % 2 === 0 ? 10 : 30);
    for (let i = 23 * 60; i < 24 * 60; i++) vm(T0 + i * 60_000, 50);
    const now = T0 + 24 * 3_600_000;
    const from = now - 86_400_000;
    const st = perfHistoryState(h.range('v', '24h', now), '24h', from, now);
    assert.ok(st);
    assert.equal(st.pointMs, 240_000, '1441 minute slots fold into points of 4 minutes (361 points)');
    assert.ok(st.avg.length <= PERF_HISTORY_POINTS && st.avg.length === st.max.length);
    const at = (t: number): number => st.avg.findIndex((p) => p.at === t);
    const first = at(T0 + 8 * 60_000);
    assert.ok(first >= 0);
    // Minutes 8 to 11: 10, 30, 10, 30: mean 20, peak 30.
    assert.equal(st.avg[first]!.cpuPercent, 20);
    assert.equal(st.max[first]!.cpuPercent, 30);
    assert.equal(st.avg[first]!.diskReadBps, undefined, 'a metric never reported stays unknown');
    const gap = at(T0 + 21 * 3_600_000);
    assert.equal(st.avg[gap]!.cpuPercent, undefined, 'the hours without samples are a gap');
    assert.equal(st.avg[at(T0 + 23 * 3_600_000 + 32 * 60_000)]!.cpuPercent, 50);
    assert.equal(perfHistoryState(h.range('v', '24h', now + 10 * 86_400_000), '24h', from, now), undefined, 'nothing recorded in the range');
    assert.equal(perfHistoryState(undefined, '1h', from, now), undefined);
  });
});
