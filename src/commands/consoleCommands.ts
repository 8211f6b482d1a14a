// Console commands: graphical console (noVNC webview), serial console (terminal), screenshot,
// send keys. Each takes a VM tree node, a multi-selection (screenshot, send keys) or, from the
// palette, a quick pick of running VMs.

import * as vscode from 'vscode';
import type { ConsoleTarget } from '../console/consoleTarget';
import { ConsoleManager } from '../console/consoleManager';
import { ClipboardSharingChoices } from '../console/clipboardSharing';
import { chooseDisplayRoute, type ClearTextChoice, type ClearTextQuestion, type DisplayRouteStore } from '../console/displayRoutePolicy';
import { KeyCombinationError, parseKeyCombination } from '../console/keyCombination';
import type { Prompts } from './prompts';
import type { DomainRef } from '../libvirt/refs';
import { required } from '../ui/cancel';
import { comboLabel, KEY_COMBOS, type KeyCombo } from '../webviews/console/protocol';
import type { CommandDeps, CommandEntry } from './registry';
import { isVmArg, vmPickDescription } from './vmTargets';
import { isRecord } from './args';

const managers = new WeakMap<vscode.ExtensionContext, ConsoleManager>();

/** The console manager of this activation (created on first use, disposed with the extension). */
export function consoleManager(deps: Pick<CommandDeps, 'context' | 'secrets' | 'log' | 'prompts'>): ConsoleManager {
  let m = managers.get(deps.context);
  if (!m) {
    m = new ConsoleManager(
      { extensionUri: deps.context.extensionUri, secrets: deps.secrets, clipboardSharing: new ClipboardSharingChoices(deps.context.globalState) },
      deps.log,
      deps.prompts,
    );
    managers.set(deps.context, m);
    deps.context.subscriptions.push(m);
  }
  return m;
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

const ROUTE_CHOICE_KEY = 'libvirtVms.displayRoute';

/** The per-host clear-text/tunnel choices, kept in global state (host names only, no secrets). */
export function displayRouteStore(state: vscode.Memento): DisplayRouteStore {
  const all = (): Record<string, ClearTextChoice> => state.get<Record<string, ClearTextChoice>>(ROUTE_CHOICE_KEY) ?? {};
  return {
    get: (host) => {
      const v = all()[host.toLowerCase()];
      return v === 'tunnel' || v === 'clearText' ? v : undefined;
    },
    set: async (host, choice) => state.update(ROUTE_CHOICE_KEY, { ...all(), [host.toLowerCase()]: choice }),
  };
}

const TUNNEL = 'Tunnel through SSH';
const CLEAR_TEXT = 'Connect Unencrypted';

/** The modal question before a clear-text display connection over the network. */
export async function askClearText(prompts: Prompts, q: ClearTextQuestion): Promise<ClearTextChoice | undefined> {
  const answer = await prompts.choose({
    message: `The display of this VM on ${q.host} is not encrypted.`,
    detail: q.sshConnectionName
      ? `Its screen, keystrokes and display password would cross the network in clear text. "${TUNNEL}" carries it over your SSH connection "${q.sshConnectionName}" instead. The choice is remembered for ${q.host}.`
      : `Its screen, keystrokes and display password would cross the network in clear text. Add an SSH connection to ${q.host} to tunnel the display through it. The choice is remembered for ${q.host}.`,
    buttons: q.sshConnectionName ? [TUNNEL, CLEAR_TEXT] : [CLEAR_TEXT],
  });
  return answer === TUNNEL ? 'tunnel' : answer === CLEAR_TEXT ? 'clearText' : undefined;
}

export function consoleTarget(deps: Pick<CommandDeps, 'connections' | 'context' | 'prompts'>, connectionId: string, dom: DomainRef): ConsoleTarget {
  const entry = deps.connections.get(connectionId);
  return {
    connectionId,
    uri: entry.config.uri,
    dom,
    connection: () => deps.connections.get(connectionId).managed.connect(),
    vncRoute: (opts) =>
      chooseDisplayRoute(deps.connections.get(connectionId).config.uri, {
        encrypted: opts?.encrypted === true,
        saved: () => deps.connections.list().map((e) => ({ name: e.config.name ?? e.config.uri, uri: e.config.uri })),
        store: displayRouteStore(deps.context.globalState),
        ask: (q) => askClearText(deps.prompts, q),
      }),
  };
}

const RUNNING_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'shuttingdown', 'pmsuspended']);

/** The VMs a command acts on: the clicked node and the multi-selection, else a quick pick. */
async function targets(deps: CommandDeps, args: unknown[], title: string, opts: { many: boolean; runningOnly: boolean }): Promise<ConsoleTarget[]> {
  const [first, selection] = args;
  if (isConsoleTarget(first)) return [first];
  const named = opts.many && Array.isArray(selection) && selection.length > 0 ? (selection as unknown[]) : first !== undefined ? [first] : [];
  const picked: { connectionId: string; ref: DomainRef }[] = [];
  for (const a of named) {
    const v = vmOf(a);
    if (v) picked.push(v);
    // The plain `{ connectionId, uuid }` ref every VM command takes (the New VM wizard and alert
    // notifications pass one): looked up on the host when the tree does not list it (yet: a VM
    // made a moment ago), over the console's own connection, as consoleTarget uses.
    else if (isVmArg(a)) {
      const listed = deps.tree.session(a.connectionId)?.snapshot(a.uuid)?.ref;
      const ref = listed?.name ? listed : await (await deps.connections.get(a.connectionId).managed.connect()).domainLookupByUuid(a.uuid);
      picked.push({ connectionId: a.connectionId, ref });
    }
  }
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
        await deps.prompts.pickOne<KeyCombo | 'typed'>({
          title: 'Send Key',
          placeHolder: 'Key combination to send to the VM',
          items: [...KEY_COMBOS.map((c) => ({ label: comboLabel(c), value: c })), { label: 'Type a Key Combination…', value: 'typed' as const }],
        }),
        'key pick',
      );
      if (pick.value !== 'typed') {
        await sendCombo(deps, args, pick.value);
        return;
      }
      const validate = (v: string): string | undefined => {
        try {
          parseKeyCombination(v);
          return undefined;
        } catch (e) {
          return KeyCombinationError.is(e) ? e.message : String(e);
        }
      };
      const typed = required(await deps.prompts.input({ title: 'Send Key', prompt: 'Keys joined by "+", e.g. ctrl+alt+f2, alt+sysrq+h, super+l', validate }), 'key combination');
      const combo = parseKeyCombination(typed);
      // Through libvirt's send-key: it reaches the guest whatever its display (or none).
      for (const t of await targets(deps, args, `Send ${combo.label}`, { many: true, runningOnly: true })) {
        const conn = await t.connection();
        await conn.domainSendKey(t.dom, 0 /* VIR_KEYCODE_SET_LINUX */, 0, combo.keycodes);
      }
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
