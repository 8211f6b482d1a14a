// What the Edit Tags quick pick offers and what a pick means (no vscode: unit-tested).

import { tagKey, type TagChange } from '../../libvirt/tags';
import { countNoun } from '../bulk/bulkRunner';
import type { PickItem } from '../prompts';
import { compareNaturalBase } from '../../libvirt/naturalOrder';

export interface TagChoice {
  readonly tag: string;
  /** On all, some or none of the selected VMs before the edit. */
  readonly had: 'all' | 'some' | 'none';
}

/** The quick pick of Edit Tags: every known tag, checked when all selected VMs have it. */
export function tagChoices(known: readonly { tag: string; count: number }[], current: readonly (readonly string[])[]): PickItem<TagChoice>[] {
  const n = current.length;
  const labels = new Map<string, string>();
  for (const k of known) labels.set(tagKey(k.tag), k.tag);
  for (const tags of current) for (const t of tags) if (!labels.has(tagKey(t))) labels.set(tagKey(t), t);
  const items: PickItem<TagChoice>[] = [];
  const sorted = [...labels].sort((a, b) => compareNaturalBase(a[1], b[1]));
  for (const [key, tag] of sorted) {
    const on = current.filter((tags) => tags.some((t) => tagKey(t) === key)).length;
    const had = on === 0 ? 'none' : on === n ? 'all' : 'some';
    const total = known.find((k) => tagKey(k.tag) === key)?.count;
    const description =
      had === 'some'
        ? `on ${on} of ${n} selected VMs; check to add to all, leave unchecked to keep as is`
        : total !== undefined
          ? `${countNoun(total, 'VM')} in all`
          : undefined;
    items.push({ label: tag, description, picked: had === 'all', value: { tag, had } });
  }
  return items;
}

/** What the pick means: checked → on all; unchecked and formerly on all → removed; partial and unchecked → kept. */
export function changeFromPick(items: readonly PickItem<TagChoice>[], picked: readonly PickItem<TagChoice>[]): TagChange {
  const on = new Set(picked.map((p) => tagKey(p.value.tag)));
  const add = picked.filter((p) => p.value.had !== 'all').map((p) => p.value.tag);
  const remove = items.filter((i) => i.value.had === 'all' && !on.has(tagKey(i.value.tag))).map((i) => i.value.tag);
  return { add, remove };
}
