// Open Details: the VM details tab of a VM (tree node, `{ connectionId, uuid, section? }`, or a
// palette pick), at a section. The model behind it is BasicDetailsModel for now.

import * as vscode from 'vscode';
import type { DetailsModel } from '../../forms/formSchema';
import type { DetailsCallbacks } from '../../webviews/vmDetails/controller';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { resolveTarget } from '../vmTargets';
import { BasicDetailsModel } from './basicDetailsModel';

function sectionOf(arg: unknown): string | undefined {
  const s = typeof arg === 'object' && arg !== null ? (arg as { section?: unknown }).section : undefined;
  return typeof s === 'string' ? s : undefined;
}

/** What the details tab of one VM may ask of the rest of the product. */
function callbacks(deps: CommandDeps, connectionId: string, model: DetailsModel): DetailsCallbacks {
  return {
    openXml: () => vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: model.title } }),
    addHardware: () => void vscode.window.showInformationMessage('Adding hardware from the details tab is not available yet; use Edit XML.'),
    confirmRemove: (section) =>
      deps.prompts.confirm({ message: `Remove ${section.title} from ${model.title}?`, detail: `${section.title} is removed from the VM's definition.`, button: 'Remove' }),
    log: deps.log,
  };
}

export const openDetailsVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Open Details', states: 'any', none: 'No VMs.' });
  const section = sectionOf(node);
  const panel = await deps.details.show({
    connectionId: t.host.id,
    uuid: t.dom.uuid,
    model: () => new BasicDetailsModel(t.conn, t.dom),
    callbacks: (model) => callbacks(deps, t.host.id, model),
    ...(section ? { section } : {}),
  });
  return panel.key;
};
