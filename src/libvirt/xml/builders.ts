// Builders for new devices and new domains with virt-manager-like defaults (virtio when the
// guest supports it, qcow2 disks, a tablet with a graphical display, a qemu-ga channel).
// Element and attribute names follow libvirt formatdomain.rst.

import { DiskBus, DiskDeviceType, Device } from './devices';
import { DomainXml } from './domainXml';
import { escapeAttr, escapeText } from './xmlDocument';

/** An impossible or conflicting device request (IDE on q35, duplicate target, ...). */
export class DeviceBuildError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'DeviceBuildError';
  }
  static is(e: unknown): e is DeviceBuildError {
    return e instanceof DeviceBuildError;
  }
}

const a = (v: string): string => escapeAttr(v, "'");
const t = (v: string): string => escapeText(v);

function attrs(map: Record<string, string | number | undefined>): string {
  return Object.entries(map)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}='${a(String(v))}'`)
    .join('');
}

export function isQ35(dom: DomainXml): boolean {
  return /q35/.test(dom.get('machine') ?? '');
}

/** Disk index from its target name: vda -> 1, sdb -> 2, hdaa -> 27. */
export function diskIndex(target: string): number {
  const m = /^(?:vd|sd|hd|fd|xvd|ubd|nvme\d*n)([a-z]+)$/.exec(target);
  if (!m) return 0;
  let n = 0;
  for (const ch of m[1]!) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n;
}

const TARGET_PREFIX: Record<DiskBus, string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', usb: 'sd', ide: 'hd', fdc: 'fd', nvme: 'nvme0n', xen: 'xvd', sd: 'mmcblk' };

function letters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(97 + ((x - 1) % 26)) + s;
  return s;
}

/** First free target name for `bus` (vda, vdb ...; sda ... shared by sata/scsi/usb). */
export function allocateDiskTarget(dom: DomainXml, bus: DiskBus): string {
  const prefix = TARGET_PREFIX[bus];
  const used = new Set(dom.devicesOf('disk').map((d) => d.get('target') ?? ''));
  if (bus === 'nvme') {
    for (let i = 1; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
  }
  for (let i = 1; ; i++) {
    const name = prefix + letters(i);
    if (!used.has(name)) return name;
  }
}

export interface DriveAddress {
  controller: number;
  bus: number;
  unit: number;
}

/** Drive address libvirt would assign for a target name (IDE: 2 buses x 2 units; SATA: 6 ports; SCSI: 7 units). */
export function driveAddressFor(bus: DiskBus, target: string): DriveAddress | undefined {
  const idx = diskIndex(target) - 1;
  if (idx < 0) return undefined;
  switch (bus) {
    case 'ide':
      return { controller: Math.floor(idx / 4), bus: Math.floor((idx % 4) / 2), unit: idx % 2 };
    case 'sata':
      return { controller: Math.floor(idx / 6), bus: 0, unit: idx % 6 };
    case 'scsi':
      return { controller: Math.floor(idx / 7), bus: 0, unit: idx % 7 };
    case 'fdc':
      return { controller: 0, bus: 0, unit: idx };
    default:
      return undefined;
  }
}

export type DiskSource = { file: string } | { dev: string } | { pool: string; volume: string } | { protocol: string; name: string; host?: string; port?: number };

export interface DiskOptions {
  device?: DiskDeviceType;
  bus?: DiskBus;
  source?: DiskSource;
  /** Image format; default qcow2 for disks, raw for cdrom/floppy/lun. */
  format?: string;
  target?: string;
  readonly?: boolean;
  shareable?: boolean;
  bootOrder?: number;
  cache?: 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe' | 'default';
  discard?: 'unmap' | 'ignore';
  serial?: string;
  /** Whether the guest OS has virtio drivers (from libosinfo); default true. */
  osSupportsVirtio?: boolean;
}

/** Picks the bus a new disk would get and checks the combination against the domain. */
export function chooseDiskBus(dom: DomainXml, opts: DiskOptions): DiskBus {
  const device = opts.device ?? 'disk';
  const q35 = isQ35(dom);
  const bus: DiskBus =
    opts.bus ?? (device === 'floppy' ? 'fdc' : device === 'lun' ? 'scsi' : device === 'cdrom' ? (q35 ? 'sata' : 'ide') : opts.osSupportsVirtio === false ? (q35 ? 'sata' : 'ide') : 'virtio');
  if (bus === 'ide' && q35) throw new DeviceBuildError('The q35 machine type has no IDE controller: use SATA (or SCSI) instead.', 'ide-on-q35');
  if (bus === 'fdc' && q35) throw new DeviceBuildError('The q35 machine type has no floppy controller.', 'fdc-on-q35');
  if (device === 'cdrom' && bus === 'virtio') throw new DeviceBuildError('A CD-ROM cannot use the virtio bus: use SATA, SCSI or IDE.', 'cdrom-on-virtio');
  if (device === 'lun' && bus !== 'scsi' && bus !== 'virtio') throw new DeviceBuildError('A LUN passthrough disk needs the SCSI bus.', 'lun-bus');
  if (device === 'floppy' && bus !== 'fdc') throw new DeviceBuildError('A floppy disk needs the fdc bus.', 'floppy-bus');
  return bus;
}

export function buildDiskXml(dom: DomainXml, opts: DiskOptions = {}): string {
  const device = opts.device ?? 'disk';
  const bus = chooseDiskBus(dom, opts);
  const target = opts.target ?? allocateDiskTarget(dom, bus);
  if (dom.devicesOf('disk').some((d) => d.get('target') === target)) throw new DeviceBuildError(`Target ${target} is already used by another disk.`, 'duplicate-target');
  if (bus === 'ide') {
    const ideIdx = diskIndex(target);
    if (ideIdx > 4 || dom.devicesOf('controller').some((c) => c.get('type') === 'ide' && (c.get('index') ?? 0) > 0)) {
      throw new DeviceBuildError('IDE supports 4 devices on one controller; a second IDE controller is not supported by QEMU.', 'second-ide-controller');
    }
  }
  const format = opts.format ?? (device === 'disk' ? 'qcow2' : 'raw');
  const src = opts.source;
  let type = 'file';
  let source = '';
  if (src && 'file' in src) source = `<source file='${a(src.file)}'/>`;
  else if (src && 'dev' in src) {
    type = 'block';
    source = `<source dev='${a(src.dev)}'/>`;
  } else if (src && 'pool' in src) {
    type = 'volume';
    source = `<source pool='${a(src.pool)}' volume='${a(src.volume)}'/>`;
  } else if (src && 'protocol' in src) {
    type = 'network';
    source = src.host
      ? `<source protocol='${a(src.protocol)}' name='${a(src.name)}'>\n  <host${attrs({ name: src.host, port: src.port })}/>\n</source>`
      : `<source protocol='${a(src.protocol)}' name='${a(src.name)}'/>`;
  }
  if (device === 'lun' && type !== 'block') throw new DeviceBuildError('A LUN passthrough disk needs a block device source.', 'lun-source');
  const discard = opts.discard ?? (device === 'disk' && format === 'qcow2' ? 'unmap' : undefined);
  const addr = driveAddressFor(bus, target);
  const lines = [
    `<disk type='${type}' device='${device}'>`,
    `  <driver${attrs({ name: 'qemu', type: format, cache: opts.cache, discard })}/>`,
    ...(source ? source.split('\n').map((l) => `  ${l}`) : []),
    `  <target dev='${a(target)}' bus='${bus}'/>`,
    ...(opts.readonly || device === 'cdrom' ? ['  <readonly/>'] : []),
    ...(opts.shareable ? ['  <shareable/>'] : []),
    ...(opts.serial ? [`  <serial>${t(opts.serial)}</serial>`] : []),
    ...(opts.bootOrder !== undefined ? [`  <boot order='${opts.bootOrder}'/>`] : []),
    ...(addr ? [`  <address type='drive' controller='${addr.controller}' bus='${addr.bus}' target='0' unit='${addr.unit}'/>`] : []),
    '</disk>',
  ];
  return lines.join('\n');
}

/** A random locally administered QEMU MAC (52:54:00:xx:xx:xx) not used in the domain. */
export function allocateMac(dom: DomainXml, random: () => number = Math.random): string {
  const used = new Set(dom.devicesOf('interface').map((i) => (i.get('mac') ?? '').toLowerCase()));
  for (;;) {
    const tail = [0, 1, 2].map(() => Math.floor(random() * 256).toString(16).padStart(2, '0'));
    const mac = `52:54:00:${tail.join(':')}`;
    if (!used.has(mac)) return mac;
  }
}

export const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export interface InterfaceOptions {
  source: { network: string } | { bridge: string } | { direct: string; mode?: 'vepa' | 'bridge' | 'private' | 'passthrough' } | { user: true; passt?: boolean };
  mac?: string;
  model?: string;
  osSupportsVirtio?: boolean;
  bootOrder?: number;
}

export function buildInterfaceXml(dom: DomainXml, opts: InterfaceOptions): string {
  const mac = opts.mac ?? allocateMac(dom);
  if (!MAC_RE.test(mac)) throw new DeviceBuildError(`'${mac}' is not a MAC address like 52:54:00:12:34:56.`, 'bad-mac');
  if (dom.devicesOf('interface').some((i) => (i.get('mac') ?? '').toLowerCase() === mac.toLowerCase())) throw new DeviceBuildError(`MAC ${mac} is already used.`, 'duplicate-mac');
  const model = opts.model ?? (opts.osSupportsVirtio === false ? 'e1000e' : 'virtio');
  const s = opts.source;
  let type: string;
  let source: string;
  if ('network' in s) [type, source] = ['network', `<source network='${a(s.network)}'/>`];
  else if ('bridge' in s) [type, source] = ['bridge', `<source bridge='${a(s.bridge)}'/>`];
  else if ('direct' in s) [type, source] = ['direct', `<source dev='${a(s.direct)}' mode='${s.mode ?? 'bridge'}'/>`];
  else [type, source] = ['user', s.passt ? "<backend type='passt'/>" : ''];
  return [
    `<interface type='${type}'>`,
    `  <mac address='${a(mac)}'/>`,
    ...(source ? [`  ${source}`] : []),
    `  <model type='${a(model)}'/>`,
    ...(opts.bootOrder !== undefined ? [`  <boot order='${opts.bootOrder}'/>`] : []),
    '</interface>',
  ].join('\n');
}

export interface GraphicsOptions {
  type?: 'vnc' | 'spice';
  listen?: { address: string } | { network: string } | { socket: string } | 'none';
  port?: number;
  password?: string;
  gl?: boolean;
}

export function buildGraphicsXml(opts: GraphicsOptions = {}): string {
  const type = opts.type ?? 'vnc';
  const portAttrs = opts.port !== undefined ? { port: opts.port, autoport: 'no' } : { port: type === 'vnc' ? -1 : undefined, autoport: 'yes' };
  const l = opts.listen ?? { address: '127.0.0.1' };
  const listen =
    l === 'none'
      ? "<listen type='none'/>"
      : 'address' in l
        ? `<listen type='address' address='${a(l.address)}'/>`
        : 'network' in l
          ? `<listen type='network' network='${a(l.network)}'/>`
          : `<listen type='socket' socket='${a(l.socket)}'/>`;
  const inner = [`  ${listen}`, ...(opts.gl ? ["  <gl enable='yes'/>"] : [])];
  return [`<graphics${attrs({ type, ...(l === 'none' || (typeof l === 'object' && 'socket' in l) ? {} : portAttrs), passwd: opts.password })}>`, ...inner, '</graphics>'].join('\n');
}

export const buildTabletXml = (): string => "<input type='tablet' bus='usb'/>";
export const buildGuestAgentChannelXml = (): string => "<channel type='unix'>\n  <target type='virtio' name='org.qemu.guest_agent.0'/>\n</channel>";
export const buildSpiceAgentChannelXml = (): string => "<channel type='spicevmc'>\n  <target type='virtio' name='com.redhat.spice.0'/>\n</channel>";
export const buildVideoXml = (model: 'virtio' | 'qxl' | 'vga' | 'bochs' | 'ramfb' = 'virtio', accel3d = false): string =>
  accel3d ? `<video>\n  <model type='${model}' heads='1' primary='yes'>\n    <acceleration accel3d='yes'/>\n  </model>\n</video>` : `<video>\n  <model type='${model}' heads='1' primary='yes'/>\n</video>`;
export const buildTpmXml = (model: 'tpm-crb' | 'tpm-tis' = 'tpm-crb', version: '2.0' | '1.2' = '2.0'): string =>
  `<tpm model='${model}'>\n  <backend type='emulator' version='${version}'/>\n</tpm>`;
export const buildRngXml = (source = '/dev/urandom'): string => `<rng model='virtio'>\n  <backend model='random'>${t(source)}</backend>\n</rng>`;

/** PCI address text like 0000:01:00.0. */
export const PCI_ADDR_RE = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;
export function buildPciHostdevXml(address: string, romBar?: boolean): string {
  const m = PCI_ADDR_RE.exec(address);
  if (!m) throw new DeviceBuildError(`'${address}' is not a PCI address like 0000:01:00.0.`, 'bad-pci-address');
  return [
    "<hostdev mode='subsystem' type='pci' managed='yes'>",
    '  <source>',
    `    <address domain='0x${m[1]}' bus='0x${m[2]}' slot='0x${m[3]}' function='0x${m[4]}'/>`,
    '  </source>',
    ...(romBar !== undefined ? [`  <rom bar='${romBar ? 'on' : 'off'}'/>`] : []),
    '</hostdev>',
  ].join('\n');
}

/** Adds a disk with checks and allocation; returns its view. */
export function addDisk(dom: DomainXml, opts: DiskOptions = {}): Device {
  const bus = chooseDiskBus(dom, opts);
  if (bus === 'scsi' && !dom.devicesOf('controller').some((c) => c.get('type') === 'scsi')) {
    dom.addDeviceXml("<controller type='scsi' index='0' model='virtio-scsi'/>");
  }
  return dom.addDeviceXml(buildDiskXml(dom, { ...opts, bus }));
}

/** Adds a display; with it a tablet (absolute pointer) and, for SPICE, the vdagent channel. */
export function addGraphics(dom: DomainXml, opts: GraphicsOptions = {}): Device {
  const g = dom.addDeviceXml(buildGraphicsXml(opts));
  if (!dom.devicesOf('input').some((i) => i.get('type') === 'tablet')) dom.addDeviceXml(buildTabletXml());
  if ((opts.type ?? 'vnc') === 'spice' && !dom.devicesOf('channel').some((c) => c.get('targetName') === 'com.redhat.spice.0')) dom.addDeviceXml(buildSpiceAgentChannelXml());
  return g;
}

export interface NewDomainOptions {
  name: string;
  memoryMiB: number;
  vcpus: number;
  /** Domain type; 'qemu' (TCG) or 'kvm'. */
  type?: 'qemu' | 'kvm';
  arch?: string;
  machine?: string;
  firmware?: 'efi' | 'bios';
  secureBoot?: boolean;
  /** libosinfo id, recorded in <metadata>. */
  osinfoId?: string;
  osSupportsVirtio?: boolean;
  disk?: { source: DiskSource; format?: string };
  cdrom?: { file: string };
  network?: InterfaceOptions['source'] | false;
  graphics?: GraphicsOptions | false;
  tpm?: boolean;
  uuid?: string;
}

/** A complete new domain in the shape virt-install/virt-manager produce (q35, EFI by default). */
export function newDomainXml(opts: NewDomainOptions): string {
  if (!/^[^/\s][^/]*$/.test(opts.name)) throw new DeviceBuildError(`'${opts.name}' is not a valid domain name (no '/', not empty).`, 'bad-name');
  if (!Number.isInteger(opts.memoryMiB) || opts.memoryMiB <= 0) throw new DeviceBuildError('memoryMiB must be a positive integer.', 'bad-memory');
  if (!Number.isInteger(opts.vcpus) || opts.vcpus <= 0) throw new DeviceBuildError('vcpus must be a positive integer.', 'bad-vcpus');
  const firmware = opts.firmware ?? 'efi';
  const machine = opts.machine ?? 'q35';
  const isWindows = /microsoft\.com\/win/.test(opts.osinfoId ?? '');
  const secure = opts.secureBoot ?? false;
  const osAttrs = firmware === 'efi' ? " firmware='efi'" : '';
  const fwFeatures = firmware === 'efi' ? ['    <firmware>', `      <feature enabled='${secure ? 'yes' : 'no'}' name='secure-boot'/>`, '    </firmware>'] : [];
  const lines = [
    `<domain type='${opts.type ?? 'kvm'}'>`,
    `  <name>${t(opts.name)}</name>`,
    ...(opts.uuid ? [`  <uuid>${t(opts.uuid)}</uuid>`] : []),
    ...(opts.osinfoId
      ? [
          '  <metadata>',
          `    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>`,
          `      <libosinfo:os id='${a(opts.osinfoId)}'/>`,
          '    </libosinfo:libosinfo>',
          '  </metadata>',
        ]
      : []),
    `  <memory unit='MiB'>${opts.memoryMiB}</memory>`,
    `  <currentMemory unit='MiB'>${opts.memoryMiB}</currentMemory>`,
    `  <vcpu placement='static'>${opts.vcpus}</vcpu>`,
    `  <os${osAttrs}>`,
    `    <type arch='${a(opts.arch ?? 'x86_64')}' machine='${a(machine)}'>hvm</type>`,
    ...fwFeatures,
    '  </os>',
    '  <features>',
    '    <acpi/>',
    '    <apic/>',
    ...(isWindows ? ["    <hyperv mode='custom'>", "      <relaxed state='on'/>", "      <vapic state='on'/>", "      <spinlocks state='on' retries='8191'/>", '    </hyperv>'] : []),
    ...(secure ? ["    <smm state='on'/>"] : []),
    '  </features>',
    `  <cpu mode='${opts.type === 'qemu' ? 'maximum' : 'host-passthrough'}'/>`,
    `  <clock offset='${isWindows ? 'localtime' : 'utc'}'>`,
    "    <timer name='rtc' tickpolicy='catchup'/>",
    "    <timer name='pit' tickpolicy='delay'/>",
    "    <timer name='hpet' present='no'/>",
    '  </clock>',
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    '  </devices>',
    '</domain>',
  ];
  const dom = DomainXml.parse(lines.join('\n') + '\n');
  const virtio = opts.osSupportsVirtio ?? !isWindows;
  if (opts.disk) addDisk(dom, { source: opts.disk.source, format: opts.disk.format, osSupportsVirtio: virtio, bootOrder: 1 });
  if (opts.cdrom) addDisk(dom, { device: 'cdrom', source: { file: opts.cdrom.file }, bootOrder: opts.disk ? 2 : 1 });
  if (opts.network !== false) dom.addDeviceXml(buildInterfaceXml(dom, { source: opts.network ?? { network: 'default' }, osSupportsVirtio: virtio }));
  if (opts.graphics !== false) {
    addGraphics(dom, opts.graphics ?? {});
    dom.addDeviceXml(buildVideoXml(virtio ? 'virtio' : 'qxl'));
  }
  dom.addDeviceXml(buildGuestAgentChannelXml());
  if (opts.tpm ?? isWindows) dom.addDeviceXml(buildTpmXml());
  dom.addDeviceXml(buildRngXml());
  return dom.toString();
}
