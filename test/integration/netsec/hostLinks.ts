// Real host links for the host-networking tests: Linux bridges and NICs made by `ip link` (no
// shell), named PREFIX<pid>-x so a later run removes what a killed run left (test/leftovers.ts).
// This kernel has no `dummy` module, so a NIC is one end of a veth pair when dummy is refused.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { leftoverOfDeadRun } from '../../leftovers';

const run = promisify(execFile);

export const LINK_PREFIX = 'nsl';

export async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

/** A name ≤ 15 characters: nsl<pid>-<tag>. */
export function linkName(tag: string): string {
  const n = `${LINK_PREFIX}${process.pid}-${tag}`;
  if (n.length > 15) throw new Error(`link name ${n} is longer than 15 characters`);
  return n;
}

export async function addBridge(tag: string): Promise<string> {
  const n = linkName(tag);
  await ip('link', 'add', n, 'type', 'bridge');
  await ip('link', 'set', n, 'up');
  return n;
}

/** A NIC for macvtap: a dummy device when the kernel has the module, else a veth end (peer `<tag>p`). */
export async function addNic(tag: string): Promise<string> {
  const n = linkName(tag);
  try {
    await ip('link', 'add', n, 'type', 'dummy');
  } catch {
    await ip('link', 'add', n, 'type', 'veth', 'peer', 'name', linkName(`${tag}p`));
  }
  await ip('link', 'set', n, 'up');
  return n;
}

export async function delLink(name: string): Promise<void> {
  await ip('link', 'del', name).catch(() => undefined);
}

/** Removes links of this prefix whose creating process is gone. */
export async function removeDeadLinks(): Promise<void> {
  for (const n of readdirSync('/sys/class/net')) if (leftoverOfDeadRun(n, LINK_PREFIX)) await delLink(n);
}

export async function linkExists(name: string): Promise<boolean> {
  return ip('link', 'show', name).then(
    () => true,
    () => false,
  );
}

export async function ovsVsctl(...args: string[]): Promise<string> {
  return (await run('ovs-vsctl', ['--timeout=10', ...args])).stdout.trim();
}

/** An Open vSwitch bridge with the userspace datapath (no kernel module needed). */
export async function addOvsBridge(tag: string): Promise<string> {
  const n = linkName(tag);
  await ovsVsctl('add-br', n, '--', 'set', 'bridge', n, 'datapath_type=netdev');
  return n;
}

export async function delOvsBridge(name: string): Promise<void> {
  await ovsVsctl('--if-exists', 'del-br', name).catch(() => undefined);
}

/** Removes Open vSwitch bridges of this prefix whose creating process is gone. */
export async function removeDeadOvsBridges(): Promise<void> {
  const list = await ovsVsctl('list-br').catch(() => '');
  for (const b of list.split('\n')) if (leftoverOfDeadRun(b, LINK_PREFIX)) await delOvsBridge(b);
}
