// The test user's crontab, read and written directly (not through the extension) for sentinel
// lines and clean-up. A write returns only once the clock is in the next second, as the
// extension's own writes do (scheduleHost.ts WRITE_CRONTAB): cron would never load a later write
// made in the same second as this one once it had loaded this one.

import { execFileSync } from 'node:child_process';

export function readCrontab(): string {
  try {
    return execFileSync('crontab', ['-l'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (/no crontab/.test(String((e as { stderr?: unknown }).stderr))) return '';
    throw e;
  }
}

export function writeCrontab(text: string): void {
  execFileSync('crontab', ['-'], { input: text });
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) execFileSync('sleep', ['0.05']);
}
