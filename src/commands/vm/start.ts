import { lifecycleCommand } from './lifecycleCommand';

/** Starts shut-off VMs; a VM with a saved state resumes from it (libvirt's managed save). */
export const startVm = lifecycleCommand({
  title: 'Start VMs',
  progressVerb: 'Starting',
  pastVerb: 'Started',
  states: ['shutoff', 'crashed', 'saved'],
  none: 'No shut-off VMs to start.',
  run: (t) => t.conn.domainCreate(t.dom),
});
