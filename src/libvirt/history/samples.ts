// What one stats refresh of a host measured: a rate sample per VM (from two consecutive bulk
// replies, domainPerf.ts) and the host's own CPU and memory (virNodeGetCPUStats and
// virNodeGetMemoryStats). The history recorder and the alerts read the same batches, so the
// host is sampled once per interval whoever listens.

import type { PerfSample } from '../perfSample';

/** One VM in one refresh. */
export interface VmReading {
  readonly uuid: string;
  readonly name: string;
  /** virDomainState of the reply. */
  readonly stateCode: number;
  /** Running or paused (has an id). */
  readonly active: boolean;
  /** Rates since the previous reading; undefined at the first reading after a start (or while off). */
  readonly sample: PerfSample | undefined;
}

/** The host's CPU and memory over the interval that ended at `at`. */
export interface HostSample {
  readonly at: number;
  /** Busy share of all host CPUs (0–100); undefined at the first reading. */
  readonly cpuPercent: number | undefined;
  readonly memoryUsedKiB: number | undefined;
  readonly memoryTotalKiB: number | undefined;
}

/** Everything one bulk refresh of one host measured. */
export interface SampleBatch {
  readonly connectionId: string;
  /** Wall-clock time of the reply (ms since the epoch). */
  readonly at: number;
  /** Every VM of the bulk reply, running or not. */
  readonly vms: readonly VmReading[];
  /** Undefined when the host refused the node statistics calls. */
  readonly host: HostSample | undefined;
}

/** The raw node counters of one refresh. */
export interface HostCounters {
  readonly at: number;
  /** virNodeGetCPUStats fields (ns), summed over all CPUs. */
  readonly cpu: Readonly<Record<string, number>> | undefined;
  /** virNodeGetMemoryStats fields (KiB). */
  readonly memory: Readonly<Record<string, number>> | undefined;
}

/** Busy share between two CPU counter readings: 1 − (idle + iowait) / total, as top(1) counts it. */
function hostCpuPercent(prev: Readonly<Record<string, number>>, next: Readonly<Record<string, number>>): number | undefined {
  const fields = ['kernel', 'user', 'idle', 'iowait'];
  if (!fields.every((f) => typeof prev[f] === 'number' && typeof next[f] === 'number')) {
    // Non-Linux drivers report other fields ("utilization" on some): take it when present.
    const u = next.utilization;
    return typeof u === 'number' ? Math.min(100, Math.max(0, u)) : undefined;
  }
  const d = (f: string): number => (next[f] ?? 0) - (prev[f] ?? 0);
  const total = d('kernel') + d('user') + d('idle') + d('iowait');
  if (!(total > 0) || fields.some((f) => d(f) < 0)) return undefined;
  return Math.min(100, Math.max(0, ((total - d('idle') - d('iowait')) / total) * 100));
}

/** The host sample of a reading, given the previous one (CPU is a rate; memory is a level). */
export function hostSample(prev: HostCounters | undefined, next: HostCounters): HostSample {
  const m = next.memory;
  const total = m?.total;
  const free = m?.free;
  // Buffers and page cache are given back on demand: "used" as free(1) reports it.
  const used = total !== undefined && free !== undefined ? Math.max(0, total - free - (m?.buffers ?? 0) - (m?.cached ?? 0)) : undefined;
  return {
    at: next.at,
    cpuPercent: prev?.cpu && next.cpu && next.at > prev.at ? hostCpuPercent(prev.cpu, next.cpu) : undefined,
    memoryUsedKiB: used,
    memoryTotalKiB: total,
  };
}
