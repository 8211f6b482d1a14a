// One point of a VM's performance charts, as computed by domainPerf.ts, and how its rates read.
// Without imports, so the details webview (browser code) shares it.

/** One point of the charts: rates over the interval that ended at `at`. */
export interface PerfSample {
  readonly at: number;
  /** CPU use as a percentage of the VM's vCPUs (0–100). */
  readonly cpuPercent: number | undefined;
  readonly memoryUsedKiB: number | undefined;
  readonly memoryKiB: number | undefined;
  readonly diskReadBps: number | undefined;
  readonly diskWriteBps: number | undefined;
  /** Disk read and write requests per second, summed over every disk. */
  readonly diskReadIops: number | undefined;
  readonly diskWriteIops: number | undefined;
  readonly netRxBps: number | undefined;
  readonly netTxBps: number | undefined;
}

/** Bytes per second as "0 B/s", "12.5 KiB/s", "3.1 MiB/s". */
export function formatRate(bps: number | undefined): string {
  if (bps === undefined || !Number.isFinite(bps)) return '—';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let v = Math.max(0, bps);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} ${units[0]}` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
