import { lifecycleCommand } from './lifecycleCommand';

/** Saves VMs' memory to disk and stops them (libvirt's managed save); Start or Restore resumes. */
export const saveVm = lifecycleCommand({
  title: 'Save VMs',
  progressVerb: 'Saving',
  pastVerb: 'Saved',
  states: ['running', 'paused'],
  none: 'No running VMs to save.',
  run: (t) => t.conn.domainManagedSave(t.dom),
});
