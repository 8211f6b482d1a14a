// The path part of the editor's URIs: /<host>/<kind>/[<parent>/]<name>.xml[ (<view label>)].
// The first segment is the connection's name, for the breadcrumb and the Problems panel (the
// connection's id travels in the URI query, see xmlUris.ts). Object names may hold any character
// libvirt allows (quotes, spaces, unicode, even '/'), so each segment escapes '%' and '/' only;
// everything else stays readable in the tab title. A view label after ".xml" (e.g.
// "vm1.xml (live, read-only)") only names the tab. VS Code's Uri then percent-encodes the path as a
// whole when it is serialised, and decodes it back on parse.

import { XML_OBJECT_KINDS, type XmlObjectId, type XmlObjectKind } from './objectXml';

export interface XmlLocation {
  readonly connectionId: string;
  readonly object: XmlObjectId;
}

export class BadXmlPathError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`Not a libvirt XML location: ${path} (${reason})`);
    this.name = 'BadXmlPathError';
  }
  static is(e: unknown): e is BadXmlPathError {
    return e instanceof BadXmlPathError;
  }
}

export function escapeSegment(s: string): string {
  return s.replace(/%/g, '%25').replace(/\//g, '%2F');
}

export function unescapeSegment(s: string): string {
  return s.replace(/%(25|2F)/gi, (m) => (m === '%25' ? '%' : '/'));
}

function hasParent(kind: XmlObjectKind): boolean {
  return kind === 'volume' || kind === 'snapshot';
}

/**
 * The path segment that shows a connection's name: readable, never a path separator ('/' becomes
 * the look-alike U+2215), never empty or a dot segment. Only for display: not unique, not parsed.
 */
export function hostSegment(name: string): string {
  const s = name.trim().replace(/\//g, '\u2215');
  return s === '' || s === '.' || s === '..' ? 'connection' : s;
}

/** `host` is a hostSegment (or, in paths written before names were shown, a connection id). */
export function formatXmlPath(host: string, object: XmlObjectId, viewLabel?: string): string {
  const { kind, name, parent } = object;
  if (hasParent(kind) && parent === undefined) throw new BadXmlPathError(kind, `a ${kind} needs its parent`);
  const parts = [host, kind, ...(hasParent(kind) ? [parent!] : []), `${name}.xml`];
  return `/${parts.map(escapeSegment).join('/')}${viewLabel ? ` (${viewLabel})` : ''}`;
}

function isKind(s: string): s is XmlObjectKind {
  return (XML_OBJECT_KINDS as readonly string[]).includes(s);
}

export interface ParsedXmlPath {
  readonly host: string;
  readonly object: XmlObjectId;
}

/** A view label ends the file name only when the name itself does not end in ".xml". */
const VIEW_LABEL = /\.xml \([^()]*\)$/;

export function parseXmlPath(path: string): ParsedXmlPath {
  const parts = path.split('/');
  if (parts[0] !== '') throw new BadXmlPathError(path, 'not absolute');
  const [host, kind, ...rest] = parts.slice(1).map(unescapeSegment);
  if (!host) throw new BadXmlPathError(path, 'no connection');
  if (!kind || !isKind(kind)) throw new BadXmlPathError(path, `unknown kind ${kind ?? ''}`);
  if (rest.length !== (hasParent(kind) ? 2 : 1)) throw new BadXmlPathError(path, 'wrong number of segments');
  let file = rest[rest.length - 1]!;
  if (!file.endsWith('.xml') && VIEW_LABEL.test(file)) file = file.slice(0, file.lastIndexOf(' ('));
  if (!file.endsWith('.xml') || file.length === 4) throw new BadXmlPathError(path, 'the name must end in .xml');
  const name = file.slice(0, -4);
  return { host, object: hasParent(kind) ? { kind, name, parent: rest[0]! } : { kind, name } };
}
