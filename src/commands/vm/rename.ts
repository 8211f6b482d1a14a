import { VirDomainState } from '../../libvirt/generated/libvirtConstants';
import { UserCancelledError } from '../../ui/cancel';
import type { CommandHandler } from '../commandHandler';
import { currentState, resolveTarget } from '../vmTargets';
import { vmNameProblem } from './vmNameRules';

export class VmMustBeShutOffError extends Error {
  constructor(vmName: string, what: string) {
    super(`${what} works only on shut-off VMs: shut "${vmName}" down first.`);
    this.name = 'VmMustBeShutOffError';
  }

  static is(e: unknown): e is VmMustBeShutOffError {
    return e instanceof VmMustBeShutOffError;
  }
}

/** Renames a shut-off VM (libvirt's virDomainRename only accepts inactive domains). */
export const renameVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Rename VM', states: ['shutoff', 'crashed'], none: 'No shut-off VMs to rename (libvirt renames only shut-off VMs).' });
  if ((await currentState(t)) !== VirDomainState.SHUTOFF) throw new VmMustBeShutOffError(t.dom.name, 'Renaming');
  const taken = new Set((await t.conn.connectListAllDomains()).map((d) => d.name));
  const newName = await deps.prompts.input({
    title: `Rename "${t.dom.name}"`,
    prompt: 'New name for the VM (it must be shut off)',
    value: t.dom.name,
    validate: (v) => vmNameProblem(v, taken, t.dom.name),
  });
  if (newName === undefined || newName === t.dom.name) throw new UserCancelledError('Rename VM');
  const renamed = await t.conn.domainRename(t.dom, newName);
  deps.log.info(`Renamed VM "${t.dom.name}" to "${renamed.name}"`);
  void t.host.refresh();
  return renamed;
};
