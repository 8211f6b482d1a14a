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
import type { VmDetailsPanels } from '../webviews/vmDetails/panels';
import { connectionCommands } from './connectionCommands';
import { consoleCommands } from './consoleCommands';
import { PromptSeam, type Prompts } from './prompts';
import { vmCommands } from './vmCommands';
// Host resources (pools, volumes, networks, host devices).
import { resourceCommands } from './resources/resourceCommands';
// The XML editor (open, live view, new from XML, define from XML).
import { xmlCommands } from '../xmlEditor/xmlCommands';

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
  /** libosinfo's OS lists per host (read on first use). */
  readonly osinfo: OsinfoCatalogs;
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

const ALL: readonly (readonly CommandEntry[])[] = [connectionCommands, vmCommands, consoleCommands, resourceCommands, xmlCommands];

export function registerCommands(context: vscode.ExtensionContext, wiring: CommandWiring): RegisteredCommands {
  const prompts = wiring.prompts ?? new PromptSeam();
  const deps: CommandDeps = { ...wiring, prompts };
  for (const entry of ALL.flat()) {
    context.subscriptions.push(vscode.commands.registerCommand(entry.id, (...args: unknown[]) => deps.runner.run(entry.title, () => entry.run(deps, ...args))));
  }
  return { prompts };
}
