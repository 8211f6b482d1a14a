// The extension-host half of bench/sshConnect.ts: the saved SSH connection `ssh-bench` (in the user
// settings before VS Code starts) connected LIBVIRT_VMS_SSH_BENCH_RUNS times through the extension
// itself, as a user's Connect does: the time from connect() to the connected ManagedConnection,
// each time on a new SSH connection (the connection is closed between runs, which ends its SSH
// session). LIBVIRT_VMS_SSH_BENCH_PROFILE=file also saves a CPU profile of this extension host over
// the runs. Writes JSON to LIBVIRT_VMS_SSH_BENCH_OUT.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { startHostProfile } from './hostProfile';
import type { ExtensionApi } from '../src/extension';
import { PAUSE_MS } from './sshConnectChild';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const ID = 'ssh-bench';

export interface SshConnectHostResult {
  readonly connectMs: readonly number[];
  /** Whether the extension host has an SSH agent socket (the agent is tried first, as libvirt does). */
  readonly sshAuthSock: boolean;
  readonly nodeVersion: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const outFile = process.env['LIBVIRT_VMS_SSH_BENCH_OUT'];
  if (!outFile) throw new Error('LIBVIRT_VMS_SSH_BENCH_OUT is not set (bench/sshConnect.ts sets it)');
  const runs = Number(process.env['LIBVIRT_VMS_SSH_BENCH_RUNS'] ?? 5);
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  const api = await ext.activate();
  if (!api.connections.list().some((c) => c.config.id === ID)) throw new Error(`the saved connection ${ID} is missing`);
  const profileFile = process.env['LIBVIRT_VMS_SSH_BENCH_PROFILE'];
  const stopProfile = await startHostProfile(profileFile);
  const connectMs: number[] = [];
  // One untimed connection first: the extension's own first-use costs (loading ssh2) are a
  // one-time cost the bench's Node rows do not pay either.
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    await api.connections.connect(ID);
    const elapsed = performance.now() - t0;
    if (i > 0) connectMs.push(elapsed);
    api.connections.disconnect(ID);
    await sleep(PAUSE_MS);
  }
  await stopProfile();
  const result: SshConnectHostResult = { connectMs, sshAuthSock: Boolean(process.env['SSH_AUTH_SOCK']), nodeVersion: process.version };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
  console.log(`[ssh bench] ${JSON.stringify(result)}`);
}
