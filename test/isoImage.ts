// Real ISO 9660 images for the install-media tests, made by xorriso (scripts/testenv.sh installs it).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A real ISO 9660 image with these identifiers (xorriso's mkisofs emulation), with one file in it. */
export function makeIso(dir: string, ids: { volumeId: string; systemId?: string; publisher?: string; application?: string }): string {
  const root = fs.mkdtempSync(path.join(dir, 'root-'));
  fs.writeFileSync(path.join(root, 'README.txt'), 'install media test\n');
  const out = path.join(dir, `${path.basename(root)}.iso`);
  const args = ['-as', 'mkisofs', '-quiet', '-V', ids.volumeId, '-o', out];
  if (ids.systemId !== undefined) args.push('-sysid', ids.systemId);
  if (ids.publisher !== undefined) args.push('-publisher', ids.publisher);
  if (ids.application !== undefined) args.push('-A', ids.application);
  execFileSync('xorriso', [...args, root], { stdio: 'pipe' });
  return out;
}

