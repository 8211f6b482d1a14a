import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root seen from out/test/unit/xml (compiled) or test/unit/xml (sources). */
export const FIXTURE_DIR = path.resolve(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}out${path.sep}`) ? ['..'] : []), 'test', 'fixtures', 'xml');

export const FIXTURES = ['minimal', 'efi-win11', 'kernel-boot', 'every-device', 'virt-install-q35'] as const;

export function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURE_DIR, `${name}.xml`), 'utf8');
}

/** The smallest changed span between two texts: what was removed and what was added there. */
export function changedSpan(before: string, after: string): { removed: string; added: string; at: number } {
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { removed: before.slice(p, before.length - s), added: after.slice(p, after.length - s), at: p };
}

/** Lines of `after` that are not in `before` (multiset difference), and vice versa. */
export function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const count = (text: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of text.split('\n')) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  const a = count(after);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [l, n] of a) for (let i = (b.get(l) ?? 0); i < n; i++) added.push(l);
  for (const [l, n] of b) for (let i = (a.get(l) ?? 0); i < n; i++) removed.push(l);
  return { added, removed };
}
