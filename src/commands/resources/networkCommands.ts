// Network actions: the guided "New Network" flow (NAT, routed, isolated, open; IPv4 and IPv6,
// DHCP range, static hosts, DNS domain, with a free subnet proposed), start, stop, autostart,
// delete, DHCP leases.

import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { loadDomainUsages, networkUsers, portGroupUsers } from '../../libvirt/resources/domainUsage';
import { formatCidr, formatIp, parseCidr, parseProcNetRoute } from '../../libvirt/resources/ipAddress';
import type { NetworkRef } from '../../libvirt/connection';
import { VirNetworkXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { hostInterfaceSummary, joinHostInterfaces, loadHostInterfaceFacts, type HostInterface } from '../../libvirt/resources/hostInterface';
import {
  checkNetworkSpec,
  parseNetworkXml,
  specOfNetwork,
  suggestIpv4,
  suggestIpv6,
  type Bandwidth,
  type BandwidthLimit,
  type DhcpHost,
  type DnsSrv,
  type NetworkDescription,
  type NetworkIpSpec,
  type NetworkSpec,
  type PortGroup,
  type TakenRange,
} from '../../libvirt/resources/network';
import { changeDnsRecord as changeNetworkDnsRecord, checkNetworkEntry, setNetworkBandwidth, updateNetworkEntry, withoutNetworkEntry, type NetworkEntry, type NetworkUpdateAction } from '../../libvirt/resources/networkUpdate';
import type { ResourceHost } from '../../views/resources/resourceApi';
import { createNetwork, takenRanges } from '../../libvirt/resources/operations';
import { startNetwork as startNetworkExplained } from '../../libvirt/resources/networkStart';
import { networkMissingInterfaces } from '../../libvirt/resources/missingInterfaces';
import { nameProblem, ResourceInputError } from '../../libvirt/resources/validation';
import { UserCancelledError } from '../../ui/cancel';
import { resourceState } from '../../views/resources/resourceState';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { connectionOf, hostTargetFor, networkTarget, pickHost, refreshAfter, type NetworkTarget } from './resourceTargets';

const TITLE = 'New Virtual Network';

/** Host routes count as taken only when the libvirt host is this machine (a local URI). */
async function localRoutes(uri: string): Promise<TakenRange[]> {
  if (!/^[a-z0-9]+(\+unix)?:\/\/\//i.test(uri)) return [];
  try {
    return parseProcNetRoute(await readFile('/proc/net/route', 'utf8')).map((cidr) => ({ cidr, owner: 'a host route' }));
  } catch {
    return [];
  }
}

async function inputTitled(deps: CommandDeps, title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await deps.prompts.input({ title, prompt, value, validate });
  if (v === undefined) throw new UserCancelledError(title);
  return v.trim();
}

function input(deps: CommandDeps, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  return inputTitled(deps, TITLE, prompt, value, validate);
}

function problemOf(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** "192.168.100.0/24" -> host .1 and the suggested DHCP range, checked like the final spec. */
function ipSpecFromCidr(text: string, dhcpText: string, hosts: readonly DhcpHost[]): NetworkIpSpec {
  const cidr = parseCidr(text);
  const address = formatIp(cidr.family, cidr.network + 1n);
  const dhcpParts = dhcpText.trim() === '' || dhcpText.trim() === 'none' ? undefined : dhcpText.split('-').map((s) => s.trim());
  if (dhcpParts && dhcpParts.length !== 2) throw new ResourceInputError('dhcp', 'Write the DHCP range as START-END, or "none".');
  return { address, prefix: cidr.prefix, ...(dhcpParts ? { dhcp: { start: dhcpParts[0] ?? '', end: dhcpParts[1] ?? '' } } : {}), hosts };
}

function parseHosts(text: string): DhcpHost[] {
  if (text.trim() === '') return [];
  return text.split(';').map((entry) => {
    const m = /^\s*([0-9a-f:]{17})\s*=\s*([0-9.]+)\s*(?:,\s*(\S+))?\s*$/i.exec(entry);
    if (!m) throw new ResourceInputError('hosts', `Write static hosts as MAC=IP[,name]; got ${JSON.stringify(entry.trim())}.`);
    return { mac: m[1], ip: m[2] ?? '', ...(m[3] ? { name: m[3] } : {}) };
  });
}

export const createNetworkCommand: CommandHandler = async (deps, node) => {
  const host = await pickHost(deps, node, TITLE);
  const conn = connectionOf(host);
  const routes = await localRoutes(host.config.uri);
  const { names, taken } = await takenRanges(conn, routes);
  let n = 1;
  while (names.includes(`network${n}`)) n++;
  const name = await input(deps, 'Network name', `network${n}`, (v) => nameProblem(v.trim(), 'network') ?? (names.includes(v.trim()) ? `A network named "${v.trim()}" already exists.` : undefined));
  const modePick = await deps.prompts.pickOne({
    title: TITLE,
    placeHolder: 'Connectivity',
    items: [
      { label: 'NAT', description: 'VMs reach outside through the host’s address', value: 'nat' as const },
      { label: 'Routed', description: 'VMs are routed, not masqueraded', value: 'route' as const },
      { label: 'Isolated', description: 'VMs and host only', value: 'isolated' as const },
      { label: 'Open', description: 'no firewall rules added by libvirt', value: 'open' as const },
      { label: 'Host bridge', description: 'VMs join an existing Linux or Open vSwitch bridge', value: 'bridge' as const },
      { label: 'macvtap', description: 'VMs share host NICs directly (bridge, private, VEPA, passthrough)', value: 'macvtap' as const },
      { label: 'SR-IOV pool', description: 'each VM gets a virtual function of a physical NIC', value: 'hostdev' as const },
    ],
  });
  if (!modePick) throw new UserCancelledError(TITLE);
  const picked = modePick.value;
  if (picked === 'bridge' || picked === 'macvtap' || picked === 'hostdev') return createHostSideNetwork(deps, host, name, picked);
  const mode = picked;
  const suggestion = suggestIpv4(taken);
  const v4Default = suggestion ? `${formatCidr(parseCidr(`${suggestion.address}/${suggestion.prefix}`))}` : '';
  const v4Text = await input(deps, 'IPv4 network (empty for none)', v4Default, (v) =>
    v.trim() === '' ? undefined : problemOf(() => {
      const c = parseCidr(v.trim());
      const clash = taken.find((t) => t.cidr.family === c.family && checkNetworkSpec({ name: 'x', mode: 'nat', ipv4: { address: formatIp(c.family, c.network + 1n), prefix: c.prefix } }, [], [t]).errors.length > 0);
      if (clash) throw new Error(`${formatCidr(c)} overlaps ${formatCidr(clash.cidr)} (${clash.owner}).`);
    }),
  );
  let ipv4: NetworkIpSpec | undefined;
  if (v4Text !== '') {
    const c = parseCidr(v4Text);
    const size = 1n << BigInt(32 - c.prefix);
    const dhcpDefault = `${formatIp('ipv4', c.network + size / 2n)}-${formatIp('ipv4', c.network + size - 2n)}`;
    const dhcpText = await input(deps, 'DHCP range START-END ("none" for no DHCP)', dhcpDefault, (v) => problemOf(() => ipSpecFromCidr(v4Text, v, [])));
    const hostsText = await input(deps, 'Static DHCP hosts, MAC=IP[,name] separated by ";" (optional)', '', (v) => problemOf(() => parseHosts(v)));
    ipv4 = ipSpecFromCidr(v4Text, dhcpText, parseHosts(hostsText));
  }
  const v6 = suggestIpv6(name, taken);
  const v6Pick = await deps.prompts.pickOne({
    title: TITLE,
    placeHolder: 'IPv6',
    items: [
      { label: 'No IPv6', value: undefined },
      ...(v6 ? [{ label: `${formatCidr(parseCidr(`${v6.address}/${v6.prefix}`))} with DHCPv6`, description: 'unique local addresses', value: v6 }] : []),
    ],
  });
  if (!v6Pick) throw new UserCancelledError(TITLE);
  const domain = await input(deps, 'DNS domain for the VMs (optional)', '', (v) =>
    v.trim() === '' ? undefined : checkNetworkSpec({ name: 'x', mode: 'isolated', domain: v.trim() }).errors[0]?.message,
  );
  const spec: NetworkSpec = { name, mode, ...(ipv4 ? { ipv4 } : {}), ...(v6Pick.value ? { ipv6: v6Pick.value } : {}), ...(domain ? { domain } : {}) };
  const autostart = (await deps.prompts.pickOne({ title: TITLE, placeHolder: 'Start the network when the host boots?', items: [{ label: 'Autostart', value: true }, { label: 'Do not autostart', value: false }] }))?.value;
  if (autostart === undefined) throw new UserCancelledError(TITLE);
  const target = hostTargetFor(deps, host, 'networks');
  const ref = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating network ${name}…` }, () =>
    createNetwork(conn, spec, { autostart, hostRoutes: routes }),
  );
  refreshAfter(target);
  return ref;
};

/** A bridge, macvtap or SR-IOV network: what on the host it attaches to, and optional QoS. */
async function createHostSideNetwork(deps: CommandDeps, host: ResourceHost, name: string, mode: 'bridge' | 'macvtap' | 'hostdev'): Promise<NetworkRef> {
  const conn = connectionOf(host);
  const ifaces = joinHostInterfaces(await loadHostInterfaceFacts(conn), [], []).filter((h) => h.kind !== 'loopback');
  const describe = (h: HostInterface): string => hostInterfaceSummary(h);
  let spec: NetworkSpec;
  if (mode === 'bridge') {
    const bridges = ifaces.filter((h) => h.kind === 'bridge');
    const pick = await deps.prompts.pickOne({
      title: TITLE,
      placeHolder: 'Host bridge',
      items: [...bridges.map((h) => ({ label: h.iface, description: describe(h), value: h.iface })), { label: 'Other bridge…', description: 'type its name (e.g. an Open vSwitch bridge)', value: undefined }],
    });
    if (!pick) throw new UserCancelledError(TITLE);
    const bridge = pick.value ?? (await input(deps, 'Bridge name', '', (v) => checkNetworkSpec({ name: 'x', mode: 'bridge', bridge: v.trim() }).errors.find((e) => e.field === 'bridge')?.message));
    const ovs = await deps.prompts.pickOne({ title: TITLE, placeHolder: 'Kind of bridge', items: [{ label: 'Linux bridge', value: false }, { label: 'Open vSwitch bridge', description: 'virtualport type openvswitch; VLAN tags and trunks', value: true }] });
    if (!ovs) throw new UserCancelledError(TITLE);
    spec = { name, mode, bridge, ...(ovs.value ? { openvswitch: true } : {}) };
  } else if (mode === 'macvtap') {
    const nics = ifaces.filter((h) => h.kind === 'nic' || h.kind === 'bond' || h.kind === 'vlan');
    const picked = await deps.prompts.pickMany({ title: TITLE, placeHolder: 'Host NICs the VMs use (one or more)', items: nics.map((h) => ({ label: h.iface, description: describe(h), value: h.iface })) });
    if (!picked || picked.length === 0) throw new UserCancelledError(TITLE);
    const m = await deps.prompts.pickOne({
      title: TITLE,
      placeHolder: 'macvtap mode',
      items: [
        { label: 'bridge', description: 'VMs on a NIC see each other; the host does not see them', value: 'bridge' as const },
        { label: 'private', description: 'VMs are isolated from each other', value: 'private' as const },
        { label: 'vepa', description: 'traffic goes through the external switch (802.1Qbg)', value: 'vepa' as const },
        { label: 'passthrough', description: 'one VM per NIC, full control (SR-IOV VFs, VLAN tags)', value: 'passthrough' as const },
      ],
    });
    if (!m) throw new UserCancelledError(TITLE);
    spec = { name, mode, macvtapMode: m.value, interfaces: picked.map((p) => p.value) };
  } else {
    const pfs = ifaces.filter((h) => h.sriov !== undefined);
    const pick = await deps.prompts.pickOne({
      title: TITLE,
      placeHolder: pfs.length > 0 ? 'SR-IOV physical function' : 'No SR-IOV physical function found on this host; type one',
      items: [...pfs.map((h) => ({ label: h.iface, description: describe(h), value: h.iface })), { label: 'Other interface…', value: undefined }],
    });
    if (!pick) throw new UserCancelledError(TITLE);
    const pf = pick.value ?? (await input(deps, 'Physical function (interface name)', '', (v) => checkNetworkSpec({ name: 'x', mode: 'hostdev', pf: v.trim() }).errors.find((e) => e.field === 'pf')?.message));
    spec = { name, mode, pf };
  }
  const bandwidth = await askBandwidth(deps, 'Network-wide QoS (all VMs together)', spec);
  const portGroups = await askPortGroups(deps, spec);
  const full: NetworkSpec = { ...spec, ...(bandwidth ? { bandwidth } : {}), ...(portGroups.length > 0 ? { portGroups } : {}) };
  const target = hostTargetFor(deps, host, 'networks');
  const ref = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating network ${name}…` }, () => createNetwork(conn, full, { autostart: false }));
  refreshAfter(target);
  return ref;
}

/** "1000" or "1000,2000,512" (average, peak, burst in KiB/s and KiB) or empty. */
function parseLimit(text: string): BandwidthLimit | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const parts = t.split(',').map((p) => p.trim());
  const nums = parts.map((p) => Number(p));
  if (parts.length > 3 || nums.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new ResourceInputError('bandwidth', 'Write AVERAGE[,PEAK[,BURST]] as whole numbers (KiB/s, KiB/s, KiB).');
  const [average, peak, burst] = nums;
  return { average, ...(peak !== undefined ? { peak } : {}), ...(burst !== undefined ? { burst } : {}) };
}

/** Asks for inbound and outbound limits; undefined when both are left empty. */
async function askBandwidth(deps: CommandDeps, what: string, spec: NetworkSpec): Promise<Bandwidth | undefined> {
  const check = (field: 'inbound' | 'outbound') => (v: string): string | undefined =>
    problemOf(() => {
      const l = parseLimit(v);
      if (l) {
        const first = checkNetworkSpec({ ...spec, bandwidth: { [field]: l } }).errors.find((e) => e.field === 'bandwidth');
        if (first) throw first;
      }
    });
  const inbound = parseLimit(await input(deps, `${what}: inbound AVERAGE[,PEAK[,BURST]] in KiB/s (empty for no limit)`, '', check('inbound')));
  const outbound = parseLimit(await input(deps, `${what}: outbound AVERAGE[,PEAK[,BURST]] in KiB/s (empty for no limit)`, '', check('outbound')));
  return inbound || outbound ? { ...(inbound ? { inbound } : {}), ...(outbound ? { outbound } : {}) } : undefined;
}

async function runUpdate(deps: CommandDeps, node: unknown, title: string, build: (t: NetworkTarget, desc: NetworkDescription) => Promise<{ action: NetworkUpdateAction; entry: NetworkEntry }>): Promise<void> {
  const t = await networkTarget(deps, node, title);
  const desc = parseNetworkXml(await t.conn.networkGetXmlDesc(t.ref, 0));
  const { action, entry } = await build(t, desc);
  await updateNetworkEntry(t.conn, t.ref, action, entry);
  refreshAfter(t);
}

export const addDhcpHost: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Add DHCP Static Host', async (_t, desc) => {
    const mac = (await input(deps, 'MAC address of the VM’s NIC', '52:54:00:', (v) => (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v.trim()) ? undefined : 'Write a MAC address like 52:54:00:12:34:56.'))).toLowerCase();
    const ip = await input(deps, 'Fixed IP address', '', (v) => checkNetworkEntry(desc, 'add', { section: 'dhcpHost', host: { mac, ip: v.trim() } }).find((e) => e.field === 'ip')?.message);
    const name = await input(deps, 'Host name (optional)', '', (v) => (v.trim() === '' ? undefined : checkNetworkEntry(desc, 'add', { section: 'dhcpHost', host: { mac, ip, name: v.trim() } }).find((e) => e.field === 'name')?.message));
    return { action: 'add', entry: { section: 'dhcpHost', host: { mac, ip, ...(name !== '' ? { name } : {}) } } };
  });

export const removeDhcpHost: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Remove DHCP Static Host', async (t, desc) => {
    const hosts = desc.ips.flatMap((i) => i.hosts);
    if (hosts.length === 0) throw new Error(`${t.ref.name} has no DHCP static hosts.`);
    const pick = await deps.prompts.pickOne({ title: 'Remove DHCP Static Host', placeHolder: 'Static host', items: hosts.map((h) => ({ label: h.ip, description: [h.name, h.mac].filter(Boolean).join(' · '), value: h })) });
    if (!pick) throw new UserCancelledError('Remove DHCP Static Host');
    return { action: 'delete', entry: { section: 'dhcpHost', host: pick.value } };
  });

export const changeDhcpHost: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Change DHCP Static Host', async (t, desc) => {
    const title = 'Change DHCP Static Host';
    const hosts = desc.ips.flatMap((i) => i.hosts).filter((h) => h.mac !== undefined && !h.ip.includes(':'));
    if (hosts.length === 0) throw new Error(`${t.ref.name} has no IPv4 DHCP static hosts.`);
    const pick = await deps.prompts.pickOne({ title, placeHolder: 'Static host to change (found by its MAC address)', items: hosts.map((h) => ({ label: h.mac ?? '', description: [h.ip, h.name].filter(Boolean).join(' · '), value: h })) });
    if (!pick) throw new UserCancelledError(title);
    const old = pick.value;
    const mac = old.mac ?? '';
    const ip = await input(deps, `Fixed IP address of ${mac}`, old.ip, (v) => checkNetworkEntry(desc, 'modify', { section: 'dhcpHost', host: { mac, ip: v.trim() } }).find((e) => e.field === 'ip')?.message);
    const name = await input(deps, `Host name of ${mac} (empty for none)`, old.name ?? '', (v) => (v.trim() === '' ? undefined : checkNetworkEntry(desc, 'modify', { section: 'dhcpHost', host: { mac, ip, name: v.trim() } }).find((e) => e.field === 'name')?.message));
    return { action: 'modify', entry: { section: 'dhcpHost', host: { mac, ip, ...(name !== '' ? { name } : {}) } } };
  });

export const addDnsRecord: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Add DNS Record', async (_t, desc) => {
    const title = 'Add DNS Record';
    const kind = (await deps.prompts.pickOne({ title, placeHolder: 'Record', items: [{ label: 'Host (A/AAAA)', value: 'dnsHost' as const }, { label: 'SRV', value: 'dnsSrv' as const }, { label: 'TXT', value: 'dnsTxt' as const }] }))?.value;
    if (!kind) throw new UserCancelledError(title);
    const err = (entry: NetworkEntry, field: string): string | undefined => checkNetworkEntry(desc, 'add', entry).find((e) => e.field === field)?.message;
    if (kind === 'dnsHost') {
      const ip = await input(deps, 'IP address', '', (v) => err({ section: 'dnsHost', host: { ip: v.trim(), hostnames: ['x'] } }, 'ip'));
      const names = (await input(deps, 'Host names, separated by spaces', '', (v) => err({ section: 'dnsHost', host: { ip, hostnames: v.trim().split(/\s+/).filter(Boolean) } }, 'hostnames'))).split(/\s+/).filter(Boolean);
      return { action: 'add', entry: { section: 'dnsHost', host: { ip, hostnames: names } } };
    }
    if (kind === 'dnsTxt') {
      const name = await input(deps, 'Name', '', (v) => err({ section: 'dnsTxt', txt: { name: v.trim(), value: 'x' } }, 'name'));
      const value = await input(deps, 'Text', '', (v) => (v.trim() === '' ? 'A TXT record needs a value.' : undefined));
      return { action: 'add', entry: { section: 'dnsTxt', txt: { name, value } } };
    }
    const text = await input(deps, 'SERVICE PROTOCOL TARGET PORT [PRIORITY WEIGHT], e.g. "ldap tcp ldap.lan 389 10 5"', '', (v) => problemOf(() => parseSrv(v, desc)));
    return { action: 'add', entry: { section: 'dnsSrv', srv: parseSrv(text, desc) } };
  });

function parseSrv(text: string, desc: NetworkDescription): DnsSrv {
  const [service = '', protocol = '', target, port, priority, weight] = text.trim().split(/\s+/);
  const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const srv: DnsSrv = { service, protocol, ...(target !== undefined ? { target } : {}), ...(port !== undefined ? { port: n(port) } : {}), ...(priority !== undefined ? { priority: n(priority) } : {}), ...(weight !== undefined ? { weight: n(weight) } : {}) };
  const first = checkNetworkEntry(desc, 'add', { section: 'dnsSrv', srv })[0];
  if (first) throw first;
  return srv;
}

/** Picks one of the network's DNS records (hosts, SRV, TXT). */
async function pickDnsRecord(deps: CommandDeps, title: string, t: NetworkTarget, desc: NetworkDescription): Promise<NetworkEntry> {
  const items = [
    ...desc.dnsHosts.map((h) => ({ label: `${h.ip}`, description: `host ${h.hostnames.join(' ')}`, value: { section: 'dnsHost', host: h } as NetworkEntry })),
    ...desc.dnsSrv.map((s) => ({ label: `_${s.service}._${s.protocol}`, description: `SRV ${s.target ?? ''}:${s.port ?? ''}`, value: { section: 'dnsSrv', srv: s } as NetworkEntry })),
    ...desc.dnsTxt.map((x) => ({ label: x.name, description: `TXT ${x.value}`, value: { section: 'dnsTxt', txt: x } as NetworkEntry })),
  ];
  if (items.length === 0) throw new Error(`${t.ref.name} has no DNS records.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Record', items });
  if (!pick) throw new UserCancelledError(title);
  return pick.value;
}

export const removeDnsRecord: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Remove DNS Record', async (t, desc) => ({ action: 'delete', entry: await pickDnsRecord(deps, 'Remove DNS Record', t, desc) }));

/**
 * Changes a DNS record in place, each field offered with its current value. libvirt cannot modify
 * DNS records (changeDnsRecord explains), so this deletes and adds in one step, restoring the old
 * record if libvirt refuses the new one; the network keeps running throughout.
 */
export const changeDnsRecord: CommandHandler = async (deps, node) => {
  const title = 'Change DNS Record';
  const t = await networkTarget(deps, node, title);
  const desc = parseNetworkXml(await t.conn.networkGetXmlDesc(t.ref, 0));
  const old = await pickDnsRecord(deps, title, t, desc);
  const others = withoutNetworkEntry(desc, old);
  const err = (entry: NetworkEntry, field: string): string | undefined => checkNetworkEntry(others, 'add', entry).find((e) => e.field === field)?.message;
  const ask = (prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> => inputTitled(deps, title, prompt, value, validate);
  let next: NetworkEntry;
  if (old.section === 'dnsHost') {
    const ip = await ask('IP address', old.host.ip, (v) => err({ section: 'dnsHost', host: { ip: v.trim(), hostnames: ['x'] } }, 'ip'));
    const names = (await ask('Host names, separated by spaces', old.host.hostnames.join(' '), (v) => err({ section: 'dnsHost', host: { ip, hostnames: v.trim().split(/\s+/).filter(Boolean) } }, 'hostnames'))).split(/\s+/).filter(Boolean);
    next = { section: 'dnsHost', host: { ip, hostnames: names } };
  } else if (old.section === 'dnsTxt') {
    const name = await ask('Name', old.txt.name, (v) => err({ section: 'dnsTxt', txt: { name: v.trim(), value: 'x' } }, 'name'));
    const value = await ask('Text', old.txt.value, (v) => (v.trim() === '' ? 'A TXT record needs a value.' : undefined));
    next = { section: 'dnsTxt', txt: { name, value } };
  } else if (old.section === 'dnsSrv') {
    const s = old.srv;
    const current = [s.service, s.protocol, s.target, s.port, s.priority, s.weight].filter((x) => x !== undefined).join(' ');
    const text = await ask('SERVICE PROTOCOL TARGET PORT [PRIORITY WEIGHT], e.g. "ldap tcp ldap.lan 389 10 5"', current, (v) => problemOf(() => parseSrv(v, others)));
    next = { section: 'dnsSrv', srv: parseSrv(text, others) };
  } else {
    throw new Error(`${title}: not a DNS record.`);
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Changing a DNS record of ${t.ref.name}…` }, () => changeNetworkDnsRecord(t.conn, t.ref, old, next));
  refreshAfter(t);
  return next;
};

/** Asks for one port group (name, VLAN tags, per-VM QoS), each step checked against the network's mode. */
async function askPortGroup(deps: CommandDeps, spec: NetworkSpec, taken: readonly string[]): Promise<PortGroup> {
  const name = await input(deps, 'Port group name', '', (v) =>
    taken.includes(v.trim()) ? `${spec.name} already has a port group ${v.trim()}.` : checkNetworkSpec({ ...spec, portGroups: [{ name: v.trim() }] }).errors.find((e) => e.field.startsWith('portGroups'))?.message,
  );
  const tagsText = await input(deps, 'VLAN tags, separated by commas (empty for none)', '', (v) =>
    problemOf(() => {
      const first = checkNetworkSpec({ ...spec, portGroups: [{ name, vlanTags: parseTags(v) }] }).errors.find((e) => e.field.startsWith('portGroups'));
      if (first) throw first;
    }),
  );
  const bandwidth = await askBandwidth(deps, `Port group ${name} QoS (per VM)`, spec);
  return { name, ...(tagsText !== '' ? { vlanTags: parseTags(tagsText) } : {}), ...(bandwidth ? { bandwidth } : {}) };
}

/**
 * Port groups for a new network, as many as the user adds, then which one VMs that name none get.
 * Asked for bridge, macvtap and SR-IOV networks, where VLAN tags live (Open vSwitch, macvtap
 * passthrough, SR-IOV): a VLAN network made in one go, instead of Add Port Group afterwards.
 */
async function askPortGroups(deps: CommandDeps, spec: NetworkSpec): Promise<PortGroup[]> {
  const groups: PortGroup[] = [];
  for (;;) {
    const next = await deps.prompts.pickOne({
      title: TITLE,
      placeHolder: groups.length === 0 ? 'Port groups (VLAN tags, per-VM QoS)' : `Port groups so far: ${groups.map((g) => portGroupSummary(g) !== '' ? `${g.name} (${portGroupSummary(g)})` : g.name).join(', ')}`,
      items: [
        { label: groups.length === 0 ? 'No port groups' : 'Done', value: false },
        { label: 'Add a port group…', description: 'a name VMs choose, with VLAN tags and per-VM QoS', value: true },
      ],
    });
    if (!next) throw new UserCancelledError(TITLE);
    if (!next.value) break;
    groups.push(await askPortGroup(deps, spec, groups.map((g) => g.name)));
  }
  if (groups.length === 0) return groups;
  const def = await deps.prompts.pickOne({
    title: TITLE,
    placeHolder: 'Default port group (for VMs that name none)',
    items: [{ label: 'None', description: 'such VMs get no VLAN tag or QoS from the network', value: undefined }, ...groups.map((g) => ({ label: g.name, description: portGroupSummary(g), value: g.name }))],
  });
  if (!def) throw new UserCancelledError(TITLE);
  return groups.map((g) => (g.name === def.value ? { ...g, isDefault: true } : g));
}

export const addPortGroup: CommandHandler = (deps, node) =>
  runUpdate(deps, node, 'Add Port Group', async (_t, desc) => {
    const group = await askPortGroup(deps, specOfNetwork(desc), desc.portGroups.map((g) => g.name));
    const first = checkNetworkEntry(desc, 'add', { section: 'portGroup', group })[0];
    if (first) throw first;
    return { action: 'add', entry: { section: 'portGroup', group } };
  });

/** What a port group sets, for pick lists and confirmations: "VLAN 42 · QoS in 1000 KiB/s". */
function portGroupSummary(g: PortGroup): string {
  const bits: string[] = [];
  if (g.isDefault) bits.push('default');
  if (g.vlanTags && g.vlanTags.length > 0) bits.push(`${g.vlanTags.length > 1 ? 'VLAN trunk' : 'VLAN'} ${g.vlanTags.join(', ')}`);
  const rate = (l: BandwidthLimit | undefined): string | undefined => (l?.average !== undefined ? `${l.average} KiB/s` : undefined);
  const qos = [rate(g.bandwidth?.inbound) ? `in ${rate(g.bandwidth?.inbound)}` : undefined, rate(g.bandwidth?.outbound) ? `out ${rate(g.bandwidth?.outbound)}` : undefined].filter(Boolean);
  if (qos.length > 0) bits.push(`QoS ${qos.join(', ')}`);
  return bits.join(' · ');
}

/**
 * Removes a port group (live and in the definition on a running network). VMs whose interfaces
 * name it are listed in the confirmation: libvirt lets the group go, but those VMs then fail to
 * start (or lose its settings on a hot-plug). They are read again after the confirmation, and a VM
 * that took the group meanwhile stops the removal.
 */
export const removePortGroup: CommandHandler = async (deps, node) => {
  const title = 'Remove Port Group';
  const t = await networkTarget(deps, node, title);
  const desc = parseNetworkXml(await t.conn.networkGetXmlDesc(t.ref, 0));
  if (desc.portGroups.length === 0) throw new Error(`${t.ref.name} has no port groups.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Port group', items: desc.portGroups.map((g) => ({ label: g.name, description: portGroupSummary(g), value: g })) });
  if (!pick) throw new UserCancelledError(title);
  const group = pick.value;
  const usersNow = async (): Promise<string[]> => portGroupUsers(await loadDomainUsages(t.conn), t.ref.name, group.name).map((u) => `${u.dom.name}${u.running ? ' (running)' : ''}`);
  const users = await usersNow();
  const ok = await deps.prompts.confirm({
    message: `Remove port group ${group.name} of network ${t.ref.name}?`,
    detail: [
      `Port group ${group.name}${portGroupSummary(group) !== '' ? ` (${portGroupSummary(group)})` : ''}.`,
      users.length > 0 ? `VMs with interfaces on it, which will fail to start until they are changed: ${users.join(', ')}.` : 'No VM uses it.',
    ].join('\n'),
    button: 'Remove',
  });
  if (!ok) throw new UserCancelledError(title);
  const after = await usersNow();
  const added = after.filter((u) => !users.includes(u));
  if (added.length > 0) throw new Error(`Since the confirmation, ${added.join(', ')} also use${added.length === 1 ? 's' : ''} port group ${group.name}; nothing was removed.`);
  await updateNetworkEntry(t.conn, t.ref, 'delete', { section: 'portGroup', group });
  refreshAfter(t);
  return { removed: group.name, vms: users };
};

function parseTags(text: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((t) => {
    const n = Number(t.trim());
    if (t.trim() === '' || !Number.isSafeInteger(n)) throw new ResourceInputError('vlan', `${JSON.stringify(t.trim())} is not a VLAN tag.`);
    return n;
  });
}

export const setNetworkQos: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Set Network QoS');
  const desc = parseNetworkXml(await t.conn.networkGetXmlDesc(t.ref, VirNetworkXMLFlags.INACTIVE));
  const bandwidth = await askBandwidth(deps, 'Network-wide QoS (all VMs together)', specOfNetwork(desc));
  const { pendingRestart } = await setNetworkBandwidth(t.conn, t.ref, bandwidth);
  refreshAfter(t);
  if (pendingRestart) void vscode.window.showInformationMessage(`${t.ref.name}: the new QoS applies when the network is next started (libvirt cannot change it on a running network).`);
  return { bandwidth, pendingRestart };
};

export const startNetwork: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Start Network');
  await startNetworkExplained(t.conn, t.ref);
  refreshAfter(t);
  // libvirt starts a bridge or macvtap network over a bridge or NIC the host lacks; its VMs fail later.
  const missing = await networkMissingInterfaces(t.conn, t.ref).catch(() => []);
  if (missing.length > 0) void vscode.window.showWarningMessage(`${t.ref.name} started, but this host has no ${missing.join(', ')}: VMs on this network cannot start until it exists again.`);
  return { missingInterfaces: missing };
};

export const stopNetwork: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Stop Network');
  const users = networkUsers(await resourceState(t.host).usage.get().catch(() => []), t.ref.name).filter((u) => u.running);
  if (users.length > 0) {
    const ok = await deps.prompts.confirm({ message: `Stop network ${t.ref.name}?`, detail: `Running VMs lose their connection: ${users.map((u) => u.dom.name).join(', ')}.`, button: 'Stop' });
    if (!ok) throw new UserCancelledError('Stop Network');
  }
  await t.conn.networkDestroy(t.ref);
  refreshAfter(t);
};

function setAutostart(on: boolean): CommandHandler {
  return async (deps, node) => {
    const t = await networkTarget(deps, node, on ? 'Enable Network Autostart' : 'Disable Network Autostart');
    await t.conn.networkSetAutostart(t.ref, on);
    refreshAfter(t);
  };
}

export const deleteNetwork: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Delete Network');
  const users = networkUsers(await resourceState(t.host).usage.get().catch(() => []), t.ref.name).map((u) => u.dom.name);
  const ok = await deps.prompts.confirm({
    message: `Delete network ${t.ref.name}?`,
    detail: users.length > 0 ? `VMs with interfaces on it: ${users.join(', ')}. They will fail to start until their interfaces are changed.` : 'No VM uses it.',
    button: 'Delete',
  });
  if (!ok) throw new UserCancelledError('Delete Network');
  if (await t.conn.networkIsActive(t.ref)) await t.conn.networkDestroy(t.ref);
  await t.conn.networkUndefine(t.ref);
  refreshAfter(t);
};

export const showLeases: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Show DHCP Leases');
  const leases = await t.conn.networkGetDhcpLeases(t.ref);
  if (leases.length === 0) {
    void vscode.window.showInformationMessage(`${t.ref.name} has no DHCP leases.`);
    return [];
  }
  await deps.prompts.pickOne({
    title: `DHCP leases of ${t.ref.name}`,
    items: leases.map((l) => ({ label: `${l.ipaddr}/${l.prefix}`, description: [l.hostname, l.mac].filter(Boolean).join(' · '), detail: `expires ${new Date(l.expirytime * 1000).toLocaleString()}`, value: l })),
  });
  return leases;
};

export const networkTable = [
  ['libvirtVms.network.create', 'New Virtual Network', createNetworkCommand],
  ['libvirtVms.network.start', 'Start Network', startNetwork],
  ['libvirtVms.network.stop', 'Stop Network', stopNetwork],
  ['libvirtVms.network.enableAutostart', 'Enable Network Autostart', setAutostart(true)],
  ['libvirtVms.network.disableAutostart', 'Disable Network Autostart', setAutostart(false)],
  ['libvirtVms.network.delete', 'Delete Network', deleteNetwork],
  ['libvirtVms.network.showLeases', 'Show DHCP Leases', showLeases],
  ['libvirtVms.network.addDhcpHost', 'Add DHCP Static Host', addDhcpHost],
  ['libvirtVms.network.changeDhcpHost', 'Change DHCP Static Host', changeDhcpHost],
  ['libvirtVms.network.removeDhcpHost', 'Remove DHCP Static Host', removeDhcpHost],
  ['libvirtVms.network.addDnsRecord', 'Add DNS Record', addDnsRecord],
  ['libvirtVms.network.changeDnsRecord', 'Change DNS Record', changeDnsRecord],
  ['libvirtVms.network.removeDnsRecord', 'Remove DNS Record', removeDnsRecord],
  ['libvirtVms.network.addPortGroup', 'Add Port Group', addPortGroup],
  ['libvirtVms.network.removePortGroup', 'Remove Port Group', removePortGroup],
  ['libvirtVms.network.setQos', 'Set Network QoS', setNetworkQos],
] as const;
