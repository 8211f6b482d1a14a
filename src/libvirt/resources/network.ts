// Virtual networks: reading network XML, the guided "new network" spec, its checks (name, address
// ranges, DHCP ranges inside the subnet, no overlap with other networks or host routes) and the
// XML it becomes (libvirt docs/formatnetwork.rst).

import { MAC_RE } from '../xml/allocate';
import { formatCidr, formatIp, makeCidr, netmaskToPrefix, overlaps, parseIp, contains, type Cidr, type IpFamily } from './ipAddress';
import { nameProblem, ResourceInputError, type CheckResult } from './validation';
import { attr, attrs, child, children, escapeXml, parseXmlElement, textOf, type XmlElement } from './xmlElement';

export type ForwardMode = 'nat' | 'route' | 'isolated' | 'open' | 'bridge' | 'private' | 'vepa' | 'passthrough' | 'hostdev' | string;

/** One direction of a QoS limit (formatnetwork.rst "Quality of service"): KiB/s, KiB/s, KiB, KiB/s. */
export interface BandwidthLimit {
  readonly average?: number;
  readonly peak?: number;
  readonly burst?: number;
  /** inbound only: the guaranteed minimum rate (needs a NAT/routed/isolated network with inbound average). */
  readonly floor?: number;
}

export interface Bandwidth {
  readonly inbound?: BandwidthLimit;
  readonly outbound?: BandwidthLimit;
}

export interface PortGroup {
  readonly name: string;
  readonly isDefault?: boolean;
  /** VLAN tags; more than one means a trunk (Open vSwitch only). */
  readonly vlanTags?: readonly number[];
  readonly bandwidth?: Bandwidth;
}

export interface DnsHost {
  readonly ip: string;
  readonly hostnames: readonly string[];
}

export interface DnsSrv {
  readonly service: string;
  readonly protocol: string;
  readonly domain?: string;
  readonly target?: string;
  readonly port?: number;
  readonly priority?: number;
  readonly weight?: number;
}

export interface DnsTxt {
  readonly name: string;
  readonly value: string;
}

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
  /** Whether the network's dnsmasq answers DHCP on it (`<dhcp>`, with ranges or only host entries). */
  readonly dhcp?: boolean;
  /** The directory its dnsmasq serves by TFTP (`<tftp root>`), for PXE. */
  readonly tftpRoot?: string;
  /** The boot file DHCP hands to PXE clients (`<dhcp><bootp file server>`); `server` is another TFTP server. */
  readonly bootp?: { readonly file: string; readonly server?: string };
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
  /** The host NICs of a macvtap network (`<forward><interface dev=…/>`). */
  readonly forwardInterfaces: readonly string[];
  /** The SR-IOV physical function of a hostdev pool (`<forward><pf dev=…/>`). */
  readonly pf?: string;
  /** `<virtualport type=…>`, e.g. openvswitch. */
  readonly virtualPort?: string;
  readonly portGroups: readonly PortGroup[];
  readonly bandwidth?: Bandwidth;
  readonly dnsHosts: readonly DnsHost[];
  readonly dnsSrv: readonly DnsSrv[];
  readonly dnsTxt: readonly DnsTxt[];
}

function numAttr(el: XmlElement | undefined, name: string): number | undefined {
  const v = el?.attrs[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function parseLimit(el: XmlElement | undefined): BandwidthLimit | undefined {
  if (!el) return undefined;
  const out: { average?: number; peak?: number; burst?: number; floor?: number } = {};
  for (const k of ['average', 'peak', 'burst', 'floor'] as const) {
    const n = numAttr(el, k);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

function parseBandwidth(el: XmlElement | undefined): Bandwidth | undefined {
  if (!el) return undefined;
  const inbound = parseLimit(child(el, 'inbound'));
  const outbound = parseLimit(child(el, 'outbound'));
  return { ...(inbound ? { inbound } : {}), ...(outbound ? { outbound } : {}) };
}

function parsePortGroup(pg: XmlElement): PortGroup {
  const tags = children(pg, 'vlan/tag').flatMap((t) => {
    const n = numAttr(t, 'id');
    return n === undefined ? [] : [n];
  });
  const bandwidth = parseBandwidth(child(pg, 'bandwidth'));
  return { name: pg.attrs['name'] ?? '', isDefault: pg.attrs['default'] === 'yes', ...(tags.length > 0 ? { vlanTags: tags } : {}), ...(bandwidth ? { bandwidth } : {}) };
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
          hosts: children(ip, 'dhcp/host').map((h) => ({ mac: h.attrs['mac'] ?? h.attrs['id'], name: h.attrs['name'], ip: h.attrs['ip'] ?? '' })),
          dhcp: child(ip, 'dhcp') !== undefined,
          ...(attr(child(ip, 'tftp'), 'root') !== undefined ? { tftpRoot: attr(child(ip, 'tftp'), 'root') } : {}),
          ...(attr(child(ip, 'dhcp/bootp'), 'file') !== undefined ? { bootp: { file: attr(child(ip, 'dhcp/bootp'), 'file')!, ...(attr(child(ip, 'dhcp/bootp'), 'server') !== undefined ? { server: attr(child(ip, 'dhcp/bootp'), 'server') } : {}) } } : {}),
        },
      ];
    }),
    forwardInterfaces: children(fwd, 'interface').flatMap((i) => (i.attrs['dev'] === undefined ? [] : [i.attrs['dev']])),
    pf: attr(child(fwd, 'pf'), 'dev'),
    virtualPort: attr(child(root, 'virtualport'), 'type'),
    portGroups: children(root, 'portgroup').map(parsePortGroup),
    bandwidth: parseBandwidth(child(root, 'bandwidth')),
    dnsHosts: children(root, 'dns/host').map((h) => ({ ip: h.attrs['ip'] ?? '', hostnames: children(h, 'hostname').map((n) => n.text) })),
    dnsSrv: children(root, 'dns/srv').map((r) => ({
      service: r.attrs['service'] ?? '',
      protocol: r.attrs['protocol'] ?? '',
      domain: r.attrs['domain'],
      target: r.attrs['target'],
      port: numAttr(r, 'port'),
      priority: numAttr(r, 'priority'),
      weight: numAttr(r, 'weight'),
    })),
    dnsTxt: children(root, 'dns/txt').map((t) => ({ name: t.attrs['name'] ?? '', value: t.attrs['value'] ?? '' })),
  };
}

/** The host interfaces a network itself claims: its bridge (bridge mode), its macvtap NICs, its PF. */
/**
 * The host interfaces whose absence `missingHostInterfaces` can tell: all of networkHostInterfaces
 * but an Open vSwitch bridge, which libvirt's interface driver does not list (its udev backend
 * skips OVS ports: an existing OVS bridge would always look missing).
 */
export function checkableHostInterfaces(n: NetworkDescription): string[] {
  return networkHostInterfaces(n).filter((i) => !(n.virtualPort === 'openvswitch' && i === n.bridge));
}

export function networkHostInterfaces(n: NetworkDescription): string[] {
  const out = [...n.forwardInterfaces];
  if (n.forwardMode === 'bridge' && n.bridge !== undefined) out.push(n.bridge);
  if (n.forwardDev !== undefined) out.push(n.forwardDev);
  if (n.pf !== undefined) out.push(n.pf);
  return [...new Set(out)];
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
  const mode = n.forwardMode === 'bridge' && n.bridge === undefined ? 'macvtap bridge' : ['private', 'vepa', 'passthrough'].includes(n.forwardMode) ? `macvtap ${n.forwardMode}` : n.virtualPort === 'openvswitch' ? 'openvswitch' : n.forwardMode;
  const over = n.forwardInterfaces.length > 0 ? `over ${n.forwardInterfaces.join(', ')}` : n.pf !== undefined ? `PF ${n.pf}` : undefined;
  return [mode, n.bridge, over, ...networkCidrs(n).map(formatCidr)].filter((s): s is string => s !== undefined && s !== '').join(' · ');
}

export interface NetworkIpSpec {
  /** The host's address on the network, e.g. 192.168.100.1. */
  readonly address: string;
  readonly prefix: number;
  readonly dhcp?: DhcpRange;
  readonly hosts?: readonly DhcpHost[];
}

/**
 * How a network reaches the outside. The first four give VMs a libvirt-made bridge with addresses;
 * the others hand the VM to something that exists on the host already (formatnetwork.rst
 * "Connectivity"): 'bridge' an existing Linux or Open vSwitch bridge, 'macvtap' one or more host
 * NICs through macvtap, 'hostdev' a pool of SR-IOV virtual functions of one physical function.
 */
export type NetworkMode = 'nat' | 'route' | 'isolated' | 'open' | 'bridge' | 'macvtap' | 'hostdev';

/** macvtap's modes, as libvirt names them in `<forward mode=…>`. */
export type MacvtapMode = 'bridge' | 'private' | 'vepa' | 'passthrough';

export const MACVTAP_MODES: readonly MacvtapMode[] = ['bridge', 'private', 'vepa', 'passthrough'];

/** The modes where libvirt creates the bridge and runs DHCP/DNS for the network. */
export function modeHasAddresses(mode: NetworkMode): boolean {
  return mode === 'nat' || mode === 'route' || mode === 'isolated' || mode === 'open';
}

export interface NetworkSpec {
  readonly name: string;
  readonly mode: NetworkMode;
  /** For nat/route: the host interface to forward through (any when undefined). */
  readonly forwardDev?: string;
  /** The bridge name; libvirt picks virbrN when undefined. For mode 'bridge': the existing host bridge. */
  readonly bridge?: string;
  readonly domain?: string;
  readonly ipv4?: NetworkIpSpec;
  readonly ipv6?: NetworkIpSpec;
  /** Mode 'bridge': the bridge is an Open vSwitch bridge (`<virtualport type='openvswitch'/>`). */
  readonly openvswitch?: boolean;
  /** Mode 'macvtap': how guests on the same NIC see each other (default 'bridge'). */
  readonly macvtapMode?: MacvtapMode;
  /** Mode 'macvtap': the host NICs guests are spread over. */
  readonly interfaces?: readonly string[];
  /** Mode 'hostdev': the SR-IOV physical function whose virtual functions form the pool. */
  readonly pf?: string;
  readonly portGroups?: readonly PortGroup[];
  /** Network-wide QoS (aggregate of all guests). */
  readonly bandwidth?: Bandwidth;
}

/** Subnets already used on the host, for overlap checks; `owner` names the network or "host route". */
export interface TakenRange {
  readonly cidr: Cidr;
  readonly owner: string;
}


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

const IFNAME_RE = /^[A-Za-z0-9_.:-]{1,15}$/;

/** The parts of a bridge, macvtap or hostdev network: what it attaches to, and nothing libvirt refuses there. */
function checkHostSide(spec: NetworkSpec, errors: ResourceInputError[]): void {
  const ifname = (field: string, what: string, v: string | undefined): void => {
    if (v === undefined || v === '') errors.push(new ResourceInputError(field, `A ${spec.mode} network needs ${what}.`));
    else if (!IFNAME_RE.test(v)) errors.push(new ResourceInputError(field, `${JSON.stringify(v)} is not a host interface name (1-15 letters, digits, "-", "_", "." or ":").`));
  };
  if (spec.mode === 'bridge') ifname('bridge', 'the name of an existing host bridge', spec.bridge);
  if (spec.mode === 'macvtap') {
    const list = spec.interfaces ?? [];
    if (list.length === 0) errors.push(new ResourceInputError('interfaces', 'A macvtap network needs at least one host NIC.'));
    for (const i of list) ifname('interfaces', 'a host NIC', i);
    if (new Set(list).size !== list.length) errors.push(new ResourceInputError('interfaces', 'A host NIC is listed twice.'));
    if (spec.macvtapMode !== undefined && !MACVTAP_MODES.includes(spec.macvtapMode)) errors.push(new ResourceInputError('macvtapMode', `Unknown macvtap mode ${JSON.stringify(spec.macvtapMode)}.`));
  }
  if (spec.mode === 'hostdev') ifname('pf', 'an SR-IOV physical function (its interface name)', spec.pf);
  if (spec.openvswitch && spec.mode !== 'bridge') errors.push(new ResourceInputError('openvswitch', 'Open vSwitch applies to bridge networks only.'));
  if (!modeHasAddresses(spec.mode)) {
    const what = spec.mode === 'bridge' ? 'the host bridge' : spec.mode === 'macvtap' ? 'the host NIC’s network' : 'the physical function’s network';
    if (spec.ipv4 || spec.ipv6) errors.push(new ResourceInputError('ipv4', `A ${spec.mode} network has no addresses of its own: VMs get theirs from ${what}.`));
    if (spec.domain !== undefined) errors.push(new ResourceInputError('domain', `A ${spec.mode} network has no DNS of its own.`));
    if (spec.mode !== 'bridge' && spec.bridge !== undefined) errors.push(new ResourceInputError('bridge', `A ${spec.mode} network has no bridge.`));
  }
}

/** Whether libvirt accepts network-wide or port-group QoS for this spec (formatnetwork.rst "Quality of service"). */
function bandwidthProblem(spec: NetworkSpec): string | undefined {
  if (spec.mode === 'hostdev') return 'QoS is not supported on a hostdev (SR-IOV) network.';
  if (spec.mode === 'macvtap' && spec.macvtapMode !== undefined && spec.macvtapMode !== 'bridge' && spec.macvtapMode !== 'vepa') return `QoS is not supported on a macvtap ${spec.macvtapMode} network.`;
  return undefined;
}

const MAX_RATE = 2 ** 32 - 1;

function checkBandwidth(b: Bandwidth, field: string, spec: NetworkSpec, errors: ResourceInputError[]): void {
  const problem = bandwidthProblem(spec);
  if (problem) errors.push(new ResourceInputError(field, problem));
  for (const dir of ['inbound', 'outbound'] as const) {
    const l = b[dir];
    if (!l) continue;
    for (const k of ['average', 'peak', 'burst', 'floor'] as const) {
      const v = l[k];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1 || v > MAX_RATE)) errors.push(new ResourceInputError(field, `The ${dir} ${k} must be a whole number from 1 to ${MAX_RATE}, got ${v}.`));
    }
    if (l.floor !== undefined && dir === 'outbound') errors.push(new ResourceInputError(field, 'A floor (guaranteed rate) applies to inbound traffic only.'));
    if (l.average === undefined && l.floor === undefined) errors.push(new ResourceInputError(field, `The ${dir} limit needs an average rate.`));
    if (l.average === undefined && (l.peak !== undefined || l.burst !== undefined)) errors.push(new ResourceInputError(field, `The ${dir} peak and burst need an average rate.`));
    if (l.average !== undefined && l.peak !== undefined && l.peak < l.average) errors.push(new ResourceInputError(field, `The ${dir} peak (${l.peak}) is below the average (${l.average}).`));
  }
}

/** Guest-transparent VLAN tagging (formatnetwork.rst "Setting VLAN tag"). */
function vlanCapable(spec: NetworkSpec): boolean {
  return (spec.mode === 'bridge' && spec.openvswitch === true) || spec.mode === 'hostdev' || (spec.mode === 'macvtap' && spec.macvtapMode === 'passthrough');
}

function checkPortGroups(spec: NetworkSpec, errors: ResourceInputError[]): void {
  const groups = spec.portGroups ?? [];
  const names = new Set<string>();
  for (const g of groups) {
    const field = `portGroups.${g.name}`;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(g.name)) errors.push(new ResourceInputError(field, `The port group name ${JSON.stringify(g.name)} must be 1-64 letters, digits, "-", "_" or ".".`));
    if (names.has(g.name)) errors.push(new ResourceInputError(field, `Two port groups are named ${JSON.stringify(g.name)}.`));
    names.add(g.name);
    const tags = g.vlanTags ?? [];
    for (const t of tags) if (!Number.isSafeInteger(t) || t < 0 || t > 4095) errors.push(new ResourceInputError(field, `A VLAN tag is a number from 0 to 4095, got ${t}.`));
    if (tags.length > 0 && !vlanCapable(spec)) {
      errors.push(new ResourceInputError(field, 'VLAN tags need an Open vSwitch bridge, an SR-IOV hostdev pool or macvtap passthrough; libvirt refuses them on Linux bridges and its own networks.'));
    } else if (tags.length > 1 && !spec.openvswitch) errors.push(new ResourceInputError(field, 'A VLAN trunk (more than one tag) needs an Open vSwitch bridge.'));
    if (g.bandwidth) checkBandwidth(g.bandwidth, field, spec, errors);
  }
  if (groups.filter((g) => g.isDefault).length > 1) errors.push(new ResourceInputError('portGroups', 'Only one port group can be the default.'));
}

/** Pure checks of a network spec against the names and subnets already in use. */
export function checkNetworkSpec(spec: NetworkSpec, existingNames: readonly string[] = [], taken: readonly TakenRange[] = []): CheckResult {
  const errors: ResourceInputError[] = [];
  const nameErr = nameProblem(spec.name, 'network');
  if (nameErr) errors.push(new ResourceInputError('name', nameErr));
  if (existingNames.includes(spec.name)) errors.push(new ResourceInputError('name', `A network named "${spec.name}" already exists.`));
  if (spec.bridge !== undefined && !IFNAME_RE.test(spec.bridge)) {
    errors.push(new ResourceInputError('bridge', `The bridge name ${JSON.stringify(spec.bridge)} must be 1-15 letters, digits, "-", "_", "." or ":".`));
  }
  checkHostSide(spec, errors);
  if (spec.bandwidth) checkBandwidth(spec.bandwidth, 'bandwidth', spec, errors);
  checkPortGroups(spec, errors);
  if (spec.domain !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(spec.domain)) {
    errors.push(new ResourceInputError('domain', `${JSON.stringify(spec.domain)} is not a DNS domain name.`));
  }
  if (!modeHasAddresses(spec.mode)) return { errors, warnings: [] };
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

function limitAttrs(l: BandwidthLimit): string {
  return attrs({ average: l.average, peak: l.peak, burst: l.burst, floor: l.floor });
}

/** `<bandwidth>` with its inbound/outbound limits; nothing when both are absent. */
export function bandwidthXml(b: Bandwidth, indent = ''): string[] {
  if (!b.inbound && !b.outbound) return [];
  return [
    `${indent}<bandwidth>`,
    ...(b.inbound ? [`${indent}  <inbound${limitAttrs(b.inbound)}/>`] : []),
    ...(b.outbound ? [`${indent}  <outbound${limitAttrs(b.outbound)}/>`] : []),
    `${indent}</bandwidth>`,
  ];
}

/** A `<portgroup>` element (also the XML network update takes for the PORTGROUP section). */
export function portGroupXml(g: PortGroup, indent = ''): string[] {
  const tags = g.vlanTags ?? [];
  const body = [
    ...(tags.length > 0 ? [`${indent}  <vlan${tags.length > 1 ? ' trunk="yes"' : ''}>`, ...tags.map((id) => `${indent}    <tag${attrs({ id })}/>`), `${indent}  </vlan>`] : []),
    ...(g.bandwidth ? bandwidthXml(g.bandwidth, `${indent}  `) : []),
  ];
  const open = `${indent}<portgroup${attrs({ name: g.name, default: g.isDefault ? 'yes' : undefined })}`;
  return body.length === 0 ? [`${open}/>`] : [`${open}>`, ...body, `${indent}</portgroup>`];
}

/** Network XML for a spec (validated for form only; overlap needs `checkNetworkSpec` with the host's ranges). */
export function buildNetworkXml(spec: NetworkSpec): string {
  const first = checkNetworkSpec(spec).errors[0];
  if (first) throw first;
  const lines = ['<network>', `  <name>${escapeXml(spec.name)}</name>`];
  switch (spec.mode) {
    case 'isolated':
      break;
    case 'bridge':
      lines.push(`  <forward mode="bridge"/>`, `  <bridge${attrs({ name: spec.bridge })}/>`);
      if (spec.openvswitch) lines.push('  <virtualport type="openvswitch"/>');
      break;
    case 'macvtap':
      lines.push(`  <forward${attrs({ mode: spec.macvtapMode ?? 'bridge' })}>`, ...(spec.interfaces ?? []).map((dev) => `    <interface${attrs({ dev })}/>`), '  </forward>');
      break;
    case 'hostdev':
      // managed: libvirt detaches each VF from its host driver when a VM takes it, as virt-manager does.
      lines.push(`  <forward mode="hostdev" managed="yes">`, `    <pf${attrs({ dev: spec.pf })}/>`, '  </forward>');
      break;
    default:
      lines.push(`  <forward${attrs({ mode: spec.mode, dev: spec.forwardDev })}/>`);
  }
  if (modeHasAddresses(spec.mode)) {
    if (spec.bridge !== undefined) lines.push(`  <bridge${attrs({ name: spec.bridge, stp: 'on', delay: 0 })}/>`);
    else lines.push(`  <bridge${attrs({ stp: 'on', delay: 0 })}/>`);
    if (spec.domain !== undefined) lines.push(`  <domain${attrs({ name: spec.domain, localOnly: 'yes' })}/>`);
  }
  if (spec.bandwidth) lines.push(...bandwidthXml(spec.bandwidth, '  '));
  for (const g of spec.portGroups ?? []) lines.push(...portGroupXml(g, '  '));
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

/** The spec-equivalent of an existing network's host side, for checks that depend on its mode. */
export function specOfNetwork(d: NetworkDescription): NetworkSpec {
  const macvtap = MACVTAP_MODES.includes(d.forwardMode as MacvtapMode) && d.forwardInterfaces.length > 0;
  if (macvtap) return { name: d.name, mode: 'macvtap', macvtapMode: d.forwardMode as MacvtapMode, interfaces: d.forwardInterfaces };
  if (d.forwardMode === 'bridge') return { name: d.name, mode: 'bridge', bridge: d.bridge ?? '', openvswitch: d.virtualPort === 'openvswitch' };
  if (d.forwardMode === 'hostdev') return { name: d.name, mode: 'hostdev', pf: d.pf ?? '' };
  const mode = d.forwardMode === 'nat' || d.forwardMode === 'route' || d.forwardMode === 'open' ? d.forwardMode : 'isolated';
  return { name: d.name, mode };
}

/** Problems with network-wide QoS on this network (libvirt refuses it on some modes). */
export function checkNetworkBandwidth(d: NetworkDescription, b: Bandwidth): ResourceInputError[] {
  const errors: ResourceInputError[] = [];
  checkBandwidth(b, 'bandwidth', specOfNetwork(d), errors);
  return errors;
}
