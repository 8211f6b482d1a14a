// Copy IP: asks libvirt for the VM's addresses from the DHCP lease of a libvirt network first,
// then the guest agent, then the host's ARP table (virDomainInterfaceAddressesSource), and copies
// the one address found or the one the user picks.

import * as vscode from 'vscode';
import { VirDomainInterfaceAddressesSource as Source } from '../../libvirt/generated/libvirtConstants';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import type { CommandHandler } from '../commandHandler';
import type { PickItem } from '../prompts';
import { resolveTarget, type VmTarget } from '../vmTargets';
import { usableAddresses, type FoundAddress } from './interfaceAddresses';

const SOURCES = [
  { source: Source.LEASE, label: 'DHCP lease' },
  { source: Source.AGENT, label: 'guest agent' },
  { source: Source.ARP, label: 'ARP table' },
] as const;

export async function findAddresses(t: VmTarget, onSourceError: (source: string, err: unknown) => void): Promise<FoundAddress[]> {
  for (const s of SOURCES) {
    try {
      const found = usableAddresses(await t.conn.domainInterfaceAddresses(t.dom, s.source), s.label);
      if (found.length > 0) return found;
    } catch (err) {
      onSourceError(s.label, err);
    }
  }
  return [];
}

export const copyIpVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Copy IP Address', states: ['running', 'paused'], none: 'No running VMs.' });
  const found = await findAddresses(t, (source, err) => deps.log.debug(`${t.dom.name}: no addresses from the ${source}: ${errorMessage(err)}`));
  if (found.length === 0) {
    void vscode.window.showInformationMessage(`No IP address found for "${t.dom.name}": no DHCP lease on a libvirt network, no guest agent answer and no ARP entry.`);
    throw new UserCancelledError('Copy IP Address');
  }
  let chosen = found[0];
  if (found.length > 1) {
    const items: PickItem<FoundAddress>[] = found.map((f) => ({ label: f.addr, description: `${f.iface || f.hwaddr || ''} · ${f.source}`, value: f }));
    const pick = await deps.prompts.pickOne({ title: `Copy an IP address of "${t.dom.name}"`, items });
    if (!pick) throw new UserCancelledError('Copy IP Address');
    chosen = pick.value;
  }
  await vscode.env.clipboard.writeText(chosen.addr);
  vscode.window.setStatusBarMessage(`Copied ${chosen.addr} (${t.dom.name})`, 4000);
  return chosen.addr;
};
