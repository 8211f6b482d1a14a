// Read-only facts the VM commands need from a domain XML: disks, NVRAM, TPM state, MACs.
// Element and attribute names follow libvirt's domain XML format (see formatdomain.rst:
// "Hard drives, floppy disks, CDROMs", "BIOS bootloader" <nvram>, "TPM device"). Parsing uses
// the project's lossless XML document (src/libvirt/xml/xmlDocument.ts).

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

function diskFromElement(disk: XmlElement, index: number): DomainDisk {
  const source = disk.child('source');
  const type = disk.attr('type') ?? 'file';
  const path = source ? (type === 'block' ? source.attr('dev') : source.attr('file')) : undefined;
  const format = disk.child('driver')?.attr('type');
  const pool = source?.attr('pool');
  const volume = source?.attr('volume');
  return {
    index,
    device: disk.attr('device') ?? 'disk',
    type,
    target: disk.child('target')?.attr('dev') ?? '',
    ...(path ? { path } : {}),
    ...(type === 'volume' && pool !== undefined && volume !== undefined ? { pool, volume } : {}),
    ...(format ? { format } : {}),
    readonly: disk.child('readonly') !== undefined,
    shareable: disk.child('shareable') !== undefined,
  };
}

export function diskElements(domain: XmlElement): XmlElement[] {
  return domain.child('devices')?.elements('disk') ?? [];
}

export function domainDisks(xml: string): DomainDisk[] {
  return diskElements(domainRoot(xml).root).map(diskFromElement);
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
  const devices = domainRoot(xml).root.child('devices');
  return (devices?.elements('tpm') ?? []).some((tpm) => tpm.child('backend')?.attr('type') === 'emulator');
}

/** MAC addresses of the VM's network interfaces, in document order. */
export function domainMacs(xml: string): string[] {
  const devices = domainRoot(xml).root.child('devices');
  const macs: string[] = [];
  for (const iface of devices?.elements('interface') ?? []) {
    const address = iface.child('mac')?.attr('address');
    if (address) macs.push(address.toLowerCase());
  }
  return macs;
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
  const os = domainRoot(xml).root.child('os');
  if (!os) return false;
  return os.attr('firmware') === 'efi' || os.child('loader')?.attr('type') === 'pflash';
}
