// The extension-host half of the details benchmark (bench/detailsBench.ts), loaded as the
// extensionTestsPath module of a real VS Code (code-server + Chromium, so the webview really
// draws): the time from running Open Details on a VM until its webview says it has drawn the
// first form, cold (first panel of the session) and then again after closing the tab; and the
// Apply round trip of a memory change (define with VALIDATE, reload, the new state posted), up
// to the webview's redraw too. Writes JSON to LIBVIRT_VMS_DETAILS_BENCH_OUT.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../src/extension';
import type { VmDetailsPanel } from '../src/webviews/vmDetails/panel';
import type { PageTiming, ToWebview } from '../src/webviews/vmDetails/protocol';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';

/**
 * One opening, in ms since Open Details ran: the tab existed, its model was loaded, the webview
 * said ready, the first state was posted, the first form was drawn; and the page's own clock
 * (ms since the webview document began loading) at its script start, ready and first form drawn.
 */
export interface OpenPhases {
  readonly tab: number;
  readonly loaded: number;
  readonly ready: number;
  readonly statePosted: number;
  readonly drawn: number;
  readonly page?: PageTiming;
}

export interface DetailsBenchResult {
  readonly devices: number;
  readonly fields: number;
  /** Open Details to the first form drawn, each run (the first is the session's first panel). */
  readonly openMs: readonly number[];
  /** Per run: where the opening time goes. */
  readonly openPhases: readonly OpenPhases[];
  /** Apply request to the reloaded state posted (the answer follows it at once). */
  readonly applyMs: readonly number[];
  /** Apply request to the webview's redraw of the reloaded form. */
  readonly applyDrawnMs: readonly number[];
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bench/detailsBench.ts sets it)`);
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

/** Resolves with the field count (and the page's timing) of the next form the webview draws of `section`. */
function nextDrawn(panel: VmDetailsPanel, section: string): Promise<{ fields: number; timing?: PageTiming }> {
  return new Promise((resolve) => {
    const sub = panel.controller.onDidShowForm((s, fields, timing) => {
      if (s !== section) return;
      sub.dispose();
      resolve({ fields, ...(timing ? { timing } : {}) });
    });
  });
}

export async function run(): Promise<void> {
  const outFile = env('LIBVIRT_VMS_DETAILS_BENCH_OUT');
  const uuid = env('LIBVIRT_VMS_DETAILS_BENCH_UUID');
  const name = env('LIBVIRT_VMS_DETAILS_BENCH_NAME');
  const devices = Number(env('LIBVIRT_VMS_DETAILS_BENCH_DEVICES'));
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
  const openPhases: OpenPhases[] = [];
  let fields = 0;
  let panel: VmDetailsPanel | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const opened = vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId: id, uuid });
    // The tab exists as soon as its model is built; the webview draws long after that.
    panel = await poll('the details tab', 30_000, () => api.details.get(id, uuid));
    const p = panel;
    const tab = performance.now() - t0;
    const drawn = nextDrawn(p, 'overview');
    let loaded = 0;
    void p.loaded.then(() => (loaded = performance.now() - t0));
    let statePosted = 0;
    const postSub = p.host.onDidPost((m) => {
      if (m.type === 'state' && statePosted === 0) statePosted = performance.now() - t0;
    });
    const ready = poll('the webview ready', 60_000, () => (p.host.isReady ? performance.now() - t0 : undefined));
    const shown = await drawn;
    const drawnAt = performance.now() - t0;
    postSub.dispose();
    fields = shown.fields;
    openPhases.push({ tab, loaded, ready: await ready, statePosted, drawn: drawnAt, ...(shown.timing ? { page: shown.timing } : {}) });
    openMs.push(drawnAt);
    await opened;
    if (i < runs - 1) {
      // Closed as the user closes a tab.
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await poll('the tab closed', 10_000, () => (api.details.get(id, uuid) ? undefined : true));
      await sleep(500);
    }
  }
  if (!panel) throw new Error('no panel');

  const posted: ToWebview[] = [];
  panel.host.onDidPost((m) => posted.push(m));
  const applyMs: number[] = [];
  const applyDrawnMs: number[] = [];
  const memoryShown = nextDrawn(panel, 'memory');
  panel.controller.select('memory');
  await memoryShown;
  for (let i = 0; i < runs; i++) {
    const mib = 256 + 16 * ((i % 2) + 1);
    posted.length = 0;
    const drawn = nextDrawn(panel, 'memory');
    const t0 = performance.now();
    const handled = panel.receive({ type: 'apply', requestId: 1000 + i, changes: [{ section: 'memory', field: 'memory', value: mib }] });
    await poll('the reloaded state', 30_000, () => (posted.some((m) => m.type === 'state') ? true : undefined));
    applyMs.push(performance.now() - t0);
    await drawn;
    applyDrawnMs.push(performance.now() - t0);
    await handled;
    const reply = posted.find((m) => m.type === 'result');
    if (reply?.type !== 'result' || !reply.result.ok) throw new Error(`Apply failed: ${JSON.stringify(reply)}`);
    const state = posted.find((m) => m.type === 'state');
    const now = state?.type === 'state' ? state.state.sections.find((s) => s.id === 'memory')?.values['memory'] : undefined;
    if (now !== mib) throw new Error(`the reloaded state shows memory ${String(now)}, expected ${mib}`);
  }
  panel.dispose();

  const result: DetailsBenchResult = { devices, fields, openMs, openPhases, applyMs, applyDrawnMs };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
  console.log(`[details bench] ${JSON.stringify(result)}`);
}
