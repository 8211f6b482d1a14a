// A small typed view over fast-xml-parser's `preserveOrder` tree, enough for the few edits the
// VM commands make to a domain XML (rename, drop <uuid>/<mac>, point a disk at a new path).
// The order of elements, attributes, comments and unknown elements is kept (see
// fast-xml-parser's docs on preserveOrder). The project's domain XML model under
// src/libvirt/xml/ is the place for richer editing; this stays a minimal helper.

import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** One node of the preserveOrder tree: `{ tag: XmlNode[], ':@'?: attrs }` or `{ '#text': s }`. */
export type XmlNode = Record<string, unknown>;

const ATTRS = ':@';
const TEXT = '#text';
const COMMENT = '#comment';
const CDATA = '#cdata';
const PREFIX = '@_';

const options = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: PREFIX,
  commentPropName: COMMENT,
  cdataPropName: CDATA,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  suppressEmptyNode: true,
  format: false,
} as const;

export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }

  static is(e: unknown): e is XmlFormatError {
    return e instanceof XmlFormatError;
  }
}

function isNodeArray(v: unknown): v is XmlNode[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
}

export function parseXml(xml: string): XmlNode[] {
  const parsed: unknown = new XMLParser(options).parse(xml);
  if (!isNodeArray(parsed)) throw new XmlFormatError('Unexpected XML parser output');
  return parsed;
}

export function buildXml(nodes: XmlNode[]): string {
  const out: unknown = new XMLBuilder(options).build(nodes);
  if (typeof out !== 'string') throw new XmlFormatError('Unexpected XML builder output');
  return out;
}

/** The element name of a node, or undefined for text/comment/cdata nodes. */
export function tagOf(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ATTRS && key !== TEXT && key !== COMMENT && key !== CDATA && key !== '?xml') return key;
  }
  return undefined;
}

export function childrenOf(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  if (tag === undefined) return [];
  const kids = node[tag];
  return isNodeArray(kids) ? kids : [];
}

export function childElements(node: XmlNode, tag: string): XmlNode[] {
  return childrenOf(node).filter((c) => tagOf(c) === tag);
}

export function firstChild(node: XmlNode, tag: string): XmlNode | undefined {
  return childrenOf(node).find((c) => tagOf(c) === tag);
}

/** The single root element of a parsed document. */
export function rootElement(doc: XmlNode[], expected: string): XmlNode {
  const root = doc.find((n) => tagOf(n) !== undefined && tagOf(n) !== '?xml');
  if (!root || tagOf(root) !== expected) {
    throw new XmlFormatError(`Expected a <${expected}> document, got <${root ? tagOf(root) : 'nothing'}>`);
  }
  return root;
}

function attrMap(node: XmlNode): Record<string, unknown> | undefined {
  const a = node[ATTRS];
  return typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : undefined;
}

/** An attribute's value with the predefined entities decoded. */
export function getAttr(node: XmlNode, name: string): string | undefined {
  const v = attrMap(node)?.[PREFIX + name];
  return typeof v === 'string' ? unescapeXml(v) : undefined;
}

/** Sets an attribute from a plain value (escaped here; the builder writes double quotes). */
export function setAttr(node: XmlNode, name: string, value: string): void {
  const escaped = escapeXmlText(value).replace(/"/g, '&quot;');
  const existing = attrMap(node);
  if (existing) existing[PREFIX + name] = escaped;
  else node[ATTRS] = { [PREFIX + name]: escaped };
}

export function clearAttrs(node: XmlNode): void {
  delete node[':@'];
}

export function hasAttrs(node: XmlNode): boolean {
  const a = attrMap(node);
  return a !== undefined && Object.keys(a).length > 0;
}

/** The concatenated text children of an element, entities decoded. */
export function textOf(node: XmlNode): string {
  return unescapeXml(
    childrenOf(node)
      .map((c) => (typeof c[TEXT] === 'string' ? c[TEXT] : ''))
      .join(''),
  );
}

/** Replaces an element's children with one text node holding the plain `text` (escaped here). */
export function setText(node: XmlNode, text: string): void {
  const tag = tagOf(node);
  if (tag === undefined) throw new XmlFormatError('Cannot set the text of a non-element node');
  node[tag] = text === '' ? [] : [{ [TEXT]: escapeXmlText(text) }];
}

/** Removes the child elements named `tag`; returns how many were removed. */
export function removeChildren(node: XmlNode, tag: string): number {
  const kids = childrenOf(node);
  const keep = kids.filter((c) => tagOf(c) !== tag);
  const name = tagOf(node);
  if (name !== undefined) node[name] = keep;
  return kids.length - keep.length;
}

export function removeChild(node: XmlNode, child: XmlNode): void {
  const name = tagOf(node);
  if (name !== undefined) node[name] = childrenOf(node).filter((c) => c !== child);
}

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Undoes the five predefined entities (the parser runs with processEntities off). */
export function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
