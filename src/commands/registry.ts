// The one table of commands: every entry is registered through the same error wrapper
// (plain-words message with "Show Log", silent cancellation). Each command works from a tree node,
// a multi-selection and the palette (quick pick); its return value goes back to
// `vscode.commands.executeCommand` callers.

import * as vscode from 'vscode';
import type { ConnectionRegistry } from '../connections/connectionRegistry';
import type { ConnectionSecrets } from '../connections/connectionSecrets';
import type { CommandRunner } from '../ui/runCommand';
import type { VmTree } from '../views/vmTree';
import type { OsinfoCatalogs } from '../libvirt/osinfo';
import type { PreviewDocuments } from '../ui/previewDocuments';
import type { AddHardwarePanels } from '../webviews/addHardware/panels';
import type { VmDetailsPanels } from '../webviews/vmDetails/panels';
import { connectionCommands } from './connectionCommands';
import { consoleCommands } from './consoleCommands';
import { PromptSeam, type Prompts } from './prompts';
import { vmCommands } from './vmCommands';
import { dashboardCommands } from './dashboardCommands';
import type { PerformanceHistory } from '../views/history/performanceHistory';
import type { HostDashboards } from '../webviews/hostDashboard/panel';
import { snapshotCommands } from './snapshots/snapshotCommands';
// Schedules in the host's crontab (Schedules…, New Schedule…).
import { scheduleCommands } from './schedules/scheduleCommands';
import { tagCommands } from './tags/tagCommands';
// Host resources (pools, volumes, networks, host devices).
import { resourceCommands } from './resources/resourceCommands';
// The XML editor (open, live view, new from XML, define from XML).
import { xmlCommands } from '../xmlEditor/xmlCommands';
// The bundled guides and the keyboard shortcuts.
import { helpCommands } from './helpCommands';
import { alertCommands } from './alerts/alertCommands';
import type { AlertService } from '../views/alerts/alertService';

export interface CommandDeps {
  readonly context: vscode.ExtensionContext;
  /** The Virtual Machines tree: selection, sessions (live connection per host), refresh, filter. */
  readonly tree: VmTree;
  readonly connections: ConnectionRegistry;
  /** Remembered passwords per connection (SSH, VNC). */
  readonly secrets: ConnectionSecrets;
  readonly runner: CommandRunner;
  readonly log: vscode.LogOutputChannel;
  /** Confirmations, picks and input boxes (answerable by tests, see prompts.ts). */
  readonly prompts: Prompts;
  /** The open VM details tabs. */
  readonly details: VmDetailsPanels;
  /** The open Add Hardware tabs. */
  readonly addHardware: AddHardwarePanels;
  /** libosinfo's OS lists per host (read on first use). */
  readonly osinfo: OsinfoCatalogs;
  /** The recorded performance history of every host. */
  readonly history: PerformanceHistory;
  /** The open Host Dashboard tabs. */
  readonly dashboards: HostDashboards;
  /** Read-only documents for diffs shown before a change is applied (a suggestion's XML change). */
  readonly previews: PreviewDocuments;
  /** Alert rules, the alert monitor and the active and recent alerts. */
  readonly alerts: AlertService;
}

/** What extension.ts passes in; a PromptSeam is made here when none is given. */
export type CommandWiring = Omit<CommandDeps, 'prompts'> & { readonly prompts?: PromptSeam };

export interface CommandEntry {
  readonly id: string;
  /** Used in error messages: "<title> failed: …". */
  readonly title: string;
  run(deps: CommandDeps, ...args: unknown[]): unknown;
}

/** Handles the registered commands keep, for the extension's test API. */
export interface RegisteredCommands {
  /** Tests install a responder here to answer modals and quick picks. */
  readonly prompts: PromptSeam;
}

const ALL: readonly (readonly CommandEntry[])[] = [connectionCommands, vmCommands, consoleCommands, resourceCommands, xmlCommands, snapshotCommands, scheduleCommands, tagCommands, helpCommands, alertCommands, dashboardCommands];

export function registerCommands(context: vscode.ExtensionContext, wiring: CommandWiring): RegisteredCommands {
  const prompts = wiring.prompts ?? new PromptSeam();
  const deps: CommandDeps = { ...wiring, prompts };
  for (const entry of ALL.flat()) {
    context.subscriptions.push(
      vscode.commands.registerCommand(entry.id, (...args: unknown[]) => deps.runner.run(entry.title, () => entry.run(deps, ...withTreeSelection(deps, args)))),
    );
  }
  return { prompts };
}

/**
 * The keybindings of the tree (package.json `contributes.keybindings`) pass
 * `{ "treeSelection": true }`: VS Code gives a command run from a keybinding no tree item
 * (microsoft/vscode#72442), so the command acts on the tree's selection, as its context menu
 * would (clicked node and the whole selection). A rebinding without the argument behaves as the
 * palette does and asks.
 */
function withTreeSelection(deps: CommandDeps, args: unknown[]): unknown[] {
  if (!isTreeSelectionArg(args[0])) return args;
  const selected = deps.tree.selection();
  return selected.length === 0 ? [] : [selected[0], selected];
}

export function isTreeSelectionArg(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { treeSelection?: unknown }).treeSelection === true;
}
