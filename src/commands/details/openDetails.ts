// Open Details: the VM details tab of a VM (tree node, `{ connectionId, uuid, section? }`, or a
// palette pick), at a section, over the libvirt-backed model of src/forms/domainDetailsModel.ts.

import { RANGE_MS } from '../../libvirt/history/ranges';
import { perfHistoryState } from '../../webviews/vmDetails/perfHistory';
import type { RecordedRange } from '../../webviews/vmDetails/protocol';
import * as vscode from 'vscode';
import { sectionTarget } from '../../forms/apply';
import { describeVolume } from '../../forms/deviceStorage';
import type { DeviceStorage, FieldChange, FormSection } from '../../forms/formSchema';
import type { Connection, DomainRef } from '../../libvirt/connection';
import { DomainXml } from '../../libvirt/xml/domainXml';
import { agentChannelState } from '../../libvirt/guestAgent';
import { VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import type { DetailsCallbacks, GuestSource, RemoveAnswer } from '../../webviews/vmDetails/controller';
import type { GuestAction, GuestState } from '../../webviews/vmDetails/protocol';
import { isCancellation } from '../../ui/cancel';
import type { HostSession } from '../../views/hostSession';
import { addAgentChannelVm, freezeFilesystemsVm, setUserPasswordVm, shutdownViaAgentVm, syncGuestClockVm, thawFilesystemsVm } from '../vm/guestAgentCommands';
import type { CommandHandler as Handler } from '../commandHandler';
import type { VmDetailsPanel } from '../../webviews/vmDetails/panel';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { resolveTarget } from '../vmTargets';
import { DomainDetailsModel, type DomainDetailsOptions } from '../../forms/domainDetailsModel';

type CapabilitiesCache = NonNullable<DomainDetailsOptions['capabilitiesCache']>;
import { STATE_LABEL, stateName } from '../../views/vmState';
import { confirmHintChange } from './suggestions';
import { addHardwareModel } from './addHardware';

function sectionOf(arg: unknown): string | undefined {
  const s = typeof arg === 'object' && arg !== null ? (arg as { section?: unknown }).section : undefined;
  return typeof s === 'string' ? s : undefined;
}

/** A click in the tree passes `preserveFocus: true`, so the keyboard stays in the tree. */
function preserveFocusOf(arg: unknown): boolean {
  return typeof arg === 'object' && arg !== null && (arg as { preserveFocus?: unknown }).preserveFocus === true;
}

/** Opens the VM's XML tab with the section's element selected. */
async function openXmlAt(connectionId: string, model: DomainDetailsModel, section: string): Promise<void> {
  await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: model.title } });
  const editor = vscode.window.activeTextEditor;
  if (!editor) return;
  let dom: DomainXml;
  try {
    dom = DomainXml.parse(editor.document.getText());
  } catch {
    return; // An unsaved, broken edit in that tab: leave the cursor where the user has it.
  }
  const el = sectionTarget(dom, section)?.element;
  if (!el) return;
  const r = dom.doc.startTagRange(el);
  const range = new vscode.Range(r.startLine, r.startCol, r.endLine, r.endCol);
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** The definition on the host beside the same with the unapplied changes, in VS Code's diff editor. */
async function showDiff(model: DomainDetailsModel, pending: readonly FieldChange[]): Promise<void> {
  const { host, changed } = await model.definitionWith(pending);
  const [left, right] = await Promise.all([
    vscode.workspace.openTextDocument({ content: host, language: 'xml' }),
    vscode.workspace.openTextDocument({ content: changed, language: 'xml' }),
  ]);
  await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, `${model.title}: on the host ↔ with your changes`);
}

export const REMOVE = 'Remove';
export const REMOVE_AND_DELETE = 'Remove and Delete Storage';

/**
 * The removal's question. A disk whose storage can be deleted gets a second button that names the
 * volume; otherwise the question says what is kept and why.
 */
async function confirmRemove(deps: CommandDeps, vm: string, section: FormSection, storage: DeviceStorage | undefined): Promise<RemoveAnswer> {
  const message = `Remove ${section.title} from ${vm}?`;
  const removed = `${section.title} is removed from the VM's definition${section.id.startsWith('disk:') || section.id.startsWith('interface:') ? ' (and unplugged if the VM is running)' : ''}.`;
  if (!storage?.volume || storage.keepReason !== undefined) {
    const kept = storage ? `\nIts storage ${storage.label} is kept${storage.keepReason !== undefined ? `: ${storage.keepReason}` : ''}.` : '';
    return deps.prompts.confirm({ message, detail: `${removed}${kept}`, button: REMOVE });
  }
  const detail = [
    removed,
    `"${REMOVE}" keeps its storage: ${storage.label}.`,
    `"${REMOVE_AND_DELETE}" also deletes ${describeVolume(storage.volume)} for good. It is checked again first: nothing is deleted if another VM uses it or the running VM still has it attached.`,
  ].join('\n');
  const choice = await deps.prompts.choose({ message, detail, buttons: [REMOVE, REMOVE_AND_DELETE] });
  return choice === REMOVE_AND_DELETE ? 'deleteStorage' : choice === REMOVE;
}

/** The Guest section's buttons: the Guest Agent menu's commands, run for this VM. */
const GUEST_COMMANDS: Readonly<Record<GuestAction, Handler>> = {
  setUserPassword: setUserPasswordVm,
  freezeFilesystems: freezeFilesystemsVm,
  thawFilesystems: thawFilesystemsVm,
  syncClock: syncGuestClockVm,
  shutdown: shutdownViaAgentVm,
  addChannel: addAgentChannelVm,
};

/** The guest agent of one VM for its Guest section: the connection's cached facts (guestFactsCache.ts) and the menu's commands. */
function guestSource(deps: CommandDeps, session: HostSession, uuid: string): GuestSource {
  return {
    async read(fresh): Promise<GuestState> {
      const snap = session.snapshot(uuid);
      if (!snap || snap.state !== 'running') return { status: 'off' };
      const entry = await session.guestFacts.get(snap.ref, fresh);
      if (entry.kind === 'facts') return { status: 'facts', facts: entry.facts, at: entry.at };
      const unavailable: GuestState = { status: 'unavailable', problem: entry.error.problem, message: entry.error.message };
      if (entry.error.problem !== 'noChannel') return unavailable;
      // Added for the next boot (a running VM without a virtio-serial controller cannot take it live).
      const conn = session.connection();
      const inactive = conn ? await conn.domainGetXmlDesc(snap.ref, VirDomainXMLFlags.INACTIVE).catch(() => undefined) : undefined;
      return inactive !== undefined && agentChannelState(inactive) !== 'none'
        ? { ...unavailable, channelAtNextBoot: true, message: 'The guest agent channel is in the VM\'s definition and comes with the next boot: shut the VM down and start it again.' }
        : unavailable;
    },
    async action(action): Promise<string> {
      try {
        const r: unknown = await GUEST_COMMANDS[action](deps, { connectionId: session.id, uuid });
        if (typeof r === 'object' && r !== null && typeof (r as { summary?: unknown }).summary === 'string') return (r as { summary: string }).summary;
        if (action === 'setUserPassword' && typeof r === 'string') return `Set the password of ${r}.`;
        return typeof r === 'string' ? r : 'Done.';
      } catch (e) {
        if (isCancellation(e)) return 'Cancelled.';
        throw e;
      }
    },
    onDidChange(listener) {
      return session.guestFacts.onDidChange((u) => {
        if (u === uuid) listener();
      });
    },
  };
}

/** What the details tab of one VM may ask of the rest of the product. */
function callbacks(deps: CommandDeps, host: { readonly id: string; readonly uri: string }, conn: Connection, dom: DomainRef, model: DomainDetailsModel, caps: CapabilitiesCache, beginInstall?: () => Promise<string>): DetailsCallbacks {
  const connectionId = host.id;
  const uuid = dom.uuid;
  // The charts follow the tree's bulk stats of this connection; no call of their own.
  const session = deps.tree.session(connectionId);
  const perf = session?.perfSource(uuid);
  return {
    ...(session ? { guest: guestSource(deps, session, uuid) } : {}),
    openXml: (section) => openXmlAt(connectionId, model, section),
    showDiff: (pending) => showDiff(model, pending),
    confirmHint: (change) => confirmHintChange(deps, model.title, change),
    addHardware: () => vscode.commands.executeCommand('libvirtVms.vm.addHardware', { connectionId, uuid }),
    // Add Hardware… in the tab shows the form there: no second webview to ready.
    addHardwareForm: () => addHardwareModel(deps, conn, dom, host.uri, caps),
    confirmRemove: (section, storage) => confirmRemove(deps, model.title, section, storage),
    log: deps.log,
    ...(perf ? { perf } : {}),
    // The range picker reads the recorded history (no call to the host); offered while recording is on.
    ...(deps.history.enabled
      ? {
          perfHistory: (range: RecordedRange) => {
            const now = Date.now();
            return perfHistoryState(deps.history.host(connectionId)?.range(uuid, range, now), range, now - RANGE_MS[range], now);
          },
        }
      : {}),
    ...(beginInstall ? { beginInstall } : {}),
  };
}

/**
 * The details tab of a VM the New VM wizard defined with "Customize configuration before install":
 * the usual tab plus Begin Installation, which runs `beginInstall` (the wizard's start of the
 * install) once the user's changes are applied.
 */
export async function openDetailsForInstall(deps: CommandDeps, host: { readonly id: string; readonly uri: string }, conn: Connection, dom: DomainRef, beginInstall: () => Promise<string>): Promise<VmDetailsPanel> {
  let model: DomainDetailsModel | undefined;
  const caps: CapabilitiesCache = new Map();
  return deps.details.show({
    connectionId: host.id,
    uuid: dom.uuid,
    model: () => (model = new DomainDetailsModel(conn, dom, { stateLabel: (st, saved) => STATE_LABEL[stateName(st, saved)], osinfo: deps.osinfo.forHost(host.uri), capabilitiesCache: caps })),
    callbacks: () => callbacks(deps, host, conn, dom, model!, caps, beginInstall),
  });
}

export const openDetailsVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Open Details', states: 'any', none: 'No VMs.' });
  const section = sectionOf(node);
  let model: DomainDetailsModel | undefined;
  // The tab's domain capabilities, read once for its sections and the Add Hardware forms in it.
  const caps: CapabilitiesCache = new Map();
  const panel = await deps.details.show({
    connectionId: t.host.id,
    uuid: t.dom.uuid,
    model: () =>
      (model = new DomainDetailsModel(t.conn, t.dom, {
        capabilitiesCache: caps,
        stateLabel: (st, saved) => STATE_LABEL[stateName(st, saved)],
        osinfo: deps.osinfo.forHost(t.host.config.uri),
        // The hints quote the VM's recent performance, as the Overview's charts show it.
        perf: () => t.host.perfSource(t.dom.uuid).samples(),
      })),
    callbacks: () => callbacks(deps, { id: t.host.id, uri: t.host.config.uri }, t.conn, t.dom, model!, caps),
    ...(section ? { section } : {}),
    ...(preserveFocusOf(node) ? { preserveFocus: true } : {}),
  });
  return panel.key;
};
