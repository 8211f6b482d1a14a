// The performance charts' numbers: counters read from bulk stats parameters, rates from their
// deltas (CPU time against the VM's vCPUs, bytes per second), the per-VM history, the check of the
// messages that carry them to the webview, and the controller forwarding them.
import * as assert from 'node:assert/strict';
import { MIN_SAMPLE_INTERVAL_MS, PerfHistory, PerfTracker, perfCounters, perfRates, type PerfCounters, type PerfSource, type PerfUpdate } from '../../../src/libvirt/domainPerf';
import type { DetailsModel } from '../../../src/forms/formSchema';
import { DetailsController } from '../../../src/webviews/vmDetails/controller';
import { parseFromWebview, parsePerfMessage, type ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { formatRate } from '../../../src/libvirt/perfSample';

/** A reading of a running VM at `at` ms. */
function reading(at: number, o: Partial<PerfCounters> = {}): PerfCounters {
  return { at, active: true, cpuTimeNs: 0, vcpus: 2, memoryKiB: 1048576, memoryUsedKiB: 524288, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0, ...o };
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
        'net.count': 2,
        'net.0.rx.bytes': 7,
        'net.0.tx.bytes': 3,
        'net.1.rx.bytes': 70,
        'net.1.tx.bytes': 30,
      },
      42,
      true,
    );
    assert.deepEqual(c, { at: 42, active: true, cpuTimeNs: 5e9, vcpus: 2, memoryKiB: 1048576, memoryUsedKiB: 786432, diskReadBytes: 1100, diskWriteBytes: 10, netRxBytes: 77, netTxBytes: 33 });
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
    const s = perfRates(reading(0, { cpuTimeNs: 1e9 }), reading(2000, { cpuTimeNs: 2e9, diskReadBytes: 4096, diskWriteBytes: 2048, netRxBytes: 1000, netTxBytes: 500, memoryUsedKiB: 600000 }));
    assert.ok(s);
    assert.equal(s.cpuPercent, 25);
    assert.equal(s.diskReadBps, 2048);
    assert.equal(s.diskWriteBps, 1024);
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
  const sample = { at: 1, cpuPercent: 3, memoryUsedKiB: 10, memoryKiB: 20, diskReadBps: 0, diskWriteBps: 0, netRxBps: 1, netTxBps: 2 };

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
    ctl.onDidShowForm((section, fields) => shown.push(`${section}:${fields}`));
    await ctl.handle({ type: 'shown', section: 'overview', fields: 3 });
    assert.deepEqual(shown, ['overview:3']);
    ctl.dispose();
    assert.equal(watching, 0, 'closing the panel stops watching');
  });
});
