// The details tab's Performance charts over a recorded range (1 h, 24 h, 7 d, 90 d), read from the
// host's history (src/libvirt/history/): the finest tier that covers the range, folded into at
// most PERF_HISTORY_POINTS points so a 90-day range (8640 slots) stays a small message. A point's
// average is the mean of its slots' averages, its peak the largest of their maxima; a point
// without any recorded slot is a gap (undefined values), and the chart leaves it empty.
// Pure (no `vscode`), so unit tests check it.

import { VM_METRICS, type SeriesRange } from '../../libvirt/history/archive';
import type { PerfSample } from '../../libvirt/perfSample';
import { PERF_HISTORY_POINTS, type PerfHistoryState, type RecordedRange } from './protocol';

export { PERF_HISTORY_POINTS };

type Metric = (typeof VM_METRICS)[number];

function point(at: number, values: (m: number) => number): PerfSample {
  const o: Record<string, number | undefined> = { at };
  VM_METRICS.forEach((k: Metric, m) => {
    const v = values(m);
    o[k] = Number.isNaN(v) ? undefined : v;
  });
  return o as unknown as PerfSample;
}

/** Folds a range read into chart points; undefined when nothing at all was recorded in it. */
export function perfHistoryState(r: SeriesRange | undefined, range: RecordedRange, from: number, to: number): PerfHistoryState | undefined {
  if (!r) return undefined;
  const n = r.times.length;
  const per = Math.max(1, Math.ceil(n / PERF_HISTORY_POINTS));
  const avg: PerfSample[] = [];
  const max: PerfSample[] = [];
  const metrics = VM_METRICS.length;
  const sums = new Float64Array(metrics);
  const counts = new Uint32Array(metrics);
  const peaks = new Float64Array(metrics);
  let any = false;
  for (let p = 0; p * per < n; p++) {
    sums.fill(0);
    counts.fill(0);
    peaks.fill(NaN);
    for (let i = p * per; i < Math.min(n, (p + 1) * per); i++) {
      for (let m = 0; m < metrics; m++) {
        const a = r.avg[m][i];
        if (!Number.isNaN(a)) {
          sums[m] += a;
          counts[m]++;
          any = true;
        }
        const x = r.max[m][i];
        if (!Number.isNaN(x) && !(x <= peaks[m])) peaks[m] = x;
      }
    }
    const at = r.times[p * per];
    avg.push(point(at, (m) => (counts[m] === 0 ? NaN : sums[m] / counts[m])));
    max.push(point(at, (m) => peaks[m]));
  }
  if (!any) return undefined;
  return { range, from, to, pointMs: per * r.stepMs, avg, max };
}
