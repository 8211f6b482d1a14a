// Time to a usable SSH connection (qemu+ssh:// to the test sshd, the RPC channel through
// virt-ssh-helper): connect + authentication, then the exec channel + libvirt's handshake, then the
// first call's reply, each a fresh SSH connection, median of BENCH_RUNS. Measured three ways:
//   - in plain Node, our tsc output (ssh2 from node_modules, with its optional native crypto helper
//     when it was built there)
//   - in plain Node, the code bundled and minified as the extension ships it (esbuild, the helper
//     and cpu-features external and absent, as in dist/: ssh2's pure-JS cipher path)
//   - in a real VS Code extension host (code-server), through the extension itself: a saved SSH
//     connection connected RUNS times (bench/sshConnectHost.ts)
// The first two run bench/sshConnectChild.ts as child processes, so each starts cold.
//
// Run by `npm run bench` (bench/main.ts, key `ssh`) or alone: node out/bench/sshConnect.js

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runHostTests } from '../test/vscode/harness/hostTests';
import { bundleForBench } from './bundle';
import type { SshConnectHostResult } from './sshConnectHost';
import { testSshUri, timeSshConnect, type SshConnectRun } from './sshConnectChild';

export interface SshConnectReport {
  readonly target: string;
  readonly unbundled: readonly SshConnectRun[];
  readonly bundled: readonly SshConnectRun[];
  /** Whether ssh2's native helper loaded in the unbundled run (it never does in the bundle). */
  readonly nativeHelperUnbundled: boolean;
  readonly host?: SshConnectHostResult;
  readonly hostError?: string;
}

function runChild(script: string, runs: number): Promise<{ runs: SshConnectRun[]; nativeHelper: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, String(runs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.once('error', reject);
    p.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as { runs: SshConnectRun[]; nativeHelper: boolean });
      } catch {
        reject(new Error(`${script} printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

function isHostResult(x: unknown): x is SshConnectHostResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return Array.isArray(r['connectMs']) && typeof r['sshAuthSock'] === 'boolean';
}

async function inExtensionHost(uri: string, runs: number, dir: string): Promise<SshConnectHostResult> {
  const outFile = path.join(dir, 'host.json');
  const code = await runHostTests({
    testsModule: path.join(__dirname, 'sshConnectHost'),
    timeoutMs: 5 * 60_000,
    env: { LIBVIRT_VMS_SSH_BENCH_OUT: outFile, LIBVIRT_VMS_SSH_BENCH_RUNS: String(runs), LIBVIRT_VMS_SSH_BENCH_PROFILE: process.env['LIBVIRT_VMS_SSH_BENCH_PROFILE'] ?? '' },
    userSettings: { 'libvirtVms.connections': [{ id: 'ssh-bench', name: 'SSH bench', uri, autoconnect: false }] },
  });
  if (code !== 0) throw new Error(`the extension host benchmark exited ${code}`);
  const r: unknown = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  if (!isHostResult(r)) throw new Error(`unexpected result in ${outFile}`);
  return r;
}

export async function benchSshConnect(opts: { runs: number; extensionHost: boolean }): Promise<SshConnectReport> {
  const uri = testSshUri();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-bench-'));
  try {
    const bundle = bundleForBench('sshConnectChild', path.join(dir, 'sshConnectChild.bundle.js'));
    // One untimed connection warms the sshd and the page cache.
    await timeSshConnect(uri);
    const unbundled = await runChild(path.join(__dirname, 'sshConnectChild.js'), opts.runs);
    const bundled = await runChild(bundle, opts.runs);
    const report: SshConnectReport = { target: uri.replace(/\?.*$/, ''), unbundled: unbundled.runs, bundled: bundled.runs, nativeHelperUnbundled: unbundled.nativeHelper };
    if (!opts.extensionHost) return report;
    try {
      return { ...report, host: await inExtensionHost(uri, opts.runs, dir) };
    } catch (e) {
      return { ...report, hostError: e instanceof Error ? e.message : String(e) };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function formatSshConnectBench(r: SshConnectReport): string {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const steps = (label: string, runs: readonly SshConnectRun[]): [string, string][] => [
    [`${label}: connect + auth`, ms(median(runs.map((x) => x.authMs)))],
    ['  then exec channel + libvirt handshake', ms(median(runs.map((x) => x.openMs)))],
    ['  then first call reply (connectGetHostname)', ms(median(runs.map((x) => x.callMs)))],
    ['  total, connect to first reply', ms(median(runs.map((x) => x.totalMs)))],
  ];
  const rows: [string, string][] = [
    ...steps(`plain Node, tsc output (ssh2's native helper ${r.nativeHelperUnbundled ? 'loaded' : 'absent'})`, r.unbundled),
    ...steps('plain Node, bundled as shipped (no native helper)', r.bundled),
  ];
  if (r.host) {
    rows.push([`VS Code extension host, the extension's saved connection: connect() to connected (${r.host.sshAuthSock ? 'SSH_AUTH_SOCK set' : 'no agent'})`, ms(median(r.host.connectMs))]);
    rows.push(['  each run', r.host.connectMs.map((v) => v.toFixed(0)).join(', ') + ' ms']);
  } else if (r.hostError) {
    rows.push(['VS Code extension host', `FAILED: ${r.hostError}`]);
  }
  const w = Math.max(...rows.map(([l]) => l.length));
  return [`${r.target}, median of ${r.unbundled.length} fresh connections`, ...rows.map(([l, v]) => `${l.padEnd(w)}  ${v.padStart(10)}`)].join('\n');
}

if (require.main === module) {
  const runs = Number(process.env['BENCH_RUNS'] ?? 5);
  benchSshConnect({ runs, extensionHost: process.env['BENCH_SSH_HOST'] !== '0' }).then(
      (r) => {
        process.stdout.write(`${formatSshConnectBench(r)}\n`);
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`ssh bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exit(1);
      },
    );
}
