// Read-only facts from the host shown among a section's fields, read once per load of the
// details panel: the host's free memory next to the Memory fields, and a running guest's
// addresses (DHCP leases of libvirt networks, as the tree's tooltip shows them) on each NIC.
// They are plain 'readonly' fields: never edited, never sent as changes. No `vscode`.

import type { Connection, DomainRef } from '../libvirt/connection';
import { VirDomainInterfaceAddressesSource } from '../libvirt/generated/libvirtConstants';
import { formatKiB } from '../libvirt/xml/units';
import type { FormField, FormSection, FormValue } from './formSchema';

export type HostInfoConnection = Pick<Connection, 'nodeGetFreeMemory' | 'nodeGetInfo' | 'domainInterfaceAddresses'>;

export interface HostInfo {
  /** "2.1 GiB of 7.7 GiB", or why it is unknown. */
  readonly freeMemory: string;
  /** Guest addresses by lower-case MAC, or why none could be read; undefined while the VM is shut off. */
  readonly addresses?: ReadonlyMap<string, readonly string[]> | string;
}

export const HOST_FREE_MEMORY = 'hostFreeMemory';
export const GUEST_ADDRESSES = 'guestAddresses';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function readHostInfo(conn: HostInfoConnection, dom: DomainRef, running: boolean): Promise<HostInfo> {
  const memory = Promise.all([conn.nodeGetFreeMemory(), conn.nodeGetInfo()]).then(
    ([freeBytes, info]) => `${formatKiB(freeBytes / 1024)} free of ${formatKiB(info.memory)}`,
    (e: unknown) => `Unknown (${errorText(e)})`,
  );
  const addresses = running
    ? conn.domainInterfaceAddresses(dom, VirDomainInterfaceAddressesSource.LEASE).then(
        (ifaces) => new Map(ifaces.map((i) => [(i.hwaddr ?? '').toLowerCase(), i.addrs.map((a) => `${a.addr}/${a.prefix}`)])),
        (e: unknown) => `Unknown (${errorText(e)})`,
      )
    : undefined;
  const [freeMemory, found] = await Promise.all([memory, addresses]);
  return { freeMemory, ...(found !== undefined ? { addresses: found } : {}) };
}

const info = (id: string, label: string, help: string): FormField => ({ id, label, help, widget: 'readonly', apply: 'live' });

/** The section with a read-only field inserted after `after` (at the end when absent). */
function insert(s: FormSection, after: string, field: FormField, value: FormValue): FormSection {
  const i = s.fields.findIndex((f) => f.id === after);
  const fields = [...s.fields];
  fields.splice(i < 0 ? fields.length : i + 1, 0, field);
  return { ...s, fields, values: { ...s.values, [field.id]: value } };
}

/** The sections with the host's facts among their fields. */
export function withHostInfo(sections: readonly FormSection[], host: HostInfo): FormSection[] {
  return sections.map((s) => {
    if (s.id === 'memory') {
      return insert(s, 'currentMemory', info(HOST_FREE_MEMORY, 'Host free memory', 'Memory the host has free, read when this tab loaded.'), host.freeMemory);
    }
    const mac = typeof s.values['mac'] === 'string' && s.id.startsWith('interface:') ? s.values['mac'].toLowerCase() : undefined;
    if (mac === undefined || host.addresses === undefined) return s;
    const found = typeof host.addresses === 'string' ? host.addresses : (host.addresses.get(mac) ?? []).join(', ') || 'None known (no DHCP lease from a libvirt network)';
    return insert(s, 'mac', info(GUEST_ADDRESSES, 'IP addresses', 'The guest\u2019s addresses from the DHCP leases of libvirt networks, read when this tab loaded.'), found);
  });
}
