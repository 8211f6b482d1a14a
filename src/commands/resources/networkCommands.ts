// Network actions: the guided "New Network" flow (NAT, routed, isolated, open; IPv4 and IPv6,
// DHCP range, static hosts, DNS domain, with a free subnet proposed), start, stop, autostart,
// delete, DHCP leases.

import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { networkUsers } from '../../libvirt/resources/domainUsage';
import { formatCidr, formatIp, parseCidr, parseProcNetRoute } from '../../libvirt/resources/ipAddress';
import { checkNetworkSpec, suggestIpv4, suggestIpv6, type DhcpHost, type NetworkIpSpec, type NetworkSpec, type TakenRange } from '../../libvirt/resources/network';
import { createNetwork, takenRanges } from '../../libvirt/resources/operations';
import { nameProblem, ResourceInputError } from '../../libvirt/resources/validation';
import { UserCancelledError } from '../../ui/cancel';
import { resourceState } from '../../views/resources/resourceState';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { connectionOf, hostTargetFor, networkTarget, pickHost, refreshAfter } from './resourceTargets';

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

async function input(deps: CommandDeps, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await deps.prompts.input({ title: TITLE, prompt, value, validate });
  if (v === undefined) throw new UserCancelledError(TITLE);
  return v.trim();
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
    ],
  });
  if (!modePick) throw new UserCancelledError(TITLE);
  const mode = modePick.value;
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

export const startNetwork: CommandHandler = async (deps, node) => {
  const t = await networkTarget(deps, node, 'Start Network');
  await t.conn.networkCreate(t.ref);
  refreshAfter(t);
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
] as const;
