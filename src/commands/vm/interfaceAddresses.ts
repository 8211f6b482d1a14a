// Which of the addresses libvirt reports for a VM (virDomainInterfaceAddresses) are worth
// offering to copy. Pure: no vscode, no libvirt calls.

import type { DomainInterface } from '../../libvirt/connection';

export interface FoundAddress {
  readonly addr: string;
  readonly prefix: number;
  readonly iface: string;
  readonly hwaddr: string | null;
  /** Where libvirt found it: 'DHCP lease', 'guest agent' or 'ARP table'. */
  readonly source: string;
}

/** Addresses worth copying: not loopback, not IPv6 link-local; in interface order. */
export function usableAddresses(ifaces: readonly DomainInterface[], source: string): FoundAddress[] {
  const out: FoundAddress[] = [];
  for (const i of ifaces) {
    for (const a of i.addrs) {
      const addr = a.addr.toLowerCase();
      if (addr.startsWith('127.') || addr === '::1' || addr.startsWith('fe80:')) continue;
      out.push({ addr: a.addr, prefix: a.prefix, iface: i.name, hwaddr: i.hwaddr, source });
    }
  }
  return out;
}
