// A read-only digest of a domain's XML for the tree: the hardware list virt-manager shows in its
// details sidebar, plus the OS id, disks and tags for tooltips. Element and attribute names follow
// libvirt's domain XML format (see libvirt docs/formatdomain.rst).

import { XMLParser } from 'fast-xml-parser';
import { formatKiB } from './format';

export interface HardwareSection {
  /** Stable within one domain: used in tree item ids. */
  readonly key: string;
  readonly label: string;
  readonly description: string;
  /** A codicon id. */
  readonly icon: string;
  readonly details: readonly (readonly [string, string])[];
}

export interface DiskSummary {
  readonly device: string;
  readonly target: string;
  readonly source: string;
}

export interface DomainSummary {
  readonly name: string;
  readonly title?: string;
  /** libosinfo id, e.g. http://debian.org/debian/12 */
  readonly osId?: string;
  readonly tags: readonly string[];
  readonly disks: readonly DiskSummary[];
  readonly sections: readonly HardwareSection[];
}

type XNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: false,
  isArray: (_name, jpath) => typeof jpath === 'string' && /^domain\.devices\.[^.]+$/.test(jpath),
});

function obj(v: unknown): XNode | undefined {
  if (Array.isArray(v)) return obj(v[0]);
  return typeof v === 'object' && v !== null ? (v as XNode) : undefined;
}

function list(v: unknown): XNode[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => obj(x) ?? { '#text': String(x) });
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  const o = obj(v);
  const t = o?.['#text'];
  return typeof t === 'string' || typeof t === 'number' ? String(t) : undefined;
}

function attr(node: XNode | undefined, name: string): string | undefined {
  const v = node?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

function child(node: XNode | undefined, name: string): XNode | undefined {
  return obj(node?.[name]);
}

function pairs(entries: readonly (readonly [string, string | undefined])[]): [string, string][] {
  return entries.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
}

function memoryKiB(node: XNode | undefined): number | undefined {
  const value = text(node);
  if (value === undefined) return undefined;
  const unit = (attr(node, 'unit') ?? 'KiB').toLowerCase();
  const factor: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1000000 / 1024, g: 1048576, gib: 1048576, gb: 1e9 / 1024, t: 1073741824, tib: 1073741824 };
  return Number(value) * (factor[unit] ?? 1);
}

function findOsId(metadata: XNode | undefined): string | undefined {
  if (!metadata) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.endsWith('libosinfo')) continue;
    const os = Object.entries(obj(value) ?? {}).find(([k]) => k === 'os' || k.endsWith(':os'));
    const id = os ? attr(obj(os[1]), 'id') : undefined;
    if (id) return id;
  }
  return undefined;
}

/** Tags: `<tag>` children of any `<…:tags>` element in `<metadata>`. */
function findTags(metadata: XNode | undefined): string[] {
  const tags: string[] = [];
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!(key === 'tags' || key.endsWith(':tags'))) continue;
    for (const [k, v] of Object.entries(obj(value) ?? {})) {
      if (k === 'tag' || k.endsWith(':tag')) {
        for (const t of list(v)) {
          const s = text(t);
          if (s) tags.push(s.trim());
        }
      }
    }
  }
  return tags;
}

function diskSource(src: XNode | undefined): string {
  return attr(src, 'file') ?? attr(src, 'dev') ?? (attr(src, 'pool') ? `${attr(src, 'pool')}/${attr(src, 'volume') ?? ''}` : undefined) ?? attr(src, 'name') ?? '';
}

const BUS_LABEL: Record<string, string> = { virtio: 'VirtIO', sata: 'SATA', ide: 'IDE', scsi: 'SCSI', usb: 'USB', fdc: 'Floppy', nvme: 'NVMe', xen: 'Xen' };

function overview(dom: XNode, name: string): HardwareSection {
  const os = child(dom, 'os');
  const type = child(os, 'type');
  return {
    key: 'overview',
    label: 'Overview',
    description: `${attr(dom, 'type') ?? ''} · ${attr(type, 'arch') ?? ''}`.replace(/^ · | · $/g, ''),
    icon: 'info',
    details: pairs([
      ['Name', name],
      ['Title', text(dom['title'])],
      ['UUID', text(dom['uuid'])],
      ['Hypervisor', attr(dom, 'type')],
      ['Architecture', attr(type, 'arch')],
      ['Machine', attr(type, 'machine')],
      ['Emulator', text(child(dom, 'devices')?.['emulator'])],
      ['Description', text(dom['description'])],
    ]),
  };
}

function osSection(osId: string | undefined): HardwareSection {
  return { key: 'os', label: 'OS', description: osId ? osId.replace(/^https?:\/\/[^/]+\//, '') : 'unknown', icon: 'globe', details: pairs([['libosinfo', osId]]) };
}

/** host-passthrough / host-model, or the named model of a custom CPU. */
function cpuModelText(cpu: XNode | undefined): string | undefined {
  const mode = attr(cpu, 'mode');
  if (mode && mode !== 'custom') return mode;
  return text(cpu?.['model']);
}

function cpuSection(dom: XNode): HardwareSection {
  const vcpu = child(dom, 'vcpu');
  const cpu = child(dom, 'cpu');
  const topo = child(cpu, 'topology');
  const count = text(dom['vcpu']) ?? '1';
  return {
    key: 'cpus',
    label: 'CPUs',
    description: `${attr(vcpu, 'current') ?? count} vCPU${cpuModelText(cpu) ? ` · ${cpuModelText(cpu)}` : ''}`,
    icon: 'chip',
    details: pairs([
      ['vCPUs (maximum)', count],
      ['vCPUs (current)', attr(vcpu, 'current')],
      ['CPU mode', attr(cpu, 'mode')],
      ['Model', text(cpu?.['model'])],
      ['Topology', topo ? `${attr(topo, 'sockets') ?? '?'} sockets, ${attr(topo, 'cores') ?? '?'} cores, ${attr(topo, 'threads') ?? '?'} threads` : undefined],
    ]),
  };
}

function memorySection(dom: XNode): HardwareSection {
  const max = memoryKiB(child(dom, 'memory') ?? (typeof dom['memory'] === 'string' ? { '#text': dom['memory'] } : undefined));
  const cur = memoryKiB(child(dom, 'currentMemory') ?? (typeof dom['currentMemory'] === 'string' ? { '#text': dom['currentMemory'] } : undefined));
  return {
    key: 'memory',
    label: 'Memory',
    description: formatKiB(cur ?? max ?? 0),
    icon: 'server',
    details: pairs([
      ['Current allocation', cur !== undefined ? formatKiB(cur) : undefined],
      ['Maximum allocation', max !== undefined ? formatKiB(max) : undefined],
    ]),
  };
}

function bootSection(dom: XNode): HardwareSection {
  const os = child(dom, 'os');
  const boots = list(os?.['boot']).map((b) => attr(b, 'dev')).filter((d): d is string => !!d);
  const firmware = attr(os, 'firmware') ?? (os?.['loader'] !== undefined ? 'custom loader' : 'BIOS');
  return {
    key: 'boot',
    label: 'Boot Options',
    description: `${firmware === 'efi' ? 'UEFI' : firmware}${boots.length ? ` · ${boots.join(', ')}` : ''}`,
    icon: 'rocket',
    details: pairs([
      ['Firmware', firmware],
      ['Boot order', boots.join(', ') || undefined],
      ['Boot menu', attr(child(os, 'bootmenu'), 'enable')],
    ]),
  };
}

function deviceSections(devices: XNode | undefined): HardwareSection[] {
  const out: HardwareSection[] = [];
  const each = (name: string): XNode[] => list(devices?.[name]);
  const counters = new Map<string, number>();
  const nth = (k: string): number => {
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    return n;
  };

  for (const d of each('disk')) {
    const device = attr(d, 'device') ?? 'disk';
    const target = child(d, 'target');
    const bus = attr(target, 'bus') ?? '';
    const dev = attr(target, 'dev') ?? String(nth('disk'));
    const kind = device === 'cdrom' ? 'CDROM' : device === 'floppy' ? 'Floppy' : 'Disk';
    out.push({
      key: `disk:${dev}`,
      label: `${BUS_LABEL[bus] ?? bus.toUpperCase()} ${kind} ${dev}`.trim(),
      description: diskSource(child(d, 'source')) || (device === 'cdrom' ? 'empty' : ''),
      icon: device === 'cdrom' ? 'circle-large-outline' : 'database',
      details: pairs([
        ['Device', device],
        ['Target', dev],
        ['Bus', bus],
        ['Source', diskSource(child(d, 'source'))],
        ['Format', attr(child(d, 'driver'), 'type')],
        ['Cache', attr(child(d, 'driver'), 'cache')],
        ['Read-only', d['readonly'] !== undefined ? 'yes' : undefined],
      ]),
    });
  }
  for (const n of each('interface')) {
    const mac = attr(child(n, 'mac'), 'address') ?? '';
    const src = child(n, 'source');
    const source = attr(src, 'network') ?? attr(src, 'bridge') ?? attr(src, 'dev') ?? '';
    out.push({
      key: `nic:${mac || nth('nic')}`,
      label: `NIC ${mac.slice(-9)}`.trim(),
      description: `${attr(n, 'type') ?? ''} ${source}`.trim() + (attr(child(n, 'model'), 'type') ? ` · ${attr(child(n, 'model'), 'type')}` : ''),
      icon: 'plug',
      details: pairs([
        ['Type', attr(n, 'type')],
        ['Source', source],
        ['MAC', mac],
        ['Model', attr(child(n, 'model'), 'type')],
        ['Link', attr(child(n, 'link'), 'state')],
      ]),
    });
  }
  for (const g of each('graphics')) {
    const type = attr(g, 'type') ?? '';
    out.push({
      key: `graphics:${type}:${nth('graphics')}`,
      label: `Display ${type.toUpperCase() === 'VNC' || type.toUpperCase() === 'SPICE' ? type.toUpperCase() : type}`,
      description: attr(g, 'port') && attr(g, 'port') !== '-1' ? `${attr(g, 'listen') ?? ''}:${attr(g, 'port')}` : attr(g, 'autoport') === 'yes' ? 'auto port' : '',
      icon: 'device-desktop',
      details: pairs([
        ['Type', type],
        ['Listen', attr(g, 'listen') ?? attr(child(g, 'listen'), 'address')],
        ['Port', attr(g, 'port')],
        ['Auto port', attr(g, 'autoport')],
      ]),
    });
  }
  for (const v of each('video')) {
    const model = child(v, 'model');
    out.push({ key: `video:${nth('video')}`, label: `Video ${(attr(model, 'type') ?? '').toUpperCase()}`.trim(), description: attr(model, 'vram') ? formatKiB(Number(attr(model, 'vram'))) : '', icon: 'screen-full', details: pairs([['Model', attr(model, 'type')], ['Heads', attr(model, 'heads')]]) });
  }
  for (const s of each('sound')) {
    out.push({ key: `sound:${nth('sound')}`, label: `Sound ${attr(s, 'model') ?? ''}`.trim(), description: '', icon: 'unmute', details: pairs([['Model', attr(s, 'model')]]) });
  }
  for (const i of each('input')) {
    const type = attr(i, 'type') ?? 'input';
    const label = type.charAt(0).toUpperCase() + type.slice(1);
    out.push({ key: `input:${type}:${nth(`input:${type}`)}`, label, description: attr(i, 'bus') ?? '', icon: type === 'keyboard' ? 'keyboard' : 'inspect', details: pairs([['Type', type], ['Bus', attr(i, 'bus')]]) });
  }
  for (const kind of ['serial', 'console', 'channel'] as const) {
    for (const c of each(kind)) {
      const target = child(c, 'target');
      const name = attr(target, 'name');
      const port = attr(target, 'port') ?? String(nth(kind) - 1);
      const label = kind === 'channel' ? `Channel ${name ?? attr(c, 'type') ?? ''}`.trim() : `${kind === 'serial' ? 'Serial' : 'Console'} ${Number(port) + 1}`;
      out.push({ key: `${kind}:${name ?? port}`, label, description: attr(c, 'type') ?? '', icon: 'terminal', details: pairs([['Type', attr(c, 'type')], ['Target', attr(target, 'type') ?? name]]) });
    }
  }
  for (const c of each('controller')) {
    const type = attr(c, 'type') ?? '';
    const index = attr(c, 'index') ?? '0';
    out.push({ key: `controller:${type}:${index}`, label: `Controller ${type.toUpperCase() === 'USB' || type === 'pci' ? type.toUpperCase() : type.charAt(0).toUpperCase() + type.slice(1)} ${index}`, description: attr(c, 'model') ?? '', icon: 'circuit-board', details: pairs([['Type', type], ['Index', index], ['Model', attr(c, 'model')]]) });
  }
  for (const h of each('hostdev')) {
    const src = child(h, 'source');
    const addr = child(src, 'address');
    const id = attr(child(src, 'vendor'), 'id') && attr(child(src, 'product'), 'id') ? `${attr(child(src, 'vendor'), 'id')}:${attr(child(src, 'product'), 'id')}` : addr ? Object.entries(addr).filter(([k]) => k.startsWith('@')).map(([, v]) => String(v)).join(':') : '';
    out.push({ key: `hostdev:${nth('hostdev')}`, label: `${(attr(h, 'type') ?? '').toUpperCase()} Host Device`.trim(), description: id, icon: 'plug', details: pairs([['Type', attr(h, 'type')], ['Device', id]]) });
  }
  for (const t of each('tpm')) {
    const backend = child(t, 'backend');
    out.push({ key: `tpm:${nth('tpm')}`, label: 'TPM', description: `${attr(t, 'model') ?? ''} ${attr(backend, 'version') ?? ''}`.trim(), icon: 'lock', details: pairs([['Model', attr(t, 'model')], ['Backend', attr(backend, 'type')], ['Version', attr(backend, 'version')]]) });
  }
  for (const r of each('rng')) {
    out.push({ key: `rng:${nth('rng')}`, label: 'RNG', description: text(r['backend']) ?? attr(child(r, 'backend'), 'model') ?? '', icon: 'symbol-misc', details: pairs([['Model', attr(r, 'model')], ['Backend', text(r['backend'])]]) });
  }
  for (const w of each('watchdog')) {
    out.push({ key: `watchdog:${nth('watchdog')}`, label: 'Watchdog', description: `${attr(w, 'model') ?? ''} · ${attr(w, 'action') ?? 'reset'}`, icon: 'eye', details: pairs([['Model', attr(w, 'model')], ['Action', attr(w, 'action')]]) });
  }
  return out;
}

/** Thrown when the text is not a domain XML document. */
export class DomainXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainXmlError';
  }

  static is(e: unknown): e is DomainXmlError {
    return e instanceof DomainXmlError;
  }
}

export function summarizeDomainXml(xml: string): DomainSummary {
  const root = obj(parser.parse(xml) as unknown);
  const dom = child(root, 'domain');
  if (!dom) throw new DomainXmlError('not a <domain> document');
  const name = text(dom['name']) ?? '';
  const metadata = child(dom, 'metadata');
  const osId = findOsId(metadata);
  const devices = child(dom, 'devices');
  const disks = list(devices?.['disk']).map((d) => ({
    device: attr(d, 'device') ?? 'disk',
    target: attr(child(d, 'target'), 'dev') ?? '',
    source: diskSource(child(d, 'source')),
  }));
  return {
    name,
    ...(text(dom['title']) ? { title: text(dom['title']) } : {}),
    ...(osId ? { osId } : {}),
    tags: findTags(metadata),
    disks,
    sections: [overview(dom, name), osSection(osId), cpuSection(dom), memorySection(dom), bootSection(dom), ...deviceSections(devices)],
  };
}
