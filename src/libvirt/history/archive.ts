// Round-robin archives of performance samples (the RRDtool idea): each tier keeps a fixed number
// of slots of a fixed step (by default 5 s for an hour, 1 min for two days, 15 min for 90 days),
// each slot the minimum, average and maximum of every metric over the raw samples that fell in it.
// Every tier aggregates the raw samples itself (not the finer tier's averages), so its figures are
// exact: the average is the sum over the slot's samples divided by their count, whatever the
// finer tiers held. A slot without a sample (VS Code closed, host disconnected, VM off) or a metric
// the sample did not report stays NaN: gaps are gaps, never interpolated.
// Time is passed in with every sample, so tests drive it with synthetic clocks.
//
// Storage (the budget of issue 16: 1000 VMs, 90 days, ≤ 50 MB, little memory per VM):
// - A ring is a circle of blocks of BLOCK_SLOTS slots, made when the first sample falls in them
//   (a VM that ran for a day has a day of blocks, not 90 days of NaN).
// - Values are kept as bfloat16 codes (the top 16 bits of a float32, rounded to nearest even):
//   8 significant bits, so a stored value is within 0.4 % (2^-8) of the exact figure, zeros and
//   whole numbers up to 256 stay exact, and the range reaches any rate a host can have. A chart
//   200 pixels high resolves 0.5 % of its scale and the figures shown have two or three
//   significant digits, so nothing visible is lost (16-bit codes scaled per block would keep
//   more digits nobody sees, and compress worse); the aggregation itself stays exact (the open
//   slot's sum, count, minimum and maximum are float64 and kept in the file).
// - The block the newest slot is in stays open (a Uint16Array of codes); when the ring moves to
//   the next block the old one is sealed: packed once (averages as zigzag deltas over time,
//   minimum and maximum as distances from the average, bytes split in planes, deflate) and kept
//   packed, in memory and in the file (historyFile.ts writes each block once, when it changed).
//   Reading a range unpacks the blocks it covers.
// - Where the bytes go (bench/historyBench.ts, typical workload, the earlier default tiers): the
//   15-minute tier over 90 days was 70 % of the file (8640 of 12,240 slots), the minute tier over
//   48 h 24 %; in a block, the noisy rates of busy VMs (disk and network bytes and IOPS) cost 6 to
//   8 bits per figure, an idle VM's columns a few bytes per block. A noisy figure carries that
//   much information at 8 significant bits: better packing gains a few per cent (zigzag: 6 %;
//   brotli another 5 %, but twice as slow to unpack), one significant bit less only 7 %. What
//   gains is storing no more slots than the charts draw (DEFAULT_TIERS).

import * as zlib from 'node:zlib';

/** One resolution of the archive: `slots` slots of `stepMs` each. */
export interface Tier {
  readonly stepMs: number;
  readonly slots: number;
}

/**
 * The default tiers: what each range of the charts reads, at no finer a step than the charts draw.
 * A chart folds its range into at most 480 points (PERF_HISTORY_POINTS, vmDetails), so 15
 * minutes over 90 days (8640 slots) were 18 slots per drawn point, and 70 % of the file; each
 * slot's minimum and maximum keep every peak whatever the step. The Host Dashboard's sparklines
 * read the coarsest tier with 60 slots in their range (Series.overview): 1 h the minute tier, 24 h
 * the 15-minute one, 7 days the 2-hour one, 90 days the 12-hour one, one or two blocks per VM.
 * Finer tiers can be configured (libvirtVms.history.tiers); the earlier defaults (1 min for two
 * days, 15 min for 90 days) made 105 MiB for the benchmark's 1000 VMs, these make about a third.
 */
export const DEFAULT_TIERS: readonly Tier[] = [
  { stepMs: 5_000, slots: 720 }, // 1 h: the live view and the last hour (721 slots)
  { stepMs: 60_000, slots: 1_440 }, // 24 h (1441 slots)
  { stepMs: 900_000, slots: 672 }, // 7 days (673 slots)
  { stepMs: 7_200_000, slots: 1_080 }, // 90 days (1081 slots); the 7-day sparklines (85)
  { stepMs: 43_200_000, slots: 180 }, // 90 days: the 90-day sparklines (181)
];

/**
 * Slots per block: 10 min of the 5 s tier, 2 h of the minute tier, 30 h of the 15-minute tier.
 * Small enough that the open block of every tier is rewritten cheaply at each flush, large enough
 * that deflate finds the runs (a block of 24 columns is 5.6 KiB before packing).
 */
export const BLOCK_SLOTS = 120;

/** The metrics of a VM's series, in storage order. */
export const VM_METRICS = ['cpuPercent', 'memoryUsedKiB', 'diskReadBps', 'diskWriteBps', 'diskReadIops', 'diskWriteIops', 'netRxBps', 'netTxBps'] as const;
/** The metrics of a host's series. */
export const HOST_METRICS = ['cpuPercent', 'memoryUsedKiB', 'memoryTotalKiB'] as const;

export type VmMetric = (typeof VM_METRICS)[number];
export type HostMetric = (typeof HOST_METRICS)[number];
export type SeriesKind = 'vm' | 'host';

export function metricsOf(kind: SeriesKind): readonly string[] {
  return kind === 'vm' ? VM_METRICS : HOST_METRICS;
}

/** Checks a tier list: positive whole steps, each coarser than the one before, at least one slot. */
export function checkTiers(tiers: readonly Tier[]): string | undefined {
  if (tiers.length === 0 || tiers.length > 8) return 'between 1 and 8 tiers';
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i];
    if (!Number.isInteger(t.stepMs) || t.stepMs < 1000) return `tier ${i + 1}: the step must be a whole number of milliseconds, at least 1000`;
    if (!Number.isInteger(t.slots) || t.slots < 2 || t.slots > 1_000_000) return `tier ${i + 1}: between 2 and 1,000,000 slots`;
    if (i > 0 && t.stepMs <= tiers[i - 1].stepMs) return `tier ${i + 1}: each step must be longer than the one before`;
  }
  return undefined;
}

// ---- bfloat16 codes ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The code of a gap. */
export const NAN_CODE = 0x7fc0;

/** The bfloat16 code of `v` (round to nearest, ties to even); NaN for a gap. */
export function toCode(v: number): number {
  if (v !== v) return NAN_CODE;
  f32[0] = v;
  const bits = u32[0];
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Every code's value, so a read is one table look-up per figure. */
const VALUES = (() => {
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let c = 0; c < 65536; c++) bits[c] = c << 16;
  return t;
})();

/** The value of a code. */
export function fromCode(c: number): number {
  return VALUES[c];
}

/** What the archive keeps of `v` (the unit tests compare with it). */
export function quantise(v: number): number {
  return fromCode(toCode(v));
}

// ---- blocks ----

/** Stats of a slot, in column order. */
const STATS = 3; // min, avg, max

/**
 * How a sealed block's codes are packed: 2, averages as plain deltas (files of format 2); 3,
 * averages as zigzag deltas (a small step down costs as little as a small step up). Blocks keep
 * the packing they were sealed with: an old file's blocks are read as they are, never repacked.
 */
export type BlockCodec = 2 | 3;
export const BLOCK_CODEC: BlockCodec = 3;

/**
 * One block: BLOCK_SLOTS slots of `metrics` × 3 columns. Column-major: column (stat × metrics +
 * metric) holds that figure for every slot of the block, so a quiet metric is one long run.
 */
export class Block {
  /** The codes while the block is open (or unpacked for a read); undefined once sealed. */
  codes: Uint16Array | undefined;
  /** The packed codes once sealed. */
  packed: Buffer | undefined;
  /** How `packed` is packed. */
  codec: BlockCodec = BLOCK_CODEC;
  /** Changed since the file last had it. */
  dirty = true;

  constructor(
    /** Absolute block number (slot / BLOCK_SLOTS). */
    readonly abs: number,
    readonly columns: number,
    init?: { codes?: Uint16Array; packed?: Buffer; codec?: BlockCodec },
  ) {
    if (init?.packed) {
      this.packed = init.packed;
      this.codec = init.codec ?? BLOCK_CODEC;
    } else this.codes = init?.codes ?? new Uint16Array(columns * BLOCK_SLOTS).fill(NAN_CODE);
  }

  /**
   * The codes, unpacking a sealed block (not kept: a read should not grow the memory). A packed
   * block that does not unpack (its record's checksum was right, so only a bug writes one) reads
   * as a gap rather than breaking every chart of the VM.
   */
  view(): Uint16Array | undefined {
    if (this.codes) return this.codes;
    try {
      return unpackCodes(this.packed!, this.columns, this.codec);
    } catch {
      return undefined;
    }
  }

  /** Packs and drops the open codes. */
  seal(): void {
    if (!this.codes) return;
    this.packed = packCodes(this.codes);
    this.codec = BLOCK_CODEC;
    this.codes = undefined;
    this.dirty = true;
  }

  /** Opens a sealed block again (the newest block read from a file gets more samples). */
  open(): Uint16Array {
    if (!this.codes) {
      this.codes = unpackCodes(this.packed!, this.columns, this.codec);
      this.packed = undefined;
    }
    return this.codes;
  }

  /** The packed form for a file: sealed blocks as they are, an open one packed now. */
  bytes(): { packed: Buffer; codec: BlockCodec } {
    return this.packed ? { packed: this.packed, codec: this.codec } : { packed: packCodes(this.codes!), codec: BLOCK_CODEC };
  }

  /** Bytes this block holds in memory. */
  get memoryBytes(): number {
    return (this.codes?.byteLength ?? 0) + (this.packed?.length ?? 0) + 48;
  }
}

/** A 16-bit difference as a small number either way: 0, −1, 1, −2, 2… become 0, 1, 2, 3, 4… */
const zigzag = (d: number): number => {
  const x = (d << 16) >> 16;
  return ((x << 1) ^ (x >> 31)) & 0xffff;
};
const unzigzag = (z: number): number => ((z >>> 1) ^ -(z & 1)) & 0xffff;

/**
 * Packs codes (codec 3). The average columns as zigzag differences from the previous slot (a
 * steady metric becomes a run of zeros, a noisy one small numbers either way, high byte 0); the
 * minimum and maximum columns as their distance below and above the slot's average (small where
 * the metric is steady, and independent of its level). The high bytes of every number first,
 * then the low bytes, then deflate.
 */
export function packCodes(codes: Uint16Array): Buffer {
  const n = codes.length;
  const m = n / BLOCK_SLOTS / STATS;
  const avg0 = m * BLOCK_SLOTS;
  const max0 = 2 * m * BLOCK_SLOTS;
  const planes = Buffer.allocUnsafe(n * 2);
  const put = (i: number, d: number): void => {
    planes[i] = d >>> 8;
    planes[n + i] = d & 0xff;
  };
  for (let c = 0; c < avg0; c += BLOCK_SLOTS) {
    let prev = 0;
    for (let i = c; i < c + BLOCK_SLOTS; i++) {
      const a = codes[avg0 + i];
      put(avg0 + i, zigzag(a - prev));
      prev = a;
      put(i, (a - codes[i]) & 0xffff);
      put(max0 + i, (codes[max0 + i] - a) & 0xffff);
    }
  }
  return zlib.deflateRawSync(planes, { level: 6 });
}

/**
 * The inverse of packCodes (and of format 2's packing, codec 2: plain differences); throws on
 * bytes that are not a packed block of `columns` columns.
 */
export function unpackCodes(packed: Buffer, columns: number, codec: BlockCodec = BLOCK_CODEC): Uint16Array {
  const n = columns * BLOCK_SLOTS;
  const planes = zlib.inflateRawSync(packed, { maxOutputLength: n * 2 + 1 });
  if (planes.length !== n * 2) throw new Error(`a block of ${planes.length} bytes, ${n * 2} expected`);
  const m = columns / STATS;
  const avg0 = m * BLOCK_SLOTS;
  const max0 = 2 * m * BLOCK_SLOTS;
  const get = (i: number): number => (planes[i] << 8) | planes[n + i];
  const codes = new Uint16Array(n);
  const zz = codec === 3;
  for (let c = 0; c < avg0; c += BLOCK_SLOTS) {
    let prev = 0;
    for (let i = c; i < c + BLOCK_SLOTS; i++) {
      const d = get(avg0 + i);
      prev = (prev + (zz ? unzigzag(d) : d)) & 0xffff;
      codes[avg0 + i] = prev;
      codes[i] = (prev - get(i)) & 0xffff;
      codes[max0 + i] = (prev + get(max0 + i)) & 0xffff;
    }
  }
  return codes;
}

/**
 * The unpacked codes of the sealed blocks read last, up to a byte budget, least recently used
 * dropped first: a Host Dashboard refreshed every 5 s reads the same sealed block of each of 1000
 * VMs again and again (16 MiB holds one range's blocks of 1000 VMs: 5.6 KiB each). Entries are
 * keyed by the packed bytes, which never change: a block opened and sealed again has new ones,
 * so nothing goes stale; entries of replaced blocks are dropped in their turn.
 */
export class BlockCache {
  /** Keyed by the packed bytes: a block opened and sealed again has new ones. */
  private readonly map = new Map<Buffer, Uint16Array>();
  private bytes = 0;

  constructor(readonly maxBytes = 16 << 20) {}

  codes(b: Block): Uint16Array | undefined {
    if (b.codes || !b.packed) return b.codes;
    const key = b.packed;
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const codes = b.view();
    if (!codes) return undefined;
    this.map.set(key, codes);
    this.bytes += codes.byteLength;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
    }
    return codes;
  }

  /** Bytes held. */
  get memoryBytes(): number {
    return this.bytes;
  }
}

/** What a range read returns: one entry per slot, oldest first; NaN where nothing was recorded. */
export interface SeriesRange {
  readonly stepMs: number;
  /** Start time of each slot (ms since the epoch). */
  readonly times: Float64Array;
  /** Per metric (in the kind's order): min, avg, max per slot. */
  readonly min: readonly Float32Array[];
  readonly avg: readonly Float32Array[];
  readonly max: readonly Float32Array[];
}

/**
 * One tier of one series: a circle of blocks (made on first use) plus the open slot's exact
 * accumulators (Float64 sum, count, min, max per metric).
 */
export class TierRing {
  /** Enough blocks that the whole window of `slots` slots fits beside the open block. */
  readonly blockCount: number;
  readonly blocks: (Block | undefined)[];
  /** Absolute slot number (time / step) of the newest slot written; -1 before the first. */
  last = -1;
  /**
   * Absolute slot number of the first sample this ring ever got; -1 before it. A tier added to the
   * configuration later starts empty while the others hold older data: overviews compare this.
   * 0 for rings of files that did not record it (they hold whatever their window holds).
   */
  first = -1;
  readonly sum: Float64Array;
  readonly count: Uint32Array;
  readonly openMin: Float64Array;
  readonly openMax: Float64Array;
  readonly columns: number;

  constructor(
    readonly tier: Tier,
    readonly metrics: number,
  ) {
    this.columns = metrics * STATS;
    this.blockCount = Math.ceil(tier.slots / BLOCK_SLOTS) + 1;
    this.blocks = new Array<Block | undefined>(this.blockCount).fill(undefined);
    this.sum = new Float64Array(metrics);
    this.count = new Uint32Array(metrics);
    this.openMin = new Float64Array(metrics);
    this.openMax = new Float64Array(metrics);
  }

  /** The block holding absolute block number `abs`, if the ring has it. */
  block(abs: number): Block | undefined {
    const b = this.blocks[abs % this.blockCount];
    return b && b.abs === abs ? b : undefined;
  }

  /** Puts a block in its place (replacing whatever was there). */
  setBlock(b: Block): void {
    this.blocks[b.abs % this.blockCount] = b;
  }

  /**
   * Adds one raw sample taken at `at`. A sample older than the open slot is dropped (the clock
   * went back): returns false then.
   */
  add(at: number, values: ArrayLike<number>): boolean {
    const slot = Math.floor(at / this.tier.stepMs);
    if (slot < this.last) return false;
    if (this.first < 0) this.first = slot;
    if (slot > this.last) this.advance(slot);
    const abs = Math.floor(slot / BLOCK_SLOTS);
    let b = this.block(abs);
    if (!b) {
      b = new Block(abs, this.columns);
      this.setBlock(b);
    }
    const codes = b.open();
    b.dirty = true;
    const i = slot - abs * BLOCK_SLOTS;
    const m3 = this.metrics;
    for (let m = 0; m < m3; m++) {
      const v = values[m];
      if (v !== v) continue; // NaN: this metric was not reported
      const c = this.count[m];
      if (c === 0) {
        this.sum[m] = v;
        this.openMin[m] = v;
        this.openMax[m] = v;
      } else {
        this.sum[m] += v;
        if (v < this.openMin[m]) this.openMin[m] = v;
        if (v > this.openMax[m]) this.openMax[m] = v;
      }
      this.count[m] = c + 1;
      codes[m * BLOCK_SLOTS + i] = toCode(this.openMin[m]);
      codes[(m3 + m) * BLOCK_SLOTS + i] = toCode(this.sum[m] / (c + 1));
      codes[(2 * m3 + m) * BLOCK_SLOTS + i] = toCode(this.openMax[m]);
    }
    return true;
  }

  /**
   * Moves to `slot`. The open block is sealed when the slot is in a later block. Skipped slots need
   * no clearing: a block is made full of gaps, and a block left over from an older lap of the ring
   * is never read (its number is not the one asked for) and is replaced when its place is used.
   */
  private advance(slot: number): void {
    if (this.last >= 0) {
      const prevAbs = Math.floor(this.last / BLOCK_SLOTS);
      if (Math.floor(slot / BLOCK_SLOTS) !== prevAbs) this.block(prevAbs)?.seal();
    }
    this.last = slot;
    this.count.fill(0);
  }

  /**
   * Stores a finished slot as it is (converting a file of the first format): `value(stat, metric)`
   * with stat 0 min, 1 avg, 2 max. Slots must come oldest first; the caller sets `last` and the
   * accumulators afterwards, then calls sealAllButLast.
   */
  putSlot(slot: number, value: (stat: number, metric: number) => number): void {
    if (this.first < 0) this.first = slot;
    const abs = Math.floor(slot / BLOCK_SLOTS);
    let b = this.block(abs);
    if (!b) {
      b = new Block(abs, this.columns);
      this.setBlock(b);
    }
    const codes = b.open();
    const i = slot - abs * BLOCK_SLOTS;
    for (let st = 0; st < STATS; st++) for (let m = 0; m < this.metrics; m++) codes[(st * this.metrics + m) * BLOCK_SLOTS + i] = toCode(value(st, m));
  }

  /** Seals every block but the newest slot's (after putSlot). */
  sealAllButLast(): void {
    const lastAbs = this.last < 0 ? -1 : Math.floor(this.last / BLOCK_SLOTS);
    for (const b of this.blocks) if (b && b.abs !== lastAbs) b.seal();
  }

  /**
   * Fills this empty ring from a finer one whose step divides this one's (a tier the configuration
   * gained, from the tier of the file that reaches furthest back): per slot the minimum of the
   * finer minima, the maximum of the finer maxima (both exact) and the mean of the finer averages
   * (exact when the finer slots had as many samples each, as steady sampling gives). The newest
   * slot is stored like the others but its accumulators stay empty: the first sample recorded in
   * it starts it again (the finer tiers still have that stretch).
   */
  fillFrom(src: TierRing): void {
    if (src.last < 0 || this.last >= 0 || this.tier.stepMs % src.tier.stepMs !== 0) return;
    const ratio = this.tier.stepMs / src.tier.stepMs;
    const last = Math.floor(src.last / ratio);
    const lo = Math.max(src.last - src.tier.slots + 1, (last - this.tier.slots + 1) * ratio, 0);
    const r = src.read(lo, src.last);
    const M = this.metrics;
    const mn = new Float64Array(M);
    const mx = new Float64Array(M);
    const sum = new Float64Array(M);
    const n = new Uint32Array(M);
    const stat = (st: number, m: number): number => (n[m] === 0 ? NaN : st === 0 ? mn[m] : st === 1 ? sum[m] / n[m] : mx[m]);
    let cur = Math.floor(lo / ratio);
    let any = false;
    for (let i = 0; i <= src.last - lo; i++) {
      const dst = Math.floor((lo + i) / ratio);
      if (dst !== cur) {
        if (any) this.putSlot(cur, stat);
        cur = dst;
        any = false;
        n.fill(0);
      }
      for (let m = 0; m < M; m++) {
        const a = r.avg[m][i];
        if (a !== a) continue;
        const lowest = r.min[m][i];
        const highest = r.max[m][i];
        if (n[m] === 0) {
          mn[m] = lowest;
          mx[m] = highest;
          sum[m] = a;
        } else {
          if (lowest < mn[m]) mn[m] = lowest;
          if (highest > mx[m]) mx[m] = highest;
          sum[m] += a;
        }
        n[m]++;
        any = true;
      }
    }
    if (any) this.putSlot(cur, stat);
    if (this.first < 0) return; // nothing had data
    this.first = src.first <= 0 ? src.first : Math.floor(src.first / ratio);
    this.last = last;
    this.count.fill(0);
    this.sealAllButLast();
  }

  /** Whether the slot is inside the ring's window (older ones were overwritten). */
  holds(slot: number): boolean {
    return this.last >= 0 && slot <= this.last && slot > this.last - this.tier.slots;
  }

  /** Blocks that still hold a slot of the window, oldest first. */
  windowBlocks(): Block[] {
    if (this.last < 0) return [];
    const lastAbs = Math.floor(this.last / BLOCK_SLOTS);
    const firstAbs = Math.floor((this.last - this.tier.slots + 1) / BLOCK_SLOTS);
    const out: Block[] = [];
    for (let a = Math.max(0, firstAbs); a <= lastAbs; a++) {
      const b = this.block(a);
      if (b) out.push(b);
    }
    return out;
  }

  /** Slots [fromSlot, toSlot] (absolute numbers), NaN outside the window. */
  read(fromSlot: number, toSlot: number, cache?: BlockCache): SeriesRange {
    const len = Math.max(0, toSlot - fromSlot + 1);
    const times = new Float64Array(len);
    const min: Float32Array[] = [];
    const avg: Float32Array[] = [];
    const max: Float32Array[] = [];
    for (let m = 0; m < this.metrics; m++) {
      min.push(new Float32Array(len).fill(NaN));
      avg.push(new Float32Array(len).fill(NaN));
      max.push(new Float32Array(len).fill(NaN));
    }
    const m3 = this.metrics;
    for (let i = 0; i < len; i++) times[i] = (fromSlot + i) * this.tier.stepMs;
    if (this.last < 0) return { stepMs: this.tier.stepMs, times, min, avg, max };
    // Only the window's slots, block by block.
    const lo = Math.max(fromSlot, this.last - this.tier.slots + 1);
    const hi = Math.min(toSlot, this.last);
    for (let abs = Math.floor(lo / BLOCK_SLOTS); abs * BLOCK_SLOTS <= hi; abs++) {
      const b = this.block(abs);
      const codes = b && (cache ? cache.codes(b) : b.view());
      if (!codes) continue;
      const first = Math.max(lo, abs * BLOCK_SLOTS);
      const lastSlot = Math.min(hi, abs * BLOCK_SLOTS + BLOCK_SLOTS - 1);
      const j0 = first - abs * BLOCK_SLOTS;
      const i0 = first - fromSlot;
      const count = lastSlot - first + 1;
      for (let m = 0; m < m3; m++) {
        const mn = min[m];
        const av = avg[m];
        const mx = max[m];
        const cMin = m * BLOCK_SLOTS + j0;
        const cAvg = (m3 + m) * BLOCK_SLOTS + j0;
        const cMax = (2 * m3 + m) * BLOCK_SLOTS + j0;
        for (let k = 0; k < count; k++) {
          mn[i0 + k] = VALUES[codes[cMin + k]];
          av[i0 + k] = VALUES[codes[cAvg + k]];
          mx[i0 + k] = VALUES[codes[cMax + k]];
        }
      }
    }
    return { stepMs: this.tier.stepMs, times, min, avg, max };
  }

  /** Bytes of this ring in memory (blocks, accumulators, the block table). */
  get memoryBytes(): number {
    let n = this.blockCount * 8 + this.metrics * 32 + 64;
    for (const b of this.blocks) if (b) n += b.memoryBytes;
    return n;
  }
}

/** The archive of one VM or of the host: one ring per tier. */
export class Series {
  readonly rings: TierRing[];
  /** Wall-clock time of the newest sample (ms); 0 before the first. */
  lastAt = 0;
  /** The name, newest sample time or an accumulator changed since the file last had them. */
  dirty = true;
  /** Where reads keep unpacked blocks (the history's, shared by its series). */
  cache: BlockCache | undefined;

  constructor(
    readonly id: string,
    readonly kind: SeriesKind,
    public name: string,
    tiers: readonly Tier[],
  ) {
    const metrics = metricsOf(kind).length;
    this.rings = tiers.map((t) => new TierRing(t, metrics));
  }

  /** Adds a raw sample to every tier. `values` in the kind's metric order, NaN for unknown. */
  add(at: number, values: ArrayLike<number>): void {
    let added = false;
    for (const r of this.rings) added = r.add(at, values) || added;
    if (added && at > this.lastAt) this.lastAt = at;
    if (added) this.dirty = true;
  }

  /**
   * The finest tier that covers [from, to] (ms), read slot by slot: what a chart of that range draws.
   * A range longer than every tier's window gets the coarsest tier.
   */
  range(from: number, to: number, now: number): SeriesRange {
    return this.read(this.covering(from, now), from, to);
  }

  private covering(from: number, now: number): TierRing {
    return this.rings.find((r) => from >= now - r.tier.stepMs * r.tier.slots) ?? this.rings[this.rings.length - 1];
  }

  /**
   * [from, to] from the coarsest tier that still has `points` slots in it (what a sparkline of
   * `points` points needs), so an overview of many VMs unpacks a block or two per VM instead of a
   * window's worth: the Host Dashboard over 1 h reads 61 one-minute slots, not 721 of 5 s. Each
   * tier aggregates the raw samples itself, so a coarse slot's minimum and maximum are exactly
   * those of the finer slots it spans, and its average theirs whenever they had as many samples
   * each (steady sampling). A coarse tier whose records start later than the finest covering
   * tier's (it was added to the configuration since) is passed over: it would hide older data.
   */
  overview(from: number, to: number, now: number, points: number): SeriesRange {
    const fine = this.covering(from, now);
    const since = Math.max(from, fine.first * fine.tier.stepMs);
    for (let k = this.rings.length - 1; k >= 0; k--) {
      const r = this.rings[k];
      if (r === fine) break;
      const step = r.tier.stepMs;
      if (from < now - step * r.tier.slots) continue;
      if (Math.floor(to / step) - Math.floor(from / step) + 1 < points) continue;
      if (r.first < 0 || r.first * step > since + step) continue;
      return this.read(r, from, to);
    }
    return this.read(fine, from, to);
  }

  /** Reads [from, to] from one tier. */
  read(ring: TierRing, from: number, to: number): SeriesRange {
    return ring.read(Math.floor(from / ring.tier.stepMs), Math.floor(to / ring.tier.stepMs), this.cache);
  }

  get memoryBytes(): number {
    return this.rings.reduce((n, r) => n + r.memoryBytes, 200 + this.id.length * 2 + this.name.length * 2);
  }
}
