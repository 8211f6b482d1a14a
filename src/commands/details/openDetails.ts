// Open Details: the VM details tab of a VM (tree node, `{ connectionId, uuid, section? }`, or a
// palette pick), at a section, over the libvirt-backed model of src/forms/domainDetailsModel.ts.

import * as vscode from 'vscode';
import { sectionTarget } from '../../forms/apply';
import { describeVolume } from '../../forms/deviceStorage';
import type { DeviceStorage, FieldChange, FormSection } from '../../forms/formSchema';
import { DomainXml } from '../../libvirt/xml/domainXml';
import type { DetailsCallbacks, RemoveAnswer } from '../../webviews/vmDetails/controller';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { resolveTarget } from '../vmTargets';
import { DomainDetailsModel } from '../../forms/domainDetailsModel';
import { STATE_LABEL, stateName } from '../../views/vmState';

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

/** What the details tab of one VM may ask of the rest of the product. */
function callbacks(deps: CommandDeps, connectionId: string, uuid: string, model: DomainDetailsModel): DetailsCallbacks {
  // The charts follow the tree's bulk stats of this connection; no call of their own.
  const perf = deps.tree.session(connectionId)?.perfSource(uuid);
  return {
    openXml: (section) => openXmlAt(connectionId, model, section),
    showDiff: (pending) => showDiff(model, pending),
    addHardware: () => void vscode.window.showInformationMessage('Adding hardware from the details tab is not available yet; use Edit XML.'),
    confirmRemove: (section, storage) => confirmRemove(deps, model.title, section, storage),
    log: deps.log,
    ...(perf ? { perf } : {}),
  };
}

export const openDetailsVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Open Details', states: 'any', none: 'No VMs.' });
  const section = sectionOf(node);
  let model: DomainDetailsModel | undefined;
  const panel = await deps.details.show({
    connectionId: t.host.id,
    uuid: t.dom.uuid,
    model: () => (model = new DomainDetailsModel(t.conn, t.dom, { stateLabel: (st, saved) => STATE_LABEL[stateName(st, saved)], osinfo: deps.osinfo.forHost(t.host.config.uri) })),
    callbacks: () => callbacks(deps, t.host.id, t.dom.uuid, model!),
    ...(section ? { section } : {}),
    ...(preserveFocusOf(node) ? { preserveFocus: true } : {}),
  });
  return panel.key;
};
