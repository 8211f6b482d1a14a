// The performance history's budget (issue 16): 1000 VMs sampled every 5 s.
//   record   CPU time of HostHistory.record per batch of 1000 VM samples (+ the host), as % of one
//            core at one batch per 5 s (block seals included)
//   write    the 5-minute flush: CPU and wall time of appending what changed in 5 minutes (60
//            batches); plus the whole rewrite (compaction) amortised over the appends between two
//   disk     the file with every tier full (1 h at 5 s, 24 h at 1 min, 7 days at 15 min, 90 days
//            at 2 h and at 12 h), per tier, and the bytes one 5-minute append adds; and the same
//            workload with the earlier default tiers (1 h at 5 s, 48 h at 1 min, 90 days at 15 min)
//   memory   the archive's bytes in the extension host per VM (blocks, accumulators, tables)
//   read     a 90-day range of one VM (what the details chart asks), and the dashboard's data of
//            every VM over each of its ranges (1 h, 24 h, 7 d, 90 d)
//   render   the Host Dashboard page (dist/webviews/hostDashboard.js, the shipped bundle) in
//            Chromium, given the data of those 1000 VMs: time from the data message to the cards
//            drawn (the page's own `shown` figure) and to the next frame
//
// The data. Two workloads:
//   - "typical": a third idle VMs (CPU about 1 %, no I/O), a third web servers, a third busy ones
//     with bursts; each metric follows a daily curve plus autocorrelated noise, as measured series
//     do. Every tier gets 2 to 3 raw samples per slot (a real 15-minute slot averages 180, which is
//     smoother still: so the figure is on the high side).
//   - "white noise": every slot one independent random sample in every metric (nothing real looks
//     like this; it is the format's worst case), measured on 100 VMs and scaled to 1000 (VMs are
//     stored independently, so the size is linear in their number).
// Run alone: node out/bench/historyBench.js

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_TIERS, HOST_METRICS, VM_METRICS, type Tier } from '../src/libvirt/history/archive';
import { HOST_SERIES_ID, HostHistory } from '../src/libvirt/history/hostHistory';
import { HistoryWriter, readHistoryFile } from '../src/libvirt/history/historyFile';
import type { SampleBatch, VmReading } from '../src/libvirt/history/samples';
import { dashboardData } from '../src/webviews/hostDashboard/data';

const VMS = Number(process.env['BENCH_HISTORY_VMS'] ?? 1000);
const NOISE_VMS = Math.min(VMS, 100);
const ROOT = path.resolve(__dirname, '..', '..');

export interface HistoryBenchResult {
  readonly vms: number;
  readonly recordUsPerBatch: number;
  readonly recordCorePercent: number;
  readonly appendCpuMs: number;
  readonly appendWallMs: number;
  readonly appendBytes: number;
  readonly rewriteCpuMs: number;
  readonly rewriteWallMs: number;
  readonly appendsPerRewrite: number;
  readonly writeCorePercent: number;
  readonly fileBytes: number;
  /** Bytes of each tier's block records (frames included), in tier order. */
  readonly tierBytes: number[];
  readonly noiseFileBytesScaled: number;
  /** The typical workload with the earlier default tiers (1 min × 48 h, 15 min × 90 d; 100 VMs, scaled). */
  readonly exampleFileBytesScaled: number;
  readonly memoryBytesPerVm: number;
  readonly read90dMs: number;
  /** Per range: the first read, and the same read again. */
  readonly dashboardMs: Record<'1h' | '24h' | '7d' | '90d', number[]>;
  readonly loadMs: number;
  readonly renderShownMs: number[];
  readonly renderFrameMs: number[];
}

/** A deterministic pseudo-random stream (the same data every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const uuidOf = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** The typical mix: daily curves plus autocorrelated noise (an AR(1) process per VM). */
export function typicalBatcher(vms: number): (at: number) => SampleBatch {
  const rand = rng(42);
  const readings: VmReading[] = Array.from({ length: vms }, (_, i) => ({ uuid: uuidOf(i), name: `hst-bench-${i}`, stateCode: 1, active: true, sample: undefined }));
  const noise = new Float64Array(vms);
  const scale = Array.from({ length: vms }, () => 0.5 + rand());
  return (at) => {
    const day = Math.sin((2 * Math.PI * (at % 86_400_000)) / 86_400_000); // −1..1 over a day
    const list = readings.map((r, i) => {
      const kind = i % 3;
      noise[i] = 0.9 * noise[i] + 0.2 * (rand() - 0.5); // about ±0.25
      const n = noise[i];
      const burst = kind === 2 && rand() < 0.1;
      const cpu = kind === 0 ? 1 + n : kind === 1 ? scale[i] * (15 + 8 * day) * (1 + n) : burst ? 95 : scale[i] * (50 + 15 * day) * (1 + n);
      const io = kind === 0 ? 0 : scale[i] * (kind === 1 ? 2e5 : 5e7) * (1 + 0.6 * day) * (1 + 2 * n) * (burst ? 3 : 1);
      return {
        ...r,
        sample: {
          at,
          cpuPercent: Math.max(0, cpu),
          memoryUsedKiB: kind === 0 ? 1_048_576 : Math.round(1_048_576 * scale[i] * (1.2 + 0.1 * day + 0.05 * n)),
          memoryKiB: 4_194_304,
          diskReadBps: Math.max(0, io),
          diskWriteBps: Math.max(0, io / 2),
          diskReadIops: Math.max(0, io / 4096),
          diskWriteIops: Math.max(0, io / 8192),
          netRxBps: Math.max(0, io / 3),
          netTxBps: Math.max(0, io / 5),
        },
      };
    });
    return { connectionId: 'bench', at, vms: list, host: { at, cpuPercent: 35 + 10 * day + rand() * 5, memoryUsedKiB: 8e6, memoryTotalKiB: 16e6 } };
  };
}

/** The worst case: every sample independent uniform noise (the benchmark's data before format 2). */
export function noiseBatcher(vms: number): (at: number) => SampleBatch {
  const rand = rng(7);
  const readings: VmReading[] = Array.from({ length: vms }, (_, i) => ({ uuid: uuidOf(i), name: `hst-bench-${i}`, stateCode: 1, active: true, sample: undefined }));
  return (at) => {
    const list = readings.map((r, i) => {
      const kind = i % 3;
      const noise = rand();
      const cpu = kind === 0 ? 0.5 + noise : kind === 1 ? 10 + noise * 20 : noise < 0.1 ? 95 : 40 + noise * 30;
      const io = kind === 0 ? 0 : Math.round(noise * (kind === 1 ? 2e5 : 5e7));
      return {
        ...r,
        sample: { at, cpuPercent: cpu, memoryUsedKiB: 1_048_576 + (kind === 0 ? 0 : Math.round(noise * 65536)), memoryKiB: 2_097_152, diskReadBps: io, diskWriteBps: io / 2, diskReadIops: io / 4096, diskWriteIops: io / 8192, netRxBps: io / 3, netTxBps: io / 5 },
      };
    });
    return { connectionId: 'bench', at, vms: list, host: { at, cpuPercent: 35 + rand() * 10, memoryUsedKiB: 8e6, memoryTotalKiB: 16e6 } };
  };
}

/**
 * Fills every tier up to `end` with `perSlot[k]` samples per slot of tier k, each tier over its own
 * window only: a ring's final content depends only on the samples inside its window, so this is
 * the state a history recording at that rate would reach, without feeding the 5 s tier 90 days of
 * sparse samples (which would seal a block at nearly every one).
 */
export function fill(h: HostHistory, batchAt: (at: number) => SampleBatch, end: number, perSlot: readonly number[], tiers: readonly Tier[] = DEFAULT_TIERS): void {
  const vm = new Float64Array(VM_METRICS.length);
  const host = new Float64Array(HOST_METRICS.length);
  const nan = (v: number | undefined): number => (v === undefined ? NaN : v);
  for (let k = tiers.length - 1; k >= 0; k--) {
    const tier = tiers[k];
    const step = tier.stepMs / perSlot[k];
    for (let t = end - tier.stepMs * tier.slots; t < end; t += step) {
      const b = batchAt(t);
      if (b.host) {
        host[0] = nan(b.host.cpuPercent);
        host[1] = nan(b.host.memoryUsedKiB);
        host[2] = nan(b.host.memoryTotalKiB);
        const s = h.series(HOST_SERIES_ID, 'host', '');
        s.rings[k].add(t, host);
        s.lastAt = Math.max(s.lastAt, t);
      }
      for (const r of b.vms) {
        const x = r.sample!;
        vm[0] = nan(x.cpuPercent);
        vm[1] = nan(x.memoryUsedKiB);
        vm[2] = nan(x.diskReadBps);
        vm[3] = nan(x.diskWriteBps);
        vm[4] = nan(x.diskReadIops);
        vm[5] = nan(x.diskWriteIops);
        vm[6] = nan(x.netRxBps);
        vm[7] = nan(x.netTxBps);
        const s = h.series(r.uuid, 'vm', r.name);
        s.rings[k].add(t, vm);
        s.lastAt = Math.max(s.lastAt, t);
      }
    }
  }
}

async function renderInChromium(data: ReturnType<typeof dashboardData>, runs: number): Promise<{ shown: number[]; frame: number[] }> {
  const bundle = path.join(ROOT, 'dist', 'webviews', 'hostDashboard.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run node esbuild.mjs`);
  const css = fs.readFileSync(path.join(ROOT, 'media', 'hostDashboard.css'));
  const page = `<!DOCTYPE html><html><head><link rel="stylesheet" href="/d.css"></head><body><div id="root"></div>
<script>
window.__posted = [];
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
</script><script type="module" src="/d.js"></script></body></html>`;
  const server = http.createServer((req, res) => {
    if (req.url === '/d.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(bundle));
    else if (req.url === '/d.css') res.writeHead(200, { 'content-type': 'text/css' }).end(css);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const { launchChromium } = await import('../test/vscode/harness/browser');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hst-bench-chromium-'));
  const browser = await launchChromium({ XDG_CONFIG_HOME: tmp, XDG_CACHE_HOME: tmp, HOME: tmp });
  const shown: number[] = [];
  const frame: number[] = [];
  try {
    const payload = JSON.stringify({ type: 'data', data });
    for (let i = 0; i < runs; i++) {
      const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await p.goto(`http://127.0.0.1:${port}/`);
      await p.waitForFunction('window.__posted.some((m) => m.type === "ready")');
      // Browser code as text: it runs in the page, not in this (CommonJS) module.
      const r = (await p.evaluate(`new Promise((resolve) => {
        const t0 = performance.now();
        window.postMessage(JSON.parse(${JSON.stringify(payload)}), '*');
        const wait = () => {
          const s = window.__posted.find((m) => m.type === 'shown');
          if (s) resolve({ shown: s.ms, frame: performance.now() - t0 });
          else requestAnimationFrame(wait);
        };
        wait();
      })`)) as { shown: number; frame: number };
      const cards = await p.locator('#cards .card').count();
      if (cards !== data.vms.length) throw new Error(`the page drew ${cards} cards of ${data.vms.length}`);
      shown.push(r.shown);
      frame.push(r.frame);
      await p.close();
    }
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { shown, frame };
}

const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
}

export async function benchHistory(vms = VMS, renderRuns = 3): Promise<HistoryBenchResult> {
  const end = Date.UTC(2026, 0, 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hst-bench-history-'));
  try {
    // The worst case first (100 VMs, scaled), so its memory is gone before the typical run.
    const noise = new HostHistory();
    fill(noise, noiseBatcher(NOISE_VMS), end, [1, 1, 1, 1, 1]);
    const noiseFile = path.join(dir, 'noise.lvh');
    const noiseBytes = (await new HistoryWriter(noiseFile).write(noise)).size;
    fs.rmSync(noiseFile);
    // The earlier default tiers: the same typical workload.
    const exampleTiers: Tier[] = [
      { stepMs: 5_000, slots: 720 },
      { stepMs: 60_000, slots: 2880 },
      { stepMs: 900_000, slots: 8640 },
    ];
    const example = new HostHistory(exampleTiers);
    fill(example, typicalBatcher(NOISE_VMS), end, [3, 3, 2], exampleTiers);
    const exampleFile = path.join(dir, 'example.lvh');
    const exampleBytes = (await new HistoryWriter(exampleFile).write(example)).size;
    fs.rmSync(exampleFile);

    const batchAt = typicalBatcher(vms);
    const h = new HostHistory();
    fill(h, batchAt, end, [3, 3, 2, 2, 2]);
    const tierBytes = h.tiers.map((_, t) => {
      let n = 0;
      for (const s of h.all()) for (const b of s.rings[t].windowBlocks()) n += b.bytes().packed.length + 19;
      return n;
    });
    const file = path.join(dir, 'bench.lvh');
    const writer = new HistoryWriter(file);
    const rewrite = await timed(() => writer.write(h));
    const fileBytes = rewrite.value.size;
    // The record path at 5 s: CPU time per batch over 5 minutes, then that flush's append.
    const batches = Array.from({ length: 60 }, (_, i) => batchAt(end + i * 5000));
    const recordMs = cpuMs(() => {
      for (const b of batches) h.record(b);
    });
    const append = await timed(() => writer.write(h));
    if (append.value.mode !== 'append') throw new Error(`the 5-minute flush was a ${append.value.mode}`);
    // A rewrite happens when the dead records outweigh the live ones by 4 MiB + the live size.
    const appendsPerRewrite = Math.max(1, Math.floor((fileBytes + (4 << 20)) / append.value.written));
    const recordUs = (recordMs * 1000) / batches.length;
    const now = end + 60 * 5000;
    const memoryBytes = h.all().reduce((n, s) => n + s.memoryBytes, 0);
    const loaded = await timed(() => readHistoryFile(file, h.tiers));
    const first = h.all().find((s) => s.kind === 'vm' && s.id.endsWith('2'))!;
    const t90 = performance.now();
    first.range(now - 90 * 86_400_000, now, now);
    const read90dMs = performance.now() - t90;
    const list = h
      .all()
      .filter((s) => s.kind === 'vm')
      .map((s) => ({ uuid: s.id, name: s.name, tags: [], state: 'running' as const }));
    // Each range read first from the packed blocks, then again (the panel refreshes every 5 s or
    // every minute: the history's block cache has the sealed blocks unpacked by then).
    const dashboardMs = { '1h': [0, 0], '24h': [0, 0], '7d': [0, 0], '90d': [0, 0] };
    for (const range of ['1h', '24h', '7d', '90d'] as const) {
      for (let k = 0; k < 2; k++) {
        const d0 = performance.now();
        dashboardData(h, list, range, now, true);
        dashboardMs[range][k] = performance.now() - d0;
      }
    }
    const data = dashboardData(h, list, '1h', now, true);
    const render = await renderInChromium(data, renderRuns);
    return {
      vms,
      recordUsPerBatch: recordUs,
      recordCorePercent: (recordUs / 1000 / 5000) * 100,
      appendCpuMs: append.cpuMs,
      appendWallMs: append.wallMs,
      appendBytes: append.value.written,
      rewriteCpuMs: rewrite.cpuMs,
      rewriteWallMs: rewrite.wallMs,
      appendsPerRewrite,
      writeCorePercent: ((append.cpuMs + rewrite.cpuMs / appendsPerRewrite) / 300_000) * 100,
      fileBytes,
      tierBytes,
      noiseFileBytesScaled: (noiseBytes * vms) / NOISE_VMS,
      exampleFileBytesScaled: (exampleBytes * vms) / NOISE_VMS,
      memoryBytesPerVm: memoryBytes / vms,
      read90dMs,
      dashboardMs,
      loadMs: loaded.wallMs,
      renderShownMs: render.shown,
      renderFrameMs: render.frame,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

export function formatHistoryBench(r: HistoryBenchResult): string {
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return [
    `${r.vms} VMs sampled every 5 s (budget: ≤ 2 % of one core, ≤ 50 MB for 90 days, 1000 sparklines ≤ 500 ms)`,
    `  record per batch:          ${r.recordUsPerBatch.toFixed(0)} µs CPU = ${r.recordCorePercent.toFixed(3)} % of one core`,
    `  5-minute append:           ${mb(r.appendBytes)} in ${r.appendCpuMs.toFixed(0)} ms CPU (${r.appendWallMs.toFixed(0)} ms wall)`,
    `  whole rewrite:             ${r.rewriteCpuMs.toFixed(0)} ms CPU (${r.rewriteWallMs.toFixed(0)} ms wall), once per ${r.appendsPerRewrite} appends`,
    `  writes amortised:          ${r.writeCorePercent.toFixed(3)} % of one core`,
    `  together:                  ${(r.recordCorePercent + r.writeCorePercent).toFixed(3)} % of one core`,
    `  disk, every tier full:     ${mb(r.fileBytes)} typical workload; ${mb(r.noiseFileBytesScaled)} white noise (worst case, 100 VMs × ${r.vms / 100})`,
    `  disk per tier (typical):   ${r.tierBytes.map(mb).join(', ')}`,
    `  disk, earlier tiers:       ${mb(r.exampleFileBytesScaled)} typical workload with 5 s × 1 h, 1 min × 48 h, 15 min × 90 d (100 VMs × ${r.vms / 100})`,
    `  memory per VM:             ${(r.memoryBytesPerVm / 1024).toFixed(1)} KiB (${mb(r.memoryBytesPerVm * r.vms)} for ${r.vms})`,
    `  reads:                     one VM's 90 days ${r.read90dMs.toFixed(1)} ms; dashboard data (first, again) ${Object.entries(r.dashboardMs)
      .map(([k, v]) => `${k} ${v.map((x) => x.toFixed(0)).join('/')} ms`)
      .join(', ')}; loading the file ${r.loadMs.toFixed(0)} ms`,
    `  dashboard render, ${r.vms} sparkline cards: drawn in ${med(r.renderShownMs)} ms (median of ${r.renderShownMs.join(', ')}), to next frame ${med(r.renderFrameMs).toFixed(0)} ms`,
  ].join('\n');
}

if (require.main === module) {
  benchHistory()
    .then((r) => console.log(formatHistoryBench(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
