// Turns a snapshot command's argument into the snapshot it acts on: a snapshot tree node, a plain
// `{ connectionId, uuid, snapshot }` (tests and other callers), or nothing from the palette (a VM
// pick, then a snapshot pick). The VM's snapshot tree is always read afresh from libvirt.

import { loadSnapshotTree, type SnapshotEntry, type SnapshotTree } from '../../libvirt/snapshots/snapshotTree';
import { UserCancelledError } from '../../ui/cancel';
import { snapshotSummary } from '../../views/snapshotWords';
import type { PickItem } from '../prompts';
import type { CommandDeps } from '../registry';
import { isVmArg, resolveTarget, targetFromArg, type VmArg, type VmTarget } from '../vmTargets';

export interface SnapshotTarget {
  readonly vm: VmTarget;
  readonly tree: SnapshotTree;
  readonly entry: SnapshotEntry;
}

interface SnapshotArg extends VmArg {
  readonly snapshot: string;
}

function snapshotArg(x: unknown): SnapshotArg | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as { kind?: unknown; connectionId?: unknown; uuid?: unknown; snapshot?: unknown; ref?: { name?: unknown } };
  if (typeof o.connectionId !== 'string' || typeof o.uuid !== 'string') return undefined;
  if (o.kind === 'snapshot' && typeof o.ref?.name === 'string') return { connectionId: o.connectionId, uuid: o.uuid, snapshot: o.ref.name };
  if (o.kind === undefined && typeof o.snapshot === 'string') return { connectionId: o.connectionId, uuid: o.uuid, snapshot: o.snapshot };
  return undefined;
}

/** The VM named by a VM node, the "Snapshots" node under it, a snapshot node, or a plain ref. */
export function vmArgOf(x: unknown): VmArg | undefined {
  if (isVmArg(x)) return { connectionId: x.connectionId, uuid: x.uuid };
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as { kind?: unknown; vm?: unknown };
  if (o.kind === 'snapshots' && isVmArg(o.vm)) return { connectionId: o.vm.connectionId, uuid: o.vm.uuid };
  const s = snapshotArg(x);
  return s ? { connectionId: s.connectionId, uuid: s.uuid } : undefined;
}

/** Snapshots in tree order (parents first), indented by depth in the picker. */
function pickItems(tree: SnapshotTree): PickItem<SnapshotEntry>[] {
  const items: PickItem<SnapshotEntry>[] = [];
  const walk = (e: SnapshotEntry, depth: number): void => {
    items.push({
      // A name is text: "$(x)" in it is escaped so the quick pick does not render it as an icon.
      label: `${'\u2003'.repeat(depth)}${e.current ? '$(pass-filled) ' : ''}${e.info.name.replace(/\$\(/g, '\\$(')}`,
      description: `${e.current ? 'current · ' : ''}${snapshotSummary(e.info)}`,
      ...(e.info.description ? { detail: e.info.description } : {}),
      value: e,
    });
    for (const c of e.children) walk(c, depth + 1);
  };
  for (const r of tree.roots) walk(r, 0);
  return items;
}

export async function resolveSnapshot(deps: CommandDeps, node: unknown, title: string): Promise<SnapshotTarget> {
  const arg = snapshotArg(node);
  if (arg) {
    const vm = await targetFromArg(deps, arg);
    const tree = await loadSnapshotTree(vm.conn, vm.dom);
    const entry = tree.byName.get(arg.snapshot);
    if (!entry) throw new Error(`${vm.dom.name} has no snapshot named "${arg.snapshot}" (any more)`);
    return { vm, tree, entry };
  }
  const vmArg = vmArgOf(node);
  const vm = vmArg ? await targetFromArg(deps, vmArg) : await resolveTarget(deps, undefined, undefined, { title, states: 'any', none: 'No VMs.' });
  const tree = await loadSnapshotTree(vm.conn, vm.dom);
  if (tree.byName.size === 0) throw new Error(`${vm.dom.name} has no snapshots`);
  const chosen = await deps.prompts.pickOne({ title: `${title}: ${vm.dom.name}`, placeHolder: 'Select a snapshot', items: pickItems(tree) });
  if (!chosen) throw new UserCancelledError(title);
  return { vm, tree, entry: chosen.value };
}

/** Reloads the "Snapshots" node of a VM in the tree, if it is shown. */
export function refreshSnapshotsNode(deps: CommandDeps, vm: VmTarget): void {
  // Grouped by tag, a VM can have several rows: each has its own Snapshots row.
  for (const n of deps.tree.session(vm.host.id)?.vmNodesOf(vm.dom.uuid) ?? []) n.snapshotsNode.refresh();
}
