// Scale: five connections with BENCH_DOMAINS (default 1000) VMs each in one tree, in a real VS Code.
// Each host is the daemon's test driver loaded from a generated file (`test+unix:///file.xml`: the
// real RPC path through libvirtd, with the driver's state private to each connection), half of its
// VMs running. Runs code-server through the host-test harness with bench/scaleBenchHost.ts, which
// saves the five connections, activates the extension and measures the time to every VM listed and
// the extension host's memory over its baseline. Targets: populated ≤ 1 s, ≤ 100 MiB over the baseline.
// A second part does the same over five connections to the running test daemons (their VMs already
// loaded, as a real host's are): the test driver re-parses its file at every open, which no real host does.
//
// Run by `npm run bench` (bench/main.ts, key `scale`) or alone: node out/bench/scaleBench.js

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { VirDomainStatsTypes } from '../src/libvirt/generated/libvirtConstants';
import { runHostTests } from '../test/vscode/harness/hostTests';
import { medianRun } from './rounds';
import type { ScaleBenchResult } from './scaleBenchHost';

export interface ScaleBenchReport {
  /** The round with the median time to every VM listed (its other figures are that round's). */
  readonly host: ScaleBenchResult;
  /** Every round's time to every VM listed. */
  readonly rounds: readonly number[];
  /** Outside VS Code: the five connections opened, listed and their bulk statistics read, in parallel (median of 3). */
  readonly floorMs: number;
  /**
   * The same tree over five connections to running daemons whose VMs are already loaded, as a real
   * host's are (the test driver above parses its whole file at every open, a cost real hosts do not
   * have): the QEMU driver of the test daemon over unix (read-write and read-only sockets), TCP and
   * SSH, and the second test daemon over TCP, each with its own BENCH_DOMAINS defined VMs.
   */
  readonly daemons?: { readonly host: ScaleBenchResult; readonly rounds: readonly number[]; readonly floorMs: number; readonly uris: readonly string[] };
}

export interface ScaleBenchOptions {
  readonly connections: number;
  readonly domains: number;
  /** Also measure five connections to the test daemons (needs scripts/testenv.sh's environment). */
  readonly daemons?: boolean;
  /** VS Code runs per part (a fresh VS Code each); the median is reported. Default 3. */
  readonly rounds?: number;
}

/** `rounds` runs of `run` (a fresh VS Code each): the median one (bench/rounds.ts), and every round's time. */
async function medianRound(rounds: number, run: () => Promise<ScaleBenchResult>): Promise<{ host: ScaleBenchResult; rounds: number[] }> {
  const all: ScaleBenchResult[] = [];
  for (let r = 0; r < Math.max(1, rounds); r++) all.push(await run());
  return { host: medianRun(all, (h) => h.populatedMs), rounds: all.map((h) => h.populatedMs) };
}

/** The five hosts as saved connections (ids scale-bench-<n>, autoconnect), read by bench/scaleBenchHost.ts. */
function connectionSettings(uris: readonly string[]): Record<string, unknown> {
  return { 'libvirtVms.connections': uris.map((uri, i) => ({ id: `scale-bench-${i}`, name: `Scale host ${i + 1}`, uri, autoconnect: true })) };
}

/** Every domain the daemon half defines is named `scalebench-<run>-<n>`. */
const DAEMON_PREFIX = 'scalebench-';

function tinyXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;
}

/** The five daemon URIs: four ways into the main test daemon, one into the second (see scripts/testenv.sh env). */
function daemonUris(): { uris: string[]; daemons: string[] } {
  const e = process.env;
  const main = e['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
  const socket = e['LIBVIRT_TEST_SOCKET'] ?? '/run/libvirt/libvirt-sock';
  const tcp = e['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509';
  const peer = e['LIBVIRT_TEST_PEER_URI'] ?? 'qemu+tcp://127.0.0.1:16510/system';
  const ssh = `qemu+ssh://${e['LIBVIRT_TEST_SSH_USER'] ?? 'root'}@${e['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1'}:${e['LIBVIRT_TEST_SSH_PORT'] ?? '2222'}/system?keyfile=${encodeURIComponent(e['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519')}&known_hosts=${encodeURIComponent(e['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts')}`;
  return {
    uris: [main, `qemu:///system?socket=${encodeURIComponent(`${socket}-ro`)}`, `qemu+tcp://${tcp}/system`, ssh, peer],
    daemons: [main, peer],
  };
}

async function undefineAll(conn: Connection, prefix: string): Promise<void> {
  const mine = (await conn.connectListAllDomains()).filter((d) => d.name.startsWith(prefix));
  await Promise.allSettled(mine.map((d) => conn.domainUndefine(d, 0)));
}

/**
 * Outside VS Code, the five opened, listed and their bulk statistics read in parallel, as the tree
 * does, with our client alone: the median of 3.
 */
async function measureFloor(uris: readonly string[]): Promise<number> {
  const floors: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await Promise.all(
      uris.map(async (uri) => {
        const conn = await Connection.open(uri);
        await Promise.all([conn.connectListAllDomains(), conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE | VirDomainStatsTypes.BALLOON | VirDomainStatsTypes.VCPU, 0)]);
        await conn.close();
      }),
    );
    floors.push(performance.now() - t0);
  }
  floors.sort((a, b) => a - b);
  return floors[1]!;
}

/** bench/scaleBenchHost.ts in a real VS Code with the URIs saved as connections; `prefix` names the VMs counted. */
async function runInVsCode(dir: string, uris: readonly string[], count: number, prefix: string): Promise<ScaleBenchResult> {
  const outFile = path.join(dir, 'result.json');
  const code = await runHostTests({
    testsModule: path.join(__dirname, 'scaleBenchHost'),
    timeoutMs: 10 * 60_000,
    env: {
      LIBVIRT_VMS_SCALE_BENCH_OUT: outFile,
      LIBVIRT_VMS_SCALE_BENCH_URIS: JSON.stringify(uris),
      LIBVIRT_VMS_SCALE_BENCH_COUNT: String(count),
      LIBVIRT_VMS_SCALE_BENCH_PREFIX: prefix,
    },
    userSettings: connectionSettings(uris),
  });
  if (code !== 0) throw new Error(`the extension host benchmark exited ${code}`);
  const r: unknown = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  if (!isResult(r)) throw new Error(`unexpected result in ${outFile}`);
  return r;
}

async function benchDaemons(domains: number, rounds: number): Promise<NonNullable<ScaleBenchReport['daemons']>> {
  const run = crypto.randomBytes(4).toString('hex');
  const prefix = `${DAEMON_PREFIX}${run}-`;
  const { uris, daemons } = daemonUris();
  const owners = await Promise.all(daemons.map((u) => Connection.open(u)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-daemons-'));
  try {
    // Leftovers of an interrupted run first (same prefix, another run id).
    await Promise.all(owners.map((c) => undefineAll(c, DAEMON_PREFIX)));
    await Promise.all(owners.map((c) => Promise.all(Array.from({ length: domains }, (_, i) => c.domainDefineXml(tinyXml(`${prefix}${i}`))))));
    const floorMs = await measureFloor(uris);
    const measured = await medianRound(rounds, () => runInVsCode(dir, uris, domains, prefix));
    return { ...measured, floorMs, uris: uris.map((u) => (u.includes('socket=') ? `${u.replace(/\?.*$/, '')} (read-only socket)` : u.replace(/\?.*$/, ''))) };
  } finally {
    await Promise.all(owners.map((c) => undefineAll(c, prefix)));
    await Promise.all(owners.map((c) => c.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A test driver host with `count` VMs named scale<host>-<n>, the odd ones shut off. */
export function scaleHostXml(host: number, count: number): string {
  const ns = 'http://libvirt.org/schemas/domain/test/1.0';
  const doms: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = i % 2 === 1 ? '<test:runstate>5</test:runstate>' : '';
    doms.push(`<domain type='test' xmlns:test='${ns}'><name>scale${host}-${i}</name><memory unit='MiB'>${256 + (i % 8) * 256}</memory><vcpu>${1 + (i % 4)}</vcpu><os><type>hvm</type></os>${off}</domain>`);
  }
  return `<node>\n${doms.join('\n')}\n</node>\n`;
}

function isResult(x: unknown): x is ScaleBenchResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r['populatedMs'] === 'number' && Array.isArray(r['perConnectionMs']) && typeof r['baseline'] === 'object';
}

export async function benchScale(opts: ScaleBenchOptions): Promise<ScaleBenchReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-'));
  try {
    // libvirtd (root) reads the files: they must be reachable.
    fs.chmodSync(dir, 0o755);
    const uris: string[] = [];
    for (let h = 0; h < opts.connections; h++) {
      const file = path.join(dir, `host${h}.xml`);
      fs.writeFileSync(file, scaleHostXml(h, opts.domains), { mode: 0o644 });
      uris.push(`test+unix://${file}`);
    }
    // The floor: what the daemon takes to open these hosts (the test driver parses its file then) and
    // answer the calls the tree makes, with our client alone.
    const floorMs = await measureFloor(uris);
    const rounds = opts.rounds ?? 3;
    const report: ScaleBenchReport = { ...(await medianRound(rounds, () => runInVsCode(dir, uris, opts.domains, 'scale'))), floorMs };
    return opts.daemons ? { ...report, daemons: await benchDaemons(opts.domains, rounds) } : report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatScaleBench(report: ScaleBenchReport): string {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const part = (title: string, r: ScaleBenchResult, rounds: readonly number[], floorMs: number): [string, string][] => [
    [`${r.connections} connections x ${r.vmsPerConnection} VMs ${title}; the median of ${rounds.length} rounds`, ''],
    ['activate()', ms(r.activateMs)],
    [`activate() call to all ${r.connections * r.vmsPerConnection} VMs listed (target 1 s)`, ms(r.populatedMs)],
    ['  each round', rounds.map((v) => v.toFixed(0)).join(', ') + ' ms'],
    ['  per connection, in the median round', r.perConnectionMs.map((v) => v.toFixed(0)).join(', ') + ' ms'],
    ['for comparison, outside VS Code: open + list + stats of the five, in parallel', ms(floorMs)],
    ['extension host rss: baseline, populated, over baseline (target 100 MiB)', `${r.baseline.rssMiB.toFixed(1)}, ${r.populated.rssMiB.toFixed(1)}, +${(r.populated.rssMiB - r.baseline.rssMiB).toFixed(1)} MiB`],
    ['extension host heap: baseline, populated, over baseline', `${r.baseline.heapUsedMiB.toFixed(1)}, ${r.populated.heapUsedMiB.toFixed(1)}, +${(r.populated.heapUsedMiB - r.baseline.heapUsedMiB).toFixed(1)} MiB`],
  ];
  const d = report.daemons;
  const rows = [
    ...part('(test driver over libvirtd), half running', report.host, report.rounds, report.floorMs),
    ...(d ? part(`on running daemons (${d.uris.join(', ')}), all shut off`, d.host, d.rounds, d.floorMs) : []),
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, v]) => `${l.padEnd(w)}  ${v}`.trimEnd()).join('\n');
}

if (require.main === module) {
  benchScale({ connections: 5, domains: Number(process.env['BENCH_DOMAINS'] ?? 1000), daemons: process.env['BENCH_SCALE_DAEMONS'] !== '0', rounds: Number(process.env['BENCH_TREE_ROUNDS'] ?? 3) }).then(
    (r) => {
      process.stdout.write(`${formatScaleBench(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`scale bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
