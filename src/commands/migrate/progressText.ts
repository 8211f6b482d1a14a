// The progress notification's text for a migration job (no `vscode` import: unit-tested).

import type { MigrationProgress } from '../../libvirt/migration';
import { formatBytes } from '../../views/format';

/** "42% · 120 MiB left · 31 MiB/s · downtime 300 ms" */
export function describeProgress(p: MigrationProgress): string {
  if (!p.active) return 'starting…';
  const parts: string[] = [];
  if (p.percent !== undefined) parts.push(`${Math.floor(p.percent)}%`);
  if (p.dataRemaining !== undefined) parts.push(`${formatBytes(p.dataRemaining)} left`);
  if (p.bytesPerSecond !== undefined && p.bytesPerSecond > 0) parts.push(`${formatBytes(p.bytesPerSecond)}/s`);
  if (p.expectedDowntimeMs !== undefined) parts.push(`downtime ${p.expectedDowntimeMs} ms`);
  if (p.postCopyRequests !== undefined && p.postCopyRequests > 0) parts.push('post-copy');
  return parts.join(' · ') || 'copying…';
}
