// The performance history of one host: a series for the host itself and one per VM it has seen,
// fed with each stats refresh's SampleBatch. A VM's series outlives the VM (a deleted VM's history
// stays readable) until its newest sample is older than the coarsest tier's window.

import { BlockCache, DEFAULT_TIERS, HOST_METRICS, Series, VM_METRICS, type SeriesKind, type SeriesRange, type Tier } from './archive';
import { RANGE_MS, type HistoryRange } from './ranges';
import type { SampleBatch } from './samples';

export const HOST_SERIES_ID = 'host';

export { HISTORY_RANGES, RANGE_MS, type HistoryRange } from './ranges';

const nan = (v: number | undefined): number => (v === undefined ? NaN : v);

export class HostHistory {
  private readonly map = new Map<string, Series>();
  /** Scratch buffer of one VM sample, reused for every VM of every batch. */
  private readonly vmValues = new Float64Array(VM_METRICS.length);
  private readonly hostValues = new Float64Array(HOST_METRICS.length);
  /** Bumped on every change, so a periodic flush skips an unchanged history. */
  version = 0;
  /** Unpacked blocks of recent reads, shared by every series. */
  readonly cache = new BlockCache();

  constructor(readonly tiers: readonly Tier[] = DEFAULT_TIERS) {}

  /** Records one refresh: the host's sample and each running VM's rates. */
  record(batch: SampleBatch): void {
    const at = batch.at;
    const h = batch.host;
    if (h) {
      const v = this.hostValues;
      v[0] = nan(h.cpuPercent);
      v[1] = nan(h.memoryUsedKiB);
      v[2] = nan(h.memoryTotalKiB);
      this.series(HOST_SERIES_ID, 'host', '').add(at, v);
    }
    const v = this.vmValues;
    for (const vm of batch.vms) {
      const s = vm.sample;
      if (!s) {
        // Known VMs keep their current name even while they make no sample.
        const known = this.map.get(vm.uuid);
        if (known) known.name = vm.name;
        continue;
      }
      v[0] = nan(s.cpuPercent);
      v[1] = nan(s.memoryUsedKiB);
      v[2] = nan(s.diskReadBps);
      v[3] = nan(s.diskWriteBps);
      v[4] = nan(s.diskReadIops);
      v[5] = nan(s.diskWriteIops);
      v[6] = nan(s.netRxBps);
      v[7] = nan(s.netTxBps);
      this.series(vm.uuid, 'vm', vm.name).add(at, v);
    }
    this.version++;
  }

  /** The series of `id`, made on first use. */
  series(id: string, kind: SeriesKind, name: string): Series {
    let s = this.map.get(id);
    if (!s || s.kind !== kind) {
      s = new Series(id, kind, name, this.tiers);
      s.cache = this.cache;
      this.map.set(id, s);
    } else if (name) s.name = name;
    return s;
  }

  /** Adds a series read from a file (replacing one of the same id). */
  adopt(s: Series): void {
    s.cache = this.cache;
    this.map.set(s.id, s);
  }

  get(id: string): Series | undefined {
    return this.map.get(id);
  }

  all(): Series[] {
    return [...this.map.values()];
  }

  /** Drops series whose newest sample is older than the coarsest tier's window. Returns how many went. */
  prune(now: number): number {
    const last = this.tiers[this.tiers.length - 1];
    const horizon = now - last.stepMs * last.slots;
    let dropped = 0;
    for (const [id, s] of this.map) {
      if (s.lastAt < horizon) {
        this.map.delete(id);
        dropped++;
      }
    }
    if (dropped > 0) this.version++;
    return dropped;
  }

  /** The slots of one series over a named range ending now; undefined for an unknown series. */
  range(id: string, range: HistoryRange, now: number): SeriesRange | undefined {
    return this.map.get(id)?.range(now - RANGE_MS[range], now, now);
  }
}
