// A context-following summary of a RelaxNG grammar (libvirt's schemas, e.g. domain.rng), good
// enough for editor completion, hover and a first validation pass while typing.
//
// Each `<element>` pattern in the schema is one "element definition". A document element is
// matched to the set of definitions reachable along its path from the root (so `<model>` under
// `<video>` and `<model>` under `<interface>` keep their own attributes). For a set of
// definitions the grammar answers: which child element names may appear, which attributes, and
// which values an attribute or the text content may take. Choices, optionals, repetitions,
// interleaves and groups are flattened (union): the summary over-approximates the language, so
// it never reports something valid as invalid, but it does not catch every invalid document
// (missing required parts, ordering, datatype facets). Separately, `requirements` tells which
// attributes and children an element needs, for completion snippets: required means outside every
// `<optional>`/`<zeroOrMore>`; a `<choice>` requires what all its branches require, and "expects"
// what every branch allows and some branch requires (a disk's `type` and `<source>`: optional for
// file disks, required for others). An expected element that may contain itself (a disk's
// `<backingStore>` chain) is left out. The RelaxNG specification:
// https://relaxng.org/spec-20011203.html

import { describeData, matchesData, type DataPattern } from './rngDatatypes';
import { XmlDocument, type XmlElement } from './xmlDocument';

/** Reads a schema file by its file name (e.g. "domaincommon.rng"). */
export type RngReader = (fileName: string) => Promise<string>;

export class RngLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RngLoadError';
  }
  static is(e: unknown): e is RngLoadError {
    return e instanceof RngLoadError;
  }
}

/** Where a definition comes from, for hover text. */
export interface DefOrigin {
  readonly file: string;
  /** The enclosing `<define name=…>`, if any. */
  readonly define: string | undefined;
}

export interface ValueSet {
  /** Enumerated values (from `<value>`). */
  readonly values: ReadonlySet<string>;
  /** True when more than the enumeration is accepted somewhere (text, data, a list...). */
  readonly free: boolean;
  /** The `<data>` patterns accepted besides the enumeration. */
  readonly data: readonly DataPattern[];
  /** True when any text at all is accepted somewhere (`<text>`, `<list>`, a foreign datatype). */
  readonly anyText: boolean;
}

interface MutableValueSet {
  values: Set<string>;
  free: boolean;
  data: DataPattern[];
  anyText: boolean;
}

const emptyValueSet = (): MutableValueSet => ({ values: new Set<string>(), free: false, data: [], anyText: false });

function mergeValueSet(into: MutableValueSet, from: ValueSet): void {
  for (const v of from.values) into.values.add(v);
  for (const d of from.data) if (!into.data.includes(d)) into.data.push(d);
  into.free ||= from.free;
  into.anyText ||= from.anyText;
}

/** Whether a value set accepts `value` (enumeration, datatypes, or any text). */
export function acceptsValue(vs: ValueSet, value: string): boolean {
  return vs.anyText || vs.values.has(value.trim()) || vs.data.some((d) => matchesData(d, value));
}

/** What a value set accepts, in words, for messages. */
export function describeValueSet(vs: ValueSet, maxListed = 12): string {
  const all = [...vs.values];
  const shown = all.slice(0, maxListed).map((v) => `'${v}'`);
  const parts: string[] = [];
  if (all.length) parts.push(all.length > maxListed ? `${shown.join(', ')}, … (${all.length} values)` : shown.join(', '));
  for (const d of vs.data) {
    const words = describeData(d);
    if (!parts.includes(words)) parts.push(words);
  }
  return parts.length <= 1 ? (parts[0] ?? 'nothing') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

export interface ElementDef {
  readonly id: number;
  /** Names this definition matches (empty with `anyName`). */
  readonly names: ReadonlySet<string>;
  readonly anyName: boolean;
  readonly origin: DefOrigin;
  readonly pattern: XmlElement;
  readonly doc: XmlDocument;
}

interface ContentSummary {
  readonly children: Map<string, ElementDef[]>;
  anyChild: boolean;
  readonly attributes: Map<string, MutableValueSet>;
  anyAttribute: boolean;
  readonly text: MutableValueSet;
  /** The content has text patterns at all (else only whitespace is allowed between children). */
  hasText: boolean;
}

/** The merged view of a set of element definitions. */
export interface ElementInfo {
  readonly childNames: readonly string[];
  readonly anyChild: boolean;
  readonly attributes: ReadonlyMap<string, ValueSet>;
  readonly anyAttribute: boolean;
  readonly text: ValueSet;
}

/** What a snippet for an element fills in: attributes and child element names, in schema order. */
export interface ElementRequirements {
  readonly attributes: readonly string[];
  readonly children: readonly string[];
}

/** 0: allowed, 1: expected (required in some branch of a choice, allowed in all), 2: required. */
type Level = 0 | 1 | 2;
/** Keys: "@name" for attributes, "name" for elements. Undefined: the pattern matches nothing. */
type Presence = Map<string, Level> | undefined;

function seqPresence(parts: readonly Presence[]): Presence {
  const out = new Map<string, Level>();
  for (const p of parts) {
    if (!p) return undefined;
    for (const [k, l] of p) out.set(k, Math.max(out.get(k) ?? 0, l) as Level);
  }
  return out;
}

function optionalPresence(p: Presence): Presence {
  const out = new Map<string, Level>();
  for (const k of p?.keys() ?? []) out.set(k, 0);
  return out;
}

function choicePresence(branches: readonly Presence[]): Presence {
  const live = branches.filter((b): b is Map<string, Level> => b !== undefined);
  if (live.length === 0) return undefined;
  const out = new Map<string, Level>();
  for (const b of live) {
    for (const k of b.keys()) {
      if (out.has(k)) continue;
      const levels = live.map((x) => x.get(k));
      if (levels.some((l) => l === undefined)) {
        out.set(k, 0);
        continue;
      }
      const min = Math.min(...(levels as Level[]));
      out.set(k, min > 0 ? (min as Level) : (levels as Level[]).some((l) => l > 0) ? 1 : 0);
    }
  }
  return out;
}

const dataPatterns = new WeakMap<XmlElement, DataPattern>();

/** Records a `<data>` pattern (one object per schema element, so merging deduplicates). */
function addData(into: MutableValueSet, el: XmlElement, f: RngFile): void {
  let p = dataPatterns.get(el);
  if (!p) {
    let define: string | undefined;
    for (let up = el.parent; up; up = up.parent) {
      if (RNG_NS_LOCAL(up) === 'define') {
        define = nameOf(up);
        break;
      }
    }
    const params = el.elements().filter((c) => RNG_NS_LOCAL(c) === 'param').map((c) => ({ name: nameOf(c), value: f.doc.textContent(c) }));
    p = { type: (el.attr('type') ?? 'string').trim(), params, ...(define !== undefined ? { define } : {}) };
    dataPatterns.set(el, p);
  }
  if (!into.data.includes(p)) into.data.push(p);
}

interface RngFile {
  readonly name: string;
  readonly doc: XmlDocument;
}

const RNG_NS_LOCAL = (el: XmlElement): string => el.localName;

function nameOf(el: XmlElement): string {
  return (el.attr('name') ?? '').trim();
}

export class RngGrammar {
  private readonly defines = new Map<string, { el: XmlElement; file: RngFile }[]>();
  private readonly starts: { el: XmlElement; file: RngFile }[] = [];
  private readonly defsByPattern = new Map<XmlElement, ElementDef>();
  private readonly summaries = new Map<number, ContentSummary>();
  private readonly presences = new Map<number, Presence>();
  private nextId = 0;

  private constructor(readonly entry: string) {}

  /** Loads `entry` (e.g. "domain.rng") and every file it includes. */
  static async load(entry: string, read: RngReader): Promise<RngGrammar> {
    const g = new RngGrammar(entry);
    const seen = new Set<string>();
    const loadFile = async (name: string, isEntry: boolean): Promise<void> => {
      if (seen.has(name)) return;
      seen.add(name);
      let text: string;
      try {
        text = await read(name);
      } catch (err) {
        throw new RngLoadError(`Cannot read schema ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      let doc: XmlDocument;
      try {
        doc = XmlDocument.parse(text);
      } catch (err) {
        throw new RngLoadError(`Schema ${name} is not well-formed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const file: RngFile = { name, doc };
      const includes: string[] = [];
      g.collect(doc.root, file, includes, isEntry);
      for (const inc of includes) await loadFile(inc, false);
    };
    await loadFile(entry, true);
    if (g.starts.length === 0) throw new RngLoadError(`Schema ${entry} has no <start>`);
    return g;
  }

  /** Records the top-level defines and starts of one grammar (nested grammars are opaque). */
  private collect(grammar: XmlElement, file: RngFile, includes: string[], isEntry: boolean): void {
    for (const c of grammar.elements()) {
      const local = RNG_NS_LOCAL(c);
      if (local === 'define') {
        const list = this.defines.get(nameOf(c)) ?? [];
        list.push({ el: c, file });
        this.defines.set(nameOf(c), list);
      } else if (local === 'start') {
        // Only the entry file's start names the document root; included files' starts are
        // overridden by it in libvirt's schemas.
        if (isEntry) this.starts.push({ el: c, file });
      } else if (local === 'include') {
        const href = c.attr('href');
        if (href) includes.push(href.split('/').pop()!);
        // Defines inside <include> override the included file's; the union is kept.
        this.collect(c, file, [], false);
      } else if (local === 'div') {
        this.collect(c, file, includes, isEntry);
      }
    }
  }

  private defFor(pattern: XmlElement, file: RngFile): ElementDef {
    let def = this.defsByPattern.get(pattern);
    if (def) return def;
    const names = new Set<string>();
    let anyName = false;
    const attrName = pattern.attr('name');
    if (attrName !== undefined) names.add(stripPrefix(attrName.trim()));
    else {
      const nc = pattern.elements()[0];
      if (nc) anyName = this.nameClass(nc, file.doc, names);
    }
    let define: string | undefined;
    for (let p = pattern.parent; p; p = p.parent) {
      if (RNG_NS_LOCAL(p) === 'define') {
        define = nameOf(p);
        break;
      }
    }
    def = { id: this.nextId++, names, anyName, origin: { file: file.name, define }, pattern, doc: file.doc };
    this.defsByPattern.set(pattern, def);
    return def;
  }

  /** Adds the names of a name class; true when it accepts any name. */
  private nameClass(nc: XmlElement, doc: XmlDocument, names: Set<string>): boolean {
    switch (RNG_NS_LOCAL(nc)) {
      case 'name':
        names.add(stripPrefix(doc.textContent(nc).trim()));
        return false;
      case 'choice': {
        let any = false;
        for (const c of nc.elements()) any = this.nameClass(c, doc, names) || any;
        return any;
      }
      default:
        return true; // anyName, nsName
    }
  }

  private fileOf(pattern: XmlElement): RngFile {
    let root: XmlElement = pattern;
    while (root.parent) root = root.parent;
    for (const list of this.defines.values()) for (const d of list) if (d.file.doc.root === root) return d.file;
    for (const s of this.starts) if (s.file.doc.root === root) return s.file;
    throw new RngLoadError('pattern outside the loaded schema files');
  }

  /** Walks a pattern's content, stopping at elements and attributes. */
  private summarize(content: readonly XmlElement[], file: RngFile): ContentSummary {
    const sum: ContentSummary = { children: new Map(), anyChild: false, attributes: new Map(), anyAttribute: false, text: emptyValueSet(), hasText: false };
    const visiting = new Set<string>();
    const walk = (el: XmlElement, f: RngFile): void => {
      switch (RNG_NS_LOCAL(el)) {
        case 'element': {
          const def = this.defFor(el, f);
          if (def.anyName) sum.anyChild = true;
          for (const n of def.names) {
            const list = sum.children.get(n) ?? [];
            if (!list.includes(def)) list.push(def);
            sum.children.set(n, list);
          }
          return;
        }
        case 'attribute': {
          const names = new Set<string>();
          let any = false;
          const attrName = el.attr('name');
          let valuePatterns = el.elements();
          if (attrName !== undefined) names.add(attrName.trim());
          else if (valuePatterns[0]) {
            any = this.nameClass(valuePatterns[0], f.doc, names);
            valuePatterns = valuePatterns.slice(1);
          }
          if (any) sum.anyAttribute = true;
          const vs = this.values(valuePatterns, f);
          for (const n of names) {
            const cur = sum.attributes.get(n) ?? emptyValueSet();
            mergeValueSet(cur, vs);
            sum.attributes.set(n, cur);
          }
          return;
        }
        case 'ref':
        case 'parentRef': {
          const name = nameOf(el);
          if (visiting.has(name)) return;
          visiting.add(name);
          for (const d of this.defines.get(name) ?? []) for (const c of d.el.elements()) walk(c, d.file);
          return;
        }
        case 'text':
        case 'list':
          sum.text.free = true;
          sum.text.anyText = true;
          sum.hasText = true;
          return;
        case 'data':
          sum.text.free = true;
          sum.hasText = true;
          addData(sum.text, el, f);
          return;
        case 'value':
          sum.text.values.add(f.doc.textContent(el).trim());
          sum.hasText = true;
          return;
        case 'mixed':
          sum.text.free = true;
          sum.text.anyText = true;
          sum.hasText = true;
          for (const c of el.elements()) walk(c, f);
          return;
        case 'grammar':
        case 'externalRef':
          sum.anyChild = true;
          return;
        case 'empty':
        case 'notAllowed':
        case 'name':
        case 'anyName':
        case 'nsName':
        case 'except':
        case 'param':
        case 'documentation':
          return;
        default:
          // choice, optional, zeroOrMore, oneOrMore, interleave, group, div
          for (const c of el.elements()) walk(c, f);
      }
    };
    for (const c of content) walk(c, file);
    return sum;
  }

  /** The values a value pattern (an attribute's content) accepts. */
  private values(patterns: readonly XmlElement[], file: RngFile): MutableValueSet {
    const out = emptyValueSet();
    const visiting = new Set<string>();
    const walk = (el: XmlElement, f: RngFile): void => {
      switch (RNG_NS_LOCAL(el)) {
        case 'value':
          out.values.add(f.doc.textContent(el).trim());
          return;
        case 'ref':
        case 'parentRef': {
          const name = nameOf(el);
          if (visiting.has(name)) return;
          visiting.add(name);
          for (const d of this.defines.get(name) ?? []) for (const c of d.el.elements()) walk(c, d.file);
          return;
        }
        case 'choice':
        case 'group':
        case 'optional':
          for (const c of el.elements()) walk(c, f);
          return;
        case 'empty':
        case 'notAllowed':
        case 'documentation':
          return;
        case 'data':
          out.free = true;
          addData(out, el, f);
          return;
        default:
          // text, list, anything else: free text
          out.free = true;
          out.anyText = true;
      }
    };
    if (patterns.length === 0) {
      // <attribute name="x"/> means text
      out.free = true;
      out.anyText = true;
    }
    for (const p of patterns) walk(p, file);
    return out;
  }

  /** Which attributes and elements a pattern list needs (see the header). */
  private presence(content: readonly XmlElement[], file: RngFile): Presence {
    const visiting = new Set<string>();
    const walk = (el: XmlElement, f: RngFile): Presence => {
      const all = (): Presence => seqPresence(el.elements().map((c) => walk(c, f)));
      switch (RNG_NS_LOCAL(el)) {
        case 'element': {
          const def = this.defFor(el, f);
          // An element with a choice of names needs one of them, not each: none is required.
          return new Map([...def.names].map((n) => [n, (def.names.size === 1 && !def.anyName ? 2 : 0) as Level]));
        }
        case 'attribute': {
          const name = el.attr('name');
          return name === undefined ? new Map() : new Map([[`@${name.trim()}`, 2 as Level]]);
        }
        case 'ref':
        case 'parentRef': {
          const name = nameOf(el);
          const defs = this.defines.get(name) ?? [];
          if (visiting.has(name) || defs.length === 0) return new Map();
          visiting.add(name);
          const parts = defs.map((d) => seqPresence(d.el.elements().map((c) => walk(c, d.file))));
          visiting.delete(name);
          // combine="interleave" adds to the define; anything else (or an override) is an alternative.
          return defs.every((d) => d.el.attr('combine') === 'interleave') ? seqPresence(parts) : choicePresence(parts);
        }
        case 'choice':
          return choicePresence(el.elements().map((c) => walk(c, f)));
        case 'optional':
        case 'zeroOrMore':
          return optionalPresence(all());
        case 'notAllowed':
          return undefined;
        case 'group':
        case 'interleave':
        case 'oneOrMore':
        case 'mixed':
        case 'div':
          return all();
        default:
          return new Map(); // text, data, value, list, empty, grammar, externalRef, documentation
      }
    };
    return seqPresence(content.map((c) => walk(c, file)));
  }

  private presenceOf(def: ElementDef): Presence {
    if (!this.presences.has(def.id)) {
      const content = def.pattern.attr('name') !== undefined ? def.pattern.elements() : def.pattern.elements().slice(1);
      this.presences.set(def.id, def.anyName ? new Map() : this.presence(content, this.fileOf(def.pattern)));
    }
    return this.presences.get(def.id);
  }

  /** True when a child `name` of `defs` may hold a `name` of its own (a chain). */
  private nestsItself(defs: readonly ElementDef[], name: string): boolean {
    const inner = this.childDefs(defs, name).defs;
    return inner.some((d) => !d.anyName && this.summaryOf(d).children.has(name));
  }

  /** What every one of `defs` requires or expects (see the header), in schema order. */
  requirements(defs: readonly ElementDef[]): ElementRequirements {
    const maps = defs.map((d) => this.presenceOf(d) ?? new Map<string, Level>());
    const first = maps[0];
    const attributes: string[] = [];
    const children: string[] = [];
    for (const [k, l] of first ?? []) {
      if (l === 0 || maps.some((m) => (m.get(k) ?? 0) === 0)) continue;
      if (k.startsWith('@')) attributes.push(k.slice(1));
      else if (maps.every((m) => m.get(k) === 2) || !this.nestsItself(defs, k)) children.push(k);
    }
    return { attributes, children };
  }

  /**
   * What an element matched by `defs` must have under every one of them: attributes and child
   * element names outside every optional part and required by each branch of each choice. Their
   * absence is an error libxml2 reports too (a definition that matches nothing counts as none).
   */
  required(defs: readonly ElementDef[]): ElementRequirements {
    if (defs.length === 0 || defs.some((d) => d.anyName)) return { attributes: [], children: [] };
    const maps = defs.map((d) => this.presenceOf(d));
    if (maps.some((m) => m === undefined)) return { attributes: [], children: [] };
    const attributes: string[] = [];
    const children: string[] = [];
    for (const [k, l] of maps[0]!) {
      if (l !== 2 || maps.some((m) => m!.get(k) !== 2)) continue;
      if (k.startsWith('@')) attributes.push(k.slice(1));
      else children.push(k);
    }
    return { attributes, children };
  }

  private summaryOf(def: ElementDef): ContentSummary {
    let s = this.summaries.get(def.id);
    if (!s) {
      const content = def.pattern.attr('name') !== undefined ? def.pattern.elements() : def.pattern.elements().slice(1);
      s = this.summarize(content, this.fileOf(def.pattern));
      this.summaries.set(def.id, s);
    }
    return s;
  }

  private startSummary(): ContentSummary {
    let s = this.summaries.get(-1);
    if (!s) {
      s = this.summarize(
        this.starts.flatMap((st) => st.el.elements()),
        this.starts[0]!.file,
      );
      // starts of several files: summarize used the first file for all; patterns carry their own
      // document, and refs resolve through the shared define table, so this is only a label.
      this.summaries.set(-1, s);
    }
    return s;
  }

  /** Names the document root may have. */
  rootNames(): string[] {
    return [...this.startSummary().children.keys()];
  }

  /** Definitions for a root element name (empty when the schema does not allow it). */
  rootDefs(name: string): ElementDef[] {
    return this.startSummary().children.get(stripPrefix(name)) ?? [];
  }

  /** Definitions of a child named `name` under an element matched by `parents`. */
  childDefs(parents: readonly ElementDef[], name: string): { defs: ElementDef[]; wildcard: boolean } {
    const out: ElementDef[] = [];
    let wildcard = false;
    for (const p of parents) {
      if (p.anyName) wildcard = true;
      const s = this.summaryOf(p);
      if (s.anyChild) wildcard = true;
      for (const d of s.children.get(name) ?? []) if (!out.includes(d)) out.push(d);
    }
    return { defs: out, wildcard };
  }

  /** Definitions along a path of element names from the root; undefined when the path leaves the schema. */
  defsForPath(path: readonly string[]): ElementDef[] | undefined {
    if (path.length === 0) return undefined;
    let defs = this.rootDefs(path[0]!);
    for (const step of path.slice(1)) {
      if (defs.length === 0) return undefined;
      const next = this.childDefs(defs, stripPrefix(step));
      if (next.defs.length === 0) return undefined;
      defs = next.defs;
    }
    return defs.length > 0 ? defs : undefined;
  }

  /**
   * The values an attribute of the element at `path` may take when they are a plain enumeration;
   * undefined when any text is accepted there or the path leaves the schema.
   */
  enumeratedValues(path: readonly string[], attribute: string): string[] | undefined {
    const defs = this.defsForPath(path);
    const v = defs ? this.info(defs).attributes.get(attribute) : undefined;
    return v && !v.free && v.values.size > 0 ? [...v.values] : undefined;
  }

  info(defs: readonly ElementDef[]): ElementInfo {
    const children = new Set<string>();
    const attributes = new Map<string, MutableValueSet>();
    const text = emptyValueSet();
    let anyChild = false;
    let anyAttribute = false;
    for (const d of defs) {
      if (d.anyName) {
        anyChild = true;
        anyAttribute = true;
        text.free = true;
        text.anyText = true;
        continue;
      }
      const s = this.summaryOf(d);
      for (const n of s.children.keys()) children.add(n);
      anyChild ||= s.anyChild;
      anyAttribute ||= s.anyAttribute;
      for (const [n, v] of s.attributes) {
        const cur = attributes.get(n) ?? emptyValueSet();
        mergeValueSet(cur, v);
        attributes.set(n, cur);
      }
      // A definition without any text pattern accepts only whitespace content: to stay on the
      // safe side it is counted as accepting any text (the check is about values, not presence).
      if (s.hasText) mergeValueSet(text, s.text);
      else text.anyText = true;
    }
    return { childNames: [...children].sort(), anyChild, attributes, anyAttribute, text };
  }
}

function stripPrefix(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}
