// Checks a parsed document against an RngGrammar summary: unexpected root, unexpected child
// elements, unknown attributes, missing required attributes and children, and attribute or text
// values that neither an enumeration nor a datatype (integer ranges, patterns) of the schema
// accepts. Each problem carries the exact offsets of the faulty element name, attribute or value,
// and says what is expected. The summary over-approximates the schema, so every problem found here
// is one libxml2's RelaxNG validation reports too (the converse does not hold: ordering, and
// combinations inside a choice, are left to it).

import type { XmlDocument, XmlElement } from './xmlDocument';
import { acceptsValue, describeValueSet, type ElementDef, type RngGrammar, type ValueSet } from './rngGrammar';

export type SchemaProblemCode = 'unexpected-root' | 'unexpected-element' | 'unknown-attribute' | 'bad-attribute-value' | 'bad-text-value' | 'missing-attribute' | 'missing-element';

export interface SchemaProblem {
  readonly code: SchemaProblemCode;
  readonly message: string;
  /** UTF-16 offsets into the document text, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** Accepted values, for a bad value. */
  readonly expected?: readonly string[];
}

/** Whether the schema constrains the values of `vs` at all (else any text goes). */
function constrained(vs: ValueSet): boolean {
  return !vs.anyText && (vs.values.size > 0 || vs.data.length > 0);
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
      } else if (constrained(allowed) && !acceptsValue(allowed, a.value)) {
        problems.push({
          code: 'bad-attribute-value',
          message: `'${a.value}' is not a valid value of ${el.name}/@${a.name}: expected ${describeValueSet(allowed)}`,
          start: a.valueStart,
          end: a.valueEnd,
          ...(allowed.values.size > 0 ? { expected: [...allowed.values] } : {}),
        });
      }
    }
    const required = grammar.required(defs);
    const present = new Set(el.attributes.map((a) => a.name));
    const missingAttrs = required.attributes.filter((n) => !present.has(n));
    if (missingAttrs.length > 0) {
      problems.push({ code: 'missing-attribute', message: `<${el.name}> needs the attribute${missingAttrs.length > 1 ? 's' : ''} ${missingAttrs.map((n) => `'${n}'`).join(', ')}`, ...nameSpan(el) });
    }
    const childElements = el.elements();
    const childNames = new Set(childElements.map((c) => c.localName));
    const missingChildren = required.children.filter((n) => !childNames.has(n));
    if (missingChildren.length > 0) {
      problems.push({ code: 'missing-element', message: `<${el.name}> needs ${missingChildren.map((n) => `<${n}>`).join(', ')} inside`, ...nameSpan(el) });
    }
    if (childElements.length === 0 && constrained(info.text)) {
      const raw = doc.innerSource(el);
      const value = doc.textContent(el);
      if (!acceptsValue(info.text, value)) {
        const lead = raw.length - raw.trimStart().length;
        const start = el.openEnd + lead;
        const shown = value.trim();
        problems.push({
          code: 'bad-text-value',
          message: `'${shown}' is not a valid value of <${el.name}>: expected ${describeValueSet(info.text)}`,
          start: shown === '' ? el.start : start,
          end: shown === '' ? el.openEnd : start + raw.trim().length,
          ...(info.text.values.size > 0 ? { expected: [...info.text.values] } : {}),
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
