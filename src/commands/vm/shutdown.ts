import { lifecycleCommand } from './lifecycleCommand';

/** Asks the guest to shut down (ACPI power button or guest agent); the guest may ignore it. */
export const shutdownVm = lifecycleCommand({
  title: 'Shut Down VMs',
  progressVerb: 'Shutting down',
  pastVerb: 'Asked to shut down',
  states: ['running'],
  none: 'No running VMs to shut down.',
  run: (t) => t.conn.domainShutdown(t.dom),
});
