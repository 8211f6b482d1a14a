import { offerClockSync } from './guestAgentCommands';
import { lifecycleCommand } from './lifecycleCommand';
import { explainVmStartError } from '../../libvirt/resources/missingInterfaces';

/** Starts VMs from their saved state (domainCreate uses the managed save image when present). */
export const restoreVm = lifecycleCommand({
  title: 'Restore VMs',
  progressVerb: 'Restoring',
  pastVerb: 'Restored',
  states: ['saved'],
  none: 'No saved VMs to restore.',
  run: (t) =>
    t.conn.domainCreate(t.dom).catch(async (e: unknown) => {
      throw await explainVmStartError(t.conn, t.dom, e);
    }),
  after: (deps, t) => offerClockSync(deps, t, 'restored'),
});
