import { lifecycleCommand } from './lifecycleCommand';

/** Pauses VMs (their vCPUs stop; memory stays allocated). */
export const pauseVm = lifecycleCommand({
  title: 'Pause VMs',
  progressVerb: 'Pausing',
  pastVerb: 'Paused',
  states: ['running'],
  none: 'No running VMs to pause.',
  run: (t) => t.conn.domainSuspend(t.dom),
});
