import { explainVmStartError } from '../../libvirt/resources/missingInterfaces';
import { lifecycleCommand } from './lifecycleCommand';

/**
 * Starts shut-off VMs; a VM with a saved state resumes from it (libvirt's managed save). A refusal
 * because the host cannot pass devices through, or because a bridge or NIC the VM uses is missing
 * on the host, says so and what to do about it.
 */
export const startVm = lifecycleCommand({
  title: 'Start VMs',
  progressVerb: 'Starting',
  pastVerb: 'Started',
  states: ['shutoff', 'crashed', 'saved'],
  none: 'No shut-off VMs to start.',
  run: (t) =>
    t.conn.domainCreate(t.dom).catch(async (e: unknown) => {
      throw await explainVmStartError(t.conn, t.dom, e);
    }),
});
