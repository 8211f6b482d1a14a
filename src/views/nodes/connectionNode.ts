import * as vscode from 'vscode';
import { isEmptyFilter, matchesFilter } from '../filter';
import type { HostSession } from '../hostSession';
import type { NodeBase, TreeNode } from '../treeNode';
import { MessageNode } from './messageNode';
import { md } from '../markdown';

/** A libvirt connection: its state, then its VMs and the Networks / Storage Pools / Host Devices groups. */
export class ConnectionNode implements NodeBase {
  readonly kind = 'connection';
  readonly parent = undefined;

  constructor(readonly session: HostSession) {}

  get id(): string {
    return `conn:${this.session.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const { config } = this.session;
    const state = this.session.displayState;
    const item = new vscode.TreeItem(config.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.contextValue = `connection.${state.kind}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(md`**${config.name}**\n\n`).appendCodeblock(config.uri, 'text');
    switch (state.kind) {
      case 'idle':
        item.iconPath = new vscode.ThemeIcon('debug-disconnect');
        item.description = 'not connected';
        break;
      case 'connecting':
        item.iconPath = new vscode.ThemeIcon('loading~spin');
        item.description = state.attempt > 1 ? `connecting… (attempt ${state.attempt})` : 'connecting…';
        break;
      case 'connected': {
        item.iconPath = new vscode.ThemeIcon('server', new vscode.ThemeColor('testing.iconPassed'));
        const n = this.session.snapshots().length;
        item.description = this.session.isLoaded ? `${n} VM${n === 1 ? '' : 's'}` : 'connected';
        break;
      }
      case 'disconnected':
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.description = `disconnected: ${state.reason}`;
        tooltip.appendMarkdown(md`\n\nDisconnected: ${state.reason}`);
        if (this.session.managed.state.kind === 'connecting') tooltip.appendMarkdown('\n\nRetrying now…');
        else if (state.retryInMs !== undefined) tooltip.appendMarkdown(`\n\nRetrying automatically in ${Math.ceil(state.retryInMs / 1000)} s.`);
        break;
    }
    item.tooltip = tooltip;
    return item;
  }

  getChildren(): TreeNode[] {
    const s = this.session;
    s.ensureStarted();
    const state = s.displayState;
    const msg = (key: string, text: string, opts?: ConstructorParameters<typeof MessageNode>[3]): MessageNode =>
      new MessageNode(this, `${this.id}/msg:${key}`, text, opts);
    const arg = [{ connectionId: s.id }];
    switch (state.kind) {
      case 'idle':
        return [msg('idle', 'Not connected. Connect', { icon: new vscode.ThemeIcon('plug'), command: { title: 'Connect', command: 'libvirtVms.connection.connect', arguments: arg } })];
      case 'connecting':
        return [msg('connecting', 'Connecting…', { icon: new vscode.ThemeIcon('loading~spin') })];
      case 'disconnected':
        return [
          msg('reason', state.reason, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')), tooltip: state.reason }),
          msg('retry', 'Retry now', { icon: new vscode.ThemeIcon('refresh'), command: { title: 'Retry', command: 'libvirtVms.connection.retry', arguments: arg } }),
        ];
      case 'connected':
        break;
    }
    const groups = [s.groups.networks, s.groups.pools, s.groups.devices];
    if (s.error !== undefined) {
      return [msg('error', `Could not list VMs: ${s.error}`, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')), command: { title: 'Refresh', command: 'libvirtVms.refresh', arguments: arg } }), ...groups];
    }
    if (!s.isLoaded) return [msg('loading', 'Loading…', { icon: new vscode.ThemeIcon('loading~spin') })];
    const all = s.snapshots();
    if (all.length === 0) {
      return [
        msg('empty', 'No virtual machines. Create one… (Refresh)', {
          icon: new vscode.ThemeIcon('info'),
          tooltip: 'This host has no virtual machines yet. Click to refresh, or use Add Connection to manage another host.',
          command: { title: 'Refresh', command: 'libvirtVms.refresh', arguments: arg },
        }),
        ...groups,
      ];
    }
    const filter = s.treeContext.filter;
    const shown = isEmptyFilter(filter) ? all : all.filter((v) => matchesFilter(filter, { name: v.ref.name, state: v.state, tags: v.tags }));
    shown.sort((a, b) => a.ref.name.localeCompare(b.ref.name, undefined, { numeric: true }));
    const vmNodes = shown.map((v) => s.vmNode(v.ref.uuid)).filter((n): n is NonNullable<typeof n> => n !== undefined);
    if (vmNodes.length === 0) {
      return [
        msg('filtered', `No VMs match "${filter.text}" (${all.length} hidden)`, {
          icon: new vscode.ThemeIcon('filter'),
          command: { title: 'Clear Filter', command: 'libvirtVms.clearFilter' },
        }),
        ...groups,
      ];
    }
    return [...vmNodes, ...groups];
  }
}
