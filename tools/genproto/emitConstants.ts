// Emits libvirtConstants.ts: one `as const` object per C enum of the public headers (member
// names without their common prefix) and one exported constant per `# define VIR_...`.

import { HeaderError, type HeaderConstants } from './headerParser';
import { fileHeader } from './emitProtocol';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The prefix shared by all member names, cut after an underscore, shortened until every
 * stripped name is a non-empty identifier that does not start with a digit.
 */
export function commonPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  if (names.length === 1) p = p.slice(0, p.lastIndexOf('_') + 1);
  for (const n of names) {
    let i = 0;
    while (i < p.length && i < n.length && p[i] === n[i]) i++;
    p = p.slice(0, i);
  }
  p = p.slice(0, p.lastIndexOf('_') + 1);
  while (p !== '' && names.some((n) => !/^[A-Za-z_]/.test(n.slice(p.length)))) {
    p = p.slice(0, p.slice(0, -1).lastIndexOf('_') + 1);
  }
  return p;
}

/**
 * Member keys: the common prefix stripped, except in large enums where at least 90% of the
 * members share a longer prefix (virErrorNumber's VIR_ERR_ beside a few VIR_WAR_ names): there
 * that prefix is stripped from the members that have it.
 */
export function memberKeys(names: readonly string[]): { keys: string[]; prefix: string } {
  const common = commonPrefix(names);
  const plain = { keys: names.map((n) => n.slice(common.length)), prefix: common };
  if (names.length < 10) return plain;
  const counts = new Map<string, number>();
  for (const n of names) {
    for (let i = n.indexOf('_', common.length); i >= 0; i = n.indexOf('_', i + 1)) {
      const p = n.slice(0, i + 1);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  }
  let best = '';
  for (const [p, c] of counts) if (c >= names.length * 0.9 && p.length > best.length) best = p;
  if (best === '') return plain;
  const keys = names.map((n) => (n.startsWith(best) ? n.slice(best.length) : n.slice(common.length)));
  if (new Set(keys).size !== keys.length || keys.some((k) => !/^[A-Za-z_]/.test(k))) return plain;
  return { keys, prefix: best };
}

export function generateConstants(h: HeaderConstants, version: string, sources: readonly string[]): string {
  const out: string[] = [fileHeader(version, sources)];
  for (const e of h.enums) {
    const { keys, prefix } = memberKeys(e.members.map((m) => m.name));
    const ts = e.name[0]!.toUpperCase() + e.name.slice(1);
    out.push(`/** ${e.name} (${e.file}), without the ${prefix === '' ? 'empty' : prefix} prefix. */`);
    out.push(`export const ${ts} = {`);
    const seen = new Set<string>();
    for (const [i, m] of e.members.entries()) {
      const key = keys[i]!;
      if (seen.has(key) || !IDENT.test(key)) throw new HeaderError(`${e.file}: ${e.name}: duplicate or invalid key ${key}`);
      seen.add(key);
      out.push(`  ${key}: ${m.value},`);
    }
    out.push('} as const;');
    out.push('');
  }
  const seen = new Set<string>();
  for (const d of h.defines) {
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    out.push(`export const ${d.name} = ${typeof d.value === 'string' ? `'${d.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : d.value};`);
  }
  return `${out.join('\n')}\n`;
}
