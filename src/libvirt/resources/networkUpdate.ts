// Changing a network's DHCP static hosts, DNS records and port groups in place with
// virNetworkUpdate: on a running network libvirt applies the change live (dnsmasq is reloaded,
// guests keep their links) and to the persistent definition at once, so no restart is needed.
// Every entry is checked against the network's current XML before the call.

import type { Connection, NetworkRef } from '../connection';
import { VirNetworkUpdateCommand, VirNetworkUpdateFlags, VirNetworkUpdateSection } from '../generated/libvirtConstants';
import { contains, makeCidr, parseIp } from './ipAddress';
import { bandwidthXml, checkNetworkBandwidth, parseNetworkXml, portGroupXml, type DhcpHost, type DnsHost, type DnsSrv, type DnsTxt, type NetworkDescription, type PortGroup, type Bandwidth } from './network';
import { ResourceInputError } from './validation';
import { attrs, escapeXml } from './xmlElement';
import { XmlDocument } from '../xml/xmlDocument';
import { VirNetworkDefineFlags, VirNetworkXMLFlags } from '../generated/libvirtConstants';

export type NetworkEntry =
  | { readonly section: 'dhcpHost'; readonly host: DhcpHost }
  | { readonly section: 'dnsHost'; readonly host: DnsHost }
  | { readonly section: 'dnsSrv'; readonly srv: DnsSrv }
  | { readonly section: 'dnsTxt'; readonly txt: DnsTxt }
  | { readonly section: 'portGroup'; readonly group: PortGroup };

export type NetworkUpdateAction = 'add' | 'delete' | 'modify';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The XML of one entry, as virNetworkUpdate takes it for its section. */
export function entryXml(entry: NetworkEntry): string {
  switch (entry.section) {
    case 'dhcpHost': {
      const h = entry.host;
      const v6 = h.ip.includes(':');
      return `<host${attrs(v6 ? { id: h.mac, name: h.name, ip: h.ip } : { mac: h.mac, name: h.name, ip: h.ip })}/>`;
    }
    case 'dnsHost':
      return `<host${attrs({ ip: entry.host.ip })}>${entry.host.hostnames.map((n) => `<hostname>${escapeXml(n)}</hostname>`).join('')}</host>`;
    case 'dnsSrv': {
      const s = entry.srv;
      return `<srv${attrs({ service: s.service, protocol: s.protocol, domain: s.domain, target: s.target, port: s.port, priority: s.priority, weight: s.weight })}/>`;
    }
    case 'dnsTxt':
      return `<txt${attrs({ name: entry.txt.name, value: entry.txt.value })}/>`;
    case 'portGroup':
      return portGroupXml(entry.group).join('\n');
  }
}

const SECTION: Readonly<Record<NetworkEntry['section'], number>> = {
  dhcpHost: VirNetworkUpdateSection.IP_DHCP_HOST,
  dnsHost: VirNetworkUpdateSection.DNS_HOST,
  dnsSrv: VirNetworkUpdateSection.DNS_SRV,
  dnsTxt: VirNetworkUpdateSection.DNS_TXT,
  portGroup: VirNetworkUpdateSection.PORTGROUP,
};

const COMMAND: Readonly<Record<NetworkUpdateAction, number>> = {
  add: VirNetworkUpdateCommand.ADD_LAST,
  delete: VirNetworkUpdateCommand.DELETE,
  modify: VirNetworkUpdateCommand.MODIFY,
};

/** Problems with an entry against the network as it is now; [] when libvirt may be asked. */
export function checkNetworkEntry(net: NetworkDescription, action: NetworkUpdateAction, entry: NetworkEntry): ResourceInputError[] {
  const errors: ResourceInputError[] = [];
  const err = (field: string, msg: string): void => void errors.push(new ResourceInputError(field, msg));
  switch (entry.section) {
    case 'dhcpHost': {
      const h = entry.host;
      const ip = parseIp(h.ip);
      if (!ip) {
        err('ip', `${JSON.stringify(h.ip)} is not an IP address.`);
        break;
      }
      const subnet = net.ips.find((n) => {
        const a = parseIp(n.address);
        return a !== undefined && a.family === ip.family && contains(makeCidr(a.family, a.value, n.prefix), ip.family, ip.value);
      });
      if (!subnet) err('ip', `${h.ip} is in none of ${net.name}’s subnets.`);
      if (ip.family === 'ipv4' && (h.mac === undefined || !MAC_RE.test(h.mac))) err('mac', `A static IPv4 host needs a MAC address like 52:54:00:12:34:56, got ${JSON.stringify(h.mac ?? '')}.`);
      if (h.name !== undefined && h.name !== '' && !HOSTNAME_RE.test(h.name)) err('name', `${JSON.stringify(h.name)} is not a host name.`);
      const existing = net.ips.flatMap((i) => i.hosts);
      if (action === 'add') {
        const sameIp = existing.find((e) => e.ip === h.ip);
        if (sameIp) err('ip', `${h.ip} is already given to ${sameIp.mac ?? sameIp.name ?? 'a host'}.`);
        const sameMac = h.mac !== undefined ? existing.find((e) => e.mac?.toLowerCase() === h.mac?.toLowerCase()) : undefined;
        if (sameMac) err('mac', `${h.mac ?? ''} already has the address ${sameMac.ip}.`);
      } else if (!existing.some((e) => (h.mac !== undefined && e.mac?.toLowerCase() === h.mac.toLowerCase()) || e.ip === h.ip)) {
        err('ip', `${net.name} has no static host ${h.mac ?? h.ip}.`);
      } else if (action === 'modify') {
        // libvirt finds the host to change by its MAC (IPv4) and replaces it; the new address must
        // not be another host's.
        const other = existing.find((e) => e.ip === h.ip && (h.mac === undefined || e.mac?.toLowerCase() !== h.mac.toLowerCase()));
        if (other) err('ip', `${h.ip} is already given to ${other.mac ?? other.name ?? 'another host'}.`);
      }
      break;
    }
    case 'dnsHost': {
      if (!parseIp(entry.host.ip)) err('ip', `${JSON.stringify(entry.host.ip)} is not an IP address.`);
      if (action !== 'delete' && entry.host.hostnames.length === 0) err('hostnames', 'A DNS host needs at least one name.');
      for (const n of entry.host.hostnames) if (!HOSTNAME_RE.test(n)) err('hostnames', `${JSON.stringify(n)} is not a host name.`);
      if (action === 'add' && net.dnsHosts.some((d) => d.ip === entry.host.ip)) err('ip', `${net.name} already has a DNS host ${entry.host.ip}; change that one instead.`);
      // libvirt refuses to add a host when any of its names is already another host's.
      const named = action === 'add' ? net.dnsHosts.find((d) => d.ip !== entry.host.ip && d.hostnames.some((n) => entry.host.hostnames.includes(n))) : undefined;
      if (named) err('hostnames', `${net.name}’s DNS host ${named.ip} already has the name ${named.hostnames.find((n) => entry.host.hostnames.includes(n)) ?? ''}.`);
      break;
    }
    case 'dnsSrv': {
      const s = entry.srv;
      if (!/^[A-Za-z0-9_-]{1,63}$/.test(s.service)) err('service', `${JSON.stringify(s.service)} is not a service name (like "ldap").`);
      if (s.protocol !== 'tcp' && s.protocol !== 'udp') err('protocol', 'The protocol is tcp or udp.');
      if (s.target !== undefined && !HOSTNAME_RE.test(s.target)) err('target', `${JSON.stringify(s.target)} is not a host name.`);
      if (s.domain !== undefined && !HOSTNAME_RE.test(s.domain)) err('domain', `${JSON.stringify(s.domain)} is not a domain name.`);
      for (const [k, max] of [['port', 65535], ['priority', 65535], ['weight', 65535]] as const) {
        const v = s[k];
        if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || v > max)) err(k, `The ${k} is a number from 0 to ${max}.`);
      }
      if (s.target !== undefined && s.port === undefined) err('port', 'An SRV record with a target needs a port.');
      break;
    }
    case 'dnsTxt': {
      if (!HOSTNAME_RE.test(entry.txt.name)) err('name', `${JSON.stringify(entry.txt.name)} is not a DNS name.`);
      if (action !== 'delete' && entry.txt.value === '') err('value', 'A TXT record needs a value.');
      if (action === 'add' && net.dnsTxt.some((t) => t.name === entry.txt.name)) err('name', `${net.name} already has a TXT record ${entry.txt.name}.`);
      break;
    }
    case 'portGroup': {
      const exists = net.portGroups.some((g) => g.name === entry.group.name);
      if (action === 'add' && exists) err('name', `${net.name} already has a port group ${entry.group.name}.`);
      if (action !== 'add' && !exists) err('name', `${net.name} has no port group ${entry.group.name}.`);
      break;
    }
  }
  return errors;
}

export type NetworkUpdateApi = Pick<Connection, 'networkGetXmlDesc' | 'networkIsActive' | 'networkUpdate'>;

/**
 * Adds, changes or deletes one entry. On a running network the change goes to the live network
 * and the persistent definition together (AFFECT_LIVE | AFFECT_CONFIG); on a stopped one to the
 * definition. Checks first against the current XML; libvirt's error is rethrown as it is.
 */
export async function updateNetworkEntry(conn: NetworkUpdateApi, net: NetworkRef, action: NetworkUpdateAction, entry: NetworkEntry): Promise<void> {
  const active = await conn.networkIsActive(net);
  const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
  const first = checkNetworkEntry(desc, action, entry)[0];
  if (first) throw first;
  const flags = active ? VirNetworkUpdateFlags.LIVE | VirNetworkUpdateFlags.CONFIG : VirNetworkUpdateFlags.CONFIG;
  await conn.networkUpdate(net, COMMAND[action], SECTION[entry.section], -1, entryXml(entry), flags);
}

export type NetworkBandwidthApi = Pick<Connection, 'networkGetXmlDesc' | 'networkDefineXml' | 'networkIsActive'>;

/**
 * Sets (or with undefined removes) a network's network-wide QoS in its persistent definition;
 * libvirt has no live update for it, so a running network applies it when next started
 * (the result says so). Everything else in the definition is kept as it was, byte for byte.
 */
export async function setNetworkBandwidth(conn: NetworkBandwidthApi, net: NetworkRef, bandwidth: Bandwidth | undefined): Promise<{ readonly pendingRestart: boolean }> {
  const xml = await conn.networkGetXmlDesc(net, VirNetworkXMLFlags.INACTIVE);
  if (bandwidth) {
    const first = checkNetworkBandwidth(parseNetworkXml(xml), bandwidth)[0];
    if (first) throw first;
  }
  const doc = XmlDocument.parse(xml);
  for (const el of doc.root.elements('bandwidth')) doc.removeElement(el);
  const lines = bandwidth ? bandwidthXml(bandwidth) : [];
  if (lines.length > 0) doc.insertElement(doc.root, lines.join('\n'));
  await conn.networkDefineXml(doc.toString(), VirNetworkDefineFlags.VALIDATE);
  return { pendingRestart: await conn.networkIsActive(net) };
}

/** The same entry in a network's description (what libvirt's DELETE would find), by section. */
function sameEntry(a: NetworkEntry, b: NetworkEntry): boolean {
  return a.section === b.section && entryXml(a) === entryXml(b);
}

/** The network as it would be without that entry, for checking its replacement as an addition. */
export function withoutNetworkEntry(net: NetworkDescription, entry: NetworkEntry): NetworkDescription {
  switch (entry.section) {
    case 'dnsHost':
      return { ...net, dnsHosts: net.dnsHosts.filter((h) => !sameEntry({ section: 'dnsHost', host: h }, entry)) };
    case 'dnsSrv':
      return { ...net, dnsSrv: net.dnsSrv.filter((s) => !sameEntry({ section: 'dnsSrv', srv: s }, entry)) };
    case 'dnsTxt':
      return { ...net, dnsTxt: net.dnsTxt.filter((t) => !sameEntry({ section: 'dnsTxt', txt: t }, entry)) };
    case 'dhcpHost':
      return { ...net, ips: net.ips.map((i) => ({ ...i, hosts: i.hosts.filter((h) => !sameEntry({ section: 'dhcpHost', host: h }, entry)) })) };
    case 'portGroup':
      return { ...net, portGroups: net.portGroups.filter((g) => g.name !== entry.group.name) };
  }
}

function hasEntry(net: NetworkDescription, entry: NetworkEntry): boolean {
  const before = JSON.stringify(net);
  return JSON.stringify(withoutNetworkEntry(net, entry)) !== before;
}

/** The record changed in place failed and the old one could not be put back either. */
export class NetworkEntryLostError extends Error {
  constructor(
    message: string,
    /** The XML of the record that is gone, for the user to add again. */
    readonly lostXml: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'NetworkEntryLostError';
  }

  static is(e: unknown): e is NetworkEntryLostError {
    return e instanceof NetworkEntryLostError;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Changes one DNS record (host, SRV or TXT) of a network in place: on a running network live and
 * in the persistent definition, without a restart.
 *
 * libvirt 9.0's virNetworkUpdate has no MODIFY for the DNS sections ("DNS HOST records cannot be
 * modified, only added or deleted", the same for SRV and TXT; seen on this host's libvirtd), so
 * the change is a DELETE of the old record followed by an ADD of the new one, with the same flags.
 * The new record is checked first against the network without the old one, so a refusal we can
 * foresee changes nothing. If libvirt still refuses the ADD (another client changed the network
 * meanwhile, dnsmasq could not be reloaded...), the old record is added back and libvirt's reason
 * is thrown: the network ends as it was. Only when that restore fails too is a
 * NetworkEntryLostError thrown, naming the record that is gone with its XML.
 * DHCP static hosts and port groups do have MODIFY: use updateNetworkEntry(…, 'modify', …).
 */
export async function changeDnsRecord(conn: NetworkUpdateApi, net: NetworkRef, old: NetworkEntry, next: NetworkEntry): Promise<void> {
  if (old.section !== next.section || (old.section !== 'dnsHost' && old.section !== 'dnsSrv' && old.section !== 'dnsTxt')) {
    throw new ResourceInputError('section', 'A DNS record changes into a record of the same kind (host, SRV or TXT).');
  }
  const active = await conn.networkIsActive(net);
  const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
  if (!hasEntry(desc, old)) throw new ResourceInputError('record', `${net.name} has no such DNS record any more: ${entryXml(old)}`);
  if (sameEntry(old, next)) return;
  const first = checkNetworkEntry(withoutNetworkEntry(desc, old), 'add', next)[0];
  if (first) throw first;
  const flags = active ? VirNetworkUpdateFlags.LIVE | VirNetworkUpdateFlags.CONFIG : VirNetworkUpdateFlags.CONFIG;
  const section = SECTION[old.section];
  await conn.networkUpdate(net, VirNetworkUpdateCommand.DELETE, section, -1, entryXml(old), flags);
  try {
    await conn.networkUpdate(net, VirNetworkUpdateCommand.ADD_LAST, section, -1, entryXml(next), flags);
  } catch (addErr) {
    try {
      await conn.networkUpdate(net, VirNetworkUpdateCommand.ADD_LAST, section, -1, entryXml(old), flags);
    } catch (restoreErr) {
      throw new NetworkEntryLostError(
        `${net.name}: libvirt refused the changed DNS record (${messageOf(addErr)}), and putting the old one back failed too (${messageOf(restoreErr)}). The old record is gone; add it again: ${entryXml(old)}`,
        entryXml(old),
        addErr,
      );
    }
    throw new Error(`${net.name}: libvirt refused the changed DNS record: ${messageOf(addErr)} The old record was put back; nothing changed.`, { cause: addErr });
  }
}
