// The extension-host half of the tree benchmark (bench/treeBench.ts): loaded as the
// extensionTestsPath module of a real VS Code (code-server), so every time and memory figure is
// taken inside the extension host itself. Measures activate(), the time until the local
// connection's node lists every benchmark VM, the time from `virsh start <vm>` to the tree item
// reporting "running", and process.memoryUsage(). Writes the figures as JSON to
// LIBVIRT_VMS_TREE_BENCH_OUT; any failure rejects run(), which the driver sees as a non-zero exit.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../src/extension';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const POLL_MS = 5;
/** The group rows after the VMs under a connection node. */
const GROUPS: readonly string[] = ['Networks', 'Storage Pools', 'Host Devices'];

export interface MemorySample {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** What the extension host reports back (JSON). */
export interface TreeBenchResult {
  /** VMs the connection node listed once populated (benchmark VMs plus any others on the host). */
  readonly vmChildren: number;
  readonly benchVms: number;
  /** The extension was already active when the benchmark module ran (activateMs is then ~0). */
  readonly alreadyActive: boolean;
  /** Extension host process uptime when activate() was called. */
  readonly hostUptimeMs: number;
  /** ext.activate(): loading dist/extension.js and running activate(). */
  readonly activateMs: number;
  /** From the activate() call until the local connection is connected. */
  readonly connectedMs: number;
  /** From the activate() call until the connection node lists every benchmark VM with its state. */
  readonly populatedMs: number;
  /** From spawning `virsh start` until it exited. */
  readonly virshStartExitMs: number;
  /** From spawning `virsh start` until the tree item's contextValue says running. */
  readonly startToTreeMs: number;
  readonly memoryBeforeActivate: MemorySample;
  readonly memoryPopulated: MemorySample;
  readonly memoryAfterStart: MemorySample;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bench/treeBench.ts sets it)`);
  return v;
}

function memory(): MemorySample {
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 1048576, heapUsedMiB: m.heapUsed / 1048576 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function poll<T>(what: string, timeoutMs: number, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

function virsh(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('virsh', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`virsh ${args.join(' ')}: ${err.message} ${stderr.trim()}`));
      else resolve();
    });
  });
}

export async function run(): Promise<void> {
  const outFile = env('LIBVIRT_VMS_TREE_BENCH_OUT');
  const prefix = env('LIBVIRT_VMS_TREE_BENCH_PREFIX');
  const count = Number(env('LIBVIRT_VMS_TREE_BENCH_COUNT'));
  const startName = env('LIBVIRT_VMS_TREE_BENCH_START');
  const uri = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  const alreadyActive = ext.isActive;
  const memoryBeforeActivate = memory();
  const hostUptimeMs = process.uptime() * 1000;
  const t0 = performance.now();
  const api = await ext.activate();
  const activateMs = performance.now() - t0;
  // Showing the view is what connects the autoconnect connection (the user opening the sidebar).
  await vscode.commands.executeCommand('libvirtVms.machines.focus');

  const local = await poll('the local connection', 30_000, () => api.connections.list().find((e) => e.config.uri === uri));
  const id = local.config.id;
  await poll('connected', 60_000, () => (api.tree.connectionState(id) === 'connected' ? true : undefined));
  const connectedMs = performance.now() - t0;
  const labels = await poll(`${count} VMs under the connection`, 300_000, async () => {
    const l = await api.tree.connectionChildren(id);
    return l.filter((x) => x.startsWith(prefix)).length >= count ? l : undefined;
  });
  const populatedMs = performance.now() - t0;
  const memoryPopulated = memory();
  const benchLabels = labels.filter((x) => x.startsWith(prefix));
  for (const name of benchLabels) {
    const ctx = api.tree.vmItem(id, name)?.contextValue ?? '';
    if (!/^vm\.shutoff\.noautostart$/.test(ctx)) throw new Error(`${name} shows contextValue "${ctx}", expected vm.shutoff.noautostart`);
  }

  const s0 = performance.now();
  let virshStartExitMs = -1;
  const started = virsh(['-c', uri, 'start', startName]).then(() => {
    virshStartExitMs = performance.now() - s0;
  });
  started.catch(() => undefined);
  const running = poll(`${startName} running in the tree`, 60_000, () => (api.tree.vmItem(id, startName)?.contextValue?.startsWith('vm.running.') ? true : undefined));
  await Promise.race([running, started.then(() => running)]);
  const startToTreeMs = performance.now() - s0;
  await started;
  const memoryAfterStart = memory();

  const result: TreeBenchResult = {
    vmChildren: labels.filter((l) => !GROUPS.includes(l)).length,
    benchVms: benchLabels.length,
    alreadyActive,
    hostUptimeMs,
    activateMs,
    connectedMs,
    populatedMs,
    virshStartExitMs,
    startToTreeMs,
    memoryBeforeActivate,
    memoryPopulated,
    memoryAfterStart,
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
  console.log(`[tree bench] ${JSON.stringify(result)}`);
}
