// Virtual networks: reading network XML, the guided "new network" spec, its checks (name, address
// ranges, DHCP ranges inside the subnet, no overlap with other networks or host routes) and the
// XML it becomes (libvirt docs/formatnetwork.rst).

import { formatCidr, formatIp, makeCidr, netmaskToPrefix, overlaps, parseIp, contains, type Cidr, type IpFamily } from './ipAddress';
import { nameProblem, ResourceInputError, type CheckResult } from './validation';
import { attr, attrs, child, children, escapeXml, parseXmlElement, textOf } from './xmlElement';

export type ForwardMode = 'nat' | 'route' | 'isolated' | 'open' | string;

export interface DhcpRange {
  readonly start: string;
  readonly end: string;
}

export interface DhcpHost {
  readonly mac?: string;
  readonly name?: string;
  readonly ip: string;
}

export interface NetworkIp {
  readonly family: IpFamily;
  /** The host's address on the network (the gateway). */
  readonly address: string;
  readonly prefix: number;
  readonly dhcpRanges: readonly DhcpRange[];
  readonly hosts: readonly DhcpHost[];
}

export interface NetworkDescription {
  readonly name: string;
  readonly uuid: string;
  /** The forward mode; 'isolated' when the XML has no <forward>. */
  readonly forwardMode: ForwardMode;
  readonly forwardDev?: string;
  readonly bridge?: string;
  readonly domain?: string;
  readonly ips: readonly NetworkIp[];
}

export function parseNetworkXml(xml: string): NetworkDescription {
  const root = parseXmlElement(xml);
  const fwd = child(root, 'forward');
  return {
    name: textOf(root, 'name') ?? '',
    uuid: textOf(root, 'uuid') ?? '',
    forwardMode: fwd ? (fwd.attrs['mode'] ?? 'nat') : 'isolated',
    forwardDev: attr(fwd, 'dev'),
    bridge: attr(child(root, 'bridge'), 'name'),
    domain: attr(child(root, 'domain'), 'name'),
    ips: children(root, 'ip').flatMap((ip): NetworkIp[] => {
      const address = ip.attrs['address'];
      if (address === undefined) return [];
      const family: IpFamily = ip.attrs['family'] === 'ipv6' || address.includes(':') ? 'ipv6' : 'ipv4';
      const prefix = ip.attrs['prefix'] !== undefined ? Number(ip.attrs['prefix']) : ip.attrs['netmask'] !== undefined ? netmaskToPrefix(ip.attrs['netmask']) : undefined;
      return [
        {
          family,
          address,
          prefix: prefix ?? (family === 'ipv4' ? 24 : 64),
          dhcpRanges: children(ip, 'dhcp/range').map((r) => ({ start: r.attrs['start'] ?? '', end: r.attrs['end'] ?? '' })),
          hosts: children(ip, 'dhcp/host').map((h) => ({ mac: h.attrs['mac'], name: h.attrs['name'], ip: h.attrs['ip'] ?? '' })),
        },
      ];
    }),
  };
}

/** The subnets a network occupies. */
export function networkCidrs(n: NetworkDescription): Cidr[] {
  return n.ips.flatMap((ip) => {
    const p = parseIp(ip.address);
    return p ? [makeCidr(p.family, p.value, ip.prefix)] : [];
  });
}

/** "nat · virbr0 · 192.168.122.0/24" for the tree. */
export function networkSummary(n: NetworkDescription): string {
  return [n.forwardMode, n.bridge, ...networkCidrs(n).map(formatCidr)].filter((s): s is string => s !== undefined && s !== '').join(' · ');
}

export interface NetworkIpSpec {
  /** The host's address on the network, e.g. 192.168.100.1. */
  readonly address: string;
  readonly prefix: number;
  readonly dhcp?: DhcpRange;
  readonly hosts?: readonly DhcpHost[];
}

export interface NetworkSpec {
  readonly name: string;
  readonly mode: 'nat' | 'route' | 'isolated' | 'open';
  /** For nat/route: the host interface to forward through (any when undefined). */
  readonly forwardDev?: string;
  /** The bridge name; libvirt picks virbrN when undefined. */
  readonly bridge?: string;
  readonly domain?: string;
  readonly ipv4?: NetworkIpSpec;
  readonly ipv6?: NetworkIpSpec;
}

/** Subnets already used on the host, for overlap checks; `owner` names the network or "host route". */
export interface TakenRange {
  readonly cidr: Cidr;
  readonly owner: string;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function checkIp(spec: NetworkIpSpec, family: IpFamily, taken: readonly TakenRange[], errors: ResourceInputError[]): void {
  const label = family === 'ipv4' ? 'IPv4' : 'IPv6';
  const ip = parseIp(spec.address);
  if (!ip || ip.family !== family) {
    errors.push(new ResourceInputError(`${family}.address`, `${JSON.stringify(spec.address)} is not an ${label} address.`));
    return;
  }
  let cidr: Cidr;
  try {
    cidr = makeCidr(family, ip.value, spec.prefix);
  } catch (e) {
    if (ResourceInputError.is(e)) errors.push(new ResourceInputError(`${family}.prefix`, e.message));
    return;
  }
  if (family === 'ipv4' && (spec.prefix > 30 || spec.prefix < 8)) errors.push(new ResourceInputError('ipv4.prefix', `An IPv4 network prefix must be between /8 and /30, got /${spec.prefix}.`));
  if (family === 'ipv6' && spec.prefix !== 64 && spec.dhcp) errors.push(new ResourceInputError('ipv6.prefix', 'DHCPv6 ranges need a /64 network (dnsmasq requirement).'));
  const hostBits = BigInt((family === 'ipv4' ? 32 : 128) - spec.prefix);
  const broadcast = cidr.network | ((1n << hostBits) - 1n);
  if (ip.value === cidr.network || (family === 'ipv4' && ip.value === broadcast)) {
    errors.push(new ResourceInputError(`${family}.address`, `${spec.address} is the network's ${ip.value === cidr.network ? 'network' : 'broadcast'} address; use a host address such as ${formatIp(family, cidr.network + 1n)}.`));
  }
  for (const t of taken) {
    if (overlaps(cidr, t.cidr)) errors.push(new ResourceInputError(`${family}.address`, `${formatCidr(cidr)} overlaps ${formatCidr(t.cidr)} (${t.owner}).`));
  }
  const inSubnet = (what: string, s: string): bigint | undefined => {
    const p = parseIp(s);
    if (!p || p.family !== family) {
      errors.push(new ResourceInputError(`${family}.dhcp`, `The ${what} ${JSON.stringify(s)} is not an ${label} address.`));
      return undefined;
    }
    if (!contains(cidr, family, p.value)) {
      errors.push(new ResourceInputError(`${family}.dhcp`, `The ${what} ${s} is outside ${formatCidr(cidr)}.`));
      return undefined;
    }
    return p.value;
  };
  if (spec.dhcp) {
    const a = inSubnet('DHCP range start', spec.dhcp.start);
    const b = inSubnet('DHCP range end', spec.dhcp.end);
    if (a !== undefined && b !== undefined) {
      if (a > b) errors.push(new ResourceInputError(`${family}.dhcp`, `The DHCP range starts (${spec.dhcp.start}) after it ends (${spec.dhcp.end}).`));
      else if (ip.value >= a && ip.value <= b) errors.push(new ResourceInputError(`${family}.dhcp`, `The DHCP range ${spec.dhcp.start}-${spec.dhcp.end} contains the host address ${spec.address}.`));
    }
  }
  const seen = new Set<string>();
  for (const h of spec.hosts ?? []) {
    inSubnet('static host address', h.ip);
    if (family === 'ipv4' && (h.mac === undefined || !MAC_RE.test(h.mac))) errors.push(new ResourceInputError(`${family}.hosts`, `A static IPv4 host needs a MAC address like 52:54:00:12:34:56, got ${JSON.stringify(h.mac ?? '')}.`));
    if (family === 'ipv6' && (h.name ?? '') === '' && h.mac === undefined) errors.push(new ResourceInputError(`${family}.hosts`, 'A static IPv6 host needs a name or an id.'));
    if (seen.has(h.ip)) errors.push(new ResourceInputError(`${family}.hosts`, `The address ${h.ip} is given to two static hosts.`));
    seen.add(h.ip);
  }
}

/** Pure checks of a network spec against the names and subnets already in use. */
export function checkNetworkSpec(spec: NetworkSpec, existingNames: readonly string[] = [], taken: readonly TakenRange[] = []): CheckResult {
  const errors: ResourceInputError[] = [];
  const nameErr = nameProblem(spec.name, 'network');
  if (nameErr) errors.push(new ResourceInputError('name', nameErr));
  if (existingNames.includes(spec.name)) errors.push(new ResourceInputError('name', `A network named "${spec.name}" already exists.`));
  if (spec.bridge !== undefined && !/^[A-Za-z0-9_.:-]{1,15}$/.test(spec.bridge)) {
    errors.push(new ResourceInputError('bridge', `The bridge name ${JSON.stringify(spec.bridge)} must be 1-15 letters, digits, "-", "_", "." or ":".`));
  }
  if (spec.domain !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(spec.domain)) {
    errors.push(new ResourceInputError('domain', `${JSON.stringify(spec.domain)} is not a DNS domain name.`));
  }
  if (!spec.ipv4 && !spec.ipv6 && spec.mode !== 'isolated') {
    errors.push(new ResourceInputError('ipv4', `A ${spec.mode} network needs an IPv4 or IPv6 address.`));
  }
  if (spec.ipv4) checkIp(spec.ipv4, 'ipv4', taken, errors);
  if (spec.ipv6) checkIp(spec.ipv6, 'ipv6', taken, errors);
  return { errors, warnings: [] };
}

function ipXml(family: IpFamily, s: NetworkIpSpec): string[] {
  const lines = [`  <ip${attrs({ family, address: s.address, prefix: s.prefix })}>`];
  if (s.dhcp || (s.hosts ?? []).length > 0) {
    lines.push('    <dhcp>');
    if (s.dhcp) lines.push(`      <range${attrs({ start: s.dhcp.start, end: s.dhcp.end })}/>`);
    for (const h of s.hosts ?? []) lines.push(`      <host${attrs(family === 'ipv4' ? { mac: h.mac, name: h.name, ip: h.ip } : { id: h.mac, name: h.name, ip: h.ip })}/>`);
    lines.push('    </dhcp>');
  }
  lines.push('  </ip>');
  return lines;
}

/** Network XML for a spec (validated for form only; overlap needs `checkNetworkSpec` with the host's ranges). */
export function buildNetworkXml(spec: NetworkSpec): string {
  const first = checkNetworkSpec(spec).errors[0];
  if (first) throw first;
  const lines = ['<network>', `  <name>${escapeXml(spec.name)}</name>`];
  if (spec.mode !== 'isolated') lines.push(`  <forward${attrs({ mode: spec.mode, dev: spec.forwardDev })}/>`);
  if (spec.bridge !== undefined) lines.push(`  <bridge${attrs({ name: spec.bridge, stp: 'on', delay: 0 })}/>`);
  else lines.push(`  <bridge${attrs({ stp: 'on', delay: 0 })}/>`);
  if (spec.domain !== undefined) lines.push(`  <domain${attrs({ name: spec.domain, localOnly: 'yes' })}/>`);
  if (spec.ipv4) lines.push(...ipXml('ipv4', spec.ipv4));
  if (spec.ipv6) lines.push(...ipXml('ipv6', spec.ipv6));
  lines.push('</network>');
  return lines.join('\n') + '\n';
}

/**
 * The first free 192.168.N.0/24 from 192.168.100.0 (virt-manager's default) that overlaps none of
 * `taken`, as gateway .1 and DHCP .128-.254 (virt-manager's split); then 10.N.0.0/24.
 */
export function suggestIpv4(taken: readonly TakenRange[]): NetworkIpSpec | undefined {
  const candidates: string[] = [];
  for (let n = 100; n <= 254; n++) candidates.push(`192.168.${n}`);
  for (let n = 0; n <= 99; n++) candidates.push(`192.168.${n}`);
  for (let n = 0; n <= 255; n++) candidates.push(`10.${n}.0`);
  for (const c of candidates) {
    const ip = parseIp(`${c}.0`);
    if (!ip) continue;
    const cidr = makeCidr('ipv4', ip.value, 24);
    if (taken.some((t) => overlaps(cidr, t.cidr))) continue;
    return { address: `${c}.1`, prefix: 24, dhcp: { start: `${c}.128`, end: `${c}.254` } };
  }
  return undefined;
}

/** A unique-local fd00::/8 /64 derived from a seed (e.g. the network name), with DHCPv6 ::100-::1ff. */
export function suggestIpv6(seed: string, taken: readonly TakenRange[]): NetworkIpSpec | undefined {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  for (let i = 0; i < 64; i++) {
    const g = ((h + i * 7919) >>> 0).toString(16).padStart(8, '0');
    const base = `fd${g.slice(0, 2)}:${g.slice(2, 6)}:${g.slice(6, 8)}00::`;
    const ip = parseIp(base);
    if (!ip) continue;
    const cidr = makeCidr('ipv6', ip.value, 64);
    if (taken.some((t) => overlaps(cidr, t.cidr))) continue;
    return { address: `${base}1`, prefix: 64, dhcp: { start: `${base}100`, end: `${base}1ff` } };
  }
  return undefined;
}

/** The ranges of the given networks, for checks and suggestions. */
export function takenByNetworks(nets: readonly NetworkDescription[], except?: string): TakenRange[] {
  return nets.filter((n) => n.name !== except).flatMap((n) => networkCidrs(n).map((cidr) => ({ cidr, owner: `network ${n.name}` })));
}
