import { joinNames, lifecycleCommand } from './lifecycleCommand';

/** Resets VMs like a reset button, after a modal that names them. */
export const forceResetVm = lifecycleCommand({
  title: 'Force Reset VMs',
  progressVerb: 'Resetting',
  pastVerb: 'Reset',
  states: ['running', 'paused'],
  none: 'No running VMs to reset.',
  confirm: (targets) => ({
    message: `Force reset ${joinNames(targets)}?`,
    detail: 'This is like pressing the reset button: the guest restarts at once and unsaved data in it is lost.',
    button: 'Force Reset',
  }),
  run: (t) => t.conn.domainReset(t.dom),
});
