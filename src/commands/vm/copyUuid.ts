import * as vscode from 'vscode';
import type { CommandHandler } from '../commandHandler';
import { resolveTargets } from '../vmTargets';

/** Copies the UUIDs of the selected VMs, one per line. */
export const copyUuidVm: CommandHandler = async (deps, node, selected) => {
  const targets = await resolveTargets(deps, node, selected, { title: 'Copy UUID', states: 'any', many: true, none: 'No VMs.' });
  const text = targets.map((t) => t.dom.uuid).join('\n');
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(targets.length === 1 ? `Copied the UUID of ${targets[0].dom.name}` : `Copied ${targets.length} UUIDs`, 4000);
  return text;
};
