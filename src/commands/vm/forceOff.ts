import { ACTIVE_STATES, joinNames, lifecycleCommand } from './lifecycleCommand';

/** Stops VMs immediately (libvirt's destroy), after a modal that names them. */
export const forceOffVm = lifecycleCommand({
  title: 'Force Off VMs',
  progressVerb: 'Forcing off',
  pastVerb: 'Forced off',
  states: ACTIVE_STATES,
  none: 'No running VMs to force off.',
  confirm: (targets) => ({
    message: `Force off ${joinNames(targets)}?`,
    detail: 'This is like pulling the power cord: the guest gets no chance to shut down and unsaved data in it is lost.',
    button: 'Force Off',
  }),
  run: (t) => t.conn.domainDestroy(t.dom),
});
