// The tree's digest of a domain XML: the hardware list of virt-manager's details sidebar (labels
// and order from src/libvirt/xml/summary.ts), with a one-line description and a details table per
// entry, plus OS id, disks and tags for the tooltip.

import type { Device } from '../libvirt/xml/devices';
import { DomainXml } from '../libvirt/xml/domainXml';
import { XmlValueError } from '../libvirt/xml/fields';
import { summarizeParsed } from '../libvirt/xml/summary';
import type { XmlElement } from '../libvirt/xml/xmlDocument';
import { formatKiB } from './format';

export interface HardwareSection {
  /** Stable within one domain: used in tree item ids. */
  readonly key: string;
  /** overview, os, cpus, memory, boot, or the device kind (disk, interface…): the node's contextValue suffix. */
  readonly kind: string;
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

/** Thrown when the text is not a domain XML document. */
export class DomainXmlError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DomainXmlError';
  }

  static is(e: unknown): e is DomainXmlError {
    return e instanceof DomainXmlError;
  }
}

type Details = [string, string][];

function pairs(entries: readonly (readonly [string, string | number | boolean | undefined])[]): Details {
  return entries
    .filter((e): e is readonly [string, string | number | boolean] => e[1] !== undefined && e[1] !== '' && e[1] !== false)
    .map(([k, v]) => [k, v === true ? 'yes' : String(v)]);
}

/** Every field of a device view that has a value, as "fieldName: value". */
function allValues(d: Device): Details {
  return Object.entries(d.values() as Record<string, unknown>)
    .filter(([k]) => !k.startsWith('address') && k !== 'alias')
    .map(([k, v]) => [k, v === true ? 'yes' : String(v)]);
}

/** The issue's grouping: disks, NICs, displays, video, sound, inputs, char devices, controllers, host devices, TPM, RNG, watchdog, the rest. */
const KIND_RANK: Partial<Record<Device['kind'], number>> = {
  disk: 1, filesystem: 2, interface: 3, graphics: 4, video: 5, sound: 6, input: 7,
  serial: 8, parallel: 8, console: 8, channel: 8, controller: 9, hostdev: 10, redirdev: 10,
  smartcard: 11, tpm: 12, rng: 13, watchdog: 14, panic: 15, vsock: 15, iommu: 15,
};

function describeDevice(d: Device): { description: string; icon: string } {
  switch (d.kind) {
    case 'disk': {
      const src = d.get('sourceFile') ?? d.get('sourceDev') ?? (d.get('sourcePool') ? `${d.get('sourcePool')}/${d.get('sourceVolume') ?? ''}` : undefined) ?? d.get('sourceName') ?? '';
      const cd = d.get('device') === 'cdrom';
      return { description: src || (cd ? 'empty' : ''), icon: cd ? 'circle-large-outline' : 'database' };
    }
    case 'interface': {
      const src = d.get('sourceNetwork') ?? d.get('sourceBridge') ?? d.get('sourceDev') ?? '';
      const model = d.get('model');
      return { description: `${d.get('type') ?? ''} ${src}`.trim() + (model ? ` · ${model}` : ''), icon: 'plug' };
    }
    case 'graphics': {
      const port = d.get('port');
      const listen = d.get('listenAddress') ?? d.get('listen') ?? '';
      return { description: port !== undefined && port > 0 ? `${listen}:${port}` : d.get('autoport') ? 'auto port' : listen, icon: 'device-desktop' };
    }
    case 'video': {
      const vram = d.get('vram');
      return { description: vram ? formatKiB(vram) : '', icon: 'screen-full' };
    }
    case 'sound':
      return { description: d.get('codecType') ?? '', icon: 'unmute' };
    case 'input':
      return { description: d.get('bus') ?? '', icon: d.get('type') === 'keyboard' ? 'keyboard' : 'inspect' };
    case 'serial':
    case 'parallel':
    case 'console':
    case 'channel':
      return { description: [d.get('type'), d.get('targetType')].filter((x) => x).join(' · '), icon: 'terminal' };
    case 'controller':
      return { description: d.get('model') ?? '', icon: 'circuit-board' };
    case 'hostdev':
      return { description: d.get('managed') ? 'managed' : '', icon: 'plug' };
    case 'redirdev':
      return { description: d.get('type') ?? '', icon: 'plug' };
    case 'tpm':
      return { description: [d.get('model'), d.get('backendType')].filter((x) => x).join(' · '), icon: 'lock' };
    case 'rng':
      return { description: [d.get('model'), d.get('backendModel')].filter((x) => x).join(' · '), icon: 'symbol-misc' };
    case 'watchdog':
      return { description: `${d.get('model') ?? ''} · ${d.get('action') ?? 'reset'}`, icon: 'eye' };
    case 'filesystem':
      return { description: d.get('sourceDir') ?? '', icon: 'folder' };
    default:
      return { description: '', icon: 'symbol-misc' };
  }
}

function fixedSections(dom: DomainXml, osId: string | undefined): HardwareSection[] {
  const vcpus = dom.get('vcpus') ?? 1;
  const current = dom.get('vcpuCurrent');
  const mode = dom.get('cpuMode');
  const model = mode && mode !== 'custom' ? mode : dom.get('cpuModel');
  const sockets = dom.get('topologySockets');
  const cur = dom.currentMemoryKiB;
  const max = dom.memoryKiB;
  const firmware = dom.get('firmware') ?? (dom.get('loader') ? 'custom loader' : 'BIOS');
  const boot = dom.bootDevices.map((b) => String(b)).join(', ');
  return [
    {
      key: 'overview',
      kind: 'overview',
      label: 'Overview',
      description: [dom.get('type'), dom.get('arch')].filter((x) => x).join(' · '),
      icon: 'info',
      details: pairs([
        ['Name', dom.get('name')],
        ['Title', dom.get('title')],
        ['UUID', dom.get('uuid')],
        ['Hypervisor', dom.get('type')],
        ['Architecture', dom.get('arch')],
        ['Machine', dom.get('machine')],
        ['Emulator', dom.get('emulator')],
        ['Description', dom.get('description')],
      ]),
    },
    { key: 'os', kind: 'os', label: 'OS', description: osId ? osId.replace(/^https?:\/\/[^/]+\//, '') : 'unknown', icon: 'globe', details: pairs([['libosinfo', osId]]) },
    {
      key: 'cpus',
      kind: 'cpus',
      label: 'CPUs',
      description: `${current ?? vcpus} vCPU${model ? ` · ${model}` : ''}`,
      icon: 'chip',
      details: pairs([
        ['vCPUs (maximum)', vcpus],
        ['vCPUs (current)', current],
        ['CPU mode', mode],
        ['Model', dom.get('cpuModel')],
        ['Topology', sockets !== undefined ? `${sockets} sockets, ${dom.get('topologyCores') ?? '?'} cores, ${dom.get('topologyThreads') ?? '?'} threads` : undefined],
      ]),
    },
    {
      key: 'memory',
      kind: 'memory',
      label: 'Memory',
      description: formatKiB(cur ?? max ?? 0),
      icon: 'server',
      details: pairs([
        ['Current allocation', cur !== undefined ? formatKiB(cur) : undefined],
        ['Maximum allocation', max !== undefined ? formatKiB(max) : undefined],
      ]),
    },
    {
      key: 'boot',
      kind: 'boot',
      label: 'Boot Options',
      description: `${firmware === 'efi' ? 'UEFI' : firmware}${boot ? ` · ${boot}` : ''}`,
      icon: 'rocket',
      details: pairs([
        ['Firmware', firmware],
        ['Boot order', boot],
        ['Boot menu', dom.get('bootMenu')],
      ]),
    },
  ];
}

function elementText(dom: DomainXml, el: XmlElement): string {
  return dom.doc.text.slice(el.openEnd, el.closeStart).trim();
}

/** Tags: `<tag>` elements (at any depth) in this project's metadata element. */
function readTags(dom: DomainXml): string[] {
  const out: string[] = [];
  const walk = (el: XmlElement): void => {
    for (const c of el.elements()) {
      if (c.localName === 'tag') {
        const t = elementText(dom, c);
        if (t) out.push(t);
      } else walk(c);
    }
  };
  const app = dom.appMetadata;
  if (app) walk(app);
  return out;
}

export function summarizeDomainXml(xml: string): DomainSummary {
  let dom: DomainXml;
  try {
    dom = DomainXml.parse(xml);
  } catch (err) {
    if (XmlValueError.is(err)) throw new DomainXmlError(err.message, { cause: err });
    throw err;
  }
  const s = summarizeParsed(dom);
  const devices = dom.devices();
  const deviceSections: { rank: number; order: number; section: HardwareSection }[] = [];
  s.hardware.forEach((h, order) => {
    const m = /^device:(\d+)$/.exec(h.id);
    const d = m ? devices[Number(m[1])] : undefined;
    if (!d) return;
    const { description, icon } = describeDevice(d);
    deviceSections.push({ rank: KIND_RANK[d.kind] ?? 20, order, section: { key: h.id, kind: d.kind, label: h.label, description, icon, details: allValues(d) } });
  });
  deviceSections.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return {
    name: s.name,
    ...(s.title ? { title: s.title } : {}),
    ...(s.os ? { osId: s.os } : {}),
    tags: readTags(dom),
    disks: s.disks.map((d) => ({ device: d.device, target: d.target, source: d.source })),
    sections: [...fixedSections(dom, s.os), ...deviceSections.map((x) => x.section)],
  };
}
