// The New VM wizard's model (vscode-free): its steps as form sections over one set of values, the
// defaults the chosen OS and install method suggest, the checks of each step, and the request
// createVm carries out. The host's facts (pools and volumes, networks, firmware, memory, names in
// use, osinfo-db) are read once per wizard by newVmFacts.ts.
//
// Decisions for the default path (Linux from an ISO): the method and the ISO are the user's; the
// OS is detected from the ISO (else picked); memory, vCPUs, disk size, firmware, VirtIO and TPM
// follow the OS (osinfo-db's recommended resources, capped by the host); the disk is a new qcow2 in
// the pool the ISO is in (else the first active pool); the NIC is on "default" when it exists;
// the name comes from the OS. So the default path is: method, ISO, (confirm the OS), name, Create.

import type { CloudInitSpec } from '../libvirt/cloudInit/seed';
import { checkSeed } from '../libvirt/cloudInit/seed';
import type { OsinstallCatalog } from '../libvirt/osinfoMedia';
import type { CreateVmRequest } from './createVm';
import type { FieldOption, FieldProblem, FormField, FormSection, FormValue } from './formSchema';
import { iface } from '../libvirt/xml/kinds/interface';
import { sectionDescription } from '../libvirt/xml/kinds/domain';
import type { FieldDescription } from '../libvirt/xml/kinds/types';
import { checkPlan, type NewVmCpu, type NewVmFirmware, type NewVmPlan } from './newDomain';

export interface HostVolume {
  readonly pool: string;
  readonly name: string;
  readonly capacity: number;
  /** 'iso' when the name says so (the ISO volume id is read on choice). */
  readonly format?: string;
}

/** A virtual network as the wizard shows it: state, mode, and what it offers a network boot. */
export interface WizardNetwork {
  readonly name: string;
  readonly active: boolean;
  /** "nat · virbr0 · 192.168.122.0/24" (networkSummary). */
  readonly summary?: string;
  /** Its dnsmasq answers DHCP; undefined when the network's XML could not be read. */
  readonly dhcp?: boolean;
  /** It serves files by TFTP (`<tftp root>`), or names a boot file (`<bootp file>`), for PXE. */
  readonly tftp?: boolean;
  readonly bootp?: boolean;
}

export interface NewVmFacts {
  readonly pools: readonly { readonly name: string; readonly active: boolean; readonly availableBytes: number }[];
  readonly volumes: readonly HostVolume[];
  readonly networks: readonly WizardNetwork[];
  /** The host's bridges and the NICs macvtap can sit on (absent: the fields are free text). */
  readonly bridges?: readonly FieldOption[];
  readonly hostNics?: readonly FieldOption[];
  /** CPU modes and usable named models the domain capabilities offer (absent: the default mode only). */
  readonly cpuModes?: readonly FieldOption[];
  readonly cpuModels?: readonly FieldOption[];
  readonly hostMemoryMiB: number;
  readonly hostCpus: number;
  readonly virtType: 'kvm' | 'qemu';
  readonly uefi: boolean;
  readonly secureBoot: boolean;
  readonly tpm: boolean;
  readonly names: readonly string[];
  /** osinfo-db's OS list (as field options) and install facts; absent: fallback profiles. */
  readonly osOptions?: readonly FieldOption[];
  readonly install?: OsinstallCatalog;
}

export type WizardValues = Readonly<Record<string, FormValue>>;

export const METHODS = ['iso', 'url', 'import', 'cloud', 'pxe', 'manual'] as const;
export type InstallMethod = (typeof METHODS)[number];

/** Profiles for hosts without osinfo-db (and for OSes it does not list). */
export const FALLBACK_OS: readonly (FieldOption & { readonly memoryMiB: number; readonly diskGiB: number; readonly virtio: boolean; readonly firmware: NewVmFirmware })[] = [
  { value: 'generic-linux', label: 'Generic Linux', memoryMiB: 2048, diskGiB: 20, virtio: true, firmware: 'efi' },
  { value: 'http://microsoft.com/win/11', label: 'Microsoft Windows 11', memoryMiB: 4096, diskGiB: 64, virtio: false, firmware: 'efi-secure' },
  { value: 'http://microsoft.com/win/10', label: 'Microsoft Windows 10', memoryMiB: 4096, diskGiB: 64, virtio: false, firmware: 'efi' },
  { value: 'generic-legacy', label: 'Legacy OS (BIOS, no VirtIO)', memoryMiB: 1024, diskGiB: 16, virtio: false, firmware: 'bios' },
];

const GiB = 1024 ** 3;
const volKey = (v: { pool: string; name: string }): string => `${v.pool}/${v.name}`;
const fromKey = (k: FormValue): { pool: string; volume: string } | undefined => {
  const s = typeof k === 'string' ? k : '';
  const i = s.indexOf('/');
  return i > 0 ? { pool: s.slice(0, i), volume: s.slice(i + 1) } : undefined;
};
const str = (v: FormValue): string => (v === undefined ? '' : String(v));
const num = (v: FormValue): number => (typeof v === 'number' ? v : Number(v));
const isIso = (v: HostVolume): boolean => v.format === 'iso' || /\.iso$/i.test(v.name);
const isDiskImage = (v: HostVolume): boolean => !isIso(v) && v.format !== 'dir';
/** An imported image used as the base of a new copy-on-write disk (not as the disk itself). */
const isOverlayImport = (values: WizardValues): boolean => values['method'] === 'import' && values['importMode'] === 'overlay';
/** An imported image copied in full into a new disk (independent of the image afterwards). */
const isCopyImport = (values: WizardValues): boolean => values['method'] === 'import' && values['importMode'] === 'copy';
/** An imported image that starts a new disk (an overlay or a copy), beside it and as large as it. */
const importsIntoNewDisk = (values: WizardValues): boolean => isOverlayImport(values) || isCopyImport(values);
/** The new disk is a full copy of the image it starts from (an import's or a cloud image's), not an overlay backed by it. */
const copiesImage = (values: WizardValues): boolean => isCopyImport(values) || (values['method'] === 'cloud' && values['cloudDiskMode'] === 'copy');


/** What the chosen OS suggests (osinfo-db's recommended resources, capped by the host). */
export function osProfile(facts: NewVmFacts, os: string): { memoryMiB: number; vcpus: number; diskGiB: number; virtio: boolean; firmware: NewVmFirmware; tpm: boolean } {
  const fb = FALLBACK_OS.find((o) => o.value === os);
  const win11 = /^http:\/\/microsoft\.com\/win\/11/.test(os);
  const windows = /^http:\/\/microsoft\.com\/win\//.test(os);
  let memoryMiB = fb?.memoryMiB ?? 2048;
  let diskGiB = fb?.diskGiB ?? 20;
  let vcpus = 2;
  let virtio = fb?.virtio ?? !windows;
  if (facts.install?.get(os)) {
    const rec = facts.install.resources(os, 'recommended', 'x86_64') ?? facts.install.resources(os, 'minimum', 'x86_64');
    if (rec?.ramBytes) memoryMiB = Math.round(rec.ramBytes / 1024 / 1024);
    if (rec?.storageBytes) diskGiB = Math.ceil(rec.storageBytes / GiB);
    if (rec?.cpus) vcpus = rec.cpus;
    virtio = facts.install.supportsVirtio(os);
  }
  const firmware: NewVmFirmware = win11 ? (facts.secureBoot ? 'efi-secure' : 'efi') : (fb?.firmware ?? (facts.uefi ? 'efi' : 'bios'));
  return {
    memoryMiB: Math.max(256, Math.min(memoryMiB, Math.floor(facts.hostMemoryMiB / 2))),
    vcpus: Math.max(1, Math.min(vcpus, facts.hostCpus)),
    diskGiB,
    virtio,
    firmware: firmware !== 'bios' && !facts.uefi ? 'bios' : firmware === 'efi-secure' && !facts.secureBoot ? 'efi' : firmware,
    tpm: win11 && facts.tpm,
  };
}

/** The CPU mode a new VM gets unless the user picks another: the host CPU under KVM; every feature QEMU emulates under TCG (it cannot pass the host CPU through). */
export function defaultCpuMode(facts: NewVmFacts): string {
  const want = facts.virtType === 'kvm' ? 'host-passthrough' : 'maximum';
  const offered = facts.cpuModes;
  return !offered || offered.length === 0 || offered.some((o) => o.value === want) ? want : offered[0]!.value;
}

/** A free VM name from a base ("debian11", "debian11-2", …). */
export function freeName(facts: NewVmFacts, base: string): string {
  const clean = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'vm';
  if (!facts.names.includes(clean)) return clean;
  for (let i = 2; ; i++) if (!facts.names.includes(`${clean}-${i}`)) return `${clean}-${i}`;
}

/** The values a wizard starts with. */
export function initialValues(facts: NewVmFacts): Record<string, FormValue> {
  const pool = facts.pools.find((p) => p.active)?.name;
  const net = facts.networks.find((n) => n.name === 'default') ?? facts.networks.find((n) => n.active) ?? facts.networks[0];
  const p = osProfile(facts, 'generic-linux');
  return {
    method: 'iso',
    os: 'generic-linux',
    memory: p.memoryMiB,
    vcpus: p.vcpus,
    diskMode: 'new',
    importMode: 'use',
    cloudDiskMode: 'overlay',
    diskPool: pool,
    mediaPool: pool,
    diskSizeGiB: p.diskGiB,
    diskFormat: 'qcow2',
    network: net ? `network:${net.name}` : 'none',
    // macvtap's "bridge" mode: VMs on the same NIC reach each other (libvirt's default, vepa, needs a switch that reflects).
    netMode: 'bridge',
    cpuMode: defaultCpuMode(facts),
    cpuTopology: false,
    firmware: p.firmware,
    tpm: p.tpm,
    ciUser: 'user',
    ciNetwork: 'dhcp',
    name: freeName(facts, 'vm'),
    start: true,
    customize: false,
  };
}

/**
 * The suggestions after a change of OS (or detection from the media): memory, vCPUs, disk size,
 * firmware, TPM and name, except for fields the user has set themselves (`touched`).
 */
export function suggest(facts: NewVmFacts, values: WizardValues, touched: ReadonlySet<string>): Record<string, FormValue> {
  const os = str(values['os']);
  const p = osProfile(facts, os);
  const short = facts.osOptions?.find((o) => o.value === os)?.label.match(/\(([^)]+)\)$/)?.[1] ?? (os.startsWith('generic') ? 'vm' : os.replace(/^https?:\/\/[^/]+\//, '').replace(/\//g, ''));
  const out: Record<string, FormValue> = { memory: p.memoryMiB, vcpus: p.vcpus, diskSizeGiB: p.diskGiB, firmware: p.firmware, tpm: p.tpm, name: freeName(facts, short) };
  // A disk in the pool of the install media, when the user did not choose one.
  const media = fromKey(values['method'] === 'iso' ? values['media'] : undefined);
  if (media && facts.pools.some((x) => x.name === media.pool && x.active)) out['diskPool'] = media.pool;
  return Object.fromEntries(Object.entries(out).filter(([k]) => !touched.has(k)));
}

const opt = (value: string, label: string, detail?: string): FieldOption => ({ value, label, ...(detail ? { detail } : {}) });
/** A wizard field; every one explains itself (shown under it, as its hover and to screen readers). */
function field(id: string, label: string, widget: FormField['widget'], help: string, extra: Partial<FormField> = {}): FormField {
  return { id, label, widget, apply: 'next-boot', help, ...extra };
}
const methodIs = (...m: InstallMethod[]): FormField['when'] => ({ field: 'method', in: m });
const size = (b: number): string => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : b >= 1024 * 1024 ? `${Math.round(b / 1024 / 1024)} MiB` : `${Math.max(1, Math.round(b / 1024))} KiB`);
const FIRMWARE_LABEL: Record<string, string> = { bios: 'BIOS', efi: 'UEFI', 'efi-secure': 'UEFI with Secure Boot' };

/** A wizard field labelled and explained by a device kind's or section's description (one wording for the wizard, Add Hardware and the details). */
function described(from: readonly FieldDescription[], sourceId: string, id: string, extra: Partial<FormField> = {}): FormField {
  const f = from.find((x) => x.id === sourceId);
  if (!f) throw new Error(`no field ${sourceId}`);
  const options = f.options ? { options: f.options } : {};
  return field(id, f.label, f.widget, f.help, { ...options, ...(f.min !== undefined ? { min: f.min } : {}), ...extra });
}
const CPU_FIELDS = (): readonly FieldDescription[] => sectionDescription('cpus')?.fields ?? [];
const NIC_TYPE_LABEL = (type: string): string => iface.add?.overrides?.['type']?.options?.find((o) => o.value === type)?.label ?? type;

/** "active · nat · virbr0 · 192.168.122.0/24 · DHCP · PXE (TFTP)" for a network's option. */
function networkDetail(n: WizardNetwork): string {
  const pxe = n.tftp ? 'PXE boot files (TFTP)' : n.bootp ? 'PXE boot file from another server' : undefined;
  return [n.active ? 'active' : 'inactive (start it first)', n.summary, n.dhcp === undefined ? undefined : n.dhcp ? 'DHCP' : 'no DHCP', pxe].filter((x): x is string => x !== undefined && x !== '').join(' · ');
}

/** The product of the topology fields, or undefined while one is not a whole number ≥ 1. */
function topologyOf(values: WizardValues): { sockets: number; cores: number; threads: number } | undefined {
  const parts = [num(values['cpuSockets']), num(values['cpuCores']), num(values['cpuThreads'])];
  if (!parts.every((x) => Number.isInteger(x) && x >= 1)) return undefined;
  return { sockets: parts[0]!, cores: parts[1]!, threads: parts[2]! };
}

/**
 * Values that follow from a change: turning on the manual topology starts it at one socket per
 * vCPU (libvirt's own default shape), leaving fields the user already set; macvtap and bridge
 * start on a host NIC or bridge.
 */
export function follow(facts: NewVmFacts, values: WizardValues, changed: string): Record<string, FormValue> {
  // A NIC on macvtap or a bridge starts on the host's first NIC, or first bridge no virtual network owns.
  if (changed === 'network' && values['network'] === 'direct' && str(values['netDev']) === '' && facts.hostNics?.[0]) return { netDev: facts.hostNics[0].value };
  if (changed === 'network' && values['network'] === 'bridge' && str(values['netBridge']) === '') {
    const own = facts.bridges?.find((b) => !/bridge of network/.test(b.detail ?? ''));
    return own ? { netBridge: own.value } : {};
  }
  if (changed !== 'cpuTopology' || values['cpuTopology'] !== true) return {};
  const out: Record<string, FormValue> = {};
  if (!(num(values['cpuSockets']) >= 1)) out['cpuSockets'] = num(values['vcpus']) >= 1 ? num(values['vcpus']) : 1;
  if (!(num(values['cpuCores']) >= 1)) out['cpuCores'] = 1;
  if (!(num(values['cpuThreads']) >= 1)) out['cpuThreads'] = 1;
  return out;
}

/** The steps, each a form section over the same values. */
export function wizardSteps(facts: NewVmFacts, values: WizardValues, detected?: string): FormSection[] {
  const isos = facts.volumes.filter(isIso).map((v) => opt(volKey(v), v.name, `${v.pool} · ${size(v.capacity)}`));
  const images = facts.volumes.filter(isDiskImage).map((v) => opt(volKey(v), v.name, `${v.pool} · ${size(v.capacity)}${v.format ? ` · ${v.format}` : ''}`));
  const pools = facts.pools.filter((p) => p.active).map((p) => opt(p.name, p.name, `${size(p.availableBytes)} free`));
  const networks = [
    ...facts.networks.map((n) => opt(`network:${n.name}`, n.name, `virtual network · ${networkDetail(n)}`)),
    opt('bridge', NIC_TYPE_LABEL('bridge'), 'a bridge on the host (br0): the VM is on the host\'s LAN'),
    opt('direct', NIC_TYPE_LABEL('direct'), 'macvtap on a host NIC: the VM is on its LAN, but cannot reach the host itself'),
    opt('none', 'No network'),
  ];
  const nicFields = iface.fields;
  const cpuModes = facts.cpuModes && facts.cpuModes.length > 0 ? facts.cpuModes : [opt(defaultCpuMode(facts), defaultCpuMode(facts))];
  const osOptions = [...FALLBACK_OS.map((o) => opt(o.value, o.label)), ...(facts.osOptions ?? [])];
  const firmware = [opt('bios', 'BIOS'), ...(facts.uefi ? [opt('efi', 'UEFI')] : []), ...(facts.secureBoot ? [opt('efi-secure', 'UEFI with Secure Boot')] : [])];
  const method = values['method'] as InstallMethod | undefined;
  const steps: FormSection[] = [
    {
      id: 'method',
      title: 'Install method',
      icon: 'rocket',
      description: 'How the operating system gets onto the VM.',
      fields: [
        field('method', 'Install from', 'select', 'Where the operating system comes from: an installer ISO (a volume on the host or a file on this computer), an install tree on the network, a disk that already has one, a cloud image set up by cloud-init on first boot, or the network.', {
          options: [opt('iso', 'Local install media (ISO)'), opt('url', 'Network install (HTTP, HTTPS or FTP install tree)'), opt('import', 'Import an existing disk image'), opt('cloud', 'Cloud image with cloud-init'), opt('pxe', 'Network boot (PXE)'), opt('manual', 'Manual install (no media)')],
          required: true,
        }),
        field(
          'media',
          'ISO image',
          'select',
          isos.length === 0 ? 'No ISO volumes in the active pools: browse for an ISO file on this computer to upload it.' : 'The installer, attached as a CD-ROM the VM boots from: a volume on the host, or an ISO file on this computer (uploaded into the pool below). The OS is recognised from it.',
          { options: [...isos, opt('path', 'A path on the host…', 'an ISO file on the host, in no pool (checked through the storage API)')], when: methodIs('iso'), required: true, action: { id: 'browseIso', label: 'Browse local ISO…', icon: 'folder-opened' } },
        ),
        field('isoPath', 'ISO path on the host', 'text', "The installer ISO's absolute path on the host. It is checked there through libvirt (the file exists and is an ISO image; its OS is recognised); the CD-ROM then uses the file itself.", {
          when: { all: [{ field: 'method', equals: 'iso' }, { field: 'media', equals: 'path' }] },
          required: true,
          placeholder: '/var/lib/libvirt/images/debian-12.iso',
        }),
        field('url', 'Install tree URL', 'text', 'A tree with a .treeinfo (Fedora, RHEL, openSUSE…) or a Debian/Ubuntu installer directory, over http://, https:// or anonymous ftp:// (FTP and HTTP are not encrypted). Its kernel and initrd boot the installer once, then are removed.', {
          when: methodIs('url'),
          required: true,
          placeholder: 'http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/',
        }),
        field('extraArgs', 'Kernel arguments', 'text', "Added to the installer's command line (console=ttyS0 shows it on the serial console).", { when: methodIs('url'), placeholder: 'console=ttyS0' }),
        field('mediaPool', 'Pool for uploads', 'select', "Where an ISO or a disk image from this computer, or a network install's kernel and initrd, are stored on the host.", { options: pools, when: methodIs('iso', 'url', 'import'), required: true }),
        field('importVolume', 'Disk image', 'select', 'The disk image the VM boots: a volume on the host, or a qcow2 or raw image file on this computer (uploaded into the pool above); the volume itself, or a new disk that starts from it (below).', {
          options: images,
          when: methodIs('import'),
          required: true,
          action: { id: 'uploadImage', label: 'Upload disk image…', icon: 'cloud-upload' },
        }),
        field('importMode', 'Use the image as', 'select', "The volume itself becomes the VM's disk; or a new copy-on-write disk starts from it (as templates do), leaving the image unchanged for other VMs, which must then keep it; or it is copied into a new disk the VM owns alone (this takes the time of the copy).", {
          options: [opt('use', "The VM's disk (not a copy)"), opt('overlay', 'The base of a new copy-on-write disk'), opt('copy', 'Copied into a new disk (independent of the image)')],
          when: methodIs('import'),
        }),
        field('cloudImage', 'Cloud image', 'select', 'The new disk starts from this image; the image is not changed.', { options: images, when: methodIs('cloud'), required: true }),
        field('cloudDiskMode', 'New disk', 'select', 'A copy-on-write disk backed by the image is made at once, but the image must stay while the VM exists; a full copy takes the time of copying it, and the VM no longer depends on the image.', {
          options: [opt('overlay', 'Copy-on-write, backed by the image'), opt('copy', 'A full copy of the image')],
          when: methodIs('cloud'),
        }),
      ],
      values,
      removable: false,
    },
    {
      id: 'os',
      title: 'Operating system',
      icon: 'globe',
      description: detected ? `Detected from the media: ${facts.osOptions?.find((o) => o.value === detected)?.label ?? detected}.` : 'Its defaults set memory, CPUs, disk size, firmware and drivers.',
      fields: [field('os', 'Operating system', 'select', "The guest's OS (libosinfo): it chooses the recommended memory, CPUs, disk size, firmware and virtio devices. Type to search.", { options: osOptions, allowCustom: true, required: true })],
      values,
      removable: false,
    },
    {
      id: 'resources',
      title: 'Memory and CPUs',
      icon: 'server',
      description: `The host has ${Math.round(facts.hostMemoryMiB / 1024)} GiB of memory and ${facts.hostCpus} CPUs.`,
      fields: [
        field('memory', 'Memory', 'size', 'Memory the VM is given at boot (<memory> and <currentMemory>); it cannot exceed the host\'s.', { unit: 'MiB', min: 64, max: facts.hostMemoryMiB, required: true }),
        field('vcpus', 'vCPUs', 'number', 'Virtual CPUs the guest sees (<vcpu>); more than the host has only slows it down.', { min: 1, max: facts.hostCpus, required: true }),
        described(CPU_FIELDS(), 'cpuMode', 'cpuMode', { widget: 'select', options: cpuModes, required: true, help: `${CPU_FIELDS().find((f) => f.id === 'cpuMode')?.help ?? ''} Only the modes this host's domain capabilities offer are listed.` }),
        described(CPU_FIELDS(), 'cpuModel', 'cpuModel', { widget: 'select', allowCustom: true, options: facts.cpuModels ?? [], when: { field: 'cpuMode', equals: 'custom' }, required: true }),
        field('cpuTopology', 'Set the CPU topology by hand', 'checkbox', 'Sockets, cores and threads as the guest sees them (some OSes and licences count sockets); otherwise libvirt gives one socket per vCPU.'),
        described(CPU_FIELDS(), 'topologySockets', 'cpuSockets', { help: 'Sockets × cores × threads must equal the vCPUs.', when: { field: 'cpuTopology', equals: true }, required: true }),
        described(CPU_FIELDS(), 'topologyCores', 'cpuCores', { help: 'Cores per socket; sockets × cores × threads must equal the vCPUs.', when: { field: 'cpuTopology', equals: true }, required: true }),
        described(CPU_FIELDS(), 'topologyThreads', 'cpuThreads', { help: 'Threads per core; sockets × cores × threads must equal the vCPUs.', when: { field: 'cpuTopology', equals: true }, required: true }),
      ],
      values,
      removable: false,
    },
    {
      id: 'storage',
      title: 'Storage',
      icon: 'database',
      fields:
        method === 'import'
          ? []
          : [
              field('diskMode', 'Disk', 'select', 'Whether the VM gets a new disk volume, uses a volume that exists (installed onto, not copied), or has none (a network-booted or diskless VM).', {
                options: method === 'cloud' ? [opt('new', 'A new disk from the cloud image')] : [opt('new', 'Create a new disk'), opt('existing', 'An existing volume'), opt('none', 'No disk')],
              }),
              field('diskVolume', 'Volume', 'select', "The volume the VM installs onto and boots from (its format is the volume's own); it is used as it is, not copied.", { options: images, when: { field: 'diskMode', equals: 'existing' }, required: true }),
              field('diskPool', 'Storage pool', 'select', 'The active storage pool the new volume is created in (its free space is shown).', { options: pools, when: { field: 'diskMode', equals: 'new' }, required: true }),
              field('diskSizeGiB', 'Size', 'number', 'The size the guest sees; a qcow2 volume takes host space only as the guest writes.', { unit: 'GiB', min: 1, max: 65536, when: { field: 'diskMode', equals: 'new' }, required: true }),
              field('diskFormat', 'Format', 'select', 'qcow2 grows as it is used and supports internal snapshots; raw is allocated in full when created (so it needs that much free space) and is slightly faster.', { options: [opt('qcow2', 'qcow2 (thin, snapshots)'), opt('raw', 'raw (fastest)')], when: { all: [{ field: 'diskMode', equals: 'new' }, { not: { field: 'method', equals: 'cloud' } }] } }),
            ],
      values,
      removable: false,
    },
    {
      id: 'network',
      title: 'Network and firmware',
      icon: 'globe',
      fields: [
        field('network', 'Network', 'select', "Where the VM's network card is connected: a libvirt virtual network (its mode, DHCP and PXE boot files shown), a bridge on the host, or a host NIC through macvtap.", { options: networks }),
        described(nicFields, 'sourceBridge', 'netBridge', { widget: 'select', allowCustom: true, options: facts.bridges ?? [], when: { field: 'network', equals: 'bridge' }, required: true, placeholder: 'br0' }),
        described(nicFields, 'sourceDev', 'netDev', { widget: 'select', allowCustom: true, options: facts.hostNics ?? [], when: { field: 'network', equals: 'direct' }, required: true, placeholder: 'eth0' }),
        described(nicFields, 'sourceMode', 'netMode', { widget: 'select', when: { field: 'network', equals: 'direct' }, required: true }),
        field('firmware', 'Firmware', 'select', facts.uefi ? 'BIOS (SeaBIOS) or UEFI (OVMF); UEFI with Secure Boot for guests that require it (Windows 11).' : 'UEFI is not offered: the host has no UEFI firmware (OVMF) for QEMU.', { options: firmware }),
        field('tpm', 'TPM 2.0 (emulated)', 'checkbox', facts.tpm ? 'An emulated TPM 2.0 chip (swtpm): Windows 11 needs it; it needs UEFI.' : 'Not offered: the host has no TPM emulator (swtpm).'),
      ],
      values,
      removable: false,
    },
  ];
  if (method === 'cloud') {
    steps.push({
      id: 'cloudinit',
      title: 'cloud-init',
      icon: 'cloud',
      description: 'First-boot settings for the cloud image (a NoCloud seed attached as a CD-ROM).',
      fields: [
        field('ciHostname', 'Host name', 'text', "The guest's host name, set by cloud-init on first boot.", { placeholder: 'defaults to the VM name' }),
        field('ciUser', 'User', 'text', 'The account cloud-init creates, with sudo rights.', { required: true }),
        field('ciPassword', 'Password', 'password', "The user's password, hashed (SHA-512) before it leaves VS Code; leave empty to log in with a key only."),
        field('ciKeys', 'SSH public keys', 'textarea', 'One OpenSSH public key per line, allowed to log in as the user.', { action: { id: 'pickSshKeys', label: 'Add from ~/.ssh…', icon: 'key' } }),
        field('ciNetwork', 'Network setup', 'select', "How the guest's network card gets its address: DHCP from the network, or a fixed address (written as cloud-init network-config for the card's MAC).", {
          options: [opt('dhcp', 'DHCP'), opt('static', 'Static address')],
        }),
        field('ciAddress', 'Address', 'text', 'The fixed IPv4 or IPv6 address with its prefix length.', { when: { field: 'ciNetwork', equals: 'static' }, required: true, placeholder: '192.168.122.50/24' }),
        field('ciGateway', 'Gateway', 'text', 'The default route (optional).', { when: { field: 'ciNetwork', equals: 'static' }, placeholder: '192.168.122.1' }),
        field('ciDns', 'DNS servers', 'text', 'Name servers, separated by spaces or commas (optional).', { when: { field: 'ciNetwork', equals: 'static' }, placeholder: '192.168.122.1' }),
        field('ciPackages', 'Packages', 'text', "Packages cloud-init installs at first boot with the guest's package manager, separated by spaces or commas.", { placeholder: 'htop nginx' }),
        field('ciCommands', 'Commands', 'textarea', 'Shell commands run once at the end of the first boot (runcmd), one per line.'),
        field('ciUserData', 'More cloud-config (YAML)', 'textarea', 'Any other cloud-config (packages, files, commands), merged over the settings above.'),
        field('ciDetachSeed', 'Detach the seed after the first boot', 'checkbox', "Once the VM has started, its saved configuration no longer has the seed CD-ROM and the seed volume is deleted (the running VM keeps the copy it opened, so cloud-init still reads it on this boot). Later boots see no cidata disk, and no copy of the settings (the password hash) stays in the pool. With Customize before install, this happens at Begin Installation."),
      ],
      values,
      removable: false,
    });
  }
  steps.push({
    id: 'summary',
    title: 'Name and create',
    icon: 'check',
    description: summaryText(facts, values),
    fields: [
      field('name', 'Name', 'text', 'The VM\'s name on this host (unique; letters, digits, "-", "_" and "." are safest).', { required: true }),
      field('customize', 'Customize configuration before install', 'checkbox', 'Define the VM without starting it and open its details, with Begin Installation.'),
      field('start', 'Start the VM after creating it', 'checkbox', 'Starts the VM and opens its console once it is defined.', { when: { all: [{ not: { field: 'customize', equals: true } }, { not: { field: 'method', equals: 'url' } }] } }),
    ],
    values,
    removable: false,
  });
  return steps;
}

function summaryText(facts: NewVmFacts, v: WizardValues): string {
  const os = FALLBACK_OS.find((o) => o.value === v['os'])?.label ?? facts.osOptions?.find((o) => o.value === v['os'])?.label ?? str(v['os']);
  const disk = isOverlayImport(v) ? `a new copy-on-write disk from ${str(v['importVolume'])}` : isCopyImport(v) ? `a new disk copied from ${str(v['importVolume'])}` : v['method'] === 'import' ? `disk ${str(v['importVolume'])}` : v['diskMode'] === 'new' ? `a new ${str(v['diskSizeGiB'])} GiB disk in ${str(v['diskPool'])}` : v['diskMode'] === 'existing' ? `disk ${str(v['diskVolume'])}` : 'no disk';
  const net = v['network'] === 'bridge' ? `bridge ${str(v['netBridge'])}` : v['network'] === 'direct' ? `macvtap on ${str(v['netDev'])} (${str(v['netMode']) || 'bridge'})` : str(v['network']).replace(/^network:/, 'network ');
  const topo = v['cpuTopology'] === true ? ` (${str(v['cpuSockets'])} sockets × ${str(v['cpuCores'])} cores × ${str(v['cpuThreads'])} threads)` : '';
  const cpu = v['cpuMode'] === 'custom' ? str(v['cpuModel']) : str(v['cpuMode']);
  return `${os}, ${str(v['memory'])} MiB, ${str(v['vcpus'])} vCPUs${topo}${cpu ? `, CPU ${cpu}` : ''}, ${disk}, ${net}, ${FIRMWARE_LABEL[str(v['firmware'])] ?? str(v['firmware'])}${v['tpm'] === true ? ', TPM 2.0' : ''}.`;
}

const words = (v: FormValue): string[] => str(v).split(/[\s,]+/).filter((w) => w !== '');

/** The cloud-init step's fields as the seed's spec (without the NIC's MAC, known once the plan is). */
export function cloudSpec(values: WizardValues, name: string): Omit<CloudInitSpec, 'mac'> {
  const keys = str(values['ciKeys']).split('\n').map((k) => k.trim()).filter((k) => k !== '');
  const password = str(values['ciPassword']);
  return {
    instanceId: name,
    hostname: str(values['ciHostname']) || name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63),
    user: { name: str(values['ciUser']), sshKeys: keys, sudo: true, ...(password ? { password } : {}) },
    network: values['ciNetwork'] === 'static' ? { mode: 'static', address: str(values['ciAddress']).trim(), ...(str(values['ciGateway']).trim() !== '' ? { gateway: str(values['ciGateway']).trim() } : {}), dns: words(values['ciDns']) } : { mode: 'dhcp' },
    packages: words(values['ciPackages']),
    commands: str(values['ciCommands']).split('\n').map((c) => c.trim()).filter((c) => c !== ''),
    ...(str(values['ciUserData']).trim() !== '' ? { userData: str(values['ciUserData']) } : {}),
  };
}

/** What a template adds to the wizard's answers: hardware the wizard does not ask for, and its name (kept in the VM's metadata). */
export interface WizardExtras {
  readonly devices?: readonly string[];
  readonly template?: string;
}

/** The plan and volumes the values describe. */
export function toRequest(facts: NewVmFacts, values: WizardValues, extras?: WizardExtras): CreateVmRequest {
  const method = values['method'] as InstallMethod;
  const os = str(values['os']);
  const profile = osProfile(facts, os);
  const name = str(values['name']);
  const net = str(values['network']);
  const topology = values['cpuTopology'] === true ? topologyOf(values) : undefined;
  const cpuMode = str(values['cpuMode']) || defaultCpuMode(facts);
  // The default mode is left to the plan, which picks it by the domain type it is defined with.
  const cpu: NewVmCpu = { ...(cpuMode !== defaultCpuMode(facts) ? { mode: cpuMode } : {}), ...(cpuMode === 'custom' ? { model: str(values['cpuModel']) } : {}), ...(topology ? { topology } : {}) };
  const existing = method !== 'import' && method !== 'cloud' && values['diskMode'] === 'existing' ? fromKey(values['diskVolume']) : undefined;
  const network: NewVmPlan['network'] =
    net.startsWith('network:') ? { type: 'network', name: net.slice('network:'.length) }
    : net === 'bridge' ? { type: 'bridge', name: str(values['netBridge']).trim() }
    : net === 'direct' ? { type: 'direct', dev: str(values['netDev']).trim(), mode: (str(values['netMode']) || 'bridge') as 'bridge' | 'vepa' | 'private' | 'passthrough' }
    : { type: 'none' };
  const plan: NewVmPlan = {
    name,
    memoryMiB: num(values['memory']),
    vcpus: num(values['vcpus']),
    type: facts.virtType,
    firmware: (str(values['firmware']) || 'bios') as NewVmFirmware,
    ...(os.startsWith('http') ? { osinfoId: os } : {}),
    virtio: profile.virtio,
    cpu,
    network,
    tpm: values['tpm'] === true,
    boot: method === 'iso' ? 'cdrom' : method === 'pxe' ? 'network' : 'disk',
    ...(method === 'iso' && fromKey(values['media']) ? { cdrom: fromKey(values['media'])! } : {}),
    ...(method === 'iso' && values['media'] === 'path' && str(values['isoPath']).trim() !== '' ? { cdrom: { path: str(values['isoPath']).trim() } } : {}),
    ...(existing ? { disk: { ...existing, format: facts.volumes.find((v) => v.pool === existing.pool && v.name === existing.volume)?.format ?? 'qcow2' } } : {}),
    ...(method === 'import' && !importsIntoNewDisk(values) && fromKey(values['importVolume']) ? { disk: { ...fromKey(values['importVolume'])!, format: facts.volumes.find((v) => volKey(v) === values['importVolume'])?.format ?? 'qcow2' } } : {}),
  };
  const fromImport = importsIntoNewDisk(values);
  const wantsDisk = fromImport || (method !== 'import' && values['diskMode'] === 'new');
  const base = method === 'cloud' ? fromKey(values['cloudImage']) : fromImport ? fromKey(values['importVolume']) : undefined;
  const baseVol = base ? facts.volumes.find((v) => v.pool === base.pool && v.name === base.volume) : undefined;
  return {
    plan: { ...plan, ...(extras?.devices && extras.devices.length > 0 ? { extraDevices: extras.devices } : {}), ...(extras?.template !== undefined ? { template: extras.template } : {}) },
    ...(wantsDisk
      ? {
          newDisk: {
            // An imported image's new disk (overlay or copy) lives beside the image, as large as it.
            pool: fromImport && base ? base.pool : str(values['diskPool']),
            capacityBytes: fromImport ? (baseVol?.capacity ?? 0) : Math.round(num(values['diskSizeGiB']) * GiB),
            format: method === 'cloud' || fromImport ? 'qcow2' : (str(values['diskFormat']) as 'qcow2' | 'raw') || 'qcow2',
            ...(base ? (copiesImage(values) ? { copyOf: base } : { backing: { pool: base.pool, volume: base.volume, format: baseVol?.format ?? 'qcow2' } }) : {}),
          },
        }
      : {}),
    ...(method === 'cloud' ? { cloudInit: cloudSpec(values, name), ...(values['ciDetachSeed'] === true ? { detachSeed: true } : {}) } : {}),
    // A network install's definition only boots the installer once: it starts now, or at Begin Installation.
    start: values['customize'] !== true && (method === 'url' || values['start'] === true),
  };
}

/** Every problem, on its step and field. Nothing is created while any error remains. */
export function wizardProblems(facts: NewVmFacts, values: WizardValues): FieldProblem[] {
  const out: FieldProblem[] = [];
  const p = (section: string, field: string, message: string, severity: 'error' | 'warning' = 'error'): void => void out.push({ section, field, message, severity });
  const method = values['method'] as InstallMethod | undefined;
  if (!method || !METHODS.includes(method)) p('method', 'method', 'Choose how to install');
  if (method === 'iso' && !fromKey(values['media']) && values['media'] !== 'path') p('method', 'media', 'Choose the ISO image to install from');
  if (method === 'iso' && values['media'] === 'path' && str(values['isoPath']).trim() === '') p('method', 'isoPath', "Enter the ISO's path on the host");
  if (method === 'import' && !fromKey(values['importVolume'])) p('method', 'importVolume', 'Choose the disk image to import');
  if (method === 'url' && str(values['url']).trim() === '') p('method', 'url', 'Enter the URL of an install tree');
  if (method === 'url' && !facts.pools.some((x) => x.name === values['mediaPool'] && x.active)) p('method', 'mediaPool', 'Choose an active pool for the installer kernel and initrd');
  if (method === 'cloud' && !fromKey(values['cloudImage'])) p('method', 'cloudImage', 'Choose the cloud image');
  if (str(values['os']) === '') p('os', 'os', 'Choose the operating system');
  const mem = num(values['memory']);
  if (Number.isFinite(mem) && mem > facts.hostMemoryMiB * 0.9) p('resources', 'memory', `More than 90% of the host's ${facts.hostMemoryMiB} MiB`, 'warning');
  if (values['cpuMode'] === 'custom' && str(values['cpuModel']).trim() === '') p('resources', 'cpuModel', 'Choose the CPU model');
  if (values['cpuTopology'] === true) {
    const t = topologyOf(values);
    const vcpus = num(values['vcpus']);
    if (!t) p('resources', 'cpuSockets', 'Sockets, cores and threads must each be a whole number of at least 1');
    else if (t.sockets * t.cores * t.threads !== vcpus) p('resources', 'cpuSockets', `${t.sockets} sockets × ${t.cores} cores × ${t.threads} threads = ${t.sockets * t.cores * t.threads} CPUs, but the VM has ${vcpus} vCPUs: they must be equal`);
  }
  if (method !== 'import' && method !== 'cloud' && values['diskMode'] === 'existing') {
    const v = fromKey(values['diskVolume']);
    if (!v) p('storage', 'diskVolume', 'Choose the volume the VM installs onto');
    else if (method === 'iso' && values['media'] === values['diskVolume']) p('storage', 'diskVolume', 'The disk cannot be the install ISO');
  }
  const wantsDisk = method !== 'import' && values['diskMode'] === 'new';
  if (wantsDisk) {
    const pool = facts.pools.find((x) => x.name === values['diskPool']);
    if (!pool) p('storage', 'diskPool', 'Choose an active storage pool');
    const bytes = num(values['diskSizeGiB']) * GiB;
    if (!(bytes > 0)) p('storage', 'diskSizeGiB', 'The size must be at least 1 GiB');
    // A raw disk is allocated in full when created (createVm preallocates it): it must fit. A qcow2
    // (or a cloud image's overlay) takes space as the guest writes, so a larger one may still be wanted.
    else if (pool && bytes > pool.availableBytes && values['diskFormat'] === 'raw' && method !== 'cloud') p('storage', 'diskSizeGiB', `A raw disk is allocated in full, and pool ${pool.name} has only ${size(pool.availableBytes)} free: choose a smaller size, qcow2, or another pool`);
    else if (pool && bytes > pool.availableBytes) p('storage', 'diskSizeGiB', `Pool ${pool.name} has ${size(pool.availableBytes)} free: the disk is thin, but could fill the pool`, 'warning');
    const name = str(values['name']);
    const volName = `${name}.${values['diskFormat'] === 'raw' && method !== 'cloud' ? 'img' : 'qcow2'}`;
    if (pool && facts.volumes.some((v) => v.pool === pool.name && v.name === volName)) p('storage', 'diskPool', `Pool ${pool.name} already has a volume ${volName}: choose another name or pool`);
  }
  const base = importsIntoNewDisk(values) ? fromKey(values['importVolume']) : undefined;
  if (base && facts.volumes.some((v) => v.pool === base.pool && v.name === `${str(values['name'])}.qcow2`)) p('summary', 'name', `Pool ${base.pool} already has a volume ${str(values['name'])}.qcow2 for the new disk: choose another name`);
  if (method === 'cloud' && !wantsDisk) p('storage', 'diskMode', 'A cloud image needs a new disk');
  if (method === 'cloud' && values['ciDetachSeed'] === true && values['start'] !== true && values['customize'] !== true) p('cloudinit', 'ciDetachSeed', 'The seed is detached after the first boot the wizard starts: check "Start the VM after creating it" (or Customize, then Begin Installation), or leave the seed attached');
  if (method === 'cloud' && values['ciNetwork'] === 'static' && values['network'] === 'none') p('cloudinit', 'ciNetwork', 'A static address needs a network card: choose a network on the Network step, or DHCP');
  if (values['network'] === 'bridge') {
    const b = str(values['netBridge']).trim();
    if (b === '') p('network', 'netBridge', 'Enter the host bridge the VM is connected to');
    else if (facts.bridges && facts.bridges.length > 0 && !facts.bridges.some((o) => o.value === b)) p('network', 'netBridge', `The host has no bridge ${b} now: the VM will not start until it exists`, 'warning');
  }
  if (values['network'] === 'direct') {
    const d = str(values['netDev']).trim();
    if (d === '') p('network', 'netDev', 'Enter the host network device macvtap attaches to');
    else if (facts.hostNics && facts.hostNics.length > 0 && !facts.hostNics.some((o) => o.value === d)) p('network', 'netDev', `The host has no network device ${d} now: the VM will not start until it exists`, 'warning');
  }
  // libvirt does not start a VM's network for it: a start on an inactive one fails (and Create undoes everything).
  const chosenNet = facts.networks.find((x) => `network:${x.name}` === values['network']);
  if (chosenNet && !chosenNet.active && (values['start'] === true || method === 'url') && values['customize'] !== true) p('network', 'network', `Network ${chosenNet.name} is not running: start it first (its menu in the Networks group), or the VM cannot start`, 'warning');
  if (method === 'pxe' && str(values['network']).startsWith('network:')) {
    const n = facts.networks.find((x) => `network:${x.name}` === values['network']);
    if (n && n.dhcp === false && !n.tftp && !n.bootp) p('network', 'network', `Network ${n.name} offers neither DHCP nor TFTP: a PXE boot gets no address and no boot file there (unless another server on it answers)`, 'warning');
    else if (n && n.dhcp === false) p('network', 'network', `Network ${n.name} offers no DHCP: a PXE boot gets no address there (unless another server on it answers)`, 'warning');
    else if (n && n.dhcp === true && !n.tftp && !n.bootp) p('network', 'network', `Network ${n.name} answers DHCP but names no boot file (no <tftp> or <bootp> in its definition): a PXE boot finds nothing to load`, 'warning');
  }
  if (values['tpm'] === true && !facts.tpm) p('network', 'tpm', 'The host has no TPM emulator (swtpm)');
  if (values['tpm'] === true && values['firmware'] === 'bios') p('network', 'tpm', 'A TPM 2.0 needs UEFI firmware here (Windows 11 and Secure Boot expect it)');
  if (str(values['name']) !== '' && facts.names.includes(str(values['name']))) p('summary', 'name', `A VM named '${str(values['name'])}' already exists on this host`);
  if (method && METHODS.includes(method)) {
    const req = toRequest(facts, values);
    const stepOf: Record<string, [string, string]> = { name: ['summary', 'name'], memoryMiB: ['resources', 'memory'], vcpus: ['resources', 'vcpus'], firmware: ['network', 'firmware'], boot: ['method', 'method'], cpu: ['resources', 'cpuSockets'], network: ['network', values['network'] === 'direct' ? 'netDev' : values['network'] === 'bridge' ? 'netBridge' : 'network'] };
    // The boot device's own check is the method step's media choice above; a manual install
    // boots its disk, which is either chosen (in the plan) or made by createVm (newDisk).
    for (const x of checkPlan(req.plan).filter((c) => c.field !== 'boot' || (method === 'manual' && !req.newDisk))) {
      const [s, f] = stepOf[x.field] ?? ['summary', 'name'];
      if (!out.some((o) => o.section === s && o.field === f)) p(s, f, x.message);
    }
    if (req.cloudInit) {
      const ciField: Record<string, string> = { hostname: 'ciHostname', 'user.name': 'ciUser', 'user.password': 'ciPassword', 'user.sshKeys': 'ciKeys', userData: 'ciUserData', 'network.address': 'ciAddress', 'network.gateway': 'ciGateway', 'network.dns': 'ciDns', packages: 'ciPackages', commands: 'ciCommands' };
      // The NIC's MAC a static address is matched by is chosen by createVm.
      for (const x of checkSeed({ ...req.cloudInit, mac: '52:54:00:00:00:00' })) p('cloudinit', ciField[x.field] ?? 'ciUserData', x.line !== undefined ? `${x.message} (line ${x.line})` : x.message);
    }
  }
  return out;
}
