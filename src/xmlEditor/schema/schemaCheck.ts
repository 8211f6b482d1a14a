// Checks a parsed document against an RngGrammar summary: unexpected root, unexpected child
// elements, unknown attributes, and attribute or text values outside an enumeration. Each problem
// carries the exact offsets of the faulty element name, attribute or value.

import type { XmlDocument, XmlElement } from '../../libvirt/xml/xmlDocument';
import type { ElementDef, RngGrammar } from '../../libvirt/xml/rngGrammar';

export type SchemaProblemCode = 'unexpected-root' | 'unexpected-element' | 'unknown-attribute' | 'bad-attribute-value' | 'bad-text-value';

export interface SchemaProblem {
  readonly code: SchemaProblemCode;
  readonly message: string;
  /** UTF-16 offsets into the document text, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** Accepted values, for a bad value. */
  readonly expected?: readonly string[];
}

const MAX_LISTED = 12;

function list(values: Iterable<string>): string {
  const all = [...values];
  const shown = all.slice(0, MAX_LISTED).map((v) => `'${v}'`);
  return all.length > MAX_LISTED ? `${shown.join(', ')}, … (${all.length} values)` : shown.join(', ');
}

function isNamespaceDecl(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:') || name.startsWith('xml:');
}

/** The offsets of an element's name in its start tag. */
function nameSpan(el: XmlElement): { start: number; end: number } {
  return { start: el.start + 1, end: el.start + 1 + el.name.length };
}

export function checkAgainstSchema(doc: XmlDocument, grammar: RngGrammar): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const root = doc.root;
  const rootDefs = grammar.rootDefs(root.localName);
  if (rootDefs.length === 0) {
    problems.push({ code: 'unexpected-root', message: `<${root.name}> is not a root element of ${grammar.entry} (expected ${grammar.rootNames().map((n) => `<${n}>`).join(' or ')})`, ...nameSpan(root) });
    return problems;
  }
  const visit = (el: XmlElement, defs: readonly ElementDef[]): void => {
    const info = grammar.info(defs);
    for (const a of el.attributes) {
      if (isNamespaceDecl(a.name) || a.name.includes(':')) continue;
      const allowed = info.attributes.get(a.name);
      if (!allowed) {
        if (info.anyAttribute) continue;
        const known = [...info.attributes.keys()].sort();
        problems.push({
          code: 'unknown-attribute',
          message: `Attribute '${a.name}' is not allowed on <${el.name}>${known.length ? ` (allowed: ${known.join(', ')})` : ''}`,
          start: a.start,
          end: a.start + a.name.length,
        });
      } else if (!allowed.free && allowed.values.size > 0 && !allowed.values.has(a.value.trim())) {
        problems.push({
          code: 'bad-attribute-value',
          message: `'${a.value}' is not a valid value of ${el.name}/@${a.name}: expected ${list(allowed.values)}`,
          start: a.valueStart,
          end: a.valueEnd,
          expected: [...allowed.values],
        });
      }
    }
    const childElements = el.elements();
    if (childElements.length === 0 && !info.text.free && info.text.values.size > 0) {
      const raw = doc.innerSource(el);
      const value = doc.textContent(el).trim();
      if (!info.text.values.has(value)) {
        const lead = raw.length - raw.trimStart().length;
        const start = el.openEnd + lead;
        problems.push({
          code: 'bad-text-value',
          message: `'${value}' is not a valid value of <${el.name}>: expected ${list(info.text.values)}`,
          start: value === '' ? el.start : start,
          end: value === '' ? el.openEnd : start + raw.trim().length,
          expected: [...info.text.values],
        });
      }
    }
    for (const c of childElements) {
      if (c.prefix !== undefined) continue; // foreign namespaces (e.g. inside <metadata>)
      const next = grammar.childDefs(defs, c.localName);
      if (next.defs.length === 0) {
        if (next.wildcard) continue;
        problems.push({
          code: 'unexpected-element',
          message: `<${c.name}> is not allowed inside <${el.name}>${info.childNames.length ? ` (allowed: ${info.childNames.join(', ')})` : ''}`,
          ...nameSpan(c),
        });
        continue;
      }
      visit(c, next.defs);
    }
  };
  visit(root, rootDefs);
  return problems;
}
