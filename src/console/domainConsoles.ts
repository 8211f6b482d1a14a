// What a domain offers for consoles, read from its live XML: graphics displays (VNC/SPICE) and
// character devices that libvirt's DOMAIN_OPEN_CONSOLE can attach to. Element and attribute
// names: libvirt's formatdomain documentation, sections "Graphical framebuffers" and
// "Consoles, serial, parallel & channel devices".

import { XMLParser } from 'fast-xml-parser';

export type VncListen =
  | { readonly kind: 'address'; readonly address: string; readonly port: number }
  | { readonly kind: 'socket'; readonly path: string };

export interface VncGraphics {
  readonly type: 'vnc';
  /** undefined while the domain is not running (autoport assigns the port at start). */
  readonly listen: VncListen | undefined;
  /** Only present when the XML was fetched with the secure flag. */
  readonly password: string | undefined;
}

export interface OtherGraphics {
  readonly type: string; // 'spice', 'rdp', 'sdl', 'egl-headless', 'dbus'...
}

export interface CharDevice {
  /** 'serial' | 'console' | 'parallel' | 'channel' */
  readonly element: string;
  /** The alias libvirt uses as devname for DOMAIN_OPEN_CONSOLE, e.g. "serial0", "console1". */
  readonly alias: string | undefined;
  readonly type: string; // pty, file, tcp...
  readonly targetType: string | undefined;
  readonly port: number | undefined;
}

export interface DomainConsoles {
  readonly vnc: readonly VncGraphics[];
  readonly otherGraphics: readonly OtherGraphics[];
  /** Character devices DOMAIN_OPEN_CONSOLE can open (type pty), serial first. */
  readonly consoles: readonly CharDevice[];
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => ['graphics', 'listen', 'serial', 'console', 'parallel', 'channel'].includes(name),
});

function node(v: unknown): XmlNode | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as XmlNode) : undefined;
}

function nodes(v: unknown): XmlNode[] {
  return Array.isArray(v) ? v.map(node).filter((n): n is XmlNode => n !== undefined) : [];
}

function attr(n: XmlNode | undefined, name: string): string | undefined {
  const v = n?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

function intAttr(n: XmlNode | undefined, name: string): number | undefined {
  const s = attr(n, name);
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

export class DomainXmlError extends Error {
  override readonly name = 'DomainXmlError';
  static is(e: unknown): e is DomainXmlError {
    return e instanceof DomainXmlError;
  }
}

function vncListen(g: XmlNode): VncListen | undefined {
  const port = intAttr(g, 'port');
  const listens = nodes(g['listen']);
  const sock = listens.find((l) => attr(l, 'type') === 'socket');
  const sockPath = attr(sock, 'socket') ?? attr(g, 'socket');
  if (sockPath) return { kind: 'socket', path: sockPath };
  // port -1 means "not allocated yet" (inactive domain with autoport).
  if (port === undefined || port <= 0) return undefined;
  const addrListen = listens.find((l) => attr(l, 'type') === 'address' || attr(l, 'type') === 'network');
  const address = attr(addrListen, 'address') ?? attr(g, 'listen') ?? '127.0.0.1';
  return { kind: 'address', address, port };
}

export function parseDomainConsoles(xml: string): DomainConsoles {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (e) {
    throw new DomainXmlError(`cannot parse domain XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const domain = node(doc['domain']);
  if (!domain) throw new DomainXmlError('not a domain XML document (no <domain> root)');
  const devices = node(domain['devices']) ?? {};
  const vnc: VncGraphics[] = [];
  const otherGraphics: OtherGraphics[] = [];
  for (const g of nodes(devices['graphics'])) {
    const type = attr(g, 'type') ?? '';
    if (type === 'vnc') vnc.push({ type: 'vnc', listen: vncListen(g), password: attr(g, 'passwd') });
    else otherGraphics.push({ type });
  }
  const consoles: CharDevice[] = [];
  const seen = new Set<string>();
  for (const element of ['serial', 'console', 'parallel', 'channel']) {
    for (const d of nodes(devices[element])) {
      const type = attr(d, 'type') ?? '';
      if (type !== 'pty') continue;
      const alias = attr(node(d['alias']), 'name');
      // <console> that mirrors serial0 carries the same alias: offer the device once.
      if (alias !== undefined) {
        if (seen.has(alias)) continue;
        seen.add(alias);
      }
      const target = node(d['target']);
      consoles.push({ element, alias, type, targetType: attr(target, 'type'), port: intAttr(target, 'port') });
    }
  }
  return { vnc, otherGraphics, consoles };
}

/** A VNC display on the loopback interface. */
export function vncGraphicsDeviceXml(): string {
  return "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>";
}

/**
 * The domain XML with a VNC display added to <devices>. libvirt refuses to attach a graphics
 * device, live or to the configuration ("persistent attach of device 'graphics' is not
 * supported"), so the display is added by defining the edited inactive XML.
 */
export function withVncDisplay(inactiveXml: string): string {
  if (parseDomainConsoles(inactiveXml).vnc.length > 0) return inactiveXml;
  const end = inactiveXml.lastIndexOf('</devices>');
  if (end < 0) throw new DomainXmlError('the domain XML has no <devices> element');
  // Keep libvirt's indentation: the closing tag sits on its own line.
  const lineStart = inactiveXml.lastIndexOf('\n', end) + 1;
  const indent = /^[ \t]*$/.test(inactiveXml.slice(lineStart, end)) ? inactiveXml.slice(lineStart, end) : '';
  return `${inactiveXml.slice(0, end)}  ${vncGraphicsDeviceXml()}\n${indent}${inactiveXml.slice(end)}`;
}

/** A label for a quick pick, e.g. "serial0 (isa-serial, port 0)". */
export function describeCharDevice(d: CharDevice): string {
  const detail = [d.targetType, d.port !== undefined ? `port ${d.port}` : undefined].filter(Boolean).join(', ');
  return `${d.alias ?? d.element}${detail ? ` (${detail})` : ''}`;
}
