// The alert commands: the rule editor, and the actions of the Alerts view's rows.

import type { Alert } from '../../libvirt/alerts/engine';
import { runAlertAction, type AlertActionId } from '../../views/alerts/alertService';
import type { CommandDeps, CommandEntry } from '../registry';
import { editAlertRules, newAlertRule } from './ruleEditor';

/** The alert of an Alerts view row (the view passes its node). */
function alertOf(deps: CommandDeps, node: unknown): Alert {
  if (typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'alert') {
    const id = (node as { alert?: { id?: unknown } }).alert?.id;
    const alert = [...deps.alerts.active(), ...deps.alerts.recent()].find((a) => a.id === id);
    if (alert) return alert;
  }
  throw new Error('Pick an alert in the Alerts view.');
}

const action =
  (id: AlertActionId) =>
  (deps: CommandDeps, node: unknown): Promise<void> =>
    runAlertAction(alertOf(deps, node), id);

export const alertCommands: readonly CommandEntry[] = [
  { id: 'libvirtVms.alerts.newRule', title: 'New Alert Rule', run: (deps) => newAlertRule({ prompts: deps.prompts, sessions: () => deps.tree.sessions() }) },
  { id: 'libvirtVms.alerts.editRules', title: 'Edit Alert Rules', run: (deps) => editAlertRules({ prompts: deps.prompts, sessions: () => deps.tree.sessions() }) },
  {
    id: 'libvirtVms.alerts.dismiss',
    title: 'Dismiss Alert',
    run: (deps, node) => {
      const alert = alertOf(deps, node);
      if (!deps.alerts.dismiss(alert.id)) throw new Error(`The alert about ${alert.subject.label} is no longer active.`);
    },
  },
  { id: 'libvirtVms.alerts.clearRecent', title: 'Clear Recent Alerts', run: (deps) => deps.alerts.clearRecent() },
  { id: 'libvirtVms.alerts.openDetails', title: 'Open Details', run: action('details') },
  { id: 'libvirtVms.alerts.startVm', title: 'Start VM', run: action('start') },
];
