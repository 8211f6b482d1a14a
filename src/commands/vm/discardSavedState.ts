import { joinNames, lifecycleCommand } from './lifecycleCommand';

/** Removes the managed save image: the next start boots from scratch. */
export const discardSavedStateVm = lifecycleCommand({
  title: 'Discard Saved State',
  progressVerb: 'Discarding the saved state of',
  pastVerb: 'Discarded the saved state of',
  states: ['saved'],
  none: 'No VMs have a saved state.',
  confirm: (targets) => ({
    message: `Discard the saved state of ${joinNames(targets)}?`,
    detail: 'The memory image is deleted; the next start boots the VM from scratch, as after a power loss.',
    button: 'Discard',
  }),
  run: (t) => t.conn.domainManagedSaveRemove(t.dom),
});
