// The path part of the editor's URIs: /<connectionId>/<kind>/[<parent>/]<name>.xml.
// Names may hold any character libvirt allows (quotes, spaces, unicode, even '/'), so each segment
// escapes '%' and '/' only; everything else stays readable in the tab title. VS Code's Uri then
// percent-encodes the path as a whole when it is serialised, and decodes it back on parse.

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

export function formatXmlPath(loc: XmlLocation): string {
  const { kind, name, parent } = loc.object;
  if (hasParent(kind) && parent === undefined) throw new BadXmlPathError(kind, `a ${kind} needs its parent`);
  const parts = [loc.connectionId, kind, ...(hasParent(kind) ? [parent!] : []), `${name}.xml`];
  return `/${parts.map(escapeSegment).join('/')}`;
}

function isKind(s: string): s is XmlObjectKind {
  return (XML_OBJECT_KINDS as readonly string[]).includes(s);
}

export function parseXmlPath(path: string): XmlLocation {
  const parts = path.split('/');
  if (parts[0] !== '') throw new BadXmlPathError(path, 'not absolute');
  const [connectionId, kind, ...rest] = parts.slice(1).map(unescapeSegment);
  if (!connectionId) throw new BadXmlPathError(path, 'no connection');
  if (!kind || !isKind(kind)) throw new BadXmlPathError(path, `unknown kind ${kind ?? ''}`);
  if (rest.length !== (hasParent(kind) ? 2 : 1)) throw new BadXmlPathError(path, 'wrong number of segments');
  const file = rest[rest.length - 1]!;
  if (!file.endsWith('.xml') || file.length === 4) throw new BadXmlPathError(path, 'the name must end in .xml');
  const name = file.slice(0, -4);
  return { connectionId, object: hasParent(kind) ? { kind, name, parent: rest[0]! } : { kind, name } };
}
