// Host Dashboard: opens (or shows) the dashboard tab of a connection, from its row or the palette.

import * as vscode from 'vscode';
import { STATE_LABEL } from '../views/vmState';
import type { DashboardSource } from '../webviews/hostDashboard/panel';
import { targets } from './connectionCommands';
import type { CommandDeps, CommandEntry } from './registry';

function dashboardSource(deps: CommandDeps, connectionId: string): DashboardSource {
  const session = deps.tree.session(connectionId);
  if (!session) throw new Error('This connection is no longer in the list.');
  return {
    connectionId,
    title: session.config.name,
    vms: () =>
      session
        .snapshots()
        .map((s) => ({ uuid: s.ref.uuid, name: s.ref.name, tags: s.tags, state: STATE_LABEL[s.state] }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    history: () => deps.history.host(connectionId),
    tagsKnown: () => !session.tagsPending(),
    loadTags: () => session.loadTagsForFilter(),
    openDetails: (uuid) => void vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid }),
    onDidRecord: (listener, thisArgs, disposables) => deps.history.onDidRecord((id) => id === connectionId && listener.call(thisArgs, undefined), undefined, disposables),
    log: deps.log,
  };
}

export const dashboardCommands: readonly CommandEntry[] = [
  {
    id: 'libvirtVms.connection.showDashboard',
    title: 'Host Dashboard',
    async run(deps, ...args) {
      const [entry] = await targets(deps, args, 'Host Dashboard');
      if (!entry) return undefined;
      if (!deps.history.enabled) void vscode.window.showInformationMessage('The performance history is off (libvirtVms.history.enabled): the dashboard shows nothing new until it is on.');
      return deps.dashboards.show(dashboardSource(deps, entry.config.id));
    },
  },
];
