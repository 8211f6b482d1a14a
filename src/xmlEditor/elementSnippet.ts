// Completion snippets from the schema: an element with the attributes and children it needs
// (RngGrammar.requirements), a tab stop on every value, and the allowed values as a snippet choice
// (the host's supported values when it reports them, else the schema's enumeration). Snippet
// syntax: https://code.visualstudio.com/docs/editing/userdefinedsnippets#_snippet-syntax.
// No vscode here: the text is wrapped in a SnippetString by xmlCompletion.ts.

import { hostValues, type HostEnums } from './hostEnums';
import type { ElementDef, RngGrammar, ValueSet } from '../libvirt/xml/rngGrammar';

export type Quote = "'" | '"';

export interface SnippetSource {
  readonly grammar: RngGrammar;
  readonly enums: HostEnums;
  readonly quote: Quote;
}

/** Children of children are filled in; deeper ones are left to further completion. */
const MAX_DEPTH = 2;
/** A choice longer than this is a tab stop with completion instead (the list would not fit). */
const MAX_CHOICES = 40;

/** Literal snippet text: `$`, `}` and `\` are escaped. */
export function escapeSnippetText(s: string): string {
  return s.replace(/[$}\\]/g, (c) => `\\${c}`);
}

/** One option of a `${1|a,b|}` choice: also `,` and `|`. */
function escapeChoice(s: string): string {
  return s.replace(/[$}\\,|]/g, (c) => `\\${c}`);
}

/** The quote the document uses most in attribute values (libvirt writes single quotes). */
export function preferredQuote(text: string): Quote {
  const head = text.slice(0, 20_000);
  const single = head.split("='").length;
  const double = head.split('="').length;
  return double > single ? '"' : "'";
}

class Stops {
  private n = 0;

  stop(values: readonly string[]): string {
    const n = ++this.n;
    return values.length > 0 && values.length <= MAX_CHOICES ? `\${${n}|${values.map(escapeChoice).join(',')}|}` : `\${${n}}`;
  }
}

/** The values offered for an attribute (or the text, with `attribute` undefined) at `path`. */
export function offeredValues(enums: HostEnums, path: readonly string[], attribute: string | undefined, schema: ValueSet | undefined): string[] {
  const host = hostValues(enums, path, attribute).filter((v) => v !== '');
  if (host.length > 0) return host;
  if (!schema || schema.free) return [];
  return [...schema.values].filter((v) => v !== '');
}

function attribute(src: SnippetSource, stops: Stops, path: readonly string[], name: string, schema: ValueSet | undefined): string {
  const q = src.quote;
  return `${escapeSnippetText(name)}=${q}${stops.stop(offeredValues(src.enums, path, name, schema))}${q}`;
}

function lines(src: SnippetSource, stops: Stops, path: readonly string[], defs: readonly ElementDef[], depth: number): string[] {
  const { grammar } = src;
  const name = escapeSnippetText(path[path.length - 1] ?? '');
  const info = grammar.info(defs);
  const req = grammar.requirements(defs);
  const attrs = req.attributes.map((a) => ` ${attribute(src, stops, path, a, info.attributes.get(a))}`).join('');
  const open = `<${name}${attrs}`;
  const children = depth < MAX_DEPTH ? req.children : [];
  if (children.length > 0) {
    const inner: string[] = [];
    for (const c of children) {
      const cdefs = grammar.childDefs(defs, c).defs;
      if (cdefs.length > 0) inner.push(...lines(src, stops, [...path, c], cdefs, depth + 1).map((l) => `\t${l}`));
    }
    return [`${open}>`, ...inner, `</${name}>`];
  }
  const mayHaveAttributes = info.attributes.size > req.attributes.length || info.anyAttribute;
  const mayHaveChildren = info.childNames.length > 0 || info.anyChild;
  if (!mayHaveChildren && (info.text.free || info.text.values.size > 0)) {
    // Text content, e.g. <name>…</name>, <on_poweroff>destroy</on_poweroff>.
    return [`${open}>${stops.stop(offeredValues(src.enums, path, undefined, info.text))}</${name}>`];
  }
  // Mostly attributes (e.g. a disk's <source file='…'/>): the cursor goes where the next one is typed.
  if (mayHaveAttributes && req.attributes.length === 0) return [`${open} ${stops.stop([])}/>`];
  if (mayHaveChildren || info.text.free) return [`${open}>${stops.stop([])}</${name}>`];
  return [`${open}/>`];
}

/**
 * The snippet for element `name` under `parentPath` (empty for the root), or undefined when the
 * schema does not know it there. Without its leading `<` when `afterBracket` (the user typed it).
 */
export function elementSnippet(src: SnippetSource, parentPath: readonly string[], name: string, afterBracket: boolean): string | undefined {
  const path = [...parentPath, name];
  const defs = src.grammar.defsForPath(path);
  if (!defs) return undefined;
  const text = `${lines(src, new Stops(), path, defs, 0).join('\n')}$0`;
  return afterBracket ? text.slice(1) : text;
}

/** `name='…'` for an attribute of the element at `path`: a choice of its values where it has some. */
export function attributeSnippet(src: SnippetSource, path: readonly string[], name: string, schema: ValueSet | undefined): string {
  return attribute(src, new Stops(), path, name, schema);
}
