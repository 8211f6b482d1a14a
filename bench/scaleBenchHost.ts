// The extension-host half of the scale benchmark (bench/scaleBench.ts): five saved connections,
// each to a host with BENCH_DOMAINS VMs (the daemon's test driver, loaded from generated files, over
// the real RPC path), in one tree. Saves the connections in the user settings before activation, as
// a user who had added them would have them, then measures activate() to every VM of every
// connection listed with its state, and the extension host's memory before and after. Writes JSON to
// LIBVIRT_VMS_SCALE_BENCH_OUT.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { startHostProfile } from './hostProfile';
import type { ExtensionApi } from '../src/extension';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';

export interface ScaleBenchResult {
  readonly connections: number;
  readonly vmsPerConnection: number;
  readonly activateMs: number;
  /** activate() call until every connection lists all its VMs with their state. */
  readonly populatedMs: number;
  /** Per connection, the same moment for that connection alone. */
  readonly perConnectionMs: readonly number[];
  readonly baseline: { readonly rssMiB: number; readonly heapUsedMiB: number };
  readonly populated: { readonly rssMiB: number; readonly heapUsedMiB: number };
  /** VS Code had activated the extension before the benchmark asked (onStartupFinished). */
  readonly alreadyActive: boolean;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bench/scaleBench.ts sets it)`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function memory(): { rssMiB: number; heapUsedMiB: number } {
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 1048576, heapUsedMiB: m.heapUsed / 1048576 };
}

export async function run(): Promise<void> {
  const outFile = env('LIBVIRT_VMS_SCALE_BENCH_OUT');
  const uris: string[] = JSON.parse(env('LIBVIRT_VMS_SCALE_BENCH_URIS')) as string[];
  const perConnection = Number(env('LIBVIRT_VMS_SCALE_BENCH_COUNT'));
  const prefix = process.env['LIBVIRT_VMS_SCALE_BENCH_PREFIX'] ?? 'scale';
  const ids = uris.map((_, i) => `scale-bench-${i}`);
  // The connections are in the user settings before VS Code starts (bench/scaleBench.ts writes them,
  // as a user's saved ones are); checked here.
  const saved = vscode.workspace.getConfiguration('libvirtVms').get<{ id: string }[]>('connections') ?? [];
  if (!ids.every((id) => saved.some((c) => c.id === id))) throw new Error('the benchmark connections are not in the user settings');
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  // The baseline: this extension host with VS Code's own extensions, before ours loads. VS Code
  // may have activated it already (onStartupFinished): then the baseline includes it, and the
  // figure over the baseline is low by the extension's own size.
  const alreadyActive = ext.isActive;
  const baseline = memory();
  // LIBVIRT_VMS_SCALE_BENCH_PROFILE=prefix: a CPU profile (prefix.<pid>.cpuprofile) from activation until every VM is listed.
  const profileFile = process.env['LIBVIRT_VMS_SCALE_BENCH_PROFILE'];
  const stopProfile = await startHostProfile(profileFile ? `${profileFile}.${process.pid}.cpuprofile` : undefined);
  const called = performance.now();
  const api = await ext.activate();
  const activateMs = performance.now() - called;
  // When VS Code had activated the extension by itself (onStartupFinished), the times count from
  // opening the view (what connects the autoconnect connections), as a user would see them.
  const t0 = alreadyActive ? performance.now() : called;
  await vscode.commands.executeCommand('libvirtVms.machines.focus');
  const done = new Map<string, number>();
  const deadline = performance.now() + 120_000;
  while (done.size < ids.length) {
    for (const id of ids) {
      if (done.has(id)) continue;
      if (api.tree.connectionState(id) !== 'connected') continue;
      const rows = await api.tree.connectionChildren(id);
      if (rows.filter((r) => r.startsWith(prefix)).length >= perConnection) done.set(id, performance.now() - t0);
    }
    if (performance.now() > deadline) throw new Error(`only ${done.size} of ${ids.length} connections were populated after 120 s`);
    if (done.size < ids.length) await sleep(5);
  }
  const populatedMs = performance.now() - t0;
  await stopProfile();
  const populated = memory();
  // Exactly the five: a connection the extension added by itself (the local one of a first run
  // with nothing saved) would load alongside them and count in the figures.
  const listed = api.connections.list().map((e) => e.config.id);
  if (listed.length !== ids.length) throw new Error(`the tree has ${listed.length} connections, not the ${ids.length} of the benchmark: ${listed.join(', ')}`);
  const result: ScaleBenchResult = {
    connections: ids.length,
    vmsPerConnection: perConnection,
    activateMs,
    populatedMs,
    perConnectionMs: ids.map((id) => done.get(id) ?? -1),
    baseline,
    populated,
    alreadyActive,
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
  console.log(`[scale bench] ${JSON.stringify(result)}`);
}
