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
import { HelpDocs } from './ui/helpDocs';
import { CommandRunner } from './ui/runCommand';
import { HostsStatusBar } from './ui/statusBar';
import { PreviewDocuments } from './ui/previewDocuments';
import { createTreeTestApi, type TreeTestApi } from './views/treeTestApi';
import { TREE_VIEW_ID, VmTree } from './views/vmTree';
import { AddHardwarePanels } from './webviews/addHardware/panels';
import { VmDetailsPanels } from './webviews/vmDetails/panels';
import { PerformanceHistory } from './views/history/performanceHistory';
import { HostDashboards } from './webviews/hostDashboard/panel';
import { registerXmlEditor } from './xmlEditor/register';
import { sshExec } from './xmlEditor/schema/schemaSource';
import { OperationJournal } from './libvirt/alerts/operationJournal';
import { AlertService } from './views/alerts/alertService';
import { AlertsView } from './views/alerts/alertsView';

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
  /** The open Add Hardware tabs. */
  readonly addHardware: AddHardwarePanels;
  /** The open Host Dashboard tabs. */
  readonly dashboards: HostDashboards;
  /** The recorded performance history. */
  readonly history: PerformanceHistory;
  /** Alert rules, active and recent alerts, and the notifications shown. */
  readonly alerts: AlertService;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = createLog();
  const help = new HelpDocs(context.extensionUri);
  const runner = new CommandRunner({ log, hints: connectionErrorHints, openHelp: (topic) => help.openTopic(topic) });
  // Every stop this extension asks for is noted, so the alerts can tell a stop nobody asked for here.
  const journal = new OperationJournal();
  const connections = new ConnectionRegistry(new ConnectionStore(), createManagedFactory(context.secrets, journal));
  const secrets = new ConnectionSecrets(context.secrets, context.globalState);
  // Lists the local connection at once on first run, so the tree's first rows show it.
  connections.addLocalOnFirstRun(context.globalState).catch((err: unknown) => log.error(`Adding the local connection failed: ${errorMessage(err)}`));
  const history = new PerformanceHistory(context.globalStorageUri.fsPath, log);
  closeHistory = () => history.close();
  const tree = new VmTree(connections, log, history);
  history.attach(() => tree.sessions(), tree.onDidChangeSessions);
  context.subscriptions.push(log, connections, tree, history, new HostsStatusBar(connections, `${TREE_VIEW_ID}.focus`));
  const alerts = new AlertService({ sessions: () => tree.sessions(), onDidChange: connections.onDidChange }, journal, log);
  context.subscriptions.push(alerts, new AlertsView(alerts));
  const details = new VmDetailsPanels(context.extensionUri);
  const addHardware = new AddHardwarePanels(context.extensionUri);
  const dashboards = new HostDashboards(context.extensionUri);
  context.subscriptions.push(
    details,
    addHardware,
    dashboards,
    connections.onDidChangeState((entry) => {
      const s = entry.managed.state;
      const reason = s.kind === 'connected' ? undefined : s.kind === 'disconnected' ? `${entry.config.name} is disconnected (${s.reason}).` : `${entry.config.name} is not connected.`;
      details.setConnected(entry.config.id, reason === undefined, reason);
      addHardware.setConnected(entry.config.id, reason === undefined, reason);
    }),
  );
  // The OS lists are read when a details tab first needs one: this machine's osinfo-db, else the host's over SSH.
  const osinfo = new OsinfoCatalogs((uri) => (parseUri(uri).transport === 'ssh' ? sshExec(uri) : undefined), undefined, (m) => log.warn(m));
  const previews = new PreviewDocuments();
  context.subscriptions.push(previews);
  const { prompts } = registerCommands(context, { context, tree, connections, secrets, runner, log, details, addHardware, osinfo, alerts, previews, history, dashboards });
  registerXmlEditor(context, { connections, prompts, log, osinfo });
  return { tree: createTreeTestApi(tree), connections, secrets, prompts, details, addHardware, alerts, dashboards, history };
}

/** Writes the performance history on deactivate (the one thing that must finish before exit). */
let closeHistory: (() => Promise<void>) | undefined;

export async function deactivate(): Promise<void> {
  // Everything else is released through context.subscriptions.
  const close = closeHistory;
  closeHistory = undefined;
  await close?.();
}
