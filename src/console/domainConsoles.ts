// What a domain offers for consoles, read from its live XML: graphics displays (VNC, SPICE) and
// character devices that libvirt's DOMAIN_OPEN_CONSOLE can attach to. Element and attribute
// names: libvirt's formatdomain documentation, sections "Graphical framebuffers" and
// "Consoles, serial, parallel & channel devices". Devices are read through the domain model's
// device views (src/libvirt/xml/domainXml.ts, devices.ts).

import type { GraphicsDevice } from '../libvirt/xml/devices';
import { DomainXml } from '../libvirt/xml/domainXml';
import { addDefaultDevice } from '../libvirt/xml/kinds/access';
import { graphics } from '../libvirt/xml/kinds/graphics';
import { DomainXmlError } from '../libvirt/xml/summary';

export type VncListen =
  | { readonly kind: 'address'; readonly address: string; readonly port: number }
  | { readonly kind: 'socket'; readonly path: string };

/** The remote displays the console can show. */
export type DisplayProtocol = 'vnc' | 'spice';

/** A VNC or SPICE display of a domain. */
export interface DisplayGraphics {
  readonly type: DisplayProtocol;
  /**
   * Where the plain-text port listens; undefined while the domain is not running (autoport
   * assigns the port at start) and for a SPICE display that only has a TLS port.
   */
  readonly listen: VncListen | undefined;
  /** SPICE only: the TLS port (`tlsPort`), when the display offers TLS. */
  readonly tlsPort: number | undefined;
  /** SPICE only: where the TLS port listens (the plain port's address, port `tlsPort`). */
  readonly tlsListen: VncListen | undefined;
  /**
   * SPICE only: connect every channel to the TLS port. QEMU refuses a channel on the plain port
   * when it is secure-only (defaultMode='secure', <channel mode='secure'>), and the stream
   * crosses the network encrypted; so TLS is used whenever the display has a TLS port, except
   * when channels are insecure-only (<channel mode='insecure'>, which QEMU refuses on the TLS
   * port) and none is secure-only. A mix of both would need the channel type before choosing the
   * port (the viewer tells it only in its first message): the TLS port is used then, and QEMU
   * refuses the insecure-only channels by name.
   */
  readonly spiceTls: boolean;
  /** Only present when the XML was fetched with the secure flag. */
  readonly password: string | undefined;
  /**
   * The monitors the guest can have: the heads of every video device together (a QXL device with
   * heads='2', or a second video device, gives the guest a second monitor). The console shows
   * the first only (see docs/console.md) and says so when there are more.
   */
  readonly heads: number;
}

export interface VncGraphics extends DisplayGraphics {
  readonly type: 'vnc';
}

export interface SpiceGraphics extends DisplayGraphics {
  readonly type: 'spice';
}

export interface OtherGraphics {
  readonly type: string; // 'rdp', 'sdl', 'egl-headless', 'dbus'...
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
  /** VNC and SPICE displays in document order: the console shows the first (as virt-manager does). */
  readonly displays: readonly (VncGraphics | SpiceGraphics)[];
  readonly vnc: readonly VncGraphics[];
  readonly spice: readonly SpiceGraphics[];
  /** Graphics the console cannot show (neither VNC nor SPICE). */
  readonly otherGraphics: readonly OtherGraphics[];
  /** Character devices DOMAIN_OPEN_CONSOLE can open (type pty), serial first. */
  readonly consoles: readonly CharDevice[];
}

function vncListen(g: GraphicsDevice, port = g.get('port')): VncListen | undefined {
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
    throw new DomainXmlError(`cannot parse domain XML: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const displays: (VncGraphics | SpiceGraphics)[] = [];
  const otherGraphics: OtherGraphics[] = [];
  const heads = Math.max(
    1,
    dom
      .devicesOf('video')
      .filter((v) => v.get('model') !== 'none')
      .reduce((n, v) => n + (v.get('heads') ?? 1), 0),
  );
  for (const g of dom.devicesOf('graphics')) {
    const type = g.element.attr('type') ?? '';
    const tlsPort = g.get('tlsPort');
    const common = { listen: vncListen(g), password: g.get('passwd'), heads };
    if (type === 'vnc') displays.push({ type: 'vnc', ...common, tlsPort: undefined, tlsListen: undefined, spiceTls: false });
    else if (type === 'spice') {
      const tls = tlsPort !== undefined && tlsPort > 0 ? tlsPort : undefined;
      const tlsListen = tls === undefined ? undefined : vncListen(g, tls);
      const modes = g.element.elements('channel').map((c) => c.attr('mode'));
      const insecureOnly = modes.includes('insecure') && !modes.includes('secure') && g.element.attr('defaultMode') !== 'secure';
      const spiceTls = tlsListen !== undefined && (common.listen === undefined || !insecureOnly);
      displays.push({ type: 'spice', ...common, tlsPort: tls, tlsListen, spiceTls });
    } else otherGraphics.push({ type });
  }
  const vnc = displays.filter((d): d is VncGraphics => d.type === 'vnc');
  const spice = displays.filter((d): d is SpiceGraphics => d.type === 'spice');
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
  return { displays, vnc, spice, otherGraphics, consoles };
}

/**
 * The domain XML with a VNC display added to <devices>: a new graphics device with its kind's
 * defaults (VNC, automatic port, listening on 127.0.0.1), built through the document model like
 * every new device (src/libvirt/xml/kinds/graphics.ts). libvirt refuses to attach a graphics
 * device, live or to the configuration ("persistent attach of device 'graphics' is not
 * supported"), so the display is added by defining the edited inactive XML.
 */
export function withVncDisplay(inactiveXml: string): string {
  if (parseDomainConsoles(inactiveXml).displays.length > 0) return inactiveXml;
  const dom = DomainXml.parse(inactiveXml);
  if (!dom.devicesElement) throw new DomainXmlError('the domain XML has no <devices> element');
  addDefaultDevice(dom, graphics);
  return dom.toString();
}

/** A label for a quick pick, e.g. "serial0 (isa-serial, port 0)". */
export function describeCharDevice(d: CharDevice): string {
  const detail = [d.targetType, d.port !== undefined ? `port ${d.port}` : undefined].filter(Boolean).join(', ');
  return `${d.alias ?? d.element}${detail ? ` (${detail})` : ''}`;
}
