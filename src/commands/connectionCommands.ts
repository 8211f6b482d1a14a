// Connection commands: add, remove, rename, connect, retry, disconnect, autoconnect; and tree refresh,
// filter and the log. Each works from a tree node, a multi-selection, or the palette (quick pick).

import * as vscode from 'vscode';
import { askNewConnection } from '../connections/addConnection';
import type { ConnectionEntry } from '../connections/connectionRegistry';
import { detectLocalUri } from '../connections/localConnection';
import { required } from '../ui/cancel';
import { GroupNode } from '../views/nodes/groupNode';
import { CONNECTION_STATE_LABEL } from '../views/vmState';
import { TREE_VIEW_ID, VmTree } from '../views/vmTree';
import { connectionIdOf } from './args';
import type { CommandDeps, CommandEntry } from './registry';

/** Connections targeted by a command: the clicked node and the multi-selection, else a quick pick. */
export async function targets(deps: CommandDeps, args: unknown[], pickTitle: string, filter: (e: ConnectionEntry) => boolean = () => true): Promise<ConnectionEntry[]> {
  const [first, selection] = args;
  const ids = new Set<string>();
  const fromArgs = Array.isArray(selection) && selection.length > 0 ? selection : first !== undefined ? [first] : [];
  for (const a of fromArgs) {
    const id = connectionIdOf(a);
    if (id) ids.add(id);
  }
  if (ids.size > 0) return [...ids].map((id) => deps.connections.get(id));
  const candidates = deps.connections.list().filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(deps.connections.list().length === 0 ? 'No connections yet. Use "Add Connection".' : `${pickTitle}: no matching connection.`);
    return [];
  }
  if (candidates.length === 1) return candidates;
  const pick = required(
    await vscode.window.showQuickPick(
      candidates.map((e) => ({ label: e.config.name, description: `${CONNECTION_STATE_LABEL[e.managed.state.kind]} · ${e.config.uri}`, entry: e })),
      { title: pickTitle, canPickMany: false },
    ),
  );
  return [pick.entry];
}

/** Connects, with the view's progress bar running (the row itself only changes on success or a new error). */
async function connectAll(deps: CommandDeps, entries: readonly ConnectionEntry[]): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: TREE_VIEW_ID } }, () =>
    Promise.all(entries.map((e) => deps.connections.connect(e.config.id))),
  );
}

export const connectionCommands: readonly CommandEntry[] = [
  {
    id: 'libvirtVms.addConnection',
    title: 'Add Connection',
    async run(deps) {
      const config = await askNewConnection(detectLocalUri());
      const added = await deps.connections.add(config);
      await vscode.commands.executeCommand(`${TREE_VIEW_ID}.focus`);
      // The connection is saved either way; a failure to connect is reported as such.
      await deps.connections.connect(added.id).catch((err: unknown) => deps.runner.report(`Connecting to ${added.name}`, err));
    },
  },
  {
    id: 'libvirtVms.connection.remove',
    title: 'Remove Connection',
    async run(deps, ...args) {
      const entries = await targets(deps, args, 'Remove Connection');
      if (entries.length === 0) return;
      const names = entries.map((e) => `"${e.config.name}"`).join(', ');
      const ok = await deps.prompts.confirm({
        message: `Remove the connection${entries.length === 1 ? '' : 's'} ${names}?`,
        detail:
          'Its virtual machines are not touched. The saved connection and every password remembered for it ' +
          "(SSH password, key passphrase, console passwords) are removed from VS Code's secret storage.",
        button: 'Remove',
      });
      if (!ok) return;
      for (const e of entries) {
        await deps.connections.remove(e.config.id);
        const n = await deps.secrets.removeAll(e.config.id);
        deps.log.info(`Removed connection ${e.config.name} and ${n} remembered secret${n === 1 ? '' : 's'}`);
      }
    },
  },
  {
    id: 'libvirtVms.connection.rename',
    title: 'Rename Connection',
    async run(deps, ...args) {
      const [entry] = await targets(deps, args.slice(0, 1), 'Rename Connection');
      if (!entry) return;
      const name = required(
        await vscode.window.showInputBox({ title: 'Rename Connection', value: entry.config.name, validateInput: (v) => (v.trim() === '' ? 'The name cannot be empty' : undefined) }),
      );
      await deps.connections.update(entry.config.id, { name: name.trim() });
    },
  },
  {
    id: 'libvirtVms.connection.connect',
    title: 'Connect',
    async run(deps, ...args) {
      await connectAll(deps, await targets(deps, args, 'Connect', (e) => e.managed.state.kind !== 'connected'));
    },
  },
  {
    id: 'libvirtVms.connection.retry',
    title: 'Retry Connection',
    async run(deps, ...args) {
      await connectAll(deps, await targets(deps, args, 'Retry Connection', (e) => e.managed.state.kind === 'disconnected'));
    },
  },
  {
    id: 'libvirtVms.connection.disconnect',
    title: 'Disconnect',
    async run(deps, ...args) {
      for (const e of await targets(deps, args, 'Disconnect', (x) => x.managed.state.kind !== 'idle')) deps.connections.disconnect(e.config.id);
    },
  },
  ...([true, false] as const).map(
    (on): CommandEntry => ({
      id: on ? 'libvirtVms.connection.enableAutoconnect' : 'libvirtVms.connection.disableAutoconnect',
      title: on ? 'Enable Autoconnect' : 'Disable Autoconnect',
      async run(deps, ...args) {
        for (const e of await targets(deps, args, on ? 'Enable Autoconnect' : 'Disable Autoconnect', (x) => x.config.autoconnect !== on)) {
          await deps.connections.update(e.config.id, { autoconnect: on });
        }
      },
    }),
  ),
  {
    id: 'libvirtVms.refresh',
    title: 'Refresh',
    async run(deps, ...args) {
      const [node] = args;
      // A Networks / Storage Pools / Host Devices row lists its group again; anything else reloads its connection.
      if (node instanceof GroupNode) {
        deps.tree.provider.fire([node]);
        return;
      }
      await deps.tree.refresh(connectionIdOf(node));
    },
  },
  {
    id: 'libvirtVms.filter',
    title: 'Filter',
    async run(deps) {
      const text = required(
        await vscode.window.showInputBox({
          title: 'Filter Virtual Machines',
          value: deps.tree.filter.text,
          placeHolder: 'name words, state:running, state:off, tag:web',
          prompt: 'Plain words match the name; state: and tag: narrow further. Empty clears the filter.',
          validateInput: (v) => VmTree.filterError(v),
        }),
      );
      deps.tree.setFilterText(text);
    },
  },
  {
    id: 'libvirtVms.clearFilter',
    title: 'Clear Filter',
    run(deps) {
      deps.tree.setFilterText('');
    },
  },
  {
    id: 'libvirtVms.showLog',
    title: 'Show Log',
    run(deps) {
      deps.log.show(true);
    },
  },
];
