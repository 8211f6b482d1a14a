// A VM's performance (virt-manager's Performance page) from the bulk statistics of
// virConnectGetAllDomainStats: the raw counters of one reply (cpu time, balloon, block and
// interface bytes), rates computed from the deltas of two replies, and a short history per VM.
// Pure: the tree's stats refresh feeds it, the details panel shows it.

import type { PerfSample } from './perfSample';
import type { TypedParams } from './typedParams';

export type { PerfSample } from './perfSample';

/** virt-manager keeps the last 120 samples. */
export const PERF_HISTORY_LENGTH = 120;

/**
 * Readings closer together than this are skipped: an event-driven refresh right after a poll
 * would make a noisy rate over a few milliseconds.
 */
export const MIN_SAMPLE_INTERVAL_MS = 500;

/** The counters of one VM in one bulk stats reply. */
export interface PerfCounters {
  /** When the reply arrived (ms, any monotonic clock). */
  readonly at: number;
  readonly active: boolean;
  /** Total CPU time of the VM (`cpu.time`, ns). */
  readonly cpuTimeNs: number | undefined;
  readonly vcpus: number | undefined;
  /** Memory the guest has (`balloon.current`, KiB). */
  readonly memoryKiB: number | undefined;
  /** Memory in use: current minus the guest's unused memory, else the QEMU process's RSS. */
  readonly memoryUsedKiB: number | undefined;
  /**
   * Where memoryUsedKiB came from: the guest's balloon statistics, QEMU's RSS, or nothing better
   * than the memory the guest has (then a "memory in use" percentage would always say 100).
   */
  readonly memoryUsedFrom?: 'guest' | 'rss' | 'current';
  /** Sums over every disk and every interface. */
  readonly diskReadBytes: number | undefined;
  readonly diskWriteBytes: number | undefined;
  /** Read and write requests (`block.<i>.rd.reqs`, `wr.reqs`). */
  readonly diskReadReqs: number | undefined;
  readonly diskWriteReqs: number | undefined;
  readonly netRxBytes: number | undefined;
  readonly netTxBytes: number | undefined;
}

/** What a performance chart is told after a stats refresh. */
export interface PerfUpdate {
  /** The VM is running (or paused); a shut-off VM has no data. */
  readonly active: boolean;
  /** The new sample, when this refresh made one. */
  readonly sample: PerfSample | undefined;
}

/** A VM's recent performance and its updates, from whoever polls the bulk stats. */
export interface PerfSource {
  /** Recent samples, oldest first (none while the VM is off). */
  samples(): readonly PerfSample[];
  active(): boolean;
  /** While anyone watches, the stats are refreshed even with the tree hidden. */
  watch(listener: (u: PerfUpdate) => void): { dispose(): void };
}

function num(params: TypedParams, key: string): number | undefined {
  const v = params[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Sum of `<prefix>.<i>.<field>` for i below `<prefix>.count`; undefined when no item reports it. */
function sumOver(params: TypedParams, prefix: 'block' | 'net', field: string): number | undefined {
  const count = num(params, `${prefix}.count`) ?? 0;
  let sum: number | undefined;
  for (let i = 0; i < count; i++) {
    const v = num(params, `${prefix}.${i}.${field}`);
    if (v !== undefined) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** Reads the counters of one VM from its typed parameters (stats groups: state, cpu-total, balloon, vcpu, block, interface). */
export function perfCounters(params: TypedParams, at: number, active: boolean): PerfCounters {
  const current = num(params, 'balloon.current');
  const unused = num(params, 'balloon.unused');
  const rss = num(params, 'balloon.rss');
  let used: number | undefined;
  let usedFrom: PerfCounters['memoryUsedFrom'];
  if (current !== undefined && unused !== undefined) [used, usedFrom] = [Math.max(0, current - unused), 'guest'];
  else if (rss !== undefined) [used, usedFrom] = [current !== undefined ? Math.min(rss, current) : rss, 'rss'];
  else [used, usedFrom] = [current, 'current'];
  return {
    at,
    active,
    cpuTimeNs: num(params, 'cpu.time'),
    vcpus: num(params, 'vcpu.current'),
    memoryKiB: current,
    memoryUsedKiB: used,
    memoryUsedFrom: usedFrom,
    diskReadBytes: sumOver(params, 'block', 'rd.bytes'),
    diskWriteBytes: sumOver(params, 'block', 'wr.bytes'),
    diskReadReqs: sumOver(params, 'block', 'rd.reqs'),
    diskWriteReqs: sumOver(params, 'block', 'wr.reqs'),
    netRxBytes: sumOver(params, 'net', 'rx.bytes'),
    netTxBytes: sumOver(params, 'net', 'tx.bytes'),
  };
}

/** Per second over `seconds`; undefined when either side is unknown or the counter went back. */
function rate(prev: number | undefined, next: number | undefined, seconds: number): number | undefined {
  if (prev === undefined || next === undefined || next < prev) return undefined;
  return (next - prev) / seconds;
}

/**
 * The rates between two readings of the same running VM; undefined when no interval passed or the
 * CPU counter went back (the VM was restarted in between: its counters started again from zero).
 */
export function perfRates(prev: PerfCounters, next: PerfCounters): PerfSample | undefined {
  const seconds = (next.at - prev.at) / 1000;
  if (!(seconds > 0) || !prev.active || !next.active) return undefined;
  if (prev.cpuTimeNs !== undefined && next.cpuTimeNs !== undefined && next.cpuTimeNs < prev.cpuTimeNs) return undefined;
  const cpuNsPerS = rate(prev.cpuTimeNs, next.cpuTimeNs, seconds);
  const vcpus = next.vcpus ?? prev.vcpus;
  const cpuPercent = cpuNsPerS === undefined || !vcpus ? undefined : Math.min(100, (cpuNsPerS / 1e9 / vcpus) * 100);
  return {
    at: next.at,
    cpuPercent,
    memoryUsedKiB: next.memoryUsedKiB,
    memoryKiB: next.memoryKiB,
    diskReadBps: rate(prev.diskReadBytes, next.diskReadBytes, seconds),
    diskWriteBps: rate(prev.diskWriteBytes, next.diskWriteBytes, seconds),
    diskReadIops: rate(prev.diskReadReqs, next.diskReadReqs, seconds),
    diskWriteIops: rate(prev.diskWriteReqs, next.diskWriteReqs, seconds),
    netRxBps: rate(prev.netRxBytes, next.netRxBytes, seconds),
    netTxBps: rate(prev.netTxBytes, next.netTxBytes, seconds),
  };
}

/** The last samples of one VM. A stopped VM has none: its history starts again when it runs. */
export class PerfHistory {
  private last: PerfCounters | undefined;
  private readonly list: PerfSample[] = [];

  constructor(private readonly max = PERF_HISTORY_LENGTH) {}

  /** Adds a reading; returns the new sample, if the reading made one. */
  add(c: PerfCounters): PerfSample | undefined {
    if (!c.active) {
      this.last = undefined;
      this.list.length = 0;
      return undefined;
    }
    const prev = this.last;
    if (prev && c.at - prev.at < MIN_SAMPLE_INTERVAL_MS && c.at >= prev.at) return undefined;
    this.last = c;
    if (!prev) return undefined;
    const s = perfRates(prev, c);
    if (!s) {
      // Counters started again (a restart between two readings): the old points describe another run.
      if (prev.cpuTimeNs !== undefined && c.cpuTimeNs !== undefined && c.cpuTimeNs < prev.cpuTimeNs) this.list.length = 0;
      return undefined;
    }
    this.list.push(s);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
    return s;
  }

  get active(): boolean {
    return this.last !== undefined;
  }

  samples(): readonly PerfSample[] {
    return [...this.list];
  }
}

/** The histories of the VMs of one connection, fed with every bulk reply. */
export class PerfTracker {
  private readonly histories = new Map<string, PerfHistory>();

  constructor(private readonly max = PERF_HISTORY_LENGTH) {}

  /** Adds one reading per listed VM and forgets VMs no longer listed; returns the new samples by UUID. */
  update(readings: ReadonlyMap<string, PerfCounters>): Map<string, PerfSample> {
    const added = new Map<string, PerfSample>();
    for (const uuid of [...this.histories.keys()]) if (!readings.has(uuid)) this.histories.delete(uuid);
    for (const [uuid, c] of readings) {
      let h = this.histories.get(uuid);
      if (!h) {
        if (!c.active) continue;
        h = new PerfHistory(this.max);
        this.histories.set(uuid, h);
      }
      const s = h.add(c);
      if (!c.active) this.histories.delete(uuid);
      if (s) added.set(uuid, s);
    }
    return added;
  }

  samples(uuid: string): readonly PerfSample[] {
    return this.histories.get(uuid)?.samples() ?? [];
  }
}
