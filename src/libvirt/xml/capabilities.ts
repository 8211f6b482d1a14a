// Parsers for libvirt's capability documents, so dialogs offer only what the host supports:
// virConnectGetDomainCapabilities (formatdomaincaps.rst) and virConnectGetCapabilities
// (formatcaps.rst). Pure functions over the XML text; the connection fetches the documents.

import type { Connection } from '../connection';
import { LibvirtError } from '../rpc/errors';
import type { DomainXml } from './domainXml';
import { XmlDocument, XmlElement } from './xmlDocument';

/** `<enum name=...><value>` lists of one element, keyed by enum name. */
export type EnumMap = Record<string, string[]>;

export interface DeviceCaps {
  supported: boolean;
  enums: EnumMap;
}

export interface CpuModel {
  name: string;
  usable: boolean;
  deprecated: boolean;
  vendor: string | undefined;
}

export interface DomainCapabilities {
  path: string | undefined;
  /** Virtualization type: kvm, qemu, ... */
  domain: string | undefined;
  /** Canonical machine type, e.g. pc-q35-7.2. */
  machine: string | undefined;
  arch: string | undefined;
  maxVcpus: number | undefined;
  iothreads: boolean;
  os: { supported: boolean; firmware: string[]; loader: { supported: boolean; paths: string[]; types: string[]; readonly: string[]; secure: string[] } };
  cpu: {
    hostPassthrough: boolean;
    maximum: boolean;
    /** `features`: the names the host-model CPU lists beyond its model (what "copy host CPU" adds). */
    hostModel: { supported: boolean; model: string | undefined; features: string[] };
    custom: { supported: boolean; models: CpuModel[] };
  };
  memoryBacking: { supported: boolean; sourceTypes: string[] };
  /** Per device element (disk, graphics, video, hostdev, rng, filesystem, tpm, redirdev, channel, crypto, interface, panic, ...). */
  devices: Record<string, DeviceCaps>;
  /** Features element -> supported (gic, vmcoreinfo, genid, sev, sgx, ...). */
  features: Record<string, boolean>;
}

export class CapabilitiesParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapabilitiesParseError';
  }
  static is(e: unknown): e is CapabilitiesParseError {
    return e instanceof CapabilitiesParseError;
  }
}

function enumsOf(doc: XmlDocument, el: XmlElement | undefined): EnumMap {
  const out: EnumMap = {};
  for (const e of el?.elements('enum') ?? []) {
    const name = e.attr('name');
    if (name !== undefined) out[name] = e.elements('value').map((v) => doc.textContent(v).trim());
  }
  return out;
}

const yes = (el: XmlElement | undefined): boolean => el?.attr('supported') === 'yes';

export function parseDomainCapabilities(xml: string): DomainCapabilities {
  const doc = XmlDocument.parse(xml);
  const root = doc.root;
  if (root.name !== 'domainCapabilities') throw new CapabilitiesParseError(`expected <domainCapabilities>, got <${root.name}>`);
  const text = (name: string): string | undefined => {
    const e = root.child(name);
    return e ? doc.textContent(e).trim() : undefined;
  };
  const osEl = root.child('os');
  const loader = osEl?.child('loader');
  const loaderEnums = enumsOf(doc, loader);
  const cpu = root.child('cpu');
  const mode = (name: string): XmlElement | undefined => cpu?.elements('mode').find((m) => m.attr('name') === name);
  const hostModel = mode('host-model');
  const custom = mode('custom');
  const devices: Record<string, DeviceCaps> = {};
  for (const d of root.child('devices')?.elements() ?? []) devices[d.name] = { supported: yes(d), enums: enumsOf(doc, d) };
  const features: Record<string, boolean> = {};
  for (const f of root.child('features')?.elements() ?? []) features[f.name] = yes(f);
  const maxVcpu = root.child('vcpu')?.attr('max');
  const mb = root.child('memoryBacking');
  return {
    path: text('path'),
    domain: text('domain'),
    machine: text('machine'),
    arch: text('arch'),
    maxVcpus: maxVcpu === undefined ? undefined : Number(maxVcpu),
    iothreads: yes(root.child('iothreads')),
    os: {
      supported: yes(osEl),
      firmware: enumsOf(doc, osEl).firmware ?? [],
      loader: {
        supported: yes(loader),
        paths: (loader?.elements('value') ?? []).map((v) => doc.textContent(v).trim()),
        types: loaderEnums.type ?? [],
        readonly: loaderEnums.readonly ?? [],
        secure: loaderEnums.secure ?? [],
      },
    },
    cpu: {
      hostPassthrough: yes(mode('host-passthrough')),
      maximum: yes(mode('maximum')),
      hostModel: {
        supported: yes(hostModel),
        model: hostModel?.child('model') ? doc.textContent(hostModel.child('model')!).trim() : undefined,
        features: (hostModel?.elements('feature') ?? []).map((f) => f.attr('name')).filter((n): n is string => n !== undefined),
      },
      custom: {
        supported: yes(custom),
        models: (custom?.elements('model') ?? []).map((m) => ({ name: doc.textContent(m).trim(), usable: m.attr('usable') === 'yes', deprecated: m.attr('deprecated') === 'yes', vendor: m.attr('vendor') })),
      },
    },
    memoryBacking: { supported: yes(mb), sourceTypes: enumsOf(doc, mb).sourceType ?? [] },
    devices,
    features,
  };
}

/** Values of one device enum, e.g. deviceEnum(caps, 'disk', 'bus'); [] when unknown. */
export function deviceEnum(caps: DomainCapabilities, device: string, name: string): string[] {
  const d = caps.devices[device];
  return d?.supported ? (d.enums[name] ?? []) : [];
}

/** Typed shortcuts for the choices the details pages and Add Hardware dialog offer. */
export function hardwareChoices(caps: DomainCapabilities): {
  diskDevices: string[];
  diskBuses: string[];
  graphicsTypes: string[];
  videoModels: string[];
  hostdevSubsysTypes: string[];
  tpmModels: string[];
  tpmBackends: string[];
  tpmVersions: string[];
  rngBackends: string[];
  filesystemDrivers: string[];
  redirdevBuses: string[];
  channelTypes: string[];
  usableCpuModels: string[];
  firmware: string[];
} {
  return {
    diskDevices: deviceEnum(caps, 'disk', 'diskDevice'),
    diskBuses: deviceEnum(caps, 'disk', 'bus'),
    graphicsTypes: deviceEnum(caps, 'graphics', 'type'),
    videoModels: deviceEnum(caps, 'video', 'modelType'),
    hostdevSubsysTypes: deviceEnum(caps, 'hostdev', 'subsysType'),
    tpmModels: deviceEnum(caps, 'tpm', 'model'),
    tpmBackends: deviceEnum(caps, 'tpm', 'backendModel'),
    tpmVersions: deviceEnum(caps, 'tpm', 'backendVersion'),
    rngBackends: deviceEnum(caps, 'rng', 'backendModel'),
    filesystemDrivers: deviceEnum(caps, 'filesystem', 'driverType'),
    redirdevBuses: deviceEnum(caps, 'redirdev', 'bus'),
    channelTypes: deviceEnum(caps, 'channel', 'type'),
    usableCpuModels: caps.cpu.custom.models.filter((m) => m.usable).map((m) => m.name),
    firmware: caps.os.firmware,
  };
}

export interface GuestMachine {
  name: string;
  /** Canonical name when this one is an alias (pc -> pc-i440fx-7.2). */
  canonical: string | undefined;
  maxCpus: number | undefined;
  deprecated: boolean;
}

export interface GuestCapabilities {
  osType: string;
  arch: string;
  wordsize: number | undefined;
  emulator: string | undefined;
  machines: GuestMachine[];
  /** Domain types for this arch (qemu, kvm) with their own extra machines. */
  domains: { type: string; emulator: string | undefined; machines: GuestMachine[] }[];
}

export interface HostCapabilities {
  hostArch: string | undefined;
  hostCpuModel: string | undefined;
  guests: GuestCapabilities[];
  /**
   * Huge pages reserved on the host, in KiB, summed over its NUMA cells and page sizes larger than
   * the base page (`<host><topology><cells><cell><pages size='2048' unit='KiB'>COUNT</pages>`);
   * 0 when none are reserved.
   */
  hugePagesKiB: number;
}

export function parseCapabilities(xml: string): HostCapabilities {
  const doc = XmlDocument.parse(xml);
  const root = doc.root;
  if (root.name !== 'capabilities') throw new CapabilitiesParseError(`expected <capabilities>, got <${root.name}>`);
  const txt = (el: XmlElement | undefined): string | undefined => (el ? doc.textContent(el).trim() : undefined);
  const machines = (parent: XmlElement): GuestMachine[] =>
    parent.elements('machine').map((m) => ({
      name: txt(m)!,
      canonical: m.attr('canonical'),
      maxCpus: m.attr('maxCpus') === undefined ? undefined : Number(m.attr('maxCpus')),
      deprecated: m.attr('deprecated') === 'yes',
    }));
  return {
    hostArch: txt(root.find(['host', 'cpu', 'arch'])),
    hostCpuModel: txt(root.find(['host', 'cpu', 'model'])),
    hugePagesKiB: hugePagesKiB(root, txt),
    guests: root.elements('guest').map((g) => {
      const arch = g.child('arch');
      return {
        osType: txt(g.child('os_type')) ?? '',
        arch: arch?.attr('name') ?? '',
        wordsize: arch?.child('wordsize') ? Number(txt(arch.child('wordsize'))) : undefined,
        emulator: txt(arch?.child('emulator')),
        machines: arch ? machines(arch) : [],
        domains: (arch?.elements('domain') ?? []).map((d) => ({ type: d.attr('type') ?? '', emulator: txt(d.child('emulator')), machines: machines(d) })),
      };
    }),
  };
}

/** The reserved huge pages of every NUMA cell: sizes above the base page (the smallest size listed). */
function hugePagesKiB(root: XmlElement, txt: (el: XmlElement | undefined) => string | undefined): number {
  const unitKiB: Record<string, number> = { KiB: 1, MiB: 1024, GiB: 1024 * 1024 };
  let total = 0;
  for (const cell of root.find(['host', 'topology', 'cells'])?.elements('cell') ?? []) {
    const pages = cell.elements('pages').map((p) => ({ sizeKiB: Number(p.attr('size') ?? 0) * (unitKiB[p.attr('unit') ?? 'KiB'] ?? 1), count: Number(txt(p) ?? 0) }));
    const base = Math.min(...pages.map((p) => p.sizeKiB));
    for (const p of pages) if (p.sizeKiB > base && Number.isFinite(p.count)) total += p.sizeKiB * p.count;
  }
  return total;
}

/**
 * The machine type libvirt gives a guest of `arch` and `domainType` whose definition names none:
 * QEMU's default machine, which libvirt moves to the front of the emulator's list
 * (src/qemu/qemu_capabilities.c, virQEMUCapsSetDefaultMachine), so the first one the capabilities
 * list for the domain type, or else for the arch. Undefined when the host runs no such guest.
 */
export function defaultMachineType(caps: HostCapabilities, arch: string, domainType = 'qemu'): string | undefined {
  const g = caps.guests.find((x) => x.arch === arch && x.osType === 'hvm');
  return (g?.domains.find((d) => d.type === domainType)?.machines[0] ?? g?.machines[0])?.name;
}

/** Machine types for an arch and domain type (arch-level list plus the domain's own). */
export function machineTypes(caps: HostCapabilities, arch: string, domainType = 'qemu'): GuestMachine[] {
  const g = caps.guests.find((x) => x.arch === arch && x.osType === 'hvm');
  if (!g) return [];
  const extra = g.domains.find((d) => d.type === domainType)?.machines ?? [];
  const seen = new Set<string>();
  return [...g.machines, ...extra].filter((m) => !seen.has(m.name) && seen.add(m.name));
}

/**
 * The domain capabilities for a domain's emulator/arch/machine/type, once per key in `cache`;
 * undefined when the host cannot say. The daemon's answer is kept, a refusal too (an unknown
 * machine type stays unknown); a call that got no answer (the connection closed or timed out) is
 * forgotten, so the next look-up asks again.
 */
export function domainCapabilities(conn: Pick<Connection, 'connectGetDomainCapabilities'>, d: DomainXml, cache: Map<string, Promise<DomainCapabilities | undefined>>): Promise<DomainCapabilities | undefined> {
  const emulator = d.get('emulator') ?? null;
  const arch = d.get('arch') ?? null;
  const machine = d.get('machine') ?? null;
  const type = d.get('type') ?? null;
  const key = JSON.stringify([emulator, arch, machine, type]);
  let p = cache.get(key);
  if (!p) {
    const asked: Promise<DomainCapabilities | undefined> = conn
      .connectGetDomainCapabilities(emulator, arch, machine, type, 0)
      .then(parseDomainCapabilities)
      .catch((e: unknown) => {
        if (!LibvirtError.is(e) && !CapabilitiesParseError.is(e) && cache.get(key) === asked) cache.delete(key);
        return undefined;
      });
    p = asked;
    cache.set(key, p);
  }
  return p;
}
