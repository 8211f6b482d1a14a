// The extension-host half of the Add Hardware benchmark (bench/addHardwareBench.ts), loaded as the
// extensionTestsPath module of a real VS Code (code-server + Chromium, so the webview really
// draws): the time from running Add Hardware on a VM until its webview says it has drawn the first
// kind's form (the model built: XML, domain capabilities, the host's pools, networks and NICs;
// every kind's form; the page's first render), cold and then again after closing the tab; and the
// Add Hardware button of the VM's details tab (its `addHardware` message, as the page sends it)
// until the form drawn inside that tab says so, then Cancel, several times. Writes JSON to
// LIBVIRT_VMS_ADDHW_BENCH_OUT.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../src/extension';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';

export interface AddHardwareBenchResult {
  readonly kinds: number;
  readonly fields: number;
  /** Add Hardware to the first form drawn, each run (the first is the session's first tab). */
  readonly openMs: readonly number[];
  /** Add Hardware to the model loaded (every kind's form built), each run. */
  readonly loadedMs: readonly number[];
  /** The details tab's Add Hardware button to the form drawn inside that tab, each run (the tab already open). */
  readonly inDetailsMs: readonly number[];
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bench/addHardwareBench.ts sets it)`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function poll<T>(what: string, timeoutMs: number, fn: () => T | undefined, intervalMs = 1): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export async function run(): Promise<void> {
  const outFile = env('LIBVIRT_VMS_ADDHW_BENCH_OUT');
  const uuid = env('LIBVIRT_VMS_ADDHW_BENCH_UUID');
  const name = env('LIBVIRT_VMS_ADDHW_BENCH_NAME');
  const runs = Number(process.env['BENCH_RUNS'] ?? 5);
  const uri = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  const api = await ext.activate();
  await vscode.commands.executeCommand('libvirtVms.machines.focus');
  const local = await poll('the local connection', 30_000, () => api.connections.list().find((e) => e.config.uri === uri), 50);
  const id = local.config.id;
  await poll('connected', 60_000, () => (api.tree.connectionState(id) === 'connected' ? true : undefined), 50);
  await poll('the VM in the tree', 60_000, () => api.tree.vmItem(id, name), 50);

  const openMs: number[] = [];
  const loadedMs: number[] = [];
  let fields = 0;
  let kinds = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const opened = vscode.commands.executeCommand('libvirtVms.vm.addHardware', { connectionId: id, uuid });
    const panel = await poll('the Add Hardware tab', 30_000, () => api.addHardware.get(id, uuid));
    const drawn = new Promise<number>((resolve) => {
      const sub = panel.controller.onDidShowForm((_kind, n) => {
        sub.dispose();
        resolve(n);
      });
    });
    void panel.loaded.then(() => loadedMs.push(performance.now() - t0));
    fields = await drawn;
    openMs.push(performance.now() - t0);
    await opened;
    kinds = panel.controller.state().kinds.length;
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await poll('the tab closed', 10_000, () => (api.addHardware.get(id, uuid) ? undefined : true));
    await sleep(500);
  }

  // Inside the details tab: no new webview; the form's model is built and drawn in the open page.
  const inDetailsMs: number[] = [];
  void vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId: id, uuid });
  const details = await poll('the details tab', 30_000, () => api.details.get(id, uuid));
  await details.loaded;
  await poll('the details page ready', 60_000, () => (details.host.isReady ? true : undefined));
  for (let i = 0; i < runs; i++) {
    const drawn = new Promise<void>((resolve) => {
      const sub = details.controller.onDidShowHardwareForm(() => {
        sub.dispose();
        resolve();
      });
    });
    const t0 = performance.now();
    const handled = details.receive({ type: 'addHardware' });
    await drawn;
    inDetailsMs.push(performance.now() - t0);
    await handled;
    await details.receive({ type: 'hardware', message: { type: 'cancel' } });
    if (details.controller.hardware) throw new Error('Cancel did not close the form in the details tab');
    await sleep(300);
  }
  details.dispose();
  const result: AddHardwareBenchResult = { kinds, fields, openMs, loadedMs, inDetailsMs };
  fs.writeFileSync(outFile, JSON.stringify(result));
}
