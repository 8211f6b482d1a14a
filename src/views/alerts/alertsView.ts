// The "Alerts" view in the Virtual Machines container: active alerts, then recent (resolved)
// ones; a badge on the view counts the active alerts. Without rules, the view's welcome content
// offers "New Alert Rule…" (package.json viewsWelcome).

import * as vscode from 'vscode';
import type { Alert } from '../../libvirt/alerts/engine';
import { escapeMarkdown } from '../markdown';
import { ALERTS_VIEW_ID, notificationText, type AlertService } from './alertService';

export type AlertsNode =
  | { readonly kind: 'group'; readonly group: 'active' | 'recent' }
  | { readonly kind: 'alert'; readonly alert: Alert }
  | { readonly kind: 'message'; readonly text: string; readonly icon: string };

function time(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

/** The tree item of one alert: subject as label, message as description, all of it in the tooltip. */
export function alertTreeItem(alert: Alert): vscode.TreeItem {
  const item = new vscode.TreeItem(alert.subject.label, vscode.TreeItemCollapsibleState.None);
  const firing = alert.phase === 'firing';
  item.id = `alert:${alert.id}`;
  item.description = firing ? `${alert.message} · ${alert.rule}` : `${alert.resolution ?? 'resolved'} · ${alert.rule}`;
  const severe = alert.kind === 'crashed' || alert.kind === 'hostUnreachable';
  item.iconPath = firing ? new vscode.ThemeIcon(severe ? 'error' : 'warning', new vscode.ThemeColor(severe ? 'list.errorForeground' : 'list.warningForeground')) : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  const vm = alert.subject.vmUuid !== undefined;
  // A VM that crashed or stopped can be started from the row.
  const stopped = alert.kind === 'crashed' || alert.kind === 'unexpectedStop';
  item.contextValue = `alert.${firing ? 'firing' : 'resolved'}${vm ? '.vm' : ''}${vm && stopped ? '.stopped' : ''}`;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMarkdown(notificationText(alert))}**\n\n`);
  md.appendMarkdown(`Rule: ${escapeMarkdown(alert.rule)}  \nHost: ${escapeMarkdown(alert.subject.connectionName)}  \nFired: ${time(alert.firedAt)}`);
  if (alert.resolvedAt !== undefined) md.appendMarkdown(`  \nResolved: ${time(alert.resolvedAt)} (${escapeMarkdown(alert.resolution ?? '')})`);
  item.tooltip = md;
  item.accessibilityInformation = { label: `${firing ? 'Active' : 'Resolved'} alert: ${notificationText(alert)}` };
  if (vm && firing) item.command = { command: 'libvirtVms.alerts.openDetails', title: 'Open Details', arguments: [{ kind: 'alert', alert }] };
  return item;
}

export class AlertsView implements vscode.TreeDataProvider<AlertsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<AlertsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly view: vscode.TreeView<AlertsNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly groups = { active: { kind: 'group', group: 'active' } as const, recent: { kind: 'group', group: 'recent' } as const };

  constructor(private readonly service: AlertService) {
    this.view = vscode.window.createTreeView(ALERTS_VIEW_ID, { treeDataProvider: this, showCollapseAll: false });
    this.disposables.push(
      this.view,
      this.emitter,
      service.onDidChange(() => this.refresh()),
    );
    this.refresh();
  }

  private refresh(): void {
    const n = this.service.active().length;
    this.view.badge = n > 0 ? { value: n, tooltip: n === 1 ? '1 active alert' : `${n} active alerts` } : undefined;
    void vscode.commands.executeCommand('setContext', 'libvirtVms.alertRules', this.service.rules.rules.length > 0 || this.service.rules.problems.length > 0);
    this.emitter.fire(undefined);
  }

  getTreeItem(node: AlertsNode): vscode.TreeItem {
    if (node.kind === 'alert') return alertTreeItem(node.alert);
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.contextValue = 'alertMessage';
      return item;
    }
    const active = node.group === 'active';
    const count = active ? this.service.active().length : this.service.recent().length;
    const item = new vscode.TreeItem(active ? 'Active' : 'Recent', vscode.TreeItemCollapsibleState.Expanded);
    item.id = `alerts:${node.group}`;
    item.description = String(count);
    item.contextValue = `alertGroup.${node.group}`;
    item.iconPath = new vscode.ThemeIcon(active ? 'bell' : 'history');
    return item;
  }

  getChildren(node?: AlertsNode): AlertsNode[] {
    if (!node) return [this.groups.active, this.groups.recent];
    if (node.kind !== 'group') return [];
    if (node.group === 'active') {
      const active = this.service.active();
      if (active.length > 0) return active.map((alert) => ({ kind: 'alert', alert }));
      const { rules, problems } = this.service.rules;
      const text = rules.length === 0 ? (problems.length > 0 ? 'Every alert rule has a problem: Edit Alert Rules…' : 'No alert rules: New Alert Rule…') : `No active alerts (${rules.length} rule${rules.length === 1 ? '' : 's'} watching)`;
      return [{ kind: 'message', text, icon: rules.length === 0 ? 'info' : 'check' }];
    }
    const recent = this.service.recent();
    return recent.length > 0 ? recent.map((alert) => ({ kind: 'alert', alert })) : [{ kind: 'message', text: 'No resolved alerts yet', icon: 'history' }];
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
