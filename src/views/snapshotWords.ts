// How snapshots are described to the user (tree rows, tooltips, pickers, confirmations): one place.

import { snapshotHasMemory, snapshotLocation, type SnapshotInfo } from '../libvirt/snapshots/snapshotXml';

/** libvirt's snapshot <state> in the tree's words. */
export function snapshotStateLabel(state: string): string {
  switch (state) {
    case 'shutoff':
      return 'shut off';
    case 'disk-snapshot':
      return 'disk-only';
    case 'pmsuspended':
      return 'suspended (PM)';
    default:
      return state;
  }
}

/** "2026-12-02 21:34" in local time, or "" without a time. */
export function snapshotTime(info: SnapshotInfo): string {
  if (info.creationTime === undefined) return '';
  const d = new Date(info.creationTime * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "running · 2026-12-02 21:34 · external" (the row description and picker description). */
export function snapshotSummary(info: SnapshotInfo): string {
  const parts = [snapshotStateLabel(info.state)];
  const t = snapshotTime(info);
  if (t) parts.push(t);
  if (snapshotLocation(info) === 'external') parts.push('external');
  return parts.join(' · ');
}

/** What reverting to the snapshot leaves the VM as. */
export function revertOutcome(info: SnapshotInfo): string {
  if (!snapshotHasMemory(info)) return info.state === 'disk-snapshot' ? 'shut off, with the disks as they were' : 'shut off';
  return info.state === 'paused' ? 'paused, with memory as it was' : 'running, with memory as it was';
}
