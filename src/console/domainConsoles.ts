// What a domain offers for consoles, read from its live XML: graphics displays (VNC/SPICE) and
// character devices that libvirt's DOMAIN_OPEN_CONSOLE can attach to. Element and attribute
// names: libvirt's formatdomain documentation, sections "Graphical framebuffers" and
// "Consoles, serial, parallel & channel devices". Devices are read through the domain model's
// device views (src/libvirt/xml/domainXml.ts, devices.ts).

import type { GraphicsDevice } from '../libvirt/xml/devices';
import { DomainXml } from '../libvirt/xml/domainXml';

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

export class DomainXmlError extends Error {
  override readonly name = 'DomainXmlError';
  static is(e: unknown): e is DomainXmlError {
    return e instanceof DomainXmlError;
  }
}

function vncListen(g: GraphicsDevice): VncListen | undefined {
  const port = g.get('port');
  const listens = g.element.elements('listen');
  const sockPath = listens.find((l) => l.attr('type') === 'socket')?.attr('socket') ?? g.element.attr('socket');
  if (sockPath) return { kind: 'socket', path: sockPath };
  // port -1 means "not allocated yet" (inactive domain with autoport).
  if (port === undefined || port <= 0) return undefined;
  const addrListen = listens.find((l) => l.attr('type') === 'address' || l.attr('type') === 'network');
  const address = addrListen?.attr('address') ?? g.get('listen') ?? '127.0.0.1';
  return { kind: 'address', address, port };
}

export function parseDomainConsoles(xml: string): DomainConsoles {
  let dom: DomainXml;
  try {
    dom = DomainXml.parse(xml);
  } catch (e) {
    throw new DomainXmlError(`cannot parse domain XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const vnc: VncGraphics[] = [];
  const otherGraphics: OtherGraphics[] = [];
  for (const g of dom.devicesOf('graphics')) {
    const type = g.element.attr('type') ?? '';
    if (type === 'vnc') vnc.push({ type: 'vnc', listen: vncListen(g), password: g.get('passwd') });
    else otherGraphics.push({ type });
  }
  const consoles: CharDevice[] = [];
  const seen = new Set<string>();
  for (const element of ['serial', 'console', 'parallel', 'channel'] as const) {
    for (const d of dom.devicesOf(element)) {
      const type = d.get('type');
      if (type !== 'pty') continue;
      const alias = d.get('alias');
      // <console> that mirrors serial0 carries the same alias: offer the device once.
      if (alias !== undefined) {
        if (seen.has(alias)) continue;
        seen.add(alias);
      }
      consoles.push({ element, alias, type, targetType: d.get('targetType'), port: d.get('targetPort') });
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
