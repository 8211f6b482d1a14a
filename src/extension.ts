import * as vscode from 'vscode';
import type { PromptSeam } from './commands/prompts';
import { registerCommands } from './commands/registry';
import { ConnectionRegistry } from './connections/connectionRegistry';
import { ConnectionSecrets } from './connections/connectionSecrets';
import { ConnectionStore } from './connections/connectionStore';
import { connectionErrorHints } from './connections/errorHints';
import { createManagedFactory } from './connections/managedFactory';
import { createLog, errorMessage } from './ui/log';
import { CommandRunner } from './ui/runCommand';
import { HostsStatusBar } from './ui/statusBar';
import { createTreeTestApi, type TreeTestApi } from './views/treeTestApi';
import { TREE_VIEW_ID, VmTree } from './views/vmTree';
import { VmDetailsPanels } from './webviews/vmDetails/panels';
import { registerXmlEditor } from './xmlEditor/register';

/** What activate() returns: used by the extension-host tests. */
export interface ExtensionApi {
  readonly tree: TreeTestApi;
  readonly connections: ConnectionRegistry;
  /** Remembered passwords per connection. */
  readonly secrets: ConnectionSecrets;
  /** Answers the VM commands' confirmations and picks in tests (see src/commands/prompts.ts). */
  readonly prompts: PromptSeam;
  /** The open VM details tabs. */
  readonly details: VmDetailsPanels;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = createLog();
  const runner = new CommandRunner({ log, hints: connectionErrorHints });
  const connections = new ConnectionRegistry(new ConnectionStore(), createManagedFactory(context.secrets));
  const secrets = new ConnectionSecrets(context.secrets, context.globalState);
  const tree = new VmTree(connections, log);
  context.subscriptions.push(log, connections, tree, new HostsStatusBar(connections, `${TREE_VIEW_ID}.focus`));
  const details = new VmDetailsPanels(context.extensionUri);
  context.subscriptions.push(
    details,
    connections.onDidChangeState((entry) => {
      const s = entry.managed.state;
      if (s.kind === 'connected') details.setConnected(entry.config.id, true);
      else details.setConnected(entry.config.id, false, s.kind === 'disconnected' ? `${entry.config.name} is disconnected (${s.reason}).` : `${entry.config.name} is not connected.`);
    }),
  );
  const { prompts } = registerCommands(context, { context, tree, connections, secrets, runner, log, details });
  registerXmlEditor(context, { connections, prompts, log });
  connections.addLocalOnFirstRun(context.globalState).catch((err: unknown) => log.error(`Adding the local connection failed: ${errorMessage(err)}`));
  return { tree: createTreeTestApi(tree), connections, secrets, prompts, details };
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
