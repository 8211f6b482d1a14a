import * as vscode from 'vscode';
import type { PromptSeam } from './commands/prompts';
import { registerCommands } from './commands/registry';
import { ConnectionRegistry } from './connections/connectionRegistry';
import { ConnectionSecrets } from './connections/connectionSecrets';
import { ConnectionStore } from './connections/connectionStore';
import { connectionErrorHints } from './connections/errorHints';
import { createManagedFactory } from './connections/managedFactory';
import { OsinfoCatalogs } from './libvirt/osinfo';
import { parseUri } from './libvirt/uri';
import { createLog, errorMessage } from './ui/log';
import { CommandRunner } from './ui/runCommand';
import { HostsStatusBar } from './ui/statusBar';
import { createTreeTestApi, type TreeTestApi } from './views/treeTestApi';
import { TREE_VIEW_ID, VmTree } from './views/vmTree';
import { VmDetailsPanels } from './webviews/vmDetails/panels';
import { registerXmlEditor } from './xmlEditor/register';
import { sshExec } from './xmlEditor/schema/schemaSource';

/** What activate() returns: used by the extension-host tests. */
export interface ExtensionApi {
  readonly tree: TreeTestApi;
  readonly connections: ConnectionRegistry;
  /** Remembered passwords per connection. */
  readonly secrets: ConnectionSecrets;
  /** Answers the VM commands' confirmations and picks in tests (see src/commands/prompts.ts). */
  readonly prompts: PromptSeam;
  /** The open VM details tabs (tests drive a tab opened by the command). */
  readonly details: VmDetailsPanels;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = createLog();
  const runner = new CommandRunner({ log, hints: connectionErrorHints });
  const connections = new ConnectionRegistry(new ConnectionStore(), createManagedFactory(context.secrets));
  const secrets = new ConnectionSecrets(context.secrets, context.globalState);
  // Lists the local connection at once on first run, so the tree's first rows show it.
  connections.addLocalOnFirstRun(context.globalState).catch((err: unknown) => log.error(`Adding the local connection failed: ${errorMessage(err)}`));
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
  // The OS lists are read when a details tab first needs one: this machine's osinfo-db, else the host's over SSH.
  const osinfo = new OsinfoCatalogs((uri) => (parseUri(uri).transport === 'ssh' ? sshExec(uri) : undefined), undefined, (m) => log.warn(m));
  const { prompts } = registerCommands(context, { context, tree, connections, secrets, runner, log, details, osinfo });
  registerXmlEditor(context, { connections, prompts, log });
  return { tree: createTreeTestApi(tree), connections, secrets, prompts, details };
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
