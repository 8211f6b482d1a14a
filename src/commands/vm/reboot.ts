import { lifecycleCommand } from './lifecycleCommand';

/** Asks the guest to reboot (ACPI or guest agent). */
export const rebootVm = lifecycleCommand({
  title: 'Reboot VMs',
  progressVerb: 'Rebooting',
  pastVerb: 'Asked to reboot',
  states: ['running'],
  none: 'No running VMs to reboot.',
  run: (t) => t.conn.domainReboot(t.dom),
});
