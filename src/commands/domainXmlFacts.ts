// Read-only facts the VM commands need from a domain XML: disks, NVRAM, TPM state, MACs.
// Element and attribute names follow libvirt's domain XML format (see formatdomain.rst:
// "Hard drives, floppy disks, CDROMs", "BIOS bootloader" <nvram>, "TPM device"). Devices are read
// through the domain model's device views (src/libvirt/xml/domainXml.ts, devices.ts).

import type { DiskDevice } from '../libvirt/xml/devices';
import { DomainXml } from '../libvirt/xml/domainXml';
import { XmlValueError } from '../libvirt/xml/fields';
import { XmlDocument, type XmlElement } from '../libvirt/xml/xmlDocument';

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

/** Parses a document whose root must be `<expected>`. */
export function parseRoot(xml: string, expected: string): { doc: XmlDocument; root: XmlElement } {
  const doc = XmlDocument.parse(xml);
  if (doc.root.name !== expected) throw new XmlValueError(`Expected a <${expected}> document, got <${doc.root.name}>`, 'root');
  return { doc, root: doc.root };
}

function domainRoot(xml: string): { doc: XmlDocument; root: XmlElement } {
  return parseRoot(xml, 'domain');
}

function domainModel(xml: string): DomainXml {
  return DomainXml.fromDocument(domainRoot(xml).doc);
}

function diskFromDevice(disk: DiskDevice, index: number): DomainDisk {
  const type = disk.get('type') ?? 'file';
  const path = type === 'block' ? disk.get('sourceDev') : disk.get('sourceFile');
  const format = disk.get('driverType');
  const pool = disk.get('sourcePool');
  const volume = disk.get('sourceVolume');
  return {
    index,
    device: disk.get('device') ?? 'disk',
    type,
    target: disk.get('target') ?? '',
    ...(path ? { path } : {}),
    ...(type === 'volume' && pool !== undefined && volume !== undefined ? { pool, volume } : {}),
    ...(format ? { format } : {}),
    readonly: disk.get('readonly') === true,
    shareable: disk.get('shareable') === true,
  };
}

export function diskElements(domain: XmlElement): XmlElement[] {
  return domain.child('devices')?.elements('disk') ?? [];
}

export function domainDisks(xml: string): DomainDisk[] {
  return domainModel(xml).devicesOf('disk').map(diskFromDevice);
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
  const { doc, root } = domainRoot(xml);
  const nvram = root.find(['os', 'nvram']);
  if (!nvram) return undefined;
  const path = doc.textContent(nvram).trim() || nvram.child('source')?.attr('file') || '';
  return path === '' ? undefined : path;
}

/** True when the VM has an emulated TPM, whose state libvirt keeps on the host. */
export function domainHasTpmState(xml: string): boolean {
  return domainModel(xml).devicesOf('tpm').some((tpm) => tpm.get('backendType') === 'emulator');
}

/** MAC addresses of the VM's network interfaces, in document order. */
export function domainMacs(xml: string): string[] {
  return domainModel(xml)
    .devicesOf('interface')
    .flatMap((iface) => {
      const address = iface.get('mac');
      return address ? [address.toLowerCase()] : [];
    });
}

export function domainUuidFromXml(xml: string): string | undefined {
  const { doc, root } = domainRoot(xml);
  const uuid = root.child('uuid');
  return uuid ? doc.textContent(uuid).trim() : undefined;
}

export function domainNameFromXml(xml: string): string | undefined {
  const { doc, root } = domainRoot(xml);
  const name = root.child('name');
  return name ? doc.textContent(name).trim() : undefined;
}

/** True for a UEFI VM (firmware autoselection or a pflash loader), which has an NVRAM file. */
export function domainUsesUefi(xml: string): boolean {
  const dom = domainModel(xml);
  return dom.get('firmware') === 'efi' || dom.get('loaderType') === 'pflash';
}
