// Plain-text formatting of sizes, durations and VM descriptions for the tree.

import { formatKiB } from '../libvirt/xml/units';
import { STATE_LABEL, type VmStateName } from './vmState';

export { formatKiB };

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  return formatKiB(bytes / 1024);
}

/** Formats a duration in seconds as "3 d 4 h", "2 h 5 min", "4 min 10 s" or "12 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

export interface VmDescriptionInput {
  readonly state: VmStateName;
  readonly vcpus?: number;
  readonly memoryKiB?: number;
}

/** "running · 2 vCPU · 4 GiB" */
export function vmDescription(vm: VmDescriptionInput): string {
  const parts: string[] = [STATE_LABEL[vm.state]];
  if (vm.vcpus !== undefined && vm.vcpus > 0) parts.push(`${vm.vcpus} vCPU`);
  if (vm.memoryKiB !== undefined && vm.memoryKiB > 0) parts.push(formatKiB(vm.memoryKiB));
  return parts.join(' · ');
}
