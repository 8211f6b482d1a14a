import { lifecycleCommand } from './lifecycleCommand';

/** Injects a non-maskable interrupt (guests usually dump or panic: a debugging aid). */
export const sendNmiVm = lifecycleCommand({
  title: 'Send NMI',
  progressVerb: 'Sending an NMI to',
  pastVerb: 'Sent an NMI to',
  states: ['running'],
  none: 'No running VMs.',
  run: (t) => t.conn.domainInjectNmi(t.dom),
});
