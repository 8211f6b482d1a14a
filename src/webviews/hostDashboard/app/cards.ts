// Which VM cards the dashboard shows and in what order. Pure (no DOM), so unit tests check it.

import type { DashboardMetric, DashboardVm } from '../protocol';

export type SortKey = 'name' | DashboardMetric;

/**
 * Keeps the VMs matching every word of `text`: `tag:x` wants the tag x, any other word a part of
 * the name (both case-insensitive).
 */
export function filterVms(vms: readonly DashboardVm[], text: string): DashboardVm[] {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...vms];
  return vms.filter((vm) => {
    const name = vm.name.toLowerCase();
    const tags = vm.tags.map((t) => t.toLowerCase());
    return words.every((w) => (w.startsWith('tag:') ? tags.includes(w.slice(4)) : name.includes(w)));
  });
}

/** By name, or by a metric's average, highest first (VMs without data last, then by name). */
export function sortVms(vms: readonly DashboardVm[], key: SortKey): DashboardVm[] {
  const byName = (a: DashboardVm, b: DashboardVm): number => a.name.localeCompare(b.name);
  if (key === 'name') return [...vms].sort(byName);
  return [...vms].sort((a, b) => {
    const x = a.metrics[key].avg;
    const y = b.metrics[key].avg;
    if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1;
    return y - x || byName(a, b);
  });
}
