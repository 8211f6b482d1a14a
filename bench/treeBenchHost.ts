// The extension-host half of the tree benchmark (bench/treeBench.ts): loaded as the
// extensionTestsPath module of a real VS Code (code-server), so every time and memory figure is
// taken inside the extension host itself. Measures activate(), the time until the local
// connection's node lists every benchmark VM, the time from `virsh start <vm>` to the tree item
// reporting "running", and process.memoryUsage(). Writes the figures as JSON to
// LIBVIRT_VMS_TREE_BENCH_OUT; any failure rejects run(), which the driver sees as a non-zero exit.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vscode from 'vscode';
import { startHostProfile } from './hostProfile';
import type { ExtensionApi } from '../src/extension';
import { Connection } from '../src/libvirt/connection';
import { VirDomainEventType } from '../src/libvirt/generated/libvirtConstants';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const POLL_MS = 5;
/** The group rows after the VMs under a connection node. */
const GROUPS: readonly string[] = ['Networks', 'Storage Pools', 'Host Devices'];

export interface MemorySample {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** V8's young generation (its new space): one semi-space's capacity and what is free in it. */
export interface YoungGeneration {
  readonly semiSpaceMiB: number;
  readonly freeMiB: number;
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
  /** From the arrival of the STARTED lifecycle event (at a second client of the same daemon, as
   * close to the extension's own arrival as can be observed from outside) to the tree item's
   * contextValue saying running; negative when the tree changed before that client saw the event. */
  readonly eventToTreeMs: number;
  readonly memoryBeforeActivate: MemorySample;
  /** The young generation when activate() was called (what bench/main.ts's extension-host-like client row reproduces). */
  readonly youngGenerationBeforeActivate: YoungGeneration;
  readonly memoryPopulated: MemorySample;
  readonly memoryAfterStart: MemorySample;
  /** With LIBVIRT_VMS_TREE_BENCH_CACHE_DIR: whether src/boot.ts wrote its code cache there before the host ended. */
  readonly codeCacheWritten?: boolean;
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

/** new_space in V8's terms: what is in use plus what is free is one semi-space's capacity. */
function youngGeneration(): YoungGeneration {
  const space = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  if (!space) throw new Error('V8 reported no new_space');
  return { semiSpaceMiB: (space.space_used_size + space.space_available_size) / 1048576, freeMiB: space.space_available_size / 1048576 };
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
  const youngGenerationBeforeActivate = youngGeneration();
  const hostUptimeMs = process.uptime() * 1000;
  // LIBVIRT_VMS_TREE_BENCH_PROFILE=prefix: a CPU profile (prefix.<pid>.cpuprofile, one per run) of this extension host from activation until
  // the tree is populated (open it in Chrome DevTools or VS Code).
  const profileFile = process.env['LIBVIRT_VMS_TREE_BENCH_PROFILE'];
  const stopProfile = await startHostProfile(profileFile ? `${profileFile}.${process.pid}.cpuprofile` : undefined);
  const called = performance.now();
  const api = await ext.activate();
  const activateMs = performance.now() - called;
  // Showing the view is what connects the autoconnect connection (the user opening the sidebar).
  // When VS Code had activated the extension by itself (onStartupFinished) before this ran, the
  // times count from here: the user opens the view of an extension that is already loaded.
  const focused = performance.now();
  const t0 = alreadyActive ? focused : called;
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
  await stopProfile();
  const memoryPopulated = memory();
  const benchLabels = labels.filter((x) => x.startsWith(prefix));
  for (const name of benchLabels) {
    const ctx = api.tree.vmItem(id, name)?.contextValue ?? '';
    if (!/^vm\.shutoff\.noautostart$/.test(ctx)) throw new Error(`${name} shows contextValue "${ctx}", expected vm.shutoff.noautostart`);
  }

  const watcher = await Connection.open(uri);
  let eventAt = -1;
  const sub = watcher.onDomainEvent(
    (e) => {
      if (e.kind === 'lifecycle' && e.dom.name === startName && e.event === VirDomainEventType.STARTED && eventAt < 0) eventAt = performance.now();
    },
    { kinds: ['lifecycle'] },
  );
  await sub.ready;
  const s0 = performance.now();
  let virshStartExitMs = -1;
  const started = virsh(['-c', uri, 'start', startName]).then(() => {
    virshStartExitMs = performance.now() - s0;
  });
  started.catch(() => undefined);
  const running = poll(`${startName} running in the tree`, 60_000, () => (api.tree.vmItem(id, startName)?.contextValue?.startsWith('vm.running.') ? true : undefined));
  await Promise.race([running, started.then(() => running)]);
  const treeAt = performance.now();
  const startToTreeMs = treeAt - s0;
  await poll('the STARTED event at the second client', 10_000, () => (eventAt >= 0 ? true : undefined));
  const eventToTreeMs = treeAt - eventAt;
  await started;
  sub.dispose();
  await watcher.close();
  const memoryAfterStart = memory();
  // The first run waits for the code cache (src/boot.ts writes it a while after activation), so
  // that the later run, with the same global storage, starts from it.
  const cacheDir = process.env['LIBVIRT_VMS_TREE_BENCH_CACHE_DIR'];
  let codeCacheWritten: boolean | undefined;
  if (cacheDir) {
    const has = (): true | undefined => (fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).some((f) => /^code-cache-.*\.bin$/.test(f)) ? true : undefined);
    codeCacheWritten = await poll('the code cache', 60_000, has).catch(() => false);
  }

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
    eventToTreeMs,
    memoryBeforeActivate,
    youngGenerationBeforeActivate,
    memoryPopulated,
    memoryAfterStart,
    ...(codeCacheWritten === undefined ? {} : { codeCacheWritten }),
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
  console.log(`[tree bench] ${JSON.stringify(result)}`);
}
