// Turns a command's arguments into the VMs it acts on. VS Code calls a tree command with the
// clicked node and the whole selection; the palette calls it with nothing, and then the user picks
// VMs in a quick pick. Tests (and other callers) may pass plain `{ connectionId, uuid }` refs,
// which is the same shape a VM tree node exposes.

import * as vscode from 'vscode';
import type { Connection, DomainRef } from '../libvirt/connection';
import { STATE_LABEL, type VmStateName } from '../views/vmState';
import { UserCancelledError } from '../ui/cancel';
import type { HostSession } from '../views/hostSession';
import type { CommandDeps } from './registry';
import type { PickItem } from './prompts';

/** What a command argument must look like to name a VM (a VM tree node or a plain ref). */
export interface VmArg {
  readonly connectionId: string;
  readonly uuid: string;
}

export interface VmTarget {
  readonly host: HostSession;
  readonly conn: Connection;
  readonly dom: DomainRef;
  /** The state the tree last saw; commands that depend on it re-read it. */
  readonly state: VmStateName | undefined;
}

export class NotConnectedError extends Error {
  constructor(readonly hostName: string) {
    super(`${hostName} is not connected`);
    this.name = 'NotConnectedError';
  }

  static is(e: unknown): e is NotConnectedError {
    return e instanceof NotConnectedError;
  }
}

export function isVmArg(x: unknown): x is VmArg {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { kind?: unknown; connectionId?: unknown; uuid?: unknown };
  if (o.kind !== undefined && o.kind !== 'vm') return false;
  return typeof o.connectionId === 'string' && typeof o.uuid === 'string';
}

/** A tree row standing for several VMs (a tag or state row): its `groupVms()` lists them. */
interface VmGroupArg {
  readonly kind: 'vmGroup';
  groupVms(): VmArg[];
}

export function isVmGroupArg(x: unknown): x is VmGroupArg {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'vmGroup' && typeof (x as { groupVms?: unknown }).groupVms === 'function';
}

/** VMs of one argument: a VM, or every VM of a tag / state row. */
function argVms(x: unknown): VmArg[] {
  if (isVmGroupArg(x)) return x.groupVms();
  return isVmArg(x) ? [x] : [];
}

/**
 * The VMs named by (clicked node, selection): the selection when it holds VMs or VM rows (a tag or
 * state row counts as all its VMs), else the node.
 */
export function vmArgs(node: unknown, selected: unknown): VmArg[] {
  const fromSelection = Array.isArray(selected) ? selected.flatMap(argVms) : [];
  const picked = fromSelection.length > 0 ? fromSelection : argVms(node);
  const seen = new Set<string>();
  return picked.filter((a) => {
    const key = `${a.connectionId}/${a.uuid}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function targetFromArg(deps: CommandDeps, arg: VmArg): Promise<VmTarget> {
  const host = deps.tree.session(arg.connectionId);
  if (!host) throw new Error(`The connection of this VM (${arg.connectionId}) is no longer configured`);
  const conn = host.connection();
  if (!conn) throw new NotConnectedError(host.config.name);
  const listing = host.snapshot(arg.uuid);
  const dom = listing?.ref.name ? listing.ref : await conn.domainLookupByUuid(arg.uuid);
  return { host, conn, dom, state: listing?.state };
}

export interface TargetQuery {
  /** Quick pick title, e.g. "Start VMs". */
  readonly title: string;
  /** States offered in the quick pick ('any' for all). */
  readonly states: readonly VmStateName[] | 'any';
  /** Multi-select quick pick (bulk commands). */
  readonly many: boolean;
  /** Shown when no VM qualifies, e.g. "No shut-off VMs to start." */
  readonly none: string;
}

/**
 * How every VM picker describes a VM: its state in the tree's words (STATE_LABEL), then the host
 * when VMs of several hosts are offered: "shut off · QEMU/KVM".
 */
export function vmPickDescription(state: VmStateName, hostName: string | undefined): string {
  return hostName === undefined ? STATE_LABEL[state] : `${STATE_LABEL[state]} · ${hostName}`;
}

function pickItems(deps: CommandDeps, query: TargetQuery): PickItem<VmTarget>[] {
  const hosts = deps.tree.sessions().filter((h) => h.connection() !== undefined);
  const showHost = hosts.length > 1;
  const items: PickItem<VmTarget>[] = [];
  for (const host of hosts) {
    const conn = host.connection();
    if (!conn) continue;
    const vms = host
      .snapshots()
      .filter((s) => query.states === 'any' || query.states.includes(s.state))
      .sort((a, b) => a.ref.name.localeCompare(b.ref.name));
    for (const s of vms) {
      items.push({
        label: s.ref.name,
        description: vmPickDescription(s.state, showHost ? host.config.name : undefined),
        value: { host, conn, dom: s.ref, state: s.state },
      });
    }
  }
  return items;
}

/** Resolves the VMs a command acts on, asking with a quick pick when called from the palette. */
export async function resolveTargets(deps: CommandDeps, node: unknown, selected: unknown, query: TargetQuery): Promise<VmTarget[]> {
  const args = vmArgs(node, selected);
  const fromGroup = isVmGroupArg(node) || (Array.isArray(selected) && selected.some(isVmGroupArg));
  if (args.length > 0) {
    const targets = await Promise.all((query.many ? args : args.slice(0, 1)).map((a) => targetFromArg(deps, a)));
    // "Start every VM tagged web": only those the action applies to (the shut-off ones).
    if (!fromGroup || query.states === 'any') return targets;
    const states = query.states;
    const fit = targets.filter((t) => t.state !== undefined && states.includes(t.state));
    if (fit.length === 0) {
      void vscode.window.showInformationMessage(query.none);
      throw new UserCancelledError(query.title);
    }
    return fit;
  }
  if (isVmGroupArg(node)) {
    void vscode.window.showInformationMessage('This group has no VMs.');
    throw new UserCancelledError(query.title);
  }
  const items = pickItems(deps, query);
  if (items.length === 0) {
    const anyConnected = deps.tree.sessions().some((h) => h.connection() !== undefined);
    void vscode.window.showInformationMessage(anyConnected ? query.none : 'No libvirt connection is open. Connect to a host in the Virtual Machines view first.');
    throw new UserCancelledError(query.title);
  }
  if (query.many) {
    const chosen = await deps.prompts.pickMany({ title: query.title, placeHolder: 'Select one or more VMs', items });
    if (!chosen || chosen.length === 0) throw new UserCancelledError(query.title);
    return chosen.map((c) => c.value);
  }
  const chosen = await deps.prompts.pickOne({ title: query.title, placeHolder: 'Select a VM', items });
  if (!chosen) throw new UserCancelledError(query.title);
  return [chosen.value];
}

export async function resolveTarget(deps: CommandDeps, node: unknown, selected: unknown, query: Omit<TargetQuery, 'many'>): Promise<VmTarget> {
  const [t] = await resolveTargets(deps, node, node === undefined ? selected : undefined, { ...query, many: false });
  return t;
}

/** The VM's current state from libvirt (not the tree's possibly older view). */
export async function currentState(t: VmTarget): Promise<number> {
  return (await t.conn.domainGetState(t.dom)).state;
}

/** Names for messages: "vm1", "vm1 and vm2", "3 VMs". */
export function describeTargets(targets: readonly VmTarget[]): string {
  if (targets.length === 1) return targets[0].dom.name;
  if (targets.length === 2) return `${targets[0].dom.name} and ${targets[1].dom.name}`;
  return `${targets.length} VMs`;
}
