// Memory of a volume download to a slow destination: a raw sparse volume (default 2 GiB; the
// daemon sends the holes as zeros, so every byte crosses the connection) is downloaded through
// downloadTo() into a sink that takes BENCH_SINK_MIB_S MiB/s (default 64), while
// process.memoryUsage() is sampled every 5 ms. Reported: the peak of rss and of external memory
// (Buffers) above the baseline taken right before, after a full garbage collection. Without
// read-side flow control the process would hold most of the volume; with it, a few packets.
// The pool and volume are unique to the run and removed even when something fails.
//
//   node out/bench/transferMemory.js     (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Connection, type StoragePoolRef, type StorageVolRef } from '../src/libvirt/connection';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../src/libvirt/resources/operations';
import { downloadTo, type DownloadOptions } from '../src/libvirt/resources/transfer';

const MiB = 1024 * 1024;

/** A destination that accepts at most `bytesPerSecond` (each write completes when its share of time is up). */
export class SlowSink extends Writable {
  private start = 0;
  written = 0;

  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.written === 0) this.start = performance.now();
    this.written += chunk.length;
    const due = this.start + (this.written / this.bytesPerSecond) * 1000;
    setTimeout(cb, Math.max(0, due - performance.now()));
  }
}

/** Full garbage collection, for a baseline that does not count garbage of earlier work. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

export interface MemoryPeak {
  /** Highest rss minus the baseline rss, in bytes. */
  readonly rss: number;
  /** Highest external memory (Buffers, ArrayBuffers) minus the baseline, in bytes. */
  readonly external: number;
  /**
   * Highest external memory still referenced, minus the baseline: external memory includes
   * Buffers nobody holds any more until the garbage collector frees them, which V8 does only after
   * tens of MiB more (its external-memory soft limit is 64 MiB), so `external` also measures V8's
   * schedule. Whenever a sample exceeds the highest retained figure so far by 8 MiB, a collection
   * runs and the memory left after it counts.
   */
  readonly retainedExternal: number;
}

/** Runs `fn` while sampling process.memoryUsage() every 5 ms; peaks are over the baseline taken before. */
export async function peakMemoryDuring<T>(fn: () => Promise<T>): Promise<{ value: T; peak: MemoryPeak }> {
  collectGarbage();
  const base = process.memoryUsage();
  let rss = 0;
  let external = 0;
  let retainedExternal = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    external = Math.max(external, m.external - base.external);
    if (m.external - base.external > retainedExternal + 8 * MiB) {
      collectGarbage();
      retainedExternal = Math.max(retainedExternal, process.memoryUsage().external - base.external);
    }
  };
  const timer = setInterval(sample, 5);
  try {
    const value = await fn();
    sample();
    return { value, peak: { rss, external, retainedExternal } };
  } finally {
    clearInterval(timer);
  }
}

/** Downloads `vol` into a SlowSink of `bytesPerSecond` and reports the memory peak. */
export async function downloadMemoryPeak(
  conn: Connection,
  vol: StorageVolRef,
  bytesPerSecond: number,
  opts: DownloadOptions = {},
): Promise<{ bytes: number; seconds: number; peak: MemoryPeak }> {
  const sink = new SlowSink(bytesPerSecond);
  const t0 = performance.now();
  const { value, peak } = await peakMemoryDuring(() => downloadTo(conn, vol, sink, opts));
  if (sink.written !== value) throw new Error(`the sink got ${sink.written} bytes, the download reported ${value}`);
  return { bytes: value, seconds: (performance.now() - t0) / 1000, peak };
}

export interface DownloadMemoryBench {
  readonly bytes: number;
  readonly sinkMiBPerSecond: number;
  readonly seconds: number;
  readonly peak: MemoryPeak;
}

export async function benchDownloadMemory(
  uri: string,
  bytes = Number(process.env['BENCH_DOWNLOAD_BYTES'] ?? 2 * 1024 * MiB),
  sinkMiBPerSecond = Number(process.env['BENCH_SINK_MIB_S'] ?? 64),
): Promise<DownloadMemoryBench> {
  const conn = await Connection.open(uri);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-bench-dl-'));
  fs.chmodSync(dir, 0o755);
  let pool: StoragePoolRef | undefined;
  try {
    pool = await createPool(conn, { type: 'dir', name: `rtest-bench-dl-${process.pid}-${crypto.randomBytes(3).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    const { vol } = await createVolume(conn, pool, { name: 'sparse.raw', format: 'raw', capacity: bytes, allocation: 0 });
    const r = await downloadMemoryPeak(conn, vol, sinkMiBPerSecond * MiB, { expectedBytes: bytes });
    if (r.bytes !== bytes) throw new Error(`downloaded ${r.bytes} bytes, expected ${bytes}`);
    return { bytes, sinkMiBPerSecond, seconds: r.seconds, peak: r.peak };
  } finally {
    if (pool) {
      const p = pool;
      await listPoolVolumes(conn, p)
        .then(({ volumes }) => deletePool(conn, p, { deleteStorage: true, volumes }))
        .catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await conn.close();
  }
}

export function formatDownloadMemoryBench(b: DownloadMemoryBench): string {
  const mib = (x: number): string => `${(x / MiB).toFixed(1)} MiB`;
  return [
    `volume download, ${mib(b.bytes)} raw sparse volume into a sink of ${b.sinkMiBPerSecond} MiB/s:`,
    `  time:                                   ${b.seconds.toFixed(1)} s (${(b.bytes / MiB / b.seconds).toFixed(1)} MiB/s)`,
    `  peak rss above baseline:                ${mib(b.peak.rss)}`,
    `  peak external (Buffers) above baseline: ${mib(b.peak.external)}`,
    `  of it still held (after a collection):  ${mib(b.peak.retainedExternal)}`,
  ].join('\n');
}

if (require.main === module) {
  benchDownloadMemory(process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system').then(
    (b) => console.log(formatDownloadMemoryBench(b)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
