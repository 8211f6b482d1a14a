// How the tree groups VMs, and the tag colours (a user preference shared by every host), both
// kept in settings: `libvirtVms.treeGrouping` and `libvirtVms.tagColors`.

import { tagKey } from '../libvirt/tags';
import { STATE_LABEL, VM_STATES, type VmStateName } from './vmState';

export const GROUPING_SETTING = 'libvirtVms.treeGrouping';
export const TAG_COLORS_SETTING = 'libvirtVms.tagColors';

/**
 * connection: VMs under their connection (the default); tag: under each connection a row per tag
 * and "Untagged" (a VM with two tags shows under both); state: under each connection a row per
 * state; allHostsByTag: one row per tag across every connection, VM rows saying their host.
 */
export type TreeGrouping = 'connection' | 'tag' | 'state' | 'allHostsByTag';

export const GROUPINGS: readonly { readonly id: TreeGrouping; readonly label: string; readonly detail: string }[] = [
  { id: 'connection', label: 'Connection', detail: 'VMs under their connection' },
  { id: 'tag', label: 'Tag', detail: 'Under each connection, a group per tag and "Untagged"; a VM with two tags shows under both' },
  { id: 'state', label: 'State', detail: 'Under each connection, a group per state (running, shut off…)' },
  { id: 'allHostsByTag', label: 'All Hosts Together, by Tag', detail: 'One group per tag across every connection; VM rows say their host' },
];

export function parseGrouping(v: unknown): TreeGrouping {
  return GROUPINGS.some((g) => g.id === v) ? (v as TreeGrouping) : 'connection';
}

/** Whether VM rows sit under tag rows (so a tag change moves them). */
export function groupsByTag(g: TreeGrouping): boolean {
  return g === 'tag' || g === 'allHostsByTag';
}

/** The order of state groups: the usual ones first. */
export const STATE_GROUP_ORDER: readonly VmStateName[] = ['running', 'paused', 'shuttingdown', 'pmsuspended', 'saved', 'crashed', 'shutoff', 'unknown'];
export function stateGroupLabel(s: VmStateName): string {
  const l = STATE_LABEL[s];
  return l.charAt(0).toUpperCase() + l.slice(1);
}
// Every state has a group position.
for (const s of VM_STATES) if (!STATE_GROUP_ORDER.includes(s)) throw new Error(`state ${s} has no group order`);

/** Colours offered by Set Colour: theme colour ids every theme defines (charts.*). */
export const TAG_COLOR_CHOICES: readonly { readonly id: string; readonly label: string }[] = [
  { id: 'charts.red', label: 'Red' },
  { id: 'charts.orange', label: 'Orange' },
  { id: 'charts.yellow', label: 'Yellow' },
  { id: 'charts.green', label: 'Green' },
  { id: 'charts.blue', label: 'Blue' },
  { id: 'charts.purple', label: 'Purple' },
  { id: 'charts.foreground', label: 'Foreground' },
];

/** A theme colour id such as `charts.red` or `terminal.ansiBrightCyan` (VS Code's id syntax). */
export function colorIdProblem(id: string): string | undefined {
  return /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9-]*)+$/.test(id) ? undefined : `"${id}" is not a theme colour id (for example charts.red or terminal.ansiCyan)`;
}

/**
 * The valid entries of the tagColors setting, keyed by tag key (case-insensitive); invalid ones are
 * reported through `warn` and skipped, so one typo does not lose the others.
 */
export function parseTagColors(raw: unknown, warn: (message: string) => void): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    warn(`${TAG_COLORS_SETTING} must be an object of tag names to theme colour ids`);
    return out;
  }
  for (const [tag, color] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof color !== 'string' || colorIdProblem(color) !== undefined) {
      warn(`${TAG_COLORS_SETTING}: the colour of "${tag}" is not a theme colour id: ${JSON.stringify(color)}`);
      continue;
    }
    out.set(tagKey(tag), color);
  }
  return out;
}
