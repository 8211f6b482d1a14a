// The tree's VM filter: `state:running`, `tag:web`, and plain words matched against the name.
// Terms are ANDed; several `state:` terms are ORed among themselves, as are `tag:` terms.

import type { VmStateName } from './vmState';

export interface VmFilter {
  readonly text: string;
  readonly names: readonly string[];
  readonly states: readonly VmStateName[];
  readonly tags: readonly string[];
}

export interface FilterableVm {
  readonly name: string;
  readonly state: VmStateName;
  readonly tags: readonly string[];
}

const STATE_ALIASES: Readonly<Record<string, VmStateName>> = {
  running: 'running',
  run: 'running',
  paused: 'paused',
  pause: 'paused',
  suspended: 'paused',
  shutoff: 'shutoff',
  off: 'shutoff',
  stopped: 'shutoff',
  'shut-off': 'shutoff',
  crashed: 'crashed',
  saved: 'saved',
  pmsuspended: 'pmsuspended',
  shutdown: 'shuttingdown',
  shuttingdown: 'shuttingdown',
  blocked: 'running',
};

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }

  static is(e: unknown): e is FilterSyntaxError {
    return e instanceof FilterSyntaxError;
  }
}

/** Parses filter text; throws FilterSyntaxError for an unknown state or an empty `key:`. */
export function parseFilter(text: string): VmFilter {
  const names: string[] = [];
  const states: VmStateName[] = [];
  const tags: string[] = [];
  for (const term of text.trim().split(/\s+/).filter((t) => t !== '')) {
    const m = /^(state|tag|name):(.*)$/i.exec(term);
    if (!m) {
      names.push(term.toLowerCase());
      continue;
    }
    const key = m[1].toLowerCase();
    const value = m[2].toLowerCase();
    if (value === '') throw new FilterSyntaxError(`"${term}" needs a value, for example ${key}:${key === 'state' ? 'running' : 'web'}`);
    if (key === 'state') {
      const state = STATE_ALIASES[value];
      if (!state) {
        throw new FilterSyntaxError(`Unknown state "${m[2]}"; use running, paused, shutoff, crashed, saved or pmsuspended`);
      }
      states.push(state);
    } else if (key === 'tag') {
      tags.push(value);
    } else {
      names.push(value);
    }
  }
  return { text: text.trim(), names, states, tags };
}

export function isEmptyFilter(f: VmFilter): boolean {
  return f.names.length === 0 && f.states.length === 0 && f.tags.length === 0;
}

export function matchesFilter(f: VmFilter, vm: FilterableVm): boolean {
  const lower = vm.name.toLowerCase();
  if (!f.names.every((n) => lower.includes(n))) return false;
  if (f.states.length > 0 && !f.states.includes(vm.state)) return false;
  if (f.tags.length > 0 && !vm.tags.some((t) => f.tags.includes(t.toLowerCase()))) return false;
  return true;
}

/** The items the filter lets through (all of them for an empty filter). */
export function applyFilter<T>(f: VmFilter, items: readonly T[], describe: (item: T) => FilterableVm): T[] {
  return isEmptyFilter(f) ? [...items] : items.filter((i) => matchesFilter(f, describe(i)));
}

/** "3 VMs", or "1 of 3 VMs" while a filter hides some. */
export function vmCountLabel(f: VmFilter, shown: number, total: number): string {
  const noun = `VM${total === 1 ? '' : 's'}`;
  return isEmptyFilter(f) ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

/** Replaces the `tag:` terms of the filter with the picked tags, keeping its other terms. */
export function filterWithTags(text: string, tags: readonly string[]): string {
  const others = text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '' && !/^tag:/i.test(t));
  return [...others, ...tags.map((t) => `tag:${t}`)].join(' ');
}
