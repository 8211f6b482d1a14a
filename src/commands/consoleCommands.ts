// Console commands: graphical console (noVNC webview), serial console (terminal), screenshot,
// send keys. Each takes a VM tree node, a multi-selection (screenshot, send keys) or, from the
// palette, a quick pick of running VMs.

import * as vscode from 'vscode';
import type { ConsoleTarget } from '../console/consoleTarget';
import { ConsoleManager } from '../console/consoleManager';
import { vncRouteForUri } from '../console/vncRoute';
import type { DomainRef } from '../libvirt/refs';
import { required } from '../ui/cancel';
import { comboLabel, KEY_COMBOS, type KeyCombo } from '../webviews/console/protocol';
import type { CommandDeps, CommandEntry } from './registry';
import { vmPickDescription } from './vmTargets';

const managers = new WeakMap<vscode.ExtensionContext, ConsoleManager>();

/** The console manager of this activation (created on first use, disposed with the extension). */
export function consoleManager(deps: Pick<CommandDeps, 'context' | 'secrets' | 'log' | 'prompts'>): ConsoleManager {
  let m = managers.get(deps.context);
  if (!m) {
    m = new ConsoleManager({ extensionUri: deps.context.extensionUri, secrets: deps.secrets }, deps.log, deps.prompts);
    managers.set(deps.context, m);
    deps.context.subscriptions.push(m);
  }
  return m;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isDomainRef(v: unknown): v is DomainRef {
  return isRecord(v) && typeof v['name'] === 'string' && typeof v['uuid'] === 'string' && typeof v['id'] === 'number';
}

function isConsoleTarget(v: unknown): v is ConsoleTarget {
  return isRecord(v) && typeof v['connectionId'] === 'string' && isDomainRef(v['dom']) && typeof v['connection'] === 'function';
}

/** A VM tree node (kind 'vm' with connectionId and ref), or `{ connectionId, ref }` from an API caller. */
function vmOf(v: unknown): { connectionId: string; ref: DomainRef } | undefined {
  if (!isRecord(v) || typeof v['connectionId'] !== 'string') return undefined;
  const ref = v['ref'];
  return isDomainRef(ref) ? { connectionId: v['connectionId'], ref } : undefined;
}

export function consoleTarget(deps: Pick<CommandDeps, 'connections'>, connectionId: string, dom: DomainRef): ConsoleTarget {
  const entry = deps.connections.get(connectionId);
  return {
    connectionId,
    uri: entry.config.uri,
    dom,
    connection: () => deps.connections.get(connectionId).managed.connect(),
    vncRoute: () => Promise.resolve(vncRouteForUri(deps.connections.get(connectionId).config.uri)),
  };
}

const RUNNING_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'shuttingdown', 'pmsuspended']);

/** The VMs a command acts on: the clicked node and the multi-selection, else a quick pick. */
async function targets(deps: CommandDeps, args: unknown[], title: string, opts: { many: boolean; runningOnly: boolean }): Promise<ConsoleTarget[]> {
  const [first, selection] = args;
  if (isConsoleTarget(first)) return [first];
  const picked = (opts.many && Array.isArray(selection) && selection.length > 0 ? selection : first !== undefined ? [first] : [])
    .map(vmOf)
    .filter((v): v is { connectionId: string; ref: DomainRef } => v !== undefined);
  if (picked.length > 0) return picked.map((v) => consoleTarget(deps, v.connectionId, v.ref));
  // Editor title buttons of a console tab pass no argument: act on that console's VM.
  const active = first === undefined ? consoleManager(deps).activeTarget() : undefined;
  if (active) return [active];
  const hosts = deps.tree.sessions().filter((s) => s.connection() !== undefined);
  const candidates = hosts.flatMap((s) =>
    s
      .snapshots()
      .filter((vm) => !opts.runningOnly || RUNNING_STATES.has(vm.state))
      .sort((a, b) => a.ref.name.localeCompare(b.ref.name))
      .map((vm) => ({ label: vm.ref.name, description: vmPickDescription(vm.state, hosts.length > 1 ? s.config.name : undefined), value: { connectionId: s.id, ref: vm.ref } })),
  );
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`${title}: no ${opts.runningOnly ? 'running ' : ''}VM on a connected host.`);
    return [];
  }
  const pick = required(await deps.prompts.pickOne({ title, placeHolder: 'Pick a VM', items: candidates }), 'VM pick');
  return [consoleTarget(deps, pick.value.connectionId, pick.value.ref)];
}

async function sendCombo(deps: CommandDeps, args: unknown[], combo: KeyCombo): Promise<void> {
  const m = consoleManager(deps);
  for (const t of await targets(deps, args, `Send ${comboLabel(combo)}`, { many: true, runningOnly: true })) await m.sendKeys(t, combo);
}

export const consoleCommands: readonly CommandEntry[] = [
  {
    id: 'libvirtVms.console.open',
    title: 'Open Console',
    async run(deps, ...args) {
      const [t] = await targets(deps, args, 'Open Console', { many: false, runningOnly: false });
      if (t) consoleManager(deps).openGraphical(t);
    },
  },
  {
    id: 'libvirtVms.console.openSerial',
    title: 'Open Serial Console',
    async run(deps, ...args) {
      const [t] = await targets(deps, args, 'Open Serial Console', { many: false, runningOnly: true });
      if (t) await consoleManager(deps).openSerial(t);
    },
  },
  {
    id: 'libvirtVms.console.screenshot',
    title: 'Take Screenshot',
    async run(deps, ...args) {
      const m = consoleManager(deps);
      for (const t of await targets(deps, args, 'Take Screenshot', { many: true, runningOnly: true })) await m.screenshotInteractive(t);
    },
  },
  {
    id: 'libvirtVms.console.sendCtrlAltDel',
    title: 'Send Ctrl+Alt+Del',
    run: (deps, ...args) => sendCombo(deps, args, 'ctrl-alt-del'),
  },
  {
    id: 'libvirtVms.console.sendKey',
    title: 'Send Key',
    async run(deps, ...args) {
      const pick = required(
        await deps.prompts.pickOne({
          title: 'Send Key',
          placeHolder: 'Key combination to send to the VM',
          items: KEY_COMBOS.map((c) => ({ label: comboLabel(c), value: c })),
        }),
        'key pick',
      );
      await sendCombo(deps, args, pick.value);
    },
  },
  {
    id: 'libvirtVms.console.reconnect',
    title: 'Reconnect Console',
    async run(deps, ...args) {
      const [t] = await targets(deps, args, 'Reconnect Console', { many: false, runningOnly: false });
      if (!t) return;
      const panel = consoleManager(deps).panelFor(t);
      if (panel) {
        panel.reveal();
        panel.session.reconnectNow();
      } else {
        consoleManager(deps).openGraphical(t);
      }
    },
  },
];
