// The performance history's round-robin archives, driven by synthetic clocks: downsampling is
// exact (min, avg, max over the raw samples of each slot, per tier), gaps stay gaps, the rings
// wrap and forget exactly what falls out of their window, and the file round-trips, refuses
// corrupt input and keeps what the configured tiers still have.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BLOCK_SLOTS, BlockCache, checkTiers, DEFAULT_TIERS, quantise, Series, TierRing, unpackCodes, VM_METRICS, type Tier } from '../../../src/libvirt/history/archive';
import { HostHistory, HOST_SERIES_ID } from '../../../src/libvirt/history/hostHistory';
import { HISTORY_FILE_VERSION, HistoryFileError, readHistoryFile, writeHistoryFile } from '../../../src/libvirt/history/historyFile';
import type { SampleBatch } from '../../../src/libvirt/history/samples';
import type { PerfSample } from '../../../src/libvirt/perfSample';

const T0 = Date.UTC(2026, 0, 1); // a multiple of every step below
/** What the archive keeps of a value (bfloat16, within 0.4 %). */
const q = quantise;

function vmSample(at: number, cpu: number | undefined, o: Partial<PerfSample> = {}): PerfSample {
  return { at, cpuPercent: cpu, memoryUsedKiB: 1000, memoryKiB: 2000, diskReadBps: 0, diskWriteBps: 0, diskReadIops: 0, diskWriteIops: 0, netRxBps: 0, netTxBps: 0, ...o };
}

function batch(at: number, vms: { uuid: string; cpu: number | undefined; o?: Partial<PerfSample> }[], hostCpu?: number): SampleBatch {
  return {
    connectionId: 'c',
    at,
    vms: vms.map((v) => ({ uuid: v.uuid, name: `hst-${v.uuid}`, stateCode: 1, active: true, sample: vmSample(at, v.cpu, v.o) })),
    host: hostCpu === undefined ? undefined : { at, cpuPercent: hostCpu, memoryUsedKiB: 500, memoryTotalKiB: 4000 },
  };
}

describe('Performance history archives (unit)', () => {
  it('keeps exact min, avg and max of the raw samples per slot in every tier', () => {
    const tiers: Tier[] = [
      { stepMs: 5_000, slots: 12 },
      { stepMs: 60_000, slots: 10 },
    ];
    const s = new Series('a', 'vm', 'a', tiers);
    // One sample per second for two minutes: value = second number (0..119), memory constant.
    const values = new Float64Array(VM_METRICS.length).fill(NaN);
    for (let sec = 0; sec < 120; sec++) {
      values[0] = sec;
      values[1] = 7;
      s.add(T0 + sec * 1000, values);
    }
    const fine = s.read(s.rings[0], T0 + 60_000, T0 + 119_000);
    assert.equal(fine.times.length, 12);
    // 5 s slot k (k = 12..23) holds seconds 5k..5k+4: min 5k, max 5k+4, avg 5k+2.
    for (let i = 0; i < 12; i++) {
      const k = 12 + i;
      assert.equal(fine.times[i], T0 + k * 5000);
      assert.equal(fine.min[0][i], 5 * k);
      assert.equal(fine.max[0][i], 5 * k + 4);
      assert.equal(fine.avg[0][i], 5 * k + 2);
      assert.equal(fine.avg[1][i], 7);
      assert.ok(Number.isNaN(fine.avg[2][i]), 'a metric never reported is a gap');
    }
    const coarse = s.read(s.rings[1], T0, T0 + 119_000);
    assert.deepEqual([...coarse.min[0]], [0, 60]);
    assert.deepEqual([...coarse.max[0]], [59, 119]);
    assert.deepEqual([...coarse.avg[0]], [29.5, 89.5], 'the mean of 0..59 and of 60..119');
  });

  it('averages the raw samples, not the finer tier averages (uneven slots stay exact)', () => {
    const tiers: Tier[] = [
      { stepMs: 5_000, slots: 100 },
      { stepMs: 10_000, slots: 100 },
    ];
    const s = new Series('a', 'host', '', tiers);
    // Slot 0 of the 5 s tier gets 1 sample (10), slot 1 gets 3 (1, 2, 3): their averages' mean is 6, the exact mean 4.
    s.add(T0 + 1000, [10, NaN, NaN]);
    s.add(T0 + 5000, [1, NaN, NaN]);
    s.add(T0 + 6000, [2, NaN, NaN]);
    s.add(T0 + 7000, [3, NaN, NaN]);
    const c = s.read(s.rings[1], T0, T0);
    assert.equal(c.avg[0][0], 4);
    assert.equal(c.min[0][0], 1);
    assert.equal(c.max[0][0], 10);
  });

  it('stores gaps as NaN and never fills them', () => {
    const r = new TierRing({ stepMs: 5000, slots: 10 }, 1);
    r.add(T0, [1]);
    r.add(T0 + 5000, [NaN]); // reported without this metric
    r.add(T0 + 20_000, [4]); // two slots without any sample
    const got = r.read(Math.floor(T0 / 5000), Math.floor(T0 / 5000) + 4);
    assert.deepEqual(
      [...got.avg[0]].map((v) => (Number.isNaN(v) ? 'gap' : v)),
      [1, 'gap', 'gap', 'gap', 4],
    );
  });

  it('wraps around: a full ring holds exactly the last `slots` slots, older ones read as gaps', () => {
    const r = new TierRing({ stepMs: 1000, slots: 5 }, 1);
    const base = T0 / 1000;
    for (let i = 0; i < 13; i++) r.add(T0 + i * 1000, [i]);
    const got = r.read(base, base + 12);
    assert.deepEqual(
      [...got.avg[0]].map((v) => (Number.isNaN(v) ? 'gap' : v)),
      ['gap', 'gap', 'gap', 'gap', 'gap', 'gap', 'gap', 'gap', 8, 9, 10, 11, 12],
    );
    // A jump longer than the ring clears every slot: nothing of the old data survives in the window.
    r.add(T0 + 100_000, [100]);
    const after = r.read(base + 96, base + 100);
    assert.deepEqual(
      [...after.avg[0]].map((v) => (Number.isNaN(v) ? 'gap' : v)),
      ['gap', 'gap', 'gap', 'gap', 100],
    );
    assert.equal(r.add(T0 + 50_000, [1]), false, 'a sample from before the newest slot is dropped');
  });

  it('keeps 90 days at 2 hours, 7 days at 15 minutes, 24 h at 1 minute: retention of the default tiers is exact at the edges', () => {
    const h = new HostHistory();
    const step = 900_000;
    // One sample per 15 min for 91 days.
    const end = T0 + 91 * 86_400_000;
    for (let t = T0; t < end; t += step) h.record(batch(t, [{ uuid: 'v', cpu: (t - T0) / step }]));
    const now = end - step;
    const s = h.get('v');
    assert.ok(s);
    const two = s.rings[3];
    assert.equal(two.tier.stepMs, 7_200_000);
    const first = Math.floor(now / 7_200_000) - 1079;
    const got = two.read(first - 1, first + 1);
    assert.ok(Number.isNaN(got.avg[0][0]), 'the slot just before the 90-day window is gone');
    // A 2 h slot holds 8 quarter-hour samples: k*8 … k*8 + 7, average k*8 + 3.5.
    const k = (first * 7_200_000 - T0) / step;
    assert.deepEqual([got.min[0][1], got.avg[0][1], got.max[0][1]], [q(k), q(k + 3.5), q(k + 7)]);
    // The quarter-hour tier holds 7 days, the minute tier 24 h.
    const quarter = s.rings[2];
    const lastQ = Math.floor(now / step);
    assert.equal(quarter.holds(lastQ - 671), true);
    assert.equal(quarter.holds(lastQ - 672), false);
    const minute = s.rings[1];
    const lastMin = Math.floor(now / 60_000);
    assert.equal(minute.holds(lastMin - 1439), true);
    assert.equal(minute.holds(lastMin - 1440), false);
  });

  it('picks the finest tier that covers a range', () => {
    const h = new HostHistory();
    h.record(batch(T0, [{ uuid: 'v', cpu: 1 }], 50));
    assert.equal(h.range('v', 'live', T0 + 1000)?.stepMs, 5000);
    assert.equal(h.range('v', '1h', T0 + 1000)?.stepMs, 5000);
    assert.equal(h.range('v', '24h', T0 + 1000)?.stepMs, 60_000);
    assert.equal(h.range('v', '7d', T0 + 1000)?.stepMs, 900_000);
    assert.equal(h.range('v', '90d', T0 + 1000)?.stepMs, 7_200_000);
    assert.equal(h.range(HOST_SERIES_ID, '1h', T0 + 1000)?.avg[0].at(-1), 50);
    assert.equal(h.range('nothing', '1h', T0), undefined);
  });

  it('reads overviews from the coarsest tier that has enough slots, with the same figures', () => {
    const h = new HostHistory();
    // Two hours at 5 s: CPU a saw tooth, so every minute has a different average and peak.
    const n = 2 * 720;
    for (let i = 0; i < n; i++) h.record(batch(T0 + i * 5000, [{ uuid: 'v', cpu: (i * 7) % 61 }]));
    const now = T0 + (n - 1) * 5000;
    const s = h.get('v');
    assert.ok(s);
    const hour = s.overview(now - 3_600_000, now, now, 60);
    assert.equal(hour.stepMs, 60_000, 'an hour of sparkline: 61 one-minute slots, not 721 of 5 s');
    assert.equal(hour.times.length, 61);
    const fine = s.range(now - 3_600_000, now, now);
    assert.equal(fine.stepMs, 5000);
    // Each minute's min, avg and max are those of its twelve 5 s slots.
    for (let k = 1; k < 61; k++) {
      const slots = [...Array(12).keys()].map((j) => (k - 1) * 12 + j + 1).filter((i) => i < fine.times.length);
      if (slots.length < 12) continue;
      const avgs = slots.map((i) => fine.avg[0][i]);
      assert.equal(hour.max[0][k], Math.max(...slots.map((i) => fine.max[0][i])), `minute ${k} max`);
      assert.equal(hour.min[0][k], Math.min(...slots.map((i) => fine.min[0][i])), `minute ${k} min`);
      const mean = avgs.reduce((a, b) => a + b, 0) / 12;
      assert.ok(Math.abs(hour.avg[0][k] - mean) <= mean * 2 ** -7, `minute ${k}: ${hour.avg[0][k]} vs ${mean}`);
    }
    assert.equal(s.overview(now - 86_400_000, now, now, 60).stepMs, 900_000, '24 h: 97 quarter hours');
    assert.equal(s.overview(now - 7 * 86_400_000, now, now, 60).stepMs, 7_200_000, '7 days: 85 two-hour slots');
    assert.equal(s.overview(now - 90 * 86_400_000, now, now, 60).stepMs, 43_200_000, '90 days: 181 half days');
    assert.equal(s.overview(now - 600_000, now, now, 60).stepMs, 5000, '10 minutes: only the finest tier has 60 slots');
  });

  it('passes over a coarse tier that started later than the data it would summarise', () => {
    // Two days in the fine tiers only (as if the coarse ones had been configured since), then a
    // sample in every tier.
    const s = new Series('v', 'vm', 'v', DEFAULT_TIERS);
    const values = (cpu: number): number[] => VM_METRICS.map((m) => (m === 'cpuPercent' ? cpu : 0));
    for (let t = T0; t < T0 + 2 * 86_400_000; t += 900_000) for (const r of s.rings.slice(0, 3)) r.add(t, values(5));
    const now = T0 + 2 * 86_400_000;
    s.add(now, values(5));
    assert.equal(s.rings[4].first, Math.floor(now / 43_200_000), 'the coarse tier starts at its first sample');
    assert.equal(s.overview(now - 7 * 86_400_000, now, now, 60).stepMs, 900_000, '7 days: the 15-minute tier, which has the two days before');
    const r = s.overview(now - 90 * 86_400_000, now, now, 60);
    assert.equal(r.stepMs, 43_200_000, '90 days: the 2 h tier the charts read started as late, so the 12 h one hides nothing');
  });

  it('drops a series whose newest sample left the coarsest window, and keeps the rest', () => {
    const h = new HostHistory([
      { stepMs: 1000, slots: 10 },
      { stepMs: 10_000, slots: 10 },
    ]);
    h.record(batch(T0, [{ uuid: 'gone', cpu: 1 }]));
    h.record(batch(T0 + 50_000, [{ uuid: 'kept', cpu: 1 }]));
    assert.equal(h.prune(T0 + 100_500), 1);
    assert.deepEqual(
      h.all().map((s) => s.id),
      ['kept'],
    );
  });

  it('checks tier settings', () => {
    assert.equal(checkTiers([{ stepMs: 5000, slots: 720 }]), undefined);
    assert.match(checkTiers([]) ?? '', /between 1 and 8/);
    assert.match(checkTiers([{ stepMs: 500, slots: 10 }]) ?? '', /at least 1000/);
    assert.match(
      checkTiers([
        { stepMs: 5000, slots: 10 },
        { stepMs: 5000, slots: 10 },
      ]) ?? '',
      /longer than the one before/,
    );
  });
});

describe('Performance history file (unit)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hst-history-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function sample(): HostHistory {
    const h = new HostHistory();
    for (let i = 0; i < 200; i++) h.record(batch(T0 + i * 5000, [{ uuid: 'a', cpu: i % 7 }, { uuid: 'b', cpu: i % 2 === 0 ? undefined : 50, o: { netRxBps: i * 1000 } }], i));
    return h;
  }

  it('round-trips every ring and the open slot, so recording goes on exactly after a restart', async () => {
    const file = path.join(dir, 'h.lvh');
    const h = sample();
    const size = await writeHistoryFile(file, h);
    assert.equal(fs.statSync(file).size, size);
    const { history: back, droppedTiers } = await readHistoryFile(file, h.tiers);
    assert.deepEqual(droppedTiers, []);
    for (const id of ['a', 'b', HOST_SERIES_ID]) {
      const x = h.get(id);
      const y = back.get(id);
      assert.ok(x && y);
      assert.equal(y.name, x.name);
      assert.equal(y.lastAt, x.lastAt);
      for (let t = 0; t < x.rings.length; t++) {
        const from: number = x.rings[t].last - x.rings[t].tier.slots + 1;
        assert.deepEqual(y.rings[t].read(from, x.rings[t].last), x.rings[t].read(from, x.rings[t].last));
        assert.equal(y.rings[t].last, x.rings[t].last);
      }
    }
    // The 15-minute slot was open at the write: samples after the reload keep its average exact.
    // Samples 180..199 fell in the second 15-minute slot, still open at the write.
    const before = [...Array(20).keys()].map((i) => (180 + i) % 7);
    back.record(batch(T0 + 200 * 5000, [{ uuid: 'a', cpu: 100 }]));
    const all = [...before, 100];
    const exact = all.reduce((a, b) => a + b, 0) / all.length;
    const slot = T0 / 900_000 + 1;
    assert.equal(back.get('a')?.rings[2].read(slot, slot).avg[0][0], q(exact));
    assert.equal(back.get('a')?.rings[2].read(slot, slot).max[0][0], 100);
  });

  it('keeps the tiers the configuration still has and says which it left out', async () => {
    const file = path.join(dir, 'h.lvh');
    await writeHistoryFile(file, sample());
    const tiers: Tier[] = [
      { stepMs: 5_000, slots: 720 },
      { stepMs: 30_000, slots: 100 },
    ];
    const { history, droppedTiers } = await readHistoryFile(file, tiers);
    assert.deepEqual(droppedTiers, [
      { stepMs: 60_000, slots: 1440 },
      { stepMs: 900_000, slots: 672 },
      { stepMs: 7_200_000, slots: 1080 },
      { stepMs: 43_200_000, slots: 180 },
    ]);
    const a = history.get('a');
    assert.equal(a?.rings[0].read(T0 / 5000, T0 / 5000 + 2).avg[0].join(), '0,1,2');
    // The new 30 s tier is filled from the 5 s one: its first slot held CPU 0 … 5.
    const half = a?.rings[1].read(T0 / 30_000, T0 / 30_000);
    assert.deepEqual([half?.min[0][0], half?.avg[0][0], half?.max[0][0]], [0, 2.5, 5]);
    assert.equal(a?.rings[1].last, Math.floor((T0 + 199 * 5000) / 30_000));
  });

  it('refuses a damaged, foreign or lying file with a HistoryFileError', async () => {
    const file = path.join(dir, 'h.lvh');
    await writeHistoryFile(file, sample());
    const good = fs.readFileSync(file);
    // The first record (the tiers) starts at byte 8: its frame, then its payload from byte 16.
    const payload = (i: number, v: number): Buffer => Buffer.concat([good.subarray(0, i), Buffer.from([v]), good.subarray(i + 1)]);
    /** The tiers record with a wrong type byte but a correct checksum: a record that lies. */
    const lying = Buffer.from(good);
    lying[16] = 9;
    lying.writeUInt32LE(zlib.crc32(lying.subarray(16, 16 + lying.readUInt32LE(8))) >>> 0, 12);
    const cases: [string, Buffer, RegExp][] = [
      ['flipped byte in the first record', payload(20, good[20] ^ 0xff), /first record is damaged/],
      ['lying record', lying, /does not start with its tiers/],
      ['header only', good.subarray(0, 8), /no records/],
      ['foreign', Buffer.from('hello world, not a history file'), /magic/],
      ['empty', Buffer.alloc(0), /shorter than the header/],
      ['newer version', Buffer.concat([good.subarray(0, 4), Buffer.from([4, 0]), good.subarray(6)]), /version 4/],
    ];
    for (const [what, bytes, re] of cases) {
      fs.writeFileSync(file, bytes);
      await assert.rejects(readHistoryFile(file, sample().tiers), (e: unknown) => HistoryFileError.is(e) && re.test(e.message), what);
    }
  });

  it('appends only what changed, and reads back the same after many appends', async () => {
    const file = path.join(dir, 'h.lvh');
    // Two days at one sample a minute: 24 blocks of the minute tier, most of them sealed.
    const h = new HostHistory();
    const day2 = 2880;
    for (let i = 0; i < day2; i++) h.record(batch(T0 + i * 60_000, [{ uuid: 'a', cpu: (i * 7) % 100 }, { uuid: 'b', cpu: 50, o: { netRxBps: i * 1000 } }], i % 100));
    const whole = await writeHistoryFile(file, h);
    const { history: live, writer } = await readHistoryFile(file, h.tiers);
    // One more minute of samples: one open block per tier per series (5 tiers × 3 series, sparse
    // and small here), and the series records.
    const t1 = T0 + day2 * 60_000;
    for (let i = 0; i < 12; i++) live.record(batch(t1 + i * 5000, [{ uuid: 'a', cpu: i % 7 }, { uuid: 'b', cpu: 50 }], i));
    const r1 = await writer.write(live);
    assert.equal(r1.mode, 'append');
    // Most of it is the series records (each tier's open-slot accumulators, 28 bytes per metric).
    assert.ok(r1.written < whole / 2, `an append of ${r1.written} bytes, the whole file is ${whole}`);
    assert.equal(fs.statSync(file).size, whole + r1.written);
    assert.equal((await writer.write(live)).mode, 'unchanged', 'nothing new, nothing written');
    // A new VM: its series and blocks are appended too.
    live.record(batch(t1 + 60_000, [{ uuid: 'c', cpu: 3 }]));
    assert.equal((await writer.write(live)).mode, 'append');
    const { history: back, tornBytes } = await readHistoryFile(file, h.tiers);
    assert.equal(tornBytes, 0);
    for (const id of ['a', 'b', 'c', HOST_SERIES_ID]) {
      const x = live.get(id);
      const y = back.get(id);
      assert.ok(x && y, id);
      assert.equal(y.lastAt, x.lastAt);
      for (let t = 0; t < x.rings.length; t++) {
        const last: number = x.rings[t].last;
        assert.deepEqual(y.rings[t].read(last - x.rings[t].tier.slots, last), x.rings[t].read(last - x.rings[t].tier.slots, last), `${id} tier ${t}`);
      }
    }
  });

  it('keeps every record before a torn append, and the next write cuts the torn bytes', async () => {
    const file = path.join(dir, 'h.lvh');
    const h = sample();
    await writeHistoryFile(file, h);
    const good = fs.statSync(file).size;
    // A crash in the middle of an append: a frame that promises more than there is.
    const torn = Buffer.alloc(40, 7);
    torn.writeUInt32LE(1000, 0);
    fs.appendFileSync(file, torn);
    const { history, tornBytes, writer } = await readHistoryFile(file, h.tiers);
    assert.equal(tornBytes, 40);
    assert.equal(history.get('a')?.rings[0].read(T0 / 5000, T0 / 5000 + 2).avg[0].join(), '0,1,2');
    history.record(batch(T0 + 200 * 5000, [{ uuid: 'a', cpu: 6 }]));
    const w = await writer.write(history);
    assert.equal(w.mode, 'append');
    assert.equal(fs.statSync(file).size, good + w.written, 'the torn bytes are gone');
    const again = await readHistoryFile(file, h.tiers);
    assert.equal(again.tornBytes, 0);
    const slot = T0 / 5000 + 200;
    assert.equal(again.history.get('a')?.rings[0].read(slot, slot).avg[0][0], 6);
  });

  it('reads a file of format 2 as it is and rewrites it in the current format at the next write', async () => {
    const file = path.join(dir, 'h.lvh');
    const h = new HostHistory();
    // Ten hours at 5 s with large swings both ways: sealed blocks in every tier but the coarsest.
    for (let i = 0; i < 7200; i++) h.record(batch(T0 + i * 5000, [{ uuid: 'a', cpu: (i * 37) % 101 }, { uuid: 'b', cpu: 50, o: { netRxBps: (i % 13) * 1e6 } }], i % 100));
    await writeHistoryFile(file, h);
    fs.writeFileSync(file, asFormat2(fs.readFileSync(file)));
    const same = (x: HostHistory, y: HostHistory): void => {
      for (const id of ['a', 'b', HOST_SERIES_ID]) {
        for (let t = 0; t < x.tiers.length; t++) {
          const rx = x.get(id)!.rings[t];
          const ry = y.get(id)!.rings[t];
          assert.equal(ry.last, rx.last);
          assert.deepEqual(ry.read(rx.last - rx.tier.slots, rx.last), rx.read(rx.last - rx.tier.slots, rx.last), `${id} tier ${t}`);
        }
      }
    };
    const old = await readHistoryFile(file, h.tiers);
    assert.equal(old.version, 2);
    same(h, old.history);
    const sealed = old.history.get('a')!.rings[0].windowBlocks().filter((b) => b.packed);
    assert.ok(sealed.length > 0 && sealed.every((b) => b.codec === 2), 'the old blocks keep their packing');
    assert.equal(old.history.get('a')!.rings[0].first, 0, 'format 2 did not record the first slot');
    old.history.record(batch(T0 + 7200 * 5000, [{ uuid: 'a', cpu: 1 }], 1));
    const w = await old.writer.write(old.history);
    assert.equal(w.mode, 'rewrite', 'a format 2 file is never appended to');
    const back = await readHistoryFile(file, h.tiers);
    assert.equal(back.version, HISTORY_FILE_VERSION);
    same(old.history, back.history);
  });

  it('upgrades a file of the earlier default tiers: the new coarse tiers are filled from its 90 days', async () => {
    const file = path.join(dir, 'h.lvh');
    const earlier: Tier[] = [
      { stepMs: 5_000, slots: 720 },
      { stepMs: 60_000, slots: 2880 },
      { stepMs: 900_000, slots: 8640 },
    ];
    const h = new HostHistory(earlier);
    // Ten days at one sample per quarter hour, CPU the quarter-hour's number.
    const q0 = T0 / 900_000;
    const n = 960;
    for (let i = 0; i < n; i++) h.record(batch(T0 + i * 900_000, [{ uuid: 'v', cpu: i }], 1));
    await writeHistoryFile(file, h);
    fs.writeFileSync(file, asFormat2(fs.readFileSync(file)));
    const load = await readHistoryFile(file, DEFAULT_TIERS);
    assert.deepEqual(load.droppedTiers, [], 'every step is still configured');
    const s = load.history.get('v');
    assert.ok(s);
    // 2 h slot k: quarter hours 8k … 8k + 7.
    const two = s.rings[3].read(T0 / 7_200_000, T0 / 7_200_000 + 119);
    for (const k of [0, 50, 118]) assert.deepEqual([two.min[0][k], two.avg[0][k], two.max[0][k]], [q(8 * k), q(8 * k + 3.5), q(8 * k + 7)], `2 h slot ${k}`);
    assert.equal(two.avg[0][119], q(8 * 119 + 3.5), 'the newest 2 h slot holds what it had');
    // 12 h slot k: quarter hours 48k … 48k + 47.
    const half = s.rings[4].read(T0 / 43_200_000, T0 / 43_200_000 + 20);
    assert.deepEqual([half.min[0][3], half.avg[0][3], half.max[0][3]], [q(144), q(144 + 23.5), q(144 + 47)]);
    assert.ok(Number.isNaN(half.avg[0][20]), 'nothing after the last sample');
    assert.equal(s.rings[4].first, 0, 'format 2 did not record where the data started');
    // The quarter-hour tier now holds 7 days, the minute tier 24 h (of which the file had one slot a quarter hour).
    assert.equal(s.rings[2].holds(q0 + n - 672), true);
    assert.equal(s.rings[2].holds(q0 + n - 673), false);
    assert.deepEqual(s.rings[2].read(q0 + n - 3, q0 + n - 1).avg[0], Float32Array.from([n - 3, n - 2, n - 1].map(q)));
    assert.equal(s.overview(T0 + n * 900_000 - 90 * 86_400_000, T0 + n * 900_000, T0 + n * 900_000, 60).stepMs, 43_200_000, 'the 90-day sparklines read the filled 12 h tier');
    assert.equal((await load.writer.write(load.history)).mode, 'rewrite');
    const back = await readHistoryFile(file, DEFAULT_TIERS);
    assert.deepEqual(back.history.get('v')?.rings[3].read(T0 / 7_200_000, T0 / 7_200_000 + 119), two);
  });

  it('converts a file of the first format (float32 rings) and rewrites it in the new one', async () => {
    const file = path.join(dir, 'h.lvh');
    const tiers: Tier[] = [
      { stepMs: 5_000, slots: 4 },
      { stepMs: 60_000, slots: 3 },
    ];
    fs.writeFileSync(file, v1File(tiers, T0));
    const load = await readHistoryFile(file, tiers);
    assert.equal(load.version, 1);
    const s = load.history.get('v1-vm');
    assert.equal(s?.name, 'old-vm');
    const base = T0 / 5000;
    const r = s?.rings[0].read(base + 6, base + 9);
    // Slots 6..9 of the 5 s tier held min i, avg i + 0.5, max i + 1 (slot 8 a gap).
    assert.deepEqual([...(r?.avg[0] ?? [])].map((v) => (Number.isNaN(v) ? 'gap' : v)), [6.5, 7.5, 'gap', 9.5]);
    assert.deepEqual([...(r?.max[0] ?? [])].map((v) => (Number.isNaN(v) ? 'gap' : v)), [7, 8, 'gap', 10]);
    assert.equal(s?.rings[0].count[0], 2, 'the open slot accumulators are kept');
    const w = await load.writer.write(load.history);
    assert.equal(w.mode, 'rewrite');
    const back = await readHistoryFile(file, tiers);
    assert.equal(back.version, HISTORY_FILE_VERSION);
    assert.deepEqual(back.history.get('v1-vm')?.rings[0].read(base + 6, base + 9), r);
  });
});

/**
 * A file of format 1 (the layout in historyFileV1.ts): one VM, the 5 s tier's slots 6..9 filled
 * (9 the newest, 8 a gap), every other tier empty.
 */
function v1File(tiers: readonly Tier[], t0: number): Buffer {
  const parts: Buffer[] = [];
  const u8 = (v: number): number => parts.push(Buffer.from([v]));
  const u16 = (v: number): void => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    parts.push(b);
  };
  const u32 = (v: number): void => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const f64 = (v: number): void => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    parts.push(b);
  };
  const str = (s: string): void => {
    u16(Buffer.byteLength(s));
    parts.push(Buffer.from(s));
  };
  const shuffled = (a: Float32Array): void => {
    const src = new Uint8Array(a.buffer);
    const n = a.length;
    const out = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) out[k * n + i] = src[i * 4 + k];
    parts.push(out);
  };
  u8(tiers.length);
  for (const t of tiers) {
    f64(t.stepMs);
    u32(t.slots);
  }
  u32(1);
  u8(0);
  u8(VM_METRICS.length);
  str('v1-vm');
  str('old-vm');
  const base = t0 / 5000;
  f64(t0 + 9 * 5000);
  tiers.forEach((t, ti) => {
    f64(ti === 0 ? base + 9 : -1);
    for (let m = 0; m < VM_METRICS.length; m++) {
      u32(ti === 0 && m === 0 ? 2 : 0);
      f64(ti === 0 && m === 0 ? 19 : 0);
      f64(ti === 0 && m === 0 ? 9 : 0);
      f64(ti === 0 && m === 0 ? 10 : 0);
    }
    const n = t.slots * VM_METRICS.length;
    const mins = new Float32Array(n).fill(NaN);
    const avgs = new Float32Array(n).fill(NaN);
    const maxs = new Float32Array(n).fill(NaN);
    if (ti === 0) {
      for (const i of [6, 7, 9]) {
        const at = ((base + i) % t.slots) * VM_METRICS.length;
        mins[at] = i;
        avgs[at] = i + 0.5;
        maxs[at] = i + 1;
      }
    }
    shuffled(mins);
    shuffled(avgs);
    shuffled(maxs);
  });
  const body = zlib.deflateRawSync(Buffer.concat(parts));
  const head = Buffer.alloc(16);
  head.write('LVMH', 0, 'latin1');
  head.writeUInt16LE(1, 4);
  head.writeUInt32LE(body.length, 8);
  head.writeUInt32LE(zlib.crc32(body) >>> 0, 12);
  return Buffer.concat([head, body]);
}

describe('Performance history storage budget (unit)', () => {
  it('keeps values within 0.4 % (bfloat16), zeros, small whole numbers and gaps exactly', () => {
    for (const v of [0, 1, 2, 100, 255, 256, 0.5, 29.5]) assert.equal(quantise(v), v);
    assert.ok(Number.isNaN(quantise(NaN)));
    let worst = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = Math.exp(Math.random() * 50 - 10);
      worst = Math.max(worst, Math.abs(quantise(v) - v) / v);
    }
    assert.ok(worst <= 2 ** -8, `worst relative error ${worst}`);
    assert.notEqual(quantise(1000.5), 1000.5, 'the precision really is 8 bits (a failing quantiser would keep this)');
  });

  it('makes blocks only where samples fell: a VM seen once costs one block per tier', () => {
    const h = new HostHistory();
    h.record(batch(T0, [{ uuid: 'v', cpu: 1 }]));
    const s = h.get('v');
    assert.ok(s);
    assert.deepEqual(
      s.rings.map((r) => r.blocks.filter((b) => b !== undefined).length),
      [1, 1, 1, 1, 1],
    );
    assert.ok(s.memoryBytes < 40_000, `${s.memoryBytes} bytes for one sample`);
  });

  it('keeps unpacked blocks of recent reads within a budget, and never serves a block sealed again from it', async () => {
    const file = path.join(os.tmpdir(), `hst-cache-${process.pid}.lvh`);
    try {
      const h = new HostHistory();
      // Sealed blocks in the 5 s tier, then the newest block half full.
      for (let i = 0; i < 3 * BLOCK_SLOTS + 60; i++) h.record(batch(T0 + i * 5000, [{ uuid: 'v', cpu: i % 50 }]));
      await writeHistoryFile(file, h);
      const { history } = await readHistoryFile(file, h.tiers);
      const s = history.get('v')!;
      const base = T0 / 5000;
      const first = s.rings[0].read(base, base + 4 * BLOCK_SLOTS - 1, history.cache);
      assert.ok(history.cache.memoryBytes > 0, 'the sealed blocks read are kept');
      assert.deepEqual(s.rings[0].read(base, base + 4 * BLOCK_SLOTS - 1, history.cache), first, 'the same from the cache');
      // The newest block came from the file packed: it was read through the cache, is opened by
      // the next sample, sealed when the ring moves on, and must read with its new samples.
      for (let i = 3 * BLOCK_SLOTS + 60; i < 4 * BLOCK_SLOTS + 1; i++) history.record(batch(T0 + i * 5000, [{ uuid: 'v', cpu: 99 }]));
      const after = s.rings[0].read(base + 3 * BLOCK_SLOTS, base + 4 * BLOCK_SLOTS - 1, history.cache);
      assert.equal(after.avg[0][59], q((3 * BLOCK_SLOTS + 59) % 50));
      assert.equal(after.avg[0][60], 99, 'a sample recorded after the cached read');
      assert.equal(after.avg[0][BLOCK_SLOTS - 1], 99);
      // A small budget keeps the newest entries only.
      const small = new BlockCache(2 * 3 * VM_METRICS.length * BLOCK_SLOTS * 2);
      s.rings[0].read(base, base + 4 * BLOCK_SLOTS - 1, small);
      assert.equal(small.memoryBytes, 2 * 3 * VM_METRICS.length * BLOCK_SLOTS * 2);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('seals a block when the ring moves past it and reads it back the same', () => {
    const r = new TierRing({ stepMs: 1000, slots: 3 * BLOCK_SLOTS }, 2);
    const base = T0 / 1000;
    for (let i = 0; i < BLOCK_SLOTS + 5; i++) r.add(T0 + i * 1000, [i, i % 3 === 0 ? NaN : 1e9 + i]);
    const first = r.block(Math.floor(base / BLOCK_SLOTS));
    assert.ok(first?.packed && !first.codes, 'the first block is sealed (packed)');
    const got = r.read(base, base + BLOCK_SLOTS + 4);
    for (let i = 0; i < BLOCK_SLOTS + 5; i++) {
      assert.equal(got.avg[0][i], q(i));
      if (i % 3 === 0) assert.ok(Number.isNaN(got.avg[1][i]));
      else assert.equal(got.max[1][i], q(1e9 + i));
    }
  });
});

describe('Performance history sparklines (unit)', () => {
  it('draws buckets of averages from 0 to the maximum, gaps as spaces', async () => {
    const { sparkline, meanMax } = await import('../../../src/libvirt/history/sparkline');
    assert.equal(sparkline([0, 25, 50, 75, 100], 5, 100), '▁▃▅▆█');
    assert.equal(sparkline([0, NaN, 100], 3), '▁ █');
    assert.equal(sparkline([10, 30, 50, 70], 2, 100), '▂▅', 'buckets average their values (20 and 60)');
    assert.equal(sparkline([NaN, NaN], 2), '');
    assert.equal(sparkline([0, 0], 2), '▁▁');
    assert.deepEqual(meanMax([1, NaN, 3], [2, NaN, 9]), { mean: 2, max: 9 });
    assert.equal(meanMax([NaN]), undefined);
  });
});

describe('VM tooltip history lines (unit)', () => {
  it('shows CPU, memory, disk and network of the last hour with average and peak', async () => {
    const { vmHistoryLines } = await import('../../../src/views/history/historyTooltip');
    const h = new HostHistory();
    for (let i = 0; i < 4; i++) h.record(batch(T0 + i * 5000, [{ uuid: 'v', cpu: i * 10, o: { diskReadBps: 1024, diskWriteBps: 1024, netRxBps: undefined, netTxBps: undefined } }]));
    const r = h.range('v', '1h', T0 + 15_000);
    assert.ok(r);
    const lines = vmHistoryLines(r);
    assert.equal(lines.length, 3, 'no network line: nothing was reported');
    assert.match(lines[0], /^CPU [ ▁▂▃▄▅▆▇█]+ avg 15 %, peak 30 %$/);
    assert.match(lines[1], /^Memory +█ avg 1 MiB, peak 1 MiB$/);
    assert.match(lines[2], /^Disk .* avg 2\.0 KiB\/s, peak 2\.0 KiB\/s$/);
    assert.deepEqual(vmHistoryLines(h.range('v', '1h', T0 + 10 * 3_600_000) ?? r), [], 'nothing recorded in that hour');
  });
});

/**
 * The same history in format 2 (historyFile.ts): series records without each tier's first slot,
 * block records with an f64 block number and no codec, blocks packed with plain differences.
 */
function asFormat2(v3: Buffer): Buffer {
  const out: Buffer[] = [Buffer.from(v3.subarray(0, 8))];
  out[0].writeUInt16LE(2, 4);
  const kinds = new Map<number, number>();
  for (let pos = 8; pos < v3.length; ) {
    const len = v3.readUInt32LE(pos);
    const p = v3.subarray(pos + 8, pos + 8 + len);
    pos += 8 + len;
    let payload = p;
    if (p[0] === 2) {
      const no = p.readUInt32LE(1);
      const metrics = p[6];
      kinds.set(no, metrics);
      let at = 7;
      at += 2 + p.readUInt16LE(at);
      at += 2 + p.readUInt16LE(at);
      at += 8;
      const parts = [p.subarray(0, at)];
      while (at < p.length) {
        parts.push(p.subarray(at, at + 8)); // newest slot; the first slot after it is left out
        at += 16;
        parts.push(p.subarray(at, at + metrics * 28));
        at += metrics * 28;
      }
      payload = Buffer.concat(parts);
    } else if (p[0] === 3) {
      const columns = kinds.get(p.readUInt32LE(1))! * 3;
      assert.equal(p[10], 3);
      const head = Buffer.alloc(14);
      p.copy(head, 0, 0, 6);
      head.writeDoubleLE(p.readUInt32LE(6), 6);
      payload = Buffer.concat([head, packV2(unpackCodes(p.subarray(11), columns, 3))]);
    }
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(zlib.crc32(payload) >>> 0, 4);
    out.push(frame, payload);
  }
  return Buffer.concat(out);
}

/** Format 2's packing (codec 2): averages as plain differences mod 2^16. */
function packV2(codes: Uint16Array): Buffer {
  const n = codes.length;
  const m = n / BLOCK_SLOTS / 3;
  const planes = Buffer.alloc(n * 2);
  const put = (i: number, d: number): void => {
    planes[i] = d >>> 8;
    planes[n + i] = d & 0xff;
  };
  for (let c = 0; c < m * BLOCK_SLOTS; c += BLOCK_SLOTS) {
    let prev = 0;
    for (let i = c; i < c + BLOCK_SLOTS; i++) {
      const a = codes[m * BLOCK_SLOTS + i];
      put(m * BLOCK_SLOTS + i, (a - prev) & 0xffff);
      prev = a;
      put(i, (a - codes[i]) & 0xffff);
      put(2 * m * BLOCK_SLOTS + i, (codes[2 * m * BLOCK_SLOTS + i] - a) & 0xffff);
    }
  }
  return zlib.deflateRawSync(planes);
}
