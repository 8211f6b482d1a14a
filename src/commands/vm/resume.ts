import { offerClockSync } from './guestAgentCommands';
import { lifecycleCommand } from './lifecycleCommand';

export const resumeVm = lifecycleCommand({
  title: 'Resume VMs',
  progressVerb: 'Resuming',
  pastVerb: 'Resumed',
  states: ['paused'],
  none: 'No paused VMs to resume.',
  run: (t) => t.conn.domainResume(t.dom),
  after: (deps, t) => offerClockSync(deps, t, 'resumed'),
});
