// Starting a network, with libvirt's reason for a refusal kept word for word and, where the cause
// is known, what to do about it in plain words. libvirt's own message says what failed (a `tc`
// command, a missing virtual function) but not why a user of this host sees it: the texts below
// are the ones libvirt 9.0's network driver produces (measured on the test machine, see
// test/integration/netsec/hostNetworks.test.ts), matched only to add advice, never to replace them.

import type { Connection, NetworkRef } from '../connection';
import { parseNetworkXml, type NetworkDescription } from './network';

/** A network that libvirt refused to start, with its reason and (when known) what to do. */
export class NetworkStartError extends Error {
  constructor(
    readonly network: string,
    /** libvirt's message, unchanged. */
    readonly reason: string,
    readonly advice: string,
    override readonly cause: unknown,
  ) {
    // The command's title says that the start failed; the message names the network, libvirt's words, the advice.
    super(`${network}: ${reason.replace(/\.?\s*$/, '.')} ${advice}`);
    this.name = 'NetworkStartError';
  }

  static is(e: unknown): e is NetworkStartError {
    return e instanceof NetworkStartError;
  }
}

function hasQos(d: NetworkDescription | undefined): boolean {
  return d !== undefined && (d.bandwidth !== undefined || d.portGroups.some((g) => g.bandwidth !== undefined));
}

/** What to do about a start failure with this libvirt message, or undefined when it is not one we know. */
export function networkStartAdvice(desc: NetworkDescription | undefined, reason: string): string | undefined {
  const vf = /No usable Vf's present on SRIOV PF (\S+)/.exec(reason);
  if (vf) {
    const pf = vf[1] ?? desc?.pf ?? '';
    return `${pf} has no virtual functions to hand out: it is not an SR-IOV NIC, or its VFs are not enabled (write their number to /sys/class/net/${pf}/device/sriov_numvfs on the host).`;
  }
  if (/\btc (qdisc|class|filter) add\b/.test(reason)) {
    return `The host's kernel cannot apply the ${hasQos(desc) ? "network's QoS" : 'QoS limits'}: it lacks a traffic-control module libvirt uses (sch_htb, sch_sfq, act_police). Load them on the host, or remove the limits (Set Network QoS with empty values).`;
  }
  const inUse = /Network is already in use by interface (\S+)/.exec(reason);
  if (inUse) return `Its subnet overlaps the addresses of ${inUse[1] ?? 'another interface'}: change the network's IP range (Open XML) or stop what uses that interface.`;
  const bridge = /bridge name '([^']+)' already in use/.exec(reason);
  if (bridge) return `The host already has a bridge ${bridge[1] ?? ''}: give this network another bridge name (Open XML), or none for libvirt to pick one.`;
  if (/Unable to find 'dnsmasq' binary/.test(reason)) return 'NAT, routed and isolated networks need dnsmasq for DHCP and DNS: install it on the host (Debian/Ubuntu: dnsmasq-base; Fedora: dnsmasq).';
  return undefined;
}

/**
 * Starts the network. A refusal libvirt explains only in its own terms comes back as a
 * NetworkStartError with its words and the advice; any other error is rethrown as it is.
 */
export async function startNetwork(conn: Pick<Connection, 'networkCreate' | 'networkGetXmlDesc'>, net: NetworkRef): Promise<void> {
  try {
    await conn.networkCreate(net);
  } catch (e) {
    throw await explainNetworkStartError(conn, net, e);
  }
}

/** The error a failed start should raise: libvirt's, or a NetworkStartError that adds what to do. */
export async function explainNetworkStartError(conn: Pick<Connection, 'networkGetXmlDesc'>, net: NetworkRef, e: unknown): Promise<unknown> {
  const reason = e instanceof Error ? e.message : String(e);
  const desc = await conn
    .networkGetXmlDesc(net, 0)
    .then(parseNetworkXml)
    .catch(() => undefined);
  const advice = networkStartAdvice(desc, reason);
  return advice === undefined ? e : new NetworkStartError(net.name, reason, advice, e);
}
