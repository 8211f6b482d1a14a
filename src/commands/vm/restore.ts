import { lifecycleCommand } from './lifecycleCommand';

/** Starts VMs from their saved state (domainCreate uses the managed save image when present). */
export const restoreVm = lifecycleCommand({
  title: 'Restore VMs',
  progressVerb: 'Restoring',
  pastVerb: 'Restored',
  states: ['saved'],
  none: 'No saved VMs to restore.',
  run: (t) => t.conn.domainCreate(t.dom),
});
