// package.json's tree context menus and a small evaluator of their `when` clauses, for the unit
// tests that check contextValues and menu grouping against the real manifest.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface MenuEntry {
  readonly command: string;
  readonly when: string;
  readonly group?: string;
}

function isMenuEntry(x: unknown): x is MenuEntry {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r['command'] === 'string' && typeof r['when'] === 'string' && (r['group'] === undefined || typeof r['group'] === 'string');
}

/** The manifest (package.json at the repository root; out/test/unit/views is four levels below it). */
export function manifest(): unknown {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8'));
}

export function treeMenus(): MenuEntry[] {
  const menus = (manifest() as { contributes?: { menus?: Record<string, unknown> } }).contributes?.menus?.['view/item/context'];
  assert.ok(Array.isArray(menus), 'package.json has no view/item/context menus');
  return menus.filter(isMenuEntry);
}

/**
 * Evaluates the clause forms these menus use, joined by &&: `view == X`, `viewItem == X`,
 * `viewItem =~ /re/` and `!(viewItem =~ /re/)`. A clause about viewItem in any other form fails.
 */
export function shows(when: string, viewItem: string): boolean {
  return when.split('&&').every((raw) => {
    const c = raw.trim();
    if (c.startsWith('view ==')) return c === 'view == libvirtVms.machines';
    const negated = /^!\((.*)\)$/.exec(c);
    const inner = negated ? negated[1]!.trim() : c;
    const re = /^viewItem =~ \/(.*)\/([a-z]*)$/.exec(inner);
    const eq = /^viewItem == (.+)$/.exec(inner);
    let v: boolean;
    if (re) v = new RegExp(re[1]!, re[2]).test(viewItem);
    else if (eq) v = eq[1] === viewItem;
    else if (inner.includes('viewItem')) throw new Error(`unsupported when clause: ${c}`);
    else v = true;
    return negated ? !v : v;
  });
}
