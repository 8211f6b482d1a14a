// A lossless XML document for libvirt XML: an exact-offset tokenizer plus surgical text edits.
//
// Why a tokenizer of our own rather than fast-xml-parser's tree: fast-xml-parser v5's
// `captureMetaData` records only the start offset of each element. Surgical edits need more: the
// offsets of every attribute value, of the end of each start tag, of each closing tag and of the
// whitespace around children (to insert and remove lines with the document's own indentation).
// Re-serialising through fast-xml-parser's builder changes quotes and drops inter-node
// whitespace, so an untouched document would not come back byte-identical. The tokenizer below
// records exact offsets for all of these, and every edit is a splice of the original text followed
// by a shift of the recorded offsets, so node identities survive edits. fast-xml-parser is still
// used where it helps: its validator gives well-formedness errors with line and column
// (see wellFormedness.ts).
//
// Positions: `start`/`end` are UTF-16 offsets into `XmlDocument.text`, end exclusive.
// Ranges handed out to callers are 0-based lines and columns (like VS Code's Position).

export interface TextRange {
  /** 0-based line. */
  startLine: number;
  /** 0-based column in UTF-16 code units. */
  startCol: number;
  endLine: number;
  endCol: number;
}

export class XmlSyntaxError extends Error {
  readonly line: number;
  readonly col: number;
  constructor(
    message: string,
    readonly offset: number,
    text: string,
  ) {
    const { line, col } = offsetToLineCol(text, offset);
    super(`${message} (line ${line + 1}, column ${col + 1})`);
    this.name = 'XmlSyntaxError';
    this.line = line;
    this.col = col;
  }
  static is(e: unknown): e is XmlSyntaxError {
    return e instanceof XmlSyntaxError;
  }
}

/** Thrown for an edit that cannot be applied (e.g. a detached element). */
export class XmlEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlEditError';
  }
  static is(e: unknown): e is XmlEditError {
    return e instanceof XmlEditError;
  }
}

export interface XmlAttribute {
  /** Qualified name as written, e.g. `type` or `xmlns:vmm`. */
  readonly name: string;
  /** Decoded value. */
  value: string;
  start: number;
  valueStart: number;
  valueEnd: number;
  /** Offset after the closing quote. */
  end: number;
}

export class XmlElement {
  readonly kind = 'element';
  attributes: XmlAttribute[] = [];
  children: XmlNode[] = [];
  parent: XmlElement | undefined;
  /** Offset of `<`. */
  start = 0;
  /** Offset after the `>` of the start tag (or after `/>`). */
  openEnd = 0;
  /** Offset of `</` of the closing tag; equals openEnd for a self-closing element. */
  closeStart = 0;
  /** Offset after the last `>`. */
  end = 0;
  selfClosing = false;
  constructor(readonly name: string) {}

  get localName(): string {
    const i = this.name.indexOf(':');
    return i < 0 ? this.name : this.name.slice(i + 1);
  }
  get prefix(): string | undefined {
    const i = this.name.indexOf(':');
    return i < 0 ? undefined : this.name.slice(0, i);
  }
  attr(name: string): string | undefined {
    for (const a of this.attributes) if (a.name === name) return a.value;
    return undefined;
  }
  child(name: string): XmlElement | undefined {
    for (const c of this.children) if (c.kind === 'element' && c.name === name) return c;
    return undefined;
  }
  elements(name?: string): XmlElement[] {
    const out: XmlElement[] = [];
    for (const c of this.children) if (c.kind === 'element' && (name === undefined || c.name === name)) out.push(c);
    return out;
  }
  /** Follows a path of child element names; undefined when any step is missing. */
  find(path: readonly string[]): XmlElement | undefined {
    let el: XmlElement | undefined = this as XmlElement;
    for (const step of path) {
      el = el.child(step);
      if (!el) return undefined;
    }
    return el;
  }
  /** Namespace URI bound to `prefix` (undefined prefix: default namespace) in scope here. */
  lookupNamespace(prefix: string | undefined): string | undefined {
    const attrName = prefix === undefined ? 'xmlns' : `xmlns:${prefix}`;
    for (let el: XmlElement | undefined = this as XmlElement; el; el = el.parent) {
      const v = el.attr(attrName);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  get namespaceUri(): string | undefined {
    return this.lookupNamespace(this.prefix);
  }
}

export interface XmlTextNode {
  readonly kind: 'text';
  start: number;
  end: number;
}

export interface XmlMiscNode {
  readonly kind: 'comment' | 'cdata' | 'pi' | 'doctype';
  start: number;
  end: number;
}

export type XmlNode = XmlElement | XmlTextNode | XmlMiscNode;

// ------------------------------------------------------------------ entities

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return NAMED_ENTITIES[body] ?? m;
  });
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string, quote: '"' | "'"): string {
  const t = escapeText(s);
  return quote === '"' ? t.replace(/"/g, '&quot;') : t.replace(/'/g, '&apos;');
}

// ------------------------------------------------------------------ positions

export function offsetToLineCol(text: string, offset: number): { line: number; col: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart };
}

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, col: offset - this.starts[lo]! };
  }
  offset(line: number, col: number): number {
    return (this.starts[line] ?? this.starts[this.starts.length - 1]!) + col;
  }
}

// ------------------------------------------------------------------ tokenizer

const NAME_RE = /[^\s/>=<"']+/y;
const WS_RE = /\s*/y;

class Parser {
  pos: number;
  constructor(
    readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  fail(msg: string, at = this.pos): never {
    throw new XmlSyntaxError(msg, at, this.text);
  }

  skipWs(): void {
    WS_RE.lastIndex = this.pos;
    WS_RE.exec(this.text);
    this.pos = WS_RE.lastIndex;
  }

  name(): string {
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.text);
    if (!m) this.fail('expected a name');
    this.pos = NAME_RE.lastIndex;
    return m[0];
  }

  /** Parses misc nodes and elements until `</` (returned true) or end of input (false). */
  content(parent: XmlElement | undefined, out: XmlNode[]): boolean {
    const t = this.text;
    while (this.pos < t.length) {
      const lt = t.indexOf('<', this.pos);
      if (lt < 0) {
        if (parent) this.fail(`element <${parent.name}> is not closed`, parent.start);
        out.push({ kind: 'text', start: this.pos, end: t.length });
        this.pos = t.length;
        return false;
      }
      if (lt > this.pos) out.push({ kind: 'text', start: this.pos, end: lt });
      this.pos = lt;
      if (t.startsWith('</', lt)) return true;
      if (t.startsWith('<!--', lt)) {
        const e = t.indexOf('-->', lt + 4);
        if (e < 0) this.fail('unterminated comment');
        out.push({ kind: 'comment', start: lt, end: e + 3 });
        this.pos = e + 3;
      } else if (t.startsWith('<![CDATA[', lt)) {
        const e = t.indexOf(']]>', lt + 9);
        if (e < 0) this.fail('unterminated CDATA section');
        out.push({ kind: 'cdata', start: lt, end: e + 3 });
        this.pos = e + 3;
      } else if (t.startsWith('<?', lt)) {
        const e = t.indexOf('?>', lt + 2);
        if (e < 0) this.fail('unterminated processing instruction');
        out.push({ kind: 'pi', start: lt, end: e + 2 });
        this.pos = e + 2;
      } else if (t.startsWith('<!', lt)) {
        const e = t.indexOf('>', lt + 2);
        if (e < 0) this.fail('unterminated declaration');
        out.push({ kind: 'doctype', start: lt, end: e + 1 });
        this.pos = e + 1;
      } else {
        const el = this.element(parent);
        out.push(el);
      }
    }
    if (parent) this.fail(`element <${parent.name}> is not closed`, parent.start);
    return false;
  }

  element(parent: XmlElement | undefined): XmlElement {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    const el = new XmlElement(this.name());
    el.parent = parent;
    el.start = start;
    for (;;) {
      const before = this.pos;
      this.skipWs();
      const c = t[this.pos];
      if (c === undefined) this.fail(`unterminated start tag <${el.name}>`, start);
      if (c === '>') {
        this.pos++;
        el.openEnd = this.pos;
        break;
      }
      if (c === '/') {
        if (t[this.pos + 1] !== '>') this.fail("expected '/>'");
        this.pos += 2;
        el.openEnd = el.closeStart = el.end = this.pos;
        el.selfClosing = true;
        return el;
      }
      if (before === this.pos) this.fail('expected whitespace before an attribute');
      const aStart = this.pos;
      const name = this.name();
      this.skipWs();
      if (t[this.pos] !== '=') this.fail(`attribute ${name} has no value`);
      this.pos++;
      this.skipWs();
      const q = t[this.pos];
      if (q !== '"' && q !== "'") this.fail(`attribute ${name}: value must be quoted`);
      const vStart = this.pos + 1;
      const vEnd = t.indexOf(q, vStart);
      if (vEnd < 0) this.fail(`attribute ${name}: unterminated value`);
      const raw = t.slice(vStart, vEnd);
      if (raw.includes('<')) this.fail(`attribute ${name}: '<' in value`, vStart + raw.indexOf('<'));
      if (el.attributes.some((a) => a.name === name)) this.fail(`duplicate attribute ${name}`, aStart);
      el.attributes.push({ name, value: decodeEntities(raw), start: aStart, valueStart: vStart, valueEnd: vEnd, end: vEnd + 1 });
      this.pos = vEnd + 1;
    }
    const closed = this.content(el, el.children);
    if (!closed) this.fail(`element <${el.name}> is not closed`, start);
    el.closeStart = this.pos;
    this.pos += 2;
    const closeName = this.name();
    if (closeName !== el.name) this.fail(`closing tag </${closeName}> does not match <${el.name}>`, el.closeStart);
    this.skipWs();
    if (t[this.pos] !== '>') this.fail("expected '>'");
    this.pos++;
    el.end = this.pos;
    return el;
  }
}

/** Parses `text` from `start` up to its end as a sequence of nodes (a fragment). */
function parseNodes(text: string, start: number, parent: XmlElement | undefined): XmlNode[] {
  const p = new Parser(text, start);
  const nodes: XmlNode[] = [];
  if (p.content(undefined, nodes)) p.fail('unexpected closing tag');
  for (const n of nodes) if (n.kind === 'element') n.parent = parent;
  return nodes;
}

// ------------------------------------------------------------------ document

export interface InsertOptions {
  /** Insert before this child element (default: after the last child element). */
  before?: XmlElement;
  /** Insert after this child element. */
  after?: XmlElement;
}

export class XmlDocument {
  private _text: string;
  /** Top-level nodes: prolog, comments, the root element, trailing whitespace. */
  readonly nodes: XmlNode[];
  readonly root: XmlElement;
  private lineIndex: LineIndex | undefined;
  /** Preferred attribute order per element name, used when adding attributes. */
  readonly attributeOrder = new Map<string, readonly string[]>();
  /** Preferred order of children per parent element name, used when inserting new children. */
  readonly childOrder = new Map<string, readonly string[]>();
  /** Incremented on every edit; views may use it to invalidate caches. */
  version = 0;

  private constructor(text: string) {
    this._text = text;
    this.nodes = parseNodes(text, 0, undefined);
    const roots = this.nodes.filter((n): n is XmlElement => n.kind === 'element');
    if (roots.length !== 1) throw new XmlSyntaxError(roots.length === 0 ? 'no root element' : 'more than one root element', roots[1]?.start ?? 0, text);
    for (const n of this.nodes) {
      if (n.kind === 'text' && text.slice(n.start, n.end).trim() !== '') throw new XmlSyntaxError('text outside the root element', n.start, text);
    }
    this.root = roots[0]!;
  }

  static parse(text: string): XmlDocument {
    return new XmlDocument(text);
  }

  get text(): string {
    return this._text;
  }

  toString(): string {
    return this._text;
  }

  // ---------------------------------------------------------------- reading

  /** Decoded text content (text and CDATA children, recursively). */
  textContent(el: XmlElement): string {
    let s = '';
    for (const c of el.children) {
      if (c.kind === 'text') s += decodeEntities(this._text.slice(c.start, c.end));
      else if (c.kind === 'cdata') s += this._text.slice(c.start + 9, c.end - 3);
      else if (c.kind === 'element') s += this.textContent(c);
    }
    return s;
  }

  /** The exact source text of a node. */
  source(node: XmlNode): string {
    return this._text.slice(node.start, node.end);
  }

  /** Source text between the start and end tags. */
  innerSource(el: XmlElement): string {
    return this._text.slice(el.openEnd, el.closeStart);
  }

  position(offset: number): { line: number; col: number } {
    this.lineIndex ??= new LineIndex(this._text);
    return this.lineIndex.position(offset);
  }

  offsetAt(line: number, col: number): number {
    this.lineIndex ??= new LineIndex(this._text);
    return this.lineIndex.offset(line, col);
  }

  range(start: number, end: number): TextRange {
    const a = this.position(start);
    const b = this.position(end);
    return { startLine: a.line, startCol: a.col, endLine: b.line, endCol: b.col };
  }

  /** Range of an element's start tag (what an editor should underline for the element). */
  startTagRange(el: XmlElement): TextRange {
    return this.range(el.start, el.openEnd);
  }

  nodeRange(node: XmlNode): TextRange {
    return this.range(node.start, node.end);
  }

  attributeRange(el: XmlElement, name: string): TextRange | undefined {
    const a = el.attributes.find((x) => x.name === name);
    return a ? this.range(a.start, a.end) : undefined;
  }

  /** Innermost element whose span contains `offset`. */
  elementAt(offset: number): XmlElement | undefined {
    let el: XmlElement | undefined;
    let list: XmlNode[] = this.nodes;
    for (;;) {
      const next = list.find((n): n is XmlElement => n.kind === 'element' && n.start <= offset && offset < n.end);
      if (!next) return el;
      el = next;
      list = next.children;
    }
  }

  // ---------------------------------------------------------------- edits

  /**
   * Replaces text [s, e) with `newText` and shifts every recorded offset: offsets at or after `e`
   * move by the length difference (when s < e), offsets strictly inside collapse to `s`.
   * Callers fix the nodes they rebuilt themselves.
   */
  private splice(s: number, e: number, newText: string): void {
    const delta = newText.length - (e - s);
    this._text = this._text.slice(0, s) + newText + this._text.slice(e);
    this.lineIndex = undefined;
    this.version++;
    // Insertion (s === e): a start offset at s moves (the new text lands before it), an end
    // offset at s stays. Replacement: offsets at or after e move, offsets inside collapse to s.
    const shiftStart = (o: number): number => (s === e ? (o >= s ? o + delta : o) : o >= e ? o + delta : o > s ? s : o);
    const shiftEnd = (o: number): number => (s === e ? (o > s ? o + delta : o) : o >= e ? o + delta : o > s ? s : o);
    const visit = (nodes: XmlNode[]): void => {
      for (const n of nodes) {
        n.start = shiftStart(n.start);
        n.end = shiftEnd(n.end);
        if (n.kind === 'element') {
          n.openEnd = shiftEnd(n.openEnd);
          n.closeStart = n.selfClosing ? shiftEnd(n.closeStart) : shiftStart(n.closeStart);
          for (const a of n.attributes) {
            a.start = shiftStart(a.start);
            a.valueStart = shiftStart(a.valueStart);
            a.valueEnd = shiftEnd(a.valueEnd);
            a.end = shiftEnd(a.end);
          }
          visit(n.children);
        }
      }
    };
    visit(this.nodes);
  }

  private assertAttached(el: XmlElement): void {
    let top: XmlElement = el;
    while (top.parent) top = top.parent;
    if (top !== this.root) throw new XmlEditError(`element <${el.name}> is not part of this document`);
  }

  /** Sets (or adds) an attribute. Only the value's characters change when it exists. */
  setAttribute(el: XmlElement, name: string, value: string): void {
    this.assertAttached(el);
    const a = el.attributes.find((x) => x.name === name);
    if (a) {
      if (a.value === value) return;
      const quote = this._text[a.valueStart - 1] === "'" ? "'" : '"';
      const enc = escapeAttr(value, quote);
      const vs = a.valueStart;
      this.splice(vs, a.valueEnd, enc);
      a.valueStart = vs;
      a.valueEnd = vs + enc.length;
      a.end = a.valueEnd + 1;
      a.value = value;
      return;
    }
    // Keep libvirt's attribute order when known, so a define/dump round trip keeps the line.
    const order = this.attributeOrder.get(el.name);
    const rank = order ? order.indexOf(name) : -1;
    let idx = el.attributes.length;
    if (order && rank >= 0) {
      const i = el.attributes.findIndex((x) => order.indexOf(x.name) > rank);
      if (i >= 0) idx = i;
    }
    const prev = el.attributes[idx - 1];
    const at = prev ? prev.end : el.start + 1 + el.name.length;
    const quote = this.preferredQuote(el);
    const enc = escapeAttr(value, quote);
    this.splice(at, at, ` ${name}=${quote}${enc}${quote}`);
    const start = at + 1;
    const valueStart = start + name.length + 2;
    el.attributes.splice(idx, 0, { name, value, start, valueStart, valueEnd: valueStart + enc.length, end: valueStart + enc.length + 1 });
  }

  /** Replaces everything between an element's tags with raw XML (parsed and checked first). */
  replaceContent(el: XmlElement, rawXml: string): void {
    this.assertAttached(el);
    parseNodes(rawXml, 0, undefined);
    if (el.selfClosing) {
      let slash = el.openEnd - 2;
      while (/\s/.test(this._text[slash - 1]!)) slash--;
      const start = el.start;
      const repl = `>${rawXml}</${el.name}>`;
      this.splice(slash, el.openEnd, repl);
      el.start = start;
      el.selfClosing = false;
      el.openEnd = slash + 1;
    } else {
      const s = el.openEnd;
      this.splice(s, el.closeStart, rawXml);
      el.openEnd = s;
    }
    el.closeStart = el.openEnd + rawXml.length;
    el.end = el.closeStart + el.name.length + 3;
    el.children = parseNodes(this._text.slice(0, el.closeStart), el.openEnd, el);
  }

  removeAttribute(el: XmlElement, name: string): void {
    this.assertAttached(el);
    const i = el.attributes.findIndex((x) => x.name === name);
    if (i < 0) return;
    const a = el.attributes[i]!;
    let s = a.start;
    while (s > 0 && /\s/.test(this._text[s - 1]!)) s--;
    el.attributes.splice(i, 1);
    this.splice(s, a.end, '');
  }

  /** Replaces an element's content with text (escaped). A self-closing element gets a closing tag. */
  setTextContent(el: XmlElement, value: string): void {
    this.assertAttached(el);
    if (el.children.length === 1 && el.children[0]!.kind === 'text' && this.textContent(el) === value) return;
    const enc = escapeText(value);
    if (el.selfClosing) {
      let slash = el.openEnd - 2;
      while (/\s/.test(this._text[slash - 1]!)) slash--;
      const start = el.start;
      const repl = `>${enc}</${el.name}>`;
      this.splice(slash, el.openEnd, repl);
      el.selfClosing = false;
      el.start = start;
      el.openEnd = slash + 1;
      el.closeStart = el.openEnd + enc.length;
      el.end = el.closeStart + el.name.length + 3;
    } else {
      const s = el.openEnd;
      this.splice(s, el.closeStart, enc);
      el.openEnd = s;
      el.closeStart = s + enc.length;
    }
    el.children = enc.length > 0 ? [{ kind: 'text', start: el.openEnd, end: el.closeStart }] : [];
  }

  /** Removes an element; when it sits alone on its line the whole line goes. */
  removeElement(el: XmlElement): void {
    this.assertAttached(el);
    const parent = el.parent;
    if (!parent) throw new XmlEditError('cannot remove the root element');
    let s = el.start;
    let e = el.end;
    const t = this._text;
    let ls = s;
    while (ls > 0 && (t[ls - 1] === ' ' || t[ls - 1] === '\t')) ls--;
    let le = e;
    while (le < t.length && (t[le] === ' ' || t[le] === '\t')) le++;
    const aloneOnLine = (ls === 0 || t[ls - 1] === '\n') && (le >= t.length || t[le] === '\n' || t[le] === '\r');
    if (aloneOnLine && ls > 0) {
      s = ls - 1;
      if (s > 0 && t[s - 1] === '\r') s--;
      e = le;
    }
    parent.children = parent.children.filter((c) => c !== el);
    el.parent = undefined;
    this.splice(s, e, '');
    parent.children = parent.children.filter((c) => c.kind === 'element' || c.end > c.start);
    this.mergeTexts(parent);
    if (parent.children.every((c) => c.kind === 'text' && this._text.slice(c.start, c.end).trim() === '') && parent.children.length > 0) {
      // Only whitespace is left: collapse it so `<devices>\n  </devices>` does not linger oddly.
      const only = parent.children;
      const ws = this._text.slice(only[0]!.start, only[only.length - 1]!.end);
      if (ws.includes('\n')) {
        const nl = this.eol;
        const indent = this.indentOf(parent);
        const s2 = parent.openEnd;
        this.splice(s2, parent.closeStart, `${nl}${indent}`);
        parent.openEnd = s2;
        parent.closeStart = s2 + nl.length + indent.length;
        parent.children = [{ kind: 'text', start: s2, end: parent.closeStart }];
      }
    }
  }

  private mergeTexts(parent: XmlElement): void {
    const out: XmlNode[] = [];
    for (const c of parent.children) {
      const prev = out[out.length - 1];
      if (c.kind === 'text' && prev?.kind === 'text' && prev.end === c.start) prev.end = c.end;
      else out.push(c);
    }
    parent.children = out;
  }

  /** The document's line ending (CRLF when the text uses it), used for inserted lines. */
  get eol(): string {
    return this._text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** Whitespace before the element on its line (its indentation), or '' if not at a line start. */
  indentOf(el: XmlElement): string {
    const t = this._text;
    let i = el.start;
    while (i > 0 && (t[i - 1] === ' ' || t[i - 1] === '\t')) i--;
    return i === 0 || t[i - 1] === '\n' ? t.slice(i, el.start) : '';
  }

  /** The document's indentation unit, guessed from the root's first indented child. */
  indentUnit(): string {
    for (const c of this.root.elements()) {
      const ind = this.indentOf(c);
      if (ind.length > 0) return ind;
    }
    return '  ';
  }

  /** The quote style of the element's own attributes, else of the root's. */
  private preferredQuote(el: XmlElement): '"' | "'" {
    const a = el.attributes[0] ?? this.root.attributes[0];
    return a && this._text[a.valueStart - 1] === '"' ? '"' : "'";
  }

  /**
   * Inserts an XML fragment (one or more elements, written without indentation or with its
   * own relative indentation) as children of `parent`, on new lines indented like its siblings.
   * Returns the inserted elements.
   */
  insertElement(parent: XmlElement, fragment: string, opts: InsertOptions = {}): XmlElement[] {
    this.assertAttached(parent);
    const nl = this.eol;
    if (!opts.before && !opts.after) opts = this.orderedPosition(parent, fragment);
    const siblings = parent.elements();
    const parentIndent = this.indentOf(parent);
    const unit = this.indentUnit();
    const ref = siblings[siblings.length - 1];
    const childIndent = ref ? this.indentOf(ref) || parentIndent + unit : parentIndent + unit;
    const body = fragment
      .trim()
      .split(/\r?\n/)
      .map((l, i) => (i === 0 ? l : childIndent + l))
      .join(nl);

    let at: number;
    let insertText: string;
    let fragStart: number;
    if (opts.before) {
      if (opts.before.parent !== parent) throw new XmlEditError('`before` is not a child of the parent');
      at = opts.before.start;
      insertText = `${body}${nl}${this.indentOf(opts.before) || childIndent}`;
      fragStart = at;
    } else if (opts.after ?? ref) {
      const after = (opts.after ?? ref)!;
      if (after.parent !== parent) throw new XmlEditError('`after` is not a child of the parent');
      at = after.end;
      insertText = `${nl}${this.indentOf(after) || childIndent}${body}`;
      fragStart = at + insertText.length - body.length;
    } else if (parent.selfClosing) {
      let slash = parent.openEnd - 2;
      while (/\s/.test(this._text[slash - 1]!)) slash--;
      const repl = `>${nl}${childIndent}${body}${nl}${parentIndent}</${parent.name}>`;
      const start = parent.start;
      this.splice(slash, parent.openEnd, repl);
      parent.start = start;
      parent.selfClosing = false;
      parent.openEnd = slash + 1;
      parent.closeStart = slash + repl.length - parent.name.length - 3;
      parent.end = slash + repl.length;
      const nodes = this.graft(parent, parent.openEnd, parent.closeStart);
      return nodes;
    } else {
      // No element children: replace whitespace-only content, keep other content (text, comments).
      const onlyWs = parent.children.every((c) => c.kind === 'text' && this._text.slice(c.start, c.end).trim() === '');
      if (onlyWs) {
        const s = parent.openEnd;
        const repl = `${nl}${childIndent}${body}${nl}${parentIndent}`;
        this.splice(s, parent.closeStart, repl);
        parent.openEnd = s;
        parent.closeStart = s + repl.length;
        parent.children = [];
        return this.graft(parent, s, parent.closeStart);
      }
      at = parent.closeStart;
      insertText = `${nl}${childIndent}${body}${nl}${parentIndent}`;
      fragStart = at + nl.length + childIndent.length;
    }
    this.splice(at, at, insertText);
    const fragEnd = fragStart + body.length;
    const newNodes = parseNodes(this._text.slice(0, fragEnd), fragStart, parent);
    const idx = opts.before ? parent.children.indexOf(opts.before) : this.childIndexAfter(parent, at);
    parent.children.splice(idx, 0, ...newNodes);
    this.reindexTexts(parent);
    return newNodes.filter((n): n is XmlElement => n.kind === 'element');
  }

  /**
   * Where a new child goes when the caller did not say: after the last sibling that comes
   * earlier in `childOrder` for this parent (libvirt's own output order), else at the end.
   */
  private orderedPosition(parent: XmlElement, fragment: string): InsertOptions {
    const order = this.childOrder.get(parent.name);
    const name = /^\s*<([^\s/>]+)/.exec(fragment)?.[1];
    if (!order || name === undefined) return {};
    const rank = order.indexOf(name);
    if (rank < 0) return {};
    let after: XmlElement | undefined;
    let firstLater: XmlElement | undefined;
    for (const c of parent.elements()) {
      const r = order.indexOf(c.name);
      if (r >= 0 && r <= rank) after = c;
      else if (r > rank && !firstLater && !after) firstLater = c;
    }
    if (after) return { after };
    if (firstLater) return { before: firstLater };
    return {};
  }

  private childIndexAfter(parent: XmlElement, at: number): number {
    const i = parent.children.findIndex((c) => c.start >= at && c.end > at);
    return i < 0 ? parent.children.length : i;
  }

  /** Re-tokenises the text nodes of `parent` so whitespace around inserted children is exact. */
  private reindexTexts(parent: XmlElement): void {
    const kept = parent.children.filter((c) => c.kind !== 'text').sort((a, b) => a.start - b.start);
    const out: XmlNode[] = [];
    let pos = parent.openEnd;
    for (const c of kept) {
      if (c.start > pos) out.push({ kind: 'text', start: pos, end: c.start });
      out.push(c);
      pos = c.end;
    }
    if (parent.closeStart > pos) out.push({ kind: 'text', start: pos, end: parent.closeStart });
    parent.children = out;
  }

  private graft(parent: XmlElement, s: number, e: number): XmlElement[] {
    parent.children = parseNodes(this._text.slice(0, e), s, parent);
    return parent.elements();
  }

  /** Replaces an element by a fragment; returns the new elements. */
  replaceElement(el: XmlElement, fragment: string): XmlElement[] {
    this.assertAttached(el);
    const nl = this.eol;
    const parent = el.parent;
    if (!parent) throw new XmlEditError('cannot replace the root element');
    const indent = this.indentOf(el);
    const body = fragment
      .trim()
      .split(/\r?\n/)
      .map((l, i) => (i === 0 ? l : indent + l))
      .join(nl);
    const s = el.start;
    const idx = parent.children.indexOf(el);
    parent.children.splice(idx, 1);
    el.parent = undefined;
    this.splice(s, el.end, body);
    const nodes = parseNodes(this._text.slice(0, s + body.length), s, parent);
    parent.children.splice(idx, 0, ...nodes);
    this.reindexTexts(parent);
    return nodes.filter((n): n is XmlElement => n.kind === 'element');
  }

  /**
   * Returns the child `name` of `parent`, creating it (and its missing ancestors along `path`)
   * as empty self-closing elements when absent.
   */
  ensurePath(parent: XmlElement, path: readonly string[]): XmlElement {
    let el = parent;
    for (const step of path) {
      el = el.child(step) ?? this.insertElement(el, `<${step}/>`)[0]!;
    }
    return el;
  }

  /** Removes `el` and then every ancestor up to (not including) `stop` left with no content. */
  removeElementAndEmptyAncestors(el: XmlElement, stop: XmlElement): void {
    let cur: XmlElement | undefined = el;
    while (cur && cur !== stop) {
      const parent: XmlElement | undefined = cur.parent;
      this.removeElement(cur);
      if (!parent || parent === stop || parent.attributes.length > 0 || parent.elements().length > 0 || this.textContent(parent).trim() !== '') break;
      cur = parent;
    }
  }
}
