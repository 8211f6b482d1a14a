// Tags and grouping: Edit Tags on VMs, Rename / Remove / Set Colour on a tag row, Group By, and
// Filter by Tag. Tags are written with src/libvirt/tags.ts (virDomainSetMetadata on our element);
// a tag row's lifecycle actions are the ordinary VM commands, which take a tag row as "its VMs"
// (vmTargets.ts).

import * as vscode from 'vscode';
import { applyTagChange, readTagsBulk, tagKey, tagProblem, updateDomainTags, normalizeTag } from '../../libvirt/tags';
import { UserCancelledError } from '../../ui/cancel';
import { GROUPING_SETTING, GROUPINGS, TAG_COLOR_CHOICES, TAG_COLORS_SETTING, colorIdProblem } from '../../views/grouping';
import { filterWithTags, parseFilter } from '../../views/filter';
import { runVmAction, type BulkReport } from '../bulk/runVmAction';
import { countNoun } from '../bulk/bulkRunner';
import type { CommandHandler } from '../commandHandler';
import type { PickItem } from '../prompts';
import { changeFromPick, tagChoices, type TagChoice } from './tagPick';
import type { CommandDeps, CommandEntry } from '../registry';
import { resolveTargets, type VmTarget } from '../vmTargets';
import type { HostSession } from '../../views/hostSession';
import { forceOffVm } from '../vm/forceOff';
import { pauseVm } from '../vm/pause';
import { rebootVm } from '../vm/reboot';
import { resumeVm } from '../vm/resume';
import { shutdownVm } from '../vm/shutdown';
import { startVm } from '../vm/start';
import { compareNatural } from '../../libvirt/naturalOrder';

/** Current tags of the targets, read from the daemons now (pipelined per connection). */
async function currentTags(targets: readonly VmTarget[]): Promise<Map<VmTarget, string[]>> {
  const byConn = new Map<VmTarget['conn'], VmTarget[]>();
  for (const t of targets) byConn.set(t.conn, [...(byConn.get(t.conn) ?? []), t]);
  const out = new Map<VmTarget, string[]>();
  await Promise.all(
    [...byConn].map(async ([conn, ts]) => {
      const read = await readTagsBulk(
        conn,
        ts.map((t) => t.dom),
      );
      for (const t of ts) out.set(t, read.get(t.dom.uuid) ?? []);
    }),
  );
  return out;
}

/** Applies a change to many VMs with progress, one failure never stopping the others. */
async function applyChange(deps: CommandDeps, targets: readonly VmTarget[], update: (tags: readonly string[]) => readonly string[], words = { progressVerb: 'Tagging', pastVerb: 'Updated the tags of' }): Promise<BulkReport> {
  return runVmAction(deps, targets, words, async (t) => {
    const tags = await updateDomainTags(t.conn, t.dom, update);
    t.host.tagsChanged(t.dom.uuid, tags);
  });
}

export const editTagsVm: CommandHandler = async (deps, node, selected) => {
  const targets = await resolveTargets(deps, node, selected, { title: 'Edit Tags', states: 'any', many: true, none: 'No VMs to tag.' });
  const current = await currentTags(targets);
  const items = tagChoices(deps.tree.knownTags(), targets.map((t) => current.get(t) ?? []));
  const who = targets.length === 1 ? `"${targets[0].dom.name}"` : countNoun(targets.length, 'VM');
  const picked = await deps.prompts.pickMany<TagChoice>({
    title: `Edit Tags of ${who}`,
    placeHolder: 'Check the tags to set; type a new tag and press Enter to add it; Enter on an empty box applies',
    items,
    create: (typed) => {
      const problem = tagProblem(typed);
      if (problem !== undefined) return problem;
      const tag = normalizeTag(typed);
      return { label: tag, description: 'new tag', picked: true, value: { tag, had: 'none' } };
    },
  });
  if (!picked) throw new UserCancelledError('Edit Tags');
  const change = changeFromPick(items, picked);
  if (change.add.length === 0 && change.remove.length === 0) return undefined;
  deps.log.info(`Edit Tags of ${who}: add [${change.add.join(', ')}], remove [${change.remove.join(', ')}]`);
  return applyChange(deps, targets, (tags) => applyTagChange(tags, change));
};

// ------------------------------------------------------------------- a tag row's commands

/** A tag row (or `{ tag, connectionIds? }` from tests and other callers). */
interface TagArg {
  readonly tag: string;
  /** The connections the row spans (all connected hosts when absent). */
  readonly sessions: readonly HostSession[];
}

function tagArg(deps: CommandDeps, node: unknown): TagArg | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const o = node as { kind?: unknown; tag?: unknown; sessions?: unknown; connectionIds?: unknown };
  if (typeof o.tag !== 'string') return undefined;
  if (o.kind === 'vmGroup' && typeof o.sessions === 'function') return { tag: o.tag, sessions: (o.sessions as () => readonly HostSession[])() };
  const ids = Array.isArray(o.connectionIds) ? o.connectionIds.filter((x): x is string => typeof x === 'string') : undefined;
  const all = deps.tree.sessions();
  return { tag: o.tag, sessions: ids ? all.filter((s) => ids.includes(s.id)) : all };
}

/** The tag a command is about: the clicked row, or a quick pick of known tags. */
async function resolveTag(deps: CommandDeps, node: unknown, title: string): Promise<TagArg> {
  const arg = tagArg(deps, node);
  if (arg) return arg;
  const known = deps.tree.knownTags();
  if (known.length === 0) {
    void vscode.window.showInformationMessage('No VM has a tag yet. Use Edit Tags on a VM first.');
    throw new UserCancelledError(title);
  }
  const chosen = await deps.prompts.pickOne({ title, placeHolder: 'Select a tag', items: known.map((k) => ({ label: k.tag, description: countNoun(k.count, 'VM'), value: k.tag })) });
  if (!chosen) throw new UserCancelledError(title);
  return { tag: chosen.value, sessions: deps.tree.sessions() };
}

/** Every VM carrying the tag on these connections (whatever the filter shows). */
function taggedTargets(arg: TagArg): VmTarget[] {
  const key = tagKey(arg.tag);
  const out: VmTarget[] = [];
  for (const host of arg.sessions) {
    const conn = host.connection();
    if (!conn) continue;
    for (const s of host.snapshots()) if (s.tags.some((t) => tagKey(t) === key)) out.push({ host, conn, dom: s.ref, state: s.state });
  }
  return out.sort((a, b) => compareNatural(a.dom.name, b.dom.name));
}

function nameList(targets: readonly VmTarget[], max = 10): string {
  const names = targets.slice(0, max).map((t) => `"${t.dom.name}"`);
  return targets.length > max ? `${names.join(', ')} and ${targets.length - max} more` : names.join(', ');
}

/** The tagColors setting with the colour of one tag (any spelling) replaced or removed. */
export function withColor(colors: Readonly<Record<string, string>>, key: string, color: string | undefined): Record<string, string> {
  const out = Object.fromEntries(Object.entries(colors).filter(([k]) => tagKey(k) !== key));
  if (color !== undefined) out[key] = color;
  return out;
}

const renameTag: CommandHandler = async (deps, node) => {
  const arg = await resolveTag(deps, node, 'Rename Tag');
  const targets = taggedTargets(arg);
  if (targets.length === 0) throw new Error(`No VM has the tag "${arg.tag}" any more`);
  const typed = await deps.prompts.input({
    title: `Rename Tag "${arg.tag}" on ${countNoun(targets.length, 'VM')}`,
    prompt: 'The new name (no spaces)',
    value: arg.tag,
    validate: (v) => tagProblem(v),
  });
  if (typed === undefined) throw new UserCancelledError('Rename Tag');
  const to = normalizeTag(typed);
  if (to === arg.tag) return undefined;
  const from = tagKey(arg.tag);
  // The colour follows the tag.
  const colors = vscode.workspace.getConfiguration().get<Record<string, string>>(TAG_COLORS_SETTING) ?? {};
  const color = Object.entries(colors).find(([k]) => tagKey(k) === from)?.[1];
  if (color !== undefined && tagKey(to) !== from) {
    await vscode.workspace.getConfiguration().update(TAG_COLORS_SETTING, withColor(withColor(colors, from, undefined), tagKey(to), color), vscode.ConfigurationTarget.Global);
  }
  return applyChange(deps, targets, (tags) => tags.map((t) => (tagKey(t) === from ? to : t)), { progressVerb: `Renaming tag "${arg.tag}" on`, pastVerb: `Renamed tag "${arg.tag}" to "${to}" on` });
};

const removeTag: CommandHandler = async (deps, node) => {
  const arg = await resolveTag(deps, node, 'Remove Tag');
  const targets = taggedTargets(arg);
  if (targets.length === 0) throw new Error(`No VM has the tag "${arg.tag}" any more`);
  const ok = await deps.prompts.confirm({
    message: `Remove the tag "${arg.tag}" from ${countNoun(targets.length, 'VM')}?`,
    detail: `From: ${nameList(targets)}. Only this tag is removed from their metadata; the VMs and their other tags stay as they are.`,
    button: 'Remove Tag',
  });
  if (!ok) throw new UserCancelledError('Remove Tag');
  // Each VM's tags are read again when it is written, so a VM whose tag went meanwhile is left alone.
  const key = tagKey(arg.tag);
  return applyChange(deps, targets, (tags) => tags.filter((t) => tagKey(t) !== key), { progressVerb: `Removing tag "${arg.tag}" from`, pastVerb: `Removed tag "${arg.tag}" from` });
};

const setTagColor: CommandHandler = async (deps, node) => {
  const arg = await resolveTag(deps, node, 'Set Tag Colour');
  const config = vscode.workspace.getConfiguration();
  const colors = config.get<Record<string, string>>(TAG_COLORS_SETTING) ?? {};
  const key = tagKey(arg.tag);
  const current = Object.entries(colors).find(([k]) => tagKey(k) === key)?.[1];
  const items: PickItem<string | undefined>[] = [
    ...TAG_COLOR_CHOICES.map((c) => ({ label: `$(tag) ${c.label}`, description: c.id === current ? `${c.id} (current)` : c.id, iconPath: new vscode.ThemeIcon('tag', new vscode.ThemeColor(c.id)), value: c.id })),
    { label: '$(edit) Theme Colour Id…', description: 'any colour of the theme, e.g. terminal.ansiCyan', value: '' },
    { label: '$(circle-slash) No Colour', description: current === undefined ? '(current)' : undefined, value: undefined },
  ];
  const chosen = await deps.prompts.pickOne({ title: `Colour of Tag "${arg.tag}"`, placeHolder: 'Shown on the tag row in every window and for every host', items });
  if (!chosen) throw new UserCancelledError('Set Tag Colour');
  let color = chosen.value;
  if (color === '') {
    color = await deps.prompts.input({ title: `Colour of Tag "${arg.tag}"`, prompt: 'A theme colour id', value: current ?? 'charts.blue', validate: (v) => colorIdProblem(v.trim()) });
    if (color === undefined) throw new UserCancelledError('Set Tag Colour');
    color = color.trim();
  }
  await config.update(TAG_COLORS_SETTING, withColor(colors, key, color), vscode.ConfigurationTarget.Global);
  return color;
};

const groupBy: CommandHandler = async (deps) => {
  const current = deps.tree.grouping;
  const chosen = await deps.prompts.pickOne({
    title: 'Group Virtual Machines By',
    items: GROUPINGS.map((g) => ({ label: g.label, description: g.id === current ? '(current)' : undefined, detail: g.detail, value: g.id })),
  });
  if (!chosen) throw new UserCancelledError('Group By');
  await vscode.workspace.getConfiguration().update(GROUPING_SETTING, chosen.value, vscode.ConfigurationTarget.Global);
  // The setting's listener regroups; do it now too so the caller sees the new tree at once.
  deps.tree.provider.setGrouping(chosen.value);
  return chosen.value;
};

const filterByTag: CommandHandler = async (deps) => {
  const known = deps.tree.knownTags();
  if (known.length === 0) {
    void vscode.window.showInformationMessage('No VM has a tag yet. Use Edit Tags on a VM first.');
    throw new UserCancelledError('Filter by Tag');
  }
  const active = new Set(deps.tree.filter.tags);
  const chosen = await deps.prompts.pickMany({
    title: 'Filter by Tag',
    placeHolder: 'VMs with any of the checked tags are shown; other filter terms are kept',
    items: known.map((k) => ({ label: k.tag, description: countNoun(k.count, 'VM'), picked: active.has(k.tag.toLowerCase()), value: k.tag })),
  });
  if (!chosen) throw new UserCancelledError('Filter by Tag');
  const text = filterWithTags(deps.tree.filter.text, chosen.map((c) => c.value));
  parseFilter(text);
  deps.tree.setFilterText(text);
  return text;
};

/**
 * A tag or state row's actions: the VM commands themselves (they take the row as its VMs, keeping
 * only those in a state the action applies to), under titles that say they act on every VM.
 */
const GROUP_ACTIONS: readonly (readonly [id: string, title: string, handler: CommandHandler])[] = [
  ['libvirtVms.group.start', 'Start All', startVm],
  ['libvirtVms.group.shutdown', 'Shut Down All', shutdownVm],
  ['libvirtVms.group.reboot', 'Reboot All', rebootVm],
  ['libvirtVms.group.pause', 'Pause All', pauseVm],
  ['libvirtVms.group.resume', 'Resume All', resumeVm],
  ['libvirtVms.group.forceOff', 'Force Off All', forceOffVm],
  ['libvirtVms.group.editTags', 'Edit Tags of All', editTagsVm],
];

export const tagCommands: readonly CommandEntry[] = [
  ...GROUP_ACTIONS.map(([id, title, handler]): CommandEntry => ({ id, title, run: (deps, node, selected) => handler(deps, node, selected) })),
  { id: 'libvirtVms.vm.editTags', title: 'Edit Tags', run: (deps, node, selected) => editTagsVm(deps, node, selected) },
  { id: 'libvirtVms.tag.rename', title: 'Rename Tag', run: (deps, node) => renameTag(deps, node) },
  { id: 'libvirtVms.tag.remove', title: 'Remove Tag', run: (deps, node) => removeTag(deps, node) },
  { id: 'libvirtVms.tag.setColor', title: 'Set Tag Colour', run: (deps, node) => setTagColor(deps, node) },
  { id: 'libvirtVms.groupBy', title: 'Group By', run: (deps) => groupBy(deps) },
  { id: 'libvirtVms.filterByTag', title: 'Filter by Tag', run: (deps) => filterByTag(deps) },
];
