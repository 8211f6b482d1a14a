// Add Hardware…: the Add Hardware tab of a VM (tree node, `{ connectionId, uuid, deviceKind? }`, the
// details tab's button where that tab has no form of its own, or a palette pick), over the
// libvirt-backed model of src/forms/addHardware.ts. The details tab shows the same form inside
// itself (openDetails.ts passes addHardwareModel); when the VM's details tab is open, the command
// shows the form there instead of opening a second tab.
// A device added closes the tab and says what was done; the details tab follows by domain events.

import * as vscode from 'vscode';
import { AddHardwareModel, type AddHardwareOptions } from '../../forms/addHardware';
import type { Connection, DomainRef } from '../../libvirt/connection';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { resolveTarget, type VmTarget } from '../vmTargets';

export const ADD_FOR_NEXT_BOOT = 'Add for Next Boot';

/** The kind to show first (`deviceKind`: a VM argument's `kind` is already 'vm'). */
function kindOf(arg: unknown): string | undefined {
  const k = typeof arg === 'object' && arg !== null ? (arg as { deviceKind?: unknown }).deviceKind : undefined;
  return typeof k === 'string' ? k : undefined;
}

/**
 * The Add Hardware model of a VM, for the Add Hardware tab and the form inside its details tab
 * (which passes the domain capabilities its own model read: one call fewer each time).
 */
export function addHardwareModel(deps: CommandDeps, conn: Connection, dom: DomainRef, hostUri: string, capabilitiesCache?: AddHardwareOptions['capabilitiesCache']): AddHardwareModel {
  return new AddHardwareModel(conn, dom, {
    ...(capabilitiesCache ? { capabilitiesCache } : {}),
    confirmNextBoot: (message, detail) => deps.prompts.confirm({ message, detail, button: ADD_FOR_NEXT_BOOT }),
    // Defaults by the VM's OS: the host's osinfo-db (read once per host, shared with New VM).
    guestDrivers: () => deps.osinfo.forHost(hostUri).installFacts(),
  });
}

export async function showAddHardware(deps: CommandDeps, t: VmTarget, kind?: string): Promise<string> {
  // The VM's details tab, when open, shows the same form inside itself: VS Code in a browser
  // spends about a second readying each new webview (docs/ARCHITECTURE.md, "Webview pages").
  const details = deps.details.get(t.host.id, t.dom.uuid);
  if (details?.controller.offersHardwareForm && !deps.addHardware.get(t.host.id, t.dom.uuid)) {
    await details.addHardware(kind);
    return details.key;
  }
  const panel = await deps.addHardware.show({
    connectionId: t.host.id,
    uuid: t.dom.uuid,
    model: () => addHardwareModel(deps, t.conn, t.dom, t.host.config.uri),
    callbacks: () => ({
      log: deps.log,
      finished: (summary: string) => {
        deps.addHardware.get(t.host.id, t.dom.uuid)?.dispose();
        void vscode.window.showInformationMessage(summary);
      },
    }),
    ...(kind ? { kind } : {}),
  });
  return panel.key;
}

export const addHardwareVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Add Hardware', states: 'any', none: 'No VMs.' });
  return showAddHardware(deps, t, kindOf(node));
};
