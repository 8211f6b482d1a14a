// A compact summary of a domain XML for tree views and overview pages: names, sizes, disks,
// NICs, displays, and the hardware list labelled the way virt-manager's details sidebar does.

import { DomainXml } from './domainXml';
import { Device } from './devices';

export interface DiskSummary {
  target: string;
  source: string;
  device: string;
  bus: string;
}
export interface NicSummary {
  mac: string;
  source: string;
  model: string;
}
export interface GraphicsSummary {
  type: string;
  port: number | undefined;
  listen: string;
}
export interface HardwareSection {
  /** Stable id: 'overview', 'os', 'cpus', 'memory', 'boot' or 'device:<index in <devices>>'. */
  id: string;
  label: string;
  /** Device kind for device sections. */
  kind?: Device['kind'];
}
export interface DomainSummary {
  name: string;
  uuid: string;
  title: string;
  description: string;
  vcpus: number;
  memoryKiB: number;
  /** libosinfo id from <metadata>, e.g. http://microsoft.com/win/11. */
  os: string | undefined;
  disks: DiskSummary[];
  nics: NicSummary[];
  graphics: GraphicsSummary[];
  hardware: HardwareSection[];
}

const BUS_LABEL: Record<string, string> = { virtio: 'VirtIO', sata: 'SATA', scsi: 'SCSI', ide: 'IDE', usb: 'USB', fdc: 'Floppy', nvme: 'NVMe', xen: 'Xen', sd: 'SD' };
const DISK_DEVICE_LABEL: Record<string, string> = { disk: 'Disk', cdrom: 'CDROM', floppy: 'Floppy', lun: 'LUN' };
const CONTROLLER_LABEL: Record<string, string> = {
  usb: 'USB',
  scsi: 'SCSI',
  sata: 'SATA',
  ide: 'IDE',
  fdc: 'Floppy',
  ccid: 'CCID',
  'virtio-serial': 'VirtIO Serial',
  xenbus: 'Xen Bus',
  isa: 'ISA',
};
const VIDEO_LABEL: Record<string, string> = { qxl: 'QXL', vga: 'VGA', virtio: 'Virtio', cirrus: 'Cirrus', bochs: 'Bochs', ramfb: 'Ramfb', vmvga: 'VMVGA', none: 'None' };
const CHANNEL_LABEL: Record<string, string> = { 'org.qemu.guest_agent.0': 'qemu-ga', 'com.redhat.spice.0': 'spice', 'org.libguestfs.channel.0': 'libguestfs' };

/** Disk index from its target name: vda -> 1, sdb -> 2, hdaa -> 27. */
export function diskIndex(target: string): number {
  const m = /^(?:vd|sd|hd|fd|xvd|ubd|nvme\d*n)([a-z]+)$/.exec(target);
  if (!m) return 0;
  let n = 0;
  for (const ch of m[1]!) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n;
}

function deviceLabel(d: Device, counters: Map<string, number>): string | undefined {
  const next = (key: string): number => {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  };
  switch (d.kind) {
    case 'disk': {
      const bus = d.get('bus') ?? 'ide';
      const dev = d.get('device') ?? 'disk';
      const idx = diskIndex(d.get('target') ?? '') || next(`disk:${bus}`);
      return `${BUS_LABEL[bus] ?? bus} ${DISK_DEVICE_LABEL[dev] ?? dev} ${idx}`;
    }
    case 'interface': {
      const mac = d.get('mac');
      return mac ? `NIC ${mac.slice(-9)}` : 'NIC';
    }
    case 'input': {
      const t = d.get('type') ?? 'mouse';
      const bus = d.get('bus');
      const base = t === 'evdev' ? 'Evdev' : t.charAt(0).toUpperCase() + t.slice(1);
      return bus === 'virtio' ? `Virtio ${base}` : base;
    }
    case 'graphics': {
      const t = d.get('type') ?? '';
      return `Display ${t === 'vnc' ? 'VNC' : t === 'spice' ? 'Spice' : t.toUpperCase()}`;
    }
    case 'sound':
      return `Sound ${d.get('model') ?? ''}`.trim();
    case 'video': {
      const m = d.get('model') ?? '';
      return `Video ${VIDEO_LABEL[m] ?? m}`.trim();
    }
    case 'serial':
      return `Serial ${(d.get('targetPort') ?? next('serial') - 1) + 1}`;
    case 'parallel':
      return `Parallel ${(d.get('targetPort') ?? next('parallel') - 1) + 1}`;
    case 'console': {
      const n = next('console');
      return n === 1 ? 'Console' : `Console ${n}`;
    }
    case 'channel': {
      const name = d.get('targetName') ?? '';
      return `Channel ${CHANNEL_LABEL[name] ?? (name || d.get('type') || '')}`.trim();
    }
    case 'controller': {
      const t = d.get('type') ?? '';
      const model = d.get('model') ?? '';
      const label = t === 'pci' ? (model.startsWith('pcie') ? 'PCIe' : 'PCI') : (CONTROLLER_LABEL[t] ?? t);
      return `Controller ${label} ${d.get('index') ?? 0}`;
    }
    case 'hostdev': {
      const t = d.get('type');
      if (t === 'pci') {
        const h = (s: string | undefined, w: number): string => (s ? Number(s).toString(16).padStart(w, '0') : '0'.repeat(w));
        return `PCI ${h(d.get('sourceDomain'), 4)}:${h(d.get('sourceBus'), 2)}:${h(d.get('sourceSlot'), 2)}.${h(d.get('sourceFunction'), 1)}`;
      }
      if (t === 'usb') {
        const v = d.get('vendorId');
        const p = d.get('productId');
        return v && p ? `USB ${v.replace(/^0x/, '')}:${p.replace(/^0x/, '')}` : 'USB Device';
      }
      if (t === 'mdev') return `MDEV ${d.get('mdevUuid') ?? ''}`.trim();
      return `Host Device ${t ?? ''}`.trim();
    }
    case 'redirdev':
      return `USB Redirector ${next('redirdev')}`;
    case 'smartcard':
      return 'Smartcard';
    case 'watchdog':
      return 'Watchdog';
    case 'filesystem':
      return `Filesystem ${d.get('target') ?? ''}`.trim();
    case 'tpm':
      return `TPM v${d.get('version') ?? (d.get('backendType') === 'emulator' ? '2.0' : '1.2')}`;
    case 'rng':
      return `RNG ${d.get('backend')?.trim() || d.get('backendModel') || ''}`.trim();
    case 'panic':
      return 'Panic Notifier';
    case 'vsock':
      return 'VirtIO VSOCK';
    case 'iommu':
      return 'IOMMU';
    case 'memballoon':
    case 'emulator':
    case 'audio':
      return undefined; // virt-manager does not list these as hardware
    case 'other':
      return d.element.name;
  }
}

export function summarizeParsed(dom: DomainXml): DomainSummary {
  const devices = dom.devices();
  const disks: DiskSummary[] = [];
  const nics: NicSummary[] = [];
  const graphics: GraphicsSummary[] = [];
  const hardware: HardwareSection[] = [
    { id: 'overview', label: 'Overview' },
    { id: 'os', label: 'OS information' },
    { id: 'cpus', label: 'CPUs' },
    { id: 'memory', label: 'Memory' },
    { id: 'boot', label: 'Boot Options' },
  ];
  const counters = new Map<string, number>();
  devices.forEach((d, i) => {
    if (d.kind === 'disk') {
      disks.push({
        target: d.get('target') ?? '',
        source: d.get('sourceFile') ?? d.get('sourceDev') ?? d.get('sourceVolume') ?? d.get('sourceName') ?? '',
        device: d.get('device') ?? 'disk',
        bus: d.get('bus') ?? '',
      });
    } else if (d.kind === 'interface') {
      nics.push({
        mac: d.get('mac') ?? '',
        source: d.get('sourceNetwork') ?? d.get('sourceBridge') ?? d.get('sourceDev') ?? d.get('type') ?? '',
        model: d.get('model') ?? '',
      });
    } else if (d.kind === 'graphics') {
      graphics.push({ type: d.get('type') ?? '', port: d.get('port'), listen: d.get('listenAddress') ?? d.get('listen') ?? d.get('listenSocket') ?? d.get('listenNetwork') ?? '' });
    }
    const label = deviceLabel(d, counters);
    if (label !== undefined) hardware.push({ id: `device:${i}`, label, kind: d.kind });
  });
  const vcpus = dom.get('vcpuCurrent') ?? dom.get('vcpus') ?? 1;
  return {
    name: dom.get('name') ?? '',
    uuid: dom.get('uuid') ?? '',
    title: dom.get('title') ?? '',
    description: dom.get('description') ?? '',
    vcpus,
    memoryKiB: dom.currentMemoryKiB ?? 0,
    os: dom.osinfoId,
    disks,
    nics,
    graphics,
    hardware,
  };
}

/** Summarises a domain XML text (parses it once; about a millisecond for a typical domain). */
export function summarizeDomain(xml: string): DomainSummary {
  return summarizeParsed(DomainXml.parse(xml));
}
