// A small read-only element tree over fast-xml-parser's ordered output, for the resource XML
// libvirt returns (pools, volumes, networks, node devices, domain device lists), and the escaping
// used when building such XML. Domain XML editing lives in ../xml; this is only for reading facts.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text content directly inside this element, trimmed. */
  readonly text: string;
}

/** Thrown when libvirt (or a test) hands over XML that cannot be read. */
export class ResourceXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceXmlError';
  }

  static is(e: unknown): e is ResourceXmlError {
    return e instanceof ResourceXmlError;
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(node: Record<string, unknown>): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (name === undefined || name.startsWith('?')) return undefined;
  const attrs: Record<string, string> = {};
  const rawAttrs = node[':@'];
  if (isRecord(rawAttrs)) for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
  const children: XmlElement[] = [];
  let text = '';
  const body = node[name];
  if (Array.isArray(body)) {
    for (const c of body) {
      if (!isRecord(c)) continue;
      if ('#text' in c) text += String(c['#text']);
      else {
        const el = convert(c);
        if (el) children.push(el);
      }
    }
  }
  return { name, attrs, children, text: text.trim() };
}

/** Parses a document and returns its root element. */
export function parseXmlElement(xml: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ResourceXmlError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let parsed: unknown;
  try {
    parsed = parser.parse(xml);
  } catch (e) {
    throw new ResourceXmlError(`malformed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (Array.isArray(parsed)) {
    for (const n of parsed) {
      if (!isRecord(n)) continue;
      const el = convert(n);
      if (el) return el;
    }
  }
  throw new ResourceXmlError('XML has no root element');
}

/** The first child with this name, following a path like `source/host`. */
export function child(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el;
  for (const part of path.split('/')) {
    if (!cur) return undefined;
    cur = cur.children.find((c) => c.name === part);
  }
  return cur;
}

/** All children with this name (of the element reached by the path's parent part). */
export function children(el: XmlElement | undefined, path: string): XmlElement[] {
  const parts = path.split('/');
  const last = parts.pop() ?? '';
  const parent = parts.length > 0 ? child(el, parts.join('/')) : el;
  return parent ? parent.children.filter((c) => c.name === last) : [];
}

/** Text of the element at `path`, or undefined when absent or empty. */
export function textOf(el: XmlElement | undefined, path: string): string | undefined {
  const t = child(el, path)?.text;
  return t === undefined || t === '' ? undefined : t;
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  return el?.attrs[name];
}

/** Every descendant element with this name, depth first. */
export function descendants(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** Escapes text or an attribute value (double-quoted) for XML. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Builds `name="value"` pairs, skipping undefined values. */
export function attrs(pairs: Record<string, string | number | undefined>): string {
  return Object.entries(pairs)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

/** A libvirt size element (`<capacity unit='bytes'>`) in bytes; undefined when absent. */
export function bytesOf(el: XmlElement | undefined, path: string): number | undefined {
  const e = child(el, path);
  if (!e || e.text === '') return undefined;
  const n = Number(e.text);
  if (!Number.isFinite(n)) return undefined;
  return n * unitMultiplier(e.attrs['unit'] ?? 'bytes');
}

/** libvirt's scaled-integer units (formatstorage.rst "unit"): bytes, KB=1000, KiB/K=1024 ... */
export function unitMultiplier(unit: string): number {
  const u = unit.trim();
  if (u === '' || u === 'b' || u === 'bytes') return 1;
  const m = /^([kmgtpe])(i?b)?$/i.exec(u);
  if (!m) throw new ResourceXmlError(`unknown size unit ${JSON.stringify(unit)}`);
  const power = 'kmgtpe'.indexOf((m[1] ?? 'k').toLowerCase()) + 1;
  const decimal = m[2] !== undefined && m[2].toLowerCase() === 'b';
  return (decimal ? 1000 : 1024) ** power;
}
