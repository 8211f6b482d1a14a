// The tree at scale, in a real VS Code: with BENCH_DOMAINS (default 1000) defined VMs, the time from
// activation to a fully populated tree, the time from `virsh start` to the tree item's new state,
// and the extension host's memory. Defines small inactive TCG domains through our client
// (pipelined), runs code-server + Chromium through the host-test harness with bench/treeBenchHost.ts
// as the extension tests module (it measures inside the extension host and writes JSON), and for
// comparison times `virsh list --all` over the same domains. Removes its domains even when
// something fails, and domains left by an interrupted run (same name prefix) before it starts.
//
// Run by `npm run bench` (bench/main.ts) or alone: node out/bench/treeBench.js

import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection, type DomainRef } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../src/libvirt/generated/libvirtConstants';
import { runHostTests } from '../test/vscode/harness/hostTests';
import { medianRun } from './rounds';
import type { TreeBenchResult } from './treeBenchHost';

/** Every domain this benchmark defines is named `treebench-<run>-<n>`. */
export const TREE_BENCH_PREFIX = 'treebench-';

export interface TreeBenchOptions {
  readonly uri: string;
  readonly domains: number;
  /** `virsh list --all` repetitions (median reported). */
  readonly runs: number;
  /**
   * Rounds of a first run (new VS Code profile) and a later run (the same profile again), each
   * round with a profile of its own; the figures are those of the first and of the later run with
   * the median time to the populated tree (bench/rounds.ts).
   */
  readonly rounds: number;
}

export interface TreeBenchReport {
  readonly domains: number;
  readonly leftoversRemoved: number;
  readonly defineMs: number;
  readonly virshListMs: readonly number[];
  /** A new VS Code profile: no saved connection, no code cache (the round with the median time to the populated tree). */
  readonly first: TreeBenchResult;
  /** The same profile again: the saved connection and the code cache of the first run (the median round). */
  readonly later: TreeBenchResult;
  /** Each round's time from activate() to the populated tree: first runs, later runs. */
  readonly populatedRounds: { readonly first: readonly number[]; readonly later: readonly number[] };
}

function tinyXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;
}

function execTimed(cmd: string, args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr.trim()}`));
      else resolve({ ms, stdout });
    });
  });
}

/** Destroys (if running) and undefines, all pipelined; resolves with the number that failed. */
async function removeAll(conn: Connection, doms: readonly DomainRef[]): Promise<number> {
  const results = await Promise.allSettled(
    doms.map(async (d) => {
      if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE);
    }),
  );
  return results.filter((r) => r.status === 'rejected').length;
}

function isTreeBenchResult(x: unknown): x is TreeBenchResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return ['activateMs', 'populatedMs', 'startToTreeMs', 'eventToTreeMs', 'vmChildren'].every((k) => typeof r[k] === 'number') && typeof r['memoryPopulated'] === 'object';
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function benchTree(opts: TreeBenchOptions): Promise<TreeBenchReport> {
  const runId = crypto.randomBytes(4).toString('hex');
  const prefix = `${TREE_BENCH_PREFIX}${runId}-`;
  const names = Array.from({ length: opts.domains }, (_, i) => `${prefix}${i}`);
  const conn = await Connection.open(opts.uri);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-bench-'));
  const outFile = path.join(outDir, 'result.json');
  try {
    const leftovers = (await conn.connectListAllDomains()).filter((d) => d.name.startsWith(TREE_BENCH_PREFIX));
    await removeAll(conn, leftovers);
    const t0 = performance.now();
    await Promise.all(names.map((n) => conn.domainDefineXml(tinyXml(n))));
    const defineMs = performance.now() - t0;

    await execTimed('virsh', ['-c', opts.uri, 'list', '--all']); // warm-up
    const virshListMs: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = await execTimed('virsh', ['-c', opts.uri, 'list', '--all']);
      const seen = r.stdout.split('\n').filter((l) => l.includes(prefix)).length;
      if (seen !== opts.domains) throw new Error(`virsh list --all showed ${seen} of ${opts.domains} benchmark domains`);
      virshListMs.push(r.ms);
    }

    const hostRun = async (stateDir: string, startName: string, cacheDir: string | undefined): Promise<TreeBenchResult> => {
      fs.rmSync(outFile, { force: true });
      const code = await runHostTests({
        testsModule: path.join(__dirname, 'treeBenchHost'),
        timeoutMs: 10 * 60_000,
        stateDir,
        env: {
          LIBVIRT_TEST_URI: opts.uri,
          LIBVIRT_VMS_TREE_BENCH_OUT: outFile,
          LIBVIRT_VMS_TREE_BENCH_PREFIX: prefix,
          LIBVIRT_VMS_TREE_BENCH_COUNT: String(opts.domains),
          LIBVIRT_VMS_TREE_BENCH_START: startName,
          ...(cacheDir ? { LIBVIRT_VMS_TREE_BENCH_CACHE_DIR: cacheDir } : {}),
        },
      });
      if (code !== 0) throw new Error(`the extension host benchmark exited ${code}`);
      const host: unknown = JSON.parse(fs.readFileSync(outFile, 'utf8'));
      if (!isTreeBenchResult(host)) throw new Error(`unexpected result in ${outFile}`);
      // The next run expects every benchmark VM shut off.
      await conn.domainDestroy(await conn.domainLookupByName(startName));
      return host;
    };
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { publisher: string; name: string };
    const firsts: TreeBenchResult[] = [];
    const laters: TreeBenchResult[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const stateDir = path.join(outDir, `vscode-state-${r}`);
      const globalStorage = path.join(stateDir, 'user-data', 'User', 'globalStorage', `${manifest.publisher}.${manifest.name}`);
      // Each run starts a VM of its own (from the middle of the list on).
      const mid = Math.floor(names.length / 2);
      firsts.push(await hostRun(stateDir, names[mid + 2 * r]!, globalStorage));
      laters.push(await hostRun(stateDir, names[mid + 2 * r + 1]!, undefined));
    }
    const first = medianRun(firsts, (h) => h.populatedMs);
    const later = medianRun(laters, (h) => h.populatedMs);
    const populatedRounds = { first: firsts.map((h) => h.populatedMs), later: laters.map((h) => h.populatedMs) };
    return { domains: opts.domains, leftoversRemoved: leftovers.length, defineMs, virshListMs, first, later, populatedRounds };
  } finally {
    const t = performance.now();
    const mine = (await conn.connectListAllDomains()).filter((d) => d.name.startsWith(prefix));
    await removeAll(conn, mine);
    process.stdout.write(`[tree bench] removed ${mine.length} domains in ${(performance.now() - t).toFixed(0)} ms\n`);
    await conn.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

export function formatTreeBench(r: TreeBenchReport): string {
  const both = (f: (h: TreeBenchResult) => string): string => `${f(r.first).padStart(10)}  ${f(r.later).padStart(10)}`;
  const rows: [string, string][] = [
    [`define ${r.domains} domains, pipelined (setup${r.leftoversRemoved ? `; ${r.leftoversRemoved} leftovers removed` : ''})`, ms(r.defineMs)],
    [`median round of ${r.populatedRounds.first.length}`, `${'first run'.padStart(10)}  ${'later run'.padStart(10)}`],
    [`VMs listed under the connection node`, both((h) => String(h.vmChildren))],
    [`extension host up at activate() (s)`, both((h) => `${(h.hostUptimeMs / 1000).toFixed(1)}${h.alreadyActive ? ' (active)' : ''}`)],
    ['activate()', both((h) => ms(h.activateMs))],
    ['activate() call to connection connected', both((h) => ms(h.connectedMs))],
    [`activate() call to all ${r.first.benchVms} VMs in the tree (target 300 ms)`, both((h) => ms(h.populatedMs))],
    ['  each round', `${r.populatedRounds.first.map((v) => v.toFixed(0)).join(', ')} | ${r.populatedRounds.later.map((v) => v.toFixed(0)).join(', ')} ms`],
    ['virsh start: process spawn to exit', both((h) => ms(h.virshStartExitMs))],
    ['virsh start: spawn to tree item "running"', both((h) => ms(h.startToTreeMs))],
    ['virsh start: STARTED event arrival to tree item "running"', both((h) => ms(h.eventToTreeMs))],
    ['extension host memory before activate(), rss MiB', both((h) => h.memoryBeforeActivate.rssMiB.toFixed(1))],
    ['  young generation before activate(): semi-space / free MiB', both((h) => `${h.youngGenerationBeforeActivate.semiSpaceMiB.toFixed(1)} / ${h.youngGenerationBeforeActivate.freeMiB.toFixed(1)}`)],
    ['extension host memory, tree populated, rss MiB', both((h) => h.memoryPopulated.rssMiB.toFixed(1))],
    ['  heap MiB', both((h) => h.memoryPopulated.heapUsedMiB.toFixed(1))],
    ['extension host memory, after the start, rss MiB', both((h) => h.memoryAfterStart.rssMiB.toFixed(1))],
    ['code cache written by the first run', r.first.codeCacheWritten === true ? 'yes' : 'NO'],
    [`for comparison: virsh list --all, median of ${r.virshListMs.length}`, ms(median(r.virshListMs))],
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  const notes = [r.first, r.later].some((h) => h.eventToTreeMs < 0) ? ['(a negative event-to-tree time: the item changed before a second client of the daemon received the event)'] : [];
  return [...rows.map(([l, v]) => `${l.padEnd(w)}  ${v}`), ...notes].join('\n');
}

if (require.main === module) {
  benchTree({
    uri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system',
    domains: Number(process.env['BENCH_DOMAINS'] ?? 1000),
    runs: Number(process.env['BENCH_RUNS'] ?? 5),
    rounds: Number(process.env['BENCH_TREE_ROUNDS'] ?? 3),
  }).then(
    (r) => {
      process.stdout.write(`${formatTreeBench(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`tree bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
