import * as vscode from 'vscode';
import { helpForError } from '../../ui/errorHelp';
import { vmCountLabel } from '../filter';
import type { HostSession } from '../hostSession';
import { groupKeys } from './vmGroupNode';
import { CONNECTION_STATE_LABEL, connectionContextValue, runningCount } from '../vmState';
import type { NodeBase, TreeNode } from '../treeNode';
import { MessageNode } from './messageNode';
import { md } from '../markdown';
import { formatKiB } from '../format';
import { compareNatural } from '../../libvirt/naturalOrder';

/** A libvirt connection: its state, then its VMs and the Networks / Storage Pools / Host Devices groups. */
export class ConnectionNode implements NodeBase {
  readonly kind = 'connection';
  readonly parent = undefined;

  constructor(readonly session: HostSession) {}

  get id(): string {
    return `conn:${this.session.id}`;
  }

  /**
   * The row without its tooltip: the tree asks for the row again at every state change and
   * listing, and VS Code parses a Markdown tooltip each time it receives one (to find its links).
   * The tooltip is made when the row is hovered (resolveTreeItem).
   */
  getTreeItem(): vscode.TreeItem {
    const { config } = this.session;
    const state = this.session.displayState;
    const item = new vscode.TreeItem(config.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.contextValue = connectionContextValue(state.kind, config.autoconnect);
    switch (state.kind) {
      case 'idle':
        item.iconPath = new vscode.ThemeIcon('debug-disconnect');
        item.description = CONNECTION_STATE_LABEL.idle;
        break;
      case 'connecting':
        item.iconPath = new vscode.ThemeIcon('loading~spin');
        item.description = state.attempt > 1 ? `${CONNECTION_STATE_LABEL.connecting} (attempt ${state.attempt})` : CONNECTION_STATE_LABEL.connecting;
        break;
      case 'connected':
        item.iconPath = new vscode.ThemeIcon('server', new vscode.ThemeColor('testing.iconPassed'));
        item.description = this.session.isLoaded ? vmCountLabel(this.session.treeContext.filter, this.session.shownVms().length, this.session.snapshots().length) : CONNECTION_STATE_LABEL.connected;
        break;
      case 'disconnected':
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.description = `${CONNECTION_STATE_LABEL.disconnected}: ${state.reason}`;
        break;
    }
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem): Promise<vscode.TreeItem> {
    return Promise.resolve(this.withTooltip(item));
  }

  /** `item` (this row's) with its tooltip: name, URI, and the host's details or the failure. */
  withTooltip(item: vscode.TreeItem): vscode.TreeItem {
    const { config } = this.session;
    const state = this.session.displayState;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(md`**${config.name}**\n\n`).appendCodeblock(config.uri, 'text');
    if (state.kind === 'connected') tooltip.appendMarkdown(this.hostMarkdown());
    else if (state.kind === 'disconnected') {
      tooltip.appendMarkdown(md`\n\nDisconnected: ${state.reason}`);
      if (this.session.managed.state.kind === 'connecting') tooltip.appendMarkdown('\n\nRetrying now…');
      else if (state.retryInMs !== undefined) tooltip.appendMarkdown(`\n\nRetrying automatically in ${Math.ceil(state.retryInMs / 1000)} s.`);
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
      case 'disconnected': {
        const help = helpForError(state.reason);
        return [
          msg('reason', state.reason, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')), tooltip: state.reason }),
          msg('retry', 'Retry now', { icon: new vscode.ThemeIcon('refresh'), command: { title: 'Retry', command: 'libvirtVms.connection.retry', arguments: arg } }),
          ...(help
            ? [
                msg('help', `How to fix: ${help.title}`, {
                  icon: new vscode.ThemeIcon('question'),
                  tooltip: `Opens the guide's section "${help.title}"`,
                  command: { title: 'Open Help', command: 'libvirtVms.help.open', arguments: [{ doc: help.doc, section: help.section }] },
                }),
              ]
            : []),
        ];
      }
      case 'connected':
        break;
    }
    const groups = [s.groups.networks, s.groups.pools, s.groups.devices, s.groups.interfaces, s.groups.secrets];
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
    const shown = s.shownVms();
    shown.sort((a, b) => compareNatural(a.ref.name, b.ref.name));
    if (shown.length === 0) {
      return [
        msg('filtered', `No VMs match "${filter.text}" (${all.length} hidden)`, {
          icon: new vscode.ThemeIcon('filter'),
          command: { title: 'Clear Filter', command: 'libvirtVms.clearFilter' },
        }),
        ...groups,
      ];
    }
    const grouping = s.treeContext.grouping;
    // All hosts together: the VMs are listed in the tag rows at the top; the connection keeps its resources.
    if (grouping === 'allHostsByTag') return groups;
    if (grouping === 'tag' && s.tagsPending()) return [msg('tags', 'Reading tags…', { icon: new vscode.ThemeIcon('loading~spin') }), ...groups];
    if (grouping === 'tag' || grouping === 'state') {
      const rows = s.vmGroups.rows(this, () => [s], groupKeys([s], grouping));
      return [...rows, ...groups];
    }
    const vmNodes = shown.map((v) => s.vmNode(v.ref.uuid)).filter((n): n is NonNullable<typeof n> => n !== undefined);
    return [...vmNodes, ...groups];
  }

  /** Host name, versions, CPU, memory and running VMs, for the tooltip (host data escaped by md). */
  private hostMarkdown(): string {
    const d = this.session.hostDetails;
    const lines: string[] = [];
    if (d?.hostname) lines.push(md`Host: ${d.hostname}`);
    const versions = [d?.libvirtVersion ? md`libvirt ${d.libvirtVersion}` : '', d?.hypervisor ? md`${d.hypervisor}${d.hypervisorVersion ? ` ${d.hypervisorVersion}` : ''}` : ''].filter((v) => v !== '');
    if (versions.length > 0) lines.push(versions.join(' · '));
    const n = d?.node;
    if (n) {
      const count = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
      const topology = n.sockets > 0 && n.cores > 0 && n.threads > 0 ? md` (${count(n.sockets, 'socket')} × ${count(n.cores, 'core')} × ${count(n.threads, 'thread')})` : '';
      lines.push(md`CPU: ${n.model}, ${n.cpus} CPU${n.cpus === 1 ? '' : 's'}` + topology + (n.mhz > 0 ? md`, ${n.mhz} MHz` : ''));
      lines.push(md`Memory: ${formatKiB(n.memory)}`);
    }
    if (this.session.isLoaded) {
      const all = this.session.snapshots();
      lines.push(md`Running VMs: ${runningCount(all)} of ${all.length}`);
    }
    return lines.length > 0 ? `\n\n${lines.join('  \n')}` : '';
  }
}
