// Edit Title / Edit Description: libvirt's <title> (one line, shown in lists) and <description>.
// virDomainSetMetadata with VIR_DOMAIN_METADATA_TITLE/DESCRIPTION; a running persistent VM is
// changed both live and in its saved definition (libvirt-domain.h, virDomainModificationImpact).

import { VirDomainMetadataType, VirDomainModificationImpact, VirErrorNumber } from '../../libvirt/generated/libvirtConstants';
import { LibvirtError } from '../../libvirt/rpc/errors';
import { UserCancelledError } from '../../ui/cancel';
import type { CommandHandler } from '../commandHandler';
import { resolveTarget, type VmTarget } from '../vmTargets';

/** LIVE for a running VM, CONFIG for its saved definition, both when it has both. */
export async function metadataFlags(t: VmTarget): Promise<number> {
  const [active, persistent] = await Promise.all([t.conn.domainIsActive(t.dom), t.conn.domainIsPersistent(t.dom)]);
  let flags = 0;
  if (active) flags |= VirDomainModificationImpact.LIVE;
  if (persistent) flags |= VirDomainModificationImpact.CONFIG;
  return flags;
}

async function readMetadata(t: VmTarget, type: number): Promise<string> {
  try {
    return await t.conn.domainGetMetadata(t.dom, type);
  } catch (err) {
    if (LibvirtError.is(err) && err.code === VirErrorNumber.NO_DOMAIN_METADATA) return '';
    throw err;
  }
}

function metadataCommand(kind: 'title' | 'description'): CommandHandler {
  const type = kind === 'title' ? VirDomainMetadataType.TITLE : VirDomainMetadataType.DESCRIPTION;
  const Title = kind === 'title' ? 'Title' : 'Description';
  return async (deps, node, selected) => {
    const t = await resolveTarget(deps, node, selected, { title: `Edit ${Title}`, states: 'any', none: 'No VMs.' });
    const current = await readMetadata(t, type);
    const value = await deps.prompts.input({
      title: `${Title} of "${t.dom.name}"`,
      prompt: kind === 'title' ? 'A short title shown next to the VM name (empty removes it)' : 'A description of the VM (empty removes it)',
      value: current,
      validate: (v) => (kind === 'title' && /[\r\n]/.test(v) ? 'The title must be a single line.' : undefined),
    });
    if (value === undefined) throw new UserCancelledError(`Edit ${Title}`);
    if (value === current) return value;
    await t.conn.domainSetMetadata(t.dom, type, value === '' ? null : value, null, null, await metadataFlags(t));
    deps.log.info(`Set the ${kind} of "${t.dom.name}"`);
    return value;
  };
}

export const editTitleVm = metadataCommand('title');
export const editDescriptionVm = metadataCommand('description');
