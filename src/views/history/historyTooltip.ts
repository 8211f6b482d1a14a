// The VM tooltip's last hour: a unicode sparkline per metric with its average and peak, read from
// the recorded history (no call to the host). Without `vscode`, so unit tests check the text.

import type { SeriesRange } from '../../libvirt/history/archive';
import { meanMax, sparkline } from '../../libvirt/history/sparkline';
import { formatRate } from '../../libvirt/perfSample';
import { formatKiB } from '../../libvirt/xml/units';

const WIDTH = 20;
const pct = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;

/** Lines for a VM's last hour (VM_METRICS order); none when nothing was recorded. */
export function vmHistoryLines(r: SeriesRange): string[] {
  const lines: string[] = [];
  const line = (label: string, avg: Float32Array, max: Float32Array, fmt: (v: number) => string, top?: number): void => {
    const mm = meanMax(avg, max);
    if (!mm) return;
    lines.push(`${label} ${sparkline(avg, WIDTH, top)} avg ${fmt(mm.mean)}, peak ${fmt(mm.max)}`);
  };
  line('CPU', r.avg[0], r.max[0], pct, 100);
  line('Memory', r.avg[1], r.max[1], formatKiB);
  const sum = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => (Number.isNaN(v) && Number.isNaN(b[i]) ? NaN : (Number.isNaN(v) ? 0 : v) + (Number.isNaN(b[i]) ? 0 : b[i])));
  line('Disk', sum(r.avg[2], r.avg[3]), sum(r.max[2], r.max[3]), formatRate);
  line('Network', sum(r.avg[6], r.avg[7]), sum(r.max[6], r.max[7]), formatRate);
  return lines;
}
