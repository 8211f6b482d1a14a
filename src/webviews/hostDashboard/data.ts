// What the Host Dashboard shows, read from a host's recorded history: the host's CPU and memory
// per slot, and per VM a sparkline and figures for CPU, memory, disk and network over the range.
// Pure (no `vscode`), so unit tests and the benchmark build the same data.

import { VM_METRICS, type SeriesRange } from '../../libvirt/history/archive';
import { HOST_SERIES_ID, RANGE_MS, type HistoryRange, type HostHistory } from '../../libvirt/history/hostHistory';
import type { DashboardData, DashboardMetric, DashboardVm, HostSeries, Spark } from './protocol';

/** Points of each sparkline: enough for a 120-pixel line. */
export const SPARK_POINTS = 60;

export interface DashboardVmInfo {
  readonly uuid: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly state: string;
}

const CPU = VM_METRICS.indexOf('cpuPercent');
const MEM = VM_METRICS.indexOf('memoryUsedKiB');
const DISK = [VM_METRICS.indexOf('diskReadBps'), VM_METRICS.indexOf('diskWriteBps')];
const NET = [VM_METRICS.indexOf('netRxBps'), VM_METRICS.indexOf('netTxBps')];
const EMPTY: Spark = { points: [], avg: null, peak: null, last: null };

const fin = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** A metric (the sum of `metrics`, e.g. read + write) as a sparkline of SPARK_POINTS bucket averages. */
function spark(r: SeriesRange, metrics: readonly number[]): Spark {
  const n = r.times.length;
  if (n === 0) return EMPTY;
  const at = (arr: readonly Float32Array[], i: number): number => {
    let s = NaN;
    for (const m of metrics) {
      const v = arr[m][i];
      if (!Number.isNaN(v)) s = Number.isNaN(s) ? v : s + v;
    }
    return s;
  };
  const buckets = Math.min(SPARK_POINTS, n);
  const points: (number | null)[] = [];
  let total = 0;
  let count = 0;
  let peak = NaN;
  let last = NaN;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let sum = 0;
    let c = 0;
    for (let i = from; i < to; i++) {
      const v = at(r.avg, i);
      if (Number.isNaN(v)) continue;
      sum += v;
      c++;
      last = v;
      const mx = at(r.max, i);
      if (!Number.isNaN(mx) && !(mx <= peak)) peak = mx;
    }
    points.push(c === 0 ? null : sum / c);
    total += sum;
    count += c;
  }
  if (count === 0) return EMPTY;
  return { points, avg: total / count, peak: fin(peak), last: fin(last) };
}

function hostSeries(r: SeriesRange | undefined): HostSeries | undefined {
  if (!r) return undefined;
  let total: number | null = null;
  for (const v of r.avg[2]) if (!Number.isNaN(v)) total = v;
  const list = (a: Float32Array): (number | null)[] => Array.from(a, fin);
  return {
    times: Array.from(r.times, (t) => t / 1000),
    cpuAvg: list(r.avg[0]),
    cpuMax: list(r.max[0]),
    memoryUsedKiB: list(r.avg[1]),
    memoryTotalKiB: total,
  };
}

/** The dashboard over `range` ending at `now`: every listed VM (with or without history). */
export function dashboardData(history: HostHistory | undefined, vms: readonly DashboardVmInfo[], range: HistoryRange, now: number, tagsKnown: boolean): DashboardData {
  const from = now - RANGE_MS[range];
  let stepMs = 0;
  const rows: DashboardVm[] = vms.map((vm) => {
    // A sparkline needs SPARK_POINTS slots: the coarsest tier that has them (Series.overview).
    const r = history?.get(vm.uuid)?.overview(from, now, now, SPARK_POINTS);
    if (r) stepMs = r.stepMs;
    const metrics: Record<DashboardMetric, Spark> = r ? { cpu: spark(r, [CPU]), memory: spark(r, [MEM]), disk: spark(r, DISK), network: spark(r, NET) } : { cpu: EMPTY, memory: EMPTY, disk: EMPTY, network: EMPTY };
    return { uuid: vm.uuid, name: vm.name, tags: vm.tags, state: vm.state, metrics };
  });
  // The host's chart is drawn slot by slot: the finest tier.
  const hostRange = history?.get(HOST_SERIES_ID)?.range(from, now, now);
  if (hostRange) stepMs = hostRange.stepMs;
  return { range, stepMs, host: hostSeries(hostRange), vms: rows, tagsKnown };
}
