// Alerts in VS Code: the rules from the setting (checked on every read; a bad rule gets one warning
// naming it and its field, the others still work), the monitor fed by every host of the tree,
// and one notification per alert as it fires, with the actions that fit its subject.

import * as vscode from 'vscode';
import type { Alert, AlertChange } from '../../libvirt/alerts/engine';
import { AlertMonitor } from '../../libvirt/alerts/monitor';
import type { OperationJournal } from '../../libvirt/alerts/operationJournal';
import { parseRules, type ParsedRules } from '../../libvirt/alerts/rules';
import type { Disposable } from '../../libvirt/rpc/types';
import type { HostSession } from '../hostSession';
import { alertHostOf } from './alertHost';

export const ALERT_RULES_SETTING = 'libvirtVms.alerts.rules';
export const ALERTS_VIEW_ID = 'libvirtVms.alerts';

/** The commands a notification's buttons run (ids from package.json). */
export const ALERT_ACTIONS = {
  console: { title: 'Open Console', command: 'libvirtVms.console.open' },
  details: { title: 'Open Details', command: 'libvirtVms.vm.openDetails' },
  start: { title: 'Start', command: 'libvirtVms.vm.start' },
  show: { title: 'Show Alerts', command: `${ALERTS_VIEW_ID}.focus` },
} as const;

export type AlertActionId = keyof typeof ALERT_ACTIONS;

/** A notification as shown (kept for the tests, which cannot read VS Code's toasts). */
export interface ShownNotification {
  readonly alertId: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly actions: readonly string[];
}

/** The buttons of an alert's notification: VM alerts open the VM, a stopped VM can be started. */
export function alertActions(alert: Alert): AlertActionId[] {
  if (alert.subject.vmUuid === undefined) return ['show'];
  if (alert.kind === 'crashed' || alert.kind === 'unexpectedStop') return ['start', 'details', 'show'];
  return ['console', 'details', 'show'];
}

export function notificationText(alert: Alert): string {
  const where = alert.subject.vmUuid !== undefined || alert.kind === 'poolFull' ? ` on ${alert.subject.connectionName}` : '';
  return `${alert.rule}: ${alert.subject.label}${where}: ${alert.message}`;
}

export interface SessionSource {
  sessions(): HostSession[];
  /** Fires when connections are added, removed or replaced. */
  readonly onDidChange: vscode.Event<void>;
}

export class AlertService implements vscode.Disposable {
  readonly monitor: AlertMonitor;
  private readonly hosts = new Map<HostSession, Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<AlertChange | undefined>();
  /** Fires when an alert fires, updates or resolves, and when the rules change (undefined). */
  readonly onDidChange = this.changeEmitter.event;
  private lastProblems = '';
  private parsed: ParsedRules = { rules: [], problems: [] };
  readonly notifications: ShownNotification[] = [];

  constructor(
    private readonly sessions: SessionSource,
    journal: OperationJournal,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.monitor = new AlertMonitor({ journal, log: (m) => log.trace(`alerts: ${m}`) });
    this.disposables.push(
      this.changeEmitter,
      { dispose: () => this.monitor.dispose() },
      sessions.onDidChange(() => this.syncHosts()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(ALERT_RULES_SETTING)) this.readRules();
      }),
    );
    const sub = this.monitor.engine.onDidChange((c) => this.onChange(c));
    this.disposables.push({ dispose: () => sub.dispose() });
    this.readRules();
    this.syncHosts();
  }

  /** The rules read last, with the problems of the refused ones. */
  get rules(): ParsedRules {
    return this.parsed;
  }

  active(): Alert[] {
    return this.monitor.engine.active();
  }

  recent(): readonly Alert[] {
    return this.monitor.engine.recent();
  }

  dismiss(alertId: string): boolean {
    return this.monitor.engine.dismiss(alertId);
  }

  clearRecent(): void {
    this.monitor.engine.clearRecent();
    this.changeEmitter.fire(undefined);
  }

  /** Re-reads the setting (also called by the rule editor after writing it). */
  readRules(): void {
    const raw = vscode.workspace.getConfiguration().get<unknown>(ALERT_RULES_SETTING, []);
    this.parsed = parseRules(raw);
    this.monitor.setRules(this.parsed.rules);
    const problems = this.parsed.problems.join('\n');
    if (problems !== this.lastProblems) {
      this.lastProblems = problems;
      for (const p of this.parsed.problems) this.log.warn(p);
      if (this.parsed.problems.length > 0) void this.warnProblems(this.parsed.problems);
    }
    if (this.parsed.rules.length > 0) for (const s of this.sessions.sessions()) s.ensureStarted();
    this.changeEmitter.fire(undefined);
  }

  private async warnProblems(problems: readonly string[]): Promise<void> {
    const text = problems.length === 1 ? problems[0]! : `${problems.length} alert rules are ignored: ${problems.join(' · ')}`;
    const pick = await vscode.window.showWarningMessage(text, 'Edit Alert Rules…', 'Open Settings');
    if (pick === 'Edit Alert Rules…') await vscode.commands.executeCommand('libvirtVms.alerts.editRules');
    if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', ALERT_RULES_SETTING);
  }

  private syncHosts(): void {
    const now = new Set(this.sessions.sessions());
    for (const [s, d] of this.hosts) {
      if (now.has(s)) continue;
      d.dispose();
      this.hosts.delete(s);
    }
    for (const s of now) {
      if (this.hosts.has(s)) continue;
      this.hosts.set(s, this.monitor.addHost(alertHostOf(s)));
      if (this.parsed.rules.length > 0) s.ensureStarted();
    }
  }

  private onChange(c: AlertChange): void {
    this.changeEmitter.fire(c);
    if (c.type === 'fired') void this.notify(c.alert);
    if (c.type === 'resolved') this.log.info(`Alert resolved: ${notificationText(c.alert)} (${c.alert.resolution ?? ''})`);
  }

  private async notify(alert: Alert): Promise<void> {
    const severity = alert.kind === 'crashed' || alert.kind === 'hostUnreachable' ? 'error' : 'warning';
    const message = notificationText(alert);
    const ids = alertActions(alert);
    const titles = ids.map((id) => ALERT_ACTIONS[id].title);
    this.log.warn(`Alert: ${message}`);
    this.notifications.push({ alertId: alert.id, severity, message, actions: titles });
    if (this.notifications.length > 100) this.notifications.splice(0, this.notifications.length - 100);
    const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const picked = await show(message, ...titles);
    const id = ids.find((i) => ALERT_ACTIONS[i].title === picked);
    if (id) await runAlertAction(alert, id);
  }

  dispose(): void {
    for (const d of this.hosts.values()) d.dispose();
    this.hosts.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Runs one of an alert's actions (notification button or alerts list context menu). */
export async function runAlertAction(alert: Alert, id: AlertActionId): Promise<void> {
  const action = ALERT_ACTIONS[id];
  if (id === 'show' || alert.subject.vmUuid === undefined) {
    await vscode.commands.executeCommand(ALERT_ACTIONS.show.command);
    return;
  }
  await vscode.commands.executeCommand(action.command, { connectionId: alert.subject.connectionId, uuid: alert.subject.vmUuid });
}
