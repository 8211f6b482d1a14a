// Read-only facts the VM commands need from a domain XML: disks, NVRAM, TPM state, MACs.
// Element and attribute names follow libvirt's domain XML format (see formatdomain.rst:
// "Hard drives, floppy disks, CDROMs", "BIOS bootloader" <nvram>, "TPM device").

import { childElements, firstChild, getAttr, parseXml, rootElement, textOf, XmlNode } from './xmlTree';

export interface DomainDisk {
  /** Position of the <disk> element among the domain's disks (stable key for edits). */
  readonly index: number;
  /** 'disk', 'cdrom', 'floppy' or 'lun'. */
  readonly device: string;
  /** The disk's source type: 'file', 'block', 'volume', 'network', 'dir'... */
  readonly type: string;
  /** Guest target device, e.g. 'vda'. */
  readonly target: string;
  /** Host path for file and block disks. */
  readonly path?: string;
  /** Pool and volume names for type='volume' disks. */
  readonly pool?: string;
  readonly volume?: string;
  /** Image format from <driver type=...>, e.g. 'qcow2'. */
  readonly format?: string;
  readonly readonly: boolean;
  readonly shareable: boolean;
}

export function domainRoot(xml: string): XmlNode {
  return rootElement(parseXml(xml), 'domain');
}

function diskFromElement(disk: XmlNode, index: number): DomainDisk {
  const source = firstChild(disk, 'source');
  const type = getAttr(disk, 'type') ?? 'file';
  const path = source ? (type === 'block' ? getAttr(source, 'dev') : getAttr(source, 'file')) : undefined;
  const driver = firstChild(disk, 'driver');
  const target = firstChild(disk, 'target');
  return {
    index,
    device: getAttr(disk, 'device') ?? 'disk',
    type,
    target: (target && getAttr(target, 'dev')) ?? '',
    ...(path ? { path } : {}),
    ...(type === 'volume' && source
      ? { pool: getAttr(source, 'pool'), volume: getAttr(source, 'volume') }
      : {}),
    ...(driver && getAttr(driver, 'type') ? { format: getAttr(driver, 'type') } : {}),
    readonly: firstChild(disk, 'readonly') !== undefined,
    shareable: firstChild(disk, 'shareable') !== undefined,
  };
}

export function diskElements(domain: XmlNode): XmlNode[] {
  const devices = firstChild(domain, 'devices');
  return devices ? childElements(devices, 'disk') : [];
}

export function domainDisks(xml: string): DomainDisk[] {
  return diskElements(domainRoot(xml)).map(diskFromElement);
}

/** True when a disk has something on the host that could be copied or deleted. */
export function diskHasSource(d: DomainDisk): boolean {
  return d.path !== undefined || (d.pool !== undefined && d.volume !== undefined);
}

/** A disk that belongs to this VM alone: not a CD-ROM/floppy, not read-only, not shared. */
export function diskIsPrivate(d: DomainDisk): boolean {
  return (d.device === 'disk' || d.device === 'lun') && !d.readonly && !d.shareable;
}

/** How the disk is shown to the user: its path, or pool/volume. */
export function diskLabel(d: DomainDisk): string {
  if (d.path !== undefined) return d.path;
  if (d.pool !== undefined && d.volume !== undefined) return `${d.pool}/${d.volume}`;
  return `(${d.type} ${d.target})`;
}

/** The NVRAM file path from <os><nvram>, when the definition has one. */
export function domainNvramPath(xml: string): string | undefined {
  const os = firstChild(domainRoot(xml), 'os');
  const nvram = os ? firstChild(os, 'nvram') : undefined;
  const path = nvram ? textOf(nvram).trim() : '';
  return path === '' ? undefined : path;
}

/** True when the VM has an emulated TPM, whose state libvirt keeps on the host. */
export function domainHasTpmState(xml: string): boolean {
  const devices = firstChild(domainRoot(xml), 'devices');
  if (!devices) return false;
  return childElements(devices, 'tpm').some((tpm) => {
    const backend = firstChild(tpm, 'backend');
    return backend !== undefined && getAttr(backend, 'type') === 'emulator';
  });
}

/** MAC addresses of the VM's network interfaces, in document order. */
export function domainMacs(xml: string): string[] {
  const devices = firstChild(domainRoot(xml), 'devices');
  if (!devices) return [];
  const macs: string[] = [];
  for (const iface of childElements(devices, 'interface')) {
    const mac = firstChild(iface, 'mac');
    const address = mac ? getAttr(mac, 'address') : undefined;
    if (address) macs.push(address.toLowerCase());
  }
  return macs;
}

export function domainUuidFromXml(xml: string): string | undefined {
  const uuid = firstChild(domainRoot(xml), 'uuid');
  return uuid ? textOf(uuid).trim() : undefined;
}

export function domainNameFromXml(xml: string): string | undefined {
  const name = firstChild(domainRoot(xml), 'name');
  return name ? textOf(name).trim() : undefined;
}

/** True for a UEFI VM (firmware autoselection or a pflash loader), which has an NVRAM file. */
export function domainUsesUefi(xml: string): boolean {
  const os = firstChild(domainRoot(xml), 'os');
  if (!os) return false;
  if (getAttr(os, 'firmware') === 'efi') return true;
  const loader = firstChild(os, 'loader');
  return loader !== undefined && getAttr(loader, 'type') === 'pflash';
}
