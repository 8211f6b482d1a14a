// Pure parts of cloning a VM: which disks are copied, the new volume names, and the rewrite of
// the domain XML (new name, no <uuid>, no interface <mac>, fresh NVRAM, new disk sources).
// Rules follow what virt-clone does: writable disks are copied, CD-ROMs, floppies, read-only and
// shareable disks are shared; libvirt generates a new UUID and new MACs when they are absent
// (see formatdomain.rst "General metadata" and "Network interfaces").

import { XmlDocument, type XmlElement } from '../../libvirt/xml/xmlDocument';
import { DomainDisk, diskElements, diskHasSource, diskIsPrivate, domainNameFromXml, parseRoot } from '../domainXmlFacts';

export type DiskClonePlan =
  | { readonly disk: DomainDisk; readonly action: 'copy' }
  | { readonly disk: DomainDisk; readonly action: 'share' }
  | { readonly disk: DomainDisk; readonly action: 'none' };

export function planDiskClones(disks: readonly DomainDisk[]): DiskClonePlan[] {
  return disks.map((disk) => {
    if (!diskHasSource(disk)) return { disk, action: 'none' };
    if (disk.device === 'disk' && diskIsPrivate(disk)) return { disk, action: 'copy' };
    return { disk, action: 'share' };
  });
}

/** "<name>-clone", or "<name>-clone-2"... when that name is taken. */
export function defaultCloneName(name: string, taken: ReadonlySet<string>): string {
  let candidate = `${name}-clone`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name}-clone-${n}`;
  return candidate;
}

const EXTENSION = /\.[A-Za-z0-9]{1,8}$/;

/**
 * The name of the copy of `sourceVolume` for VM `newVmName`: the new VM name, "-<n>" for the
 * second and later copied disks, and the source's extension (".qcow2"), unique within `taken`.
 */
export function cloneVolumeName(
  sourceVolume: string,
  newVmName: string,
  copyIndex: number,
  taken: ReadonlySet<string>,
): string {
  const ext = EXTENSION.exec(sourceVolume)?.[0] ?? '';
  const base = copyIndex === 0 ? newVmName : `${newVmName}-${copyIndex}`;
  let candidate = `${base}${ext}`;
  for (let n = 1; taken.has(candidate); n++) candidate = `${base}-${n}${ext}`;
  return candidate;
}

export type NewDiskSource =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'volume'; readonly pool: string; readonly volume: string };

function pointDiskAt(doc: XmlDocument, disk: XmlElement, source: NewDiskSource): void {
  const src = disk.child('source');
  if (!src) throw new Error('A copied disk has no <source>');
  const type = disk.attr('type') ?? 'file';
  if (source.kind === 'volume') {
    if (type !== 'volume') throw new Error(`Cannot point a ${type} disk at a pool volume`);
    doc.setAttribute(src, 'pool', source.pool);
    doc.setAttribute(src, 'volume', source.volume);
  } else if (type === 'block') {
    doc.setAttribute(src, 'dev', source.path);
  } else if (type === 'file') {
    doc.setAttribute(src, 'file', source.path);
  } else {
    throw new Error(`Cannot point a ${type} disk at a path`);
  }
  // A copy is a standalone image: the source's backing chain description no longer applies.
  for (const b of disk.elements('backingStore')) doc.removeElement(b);
}

/**
 * Rewrites an inactive domain XML for its clone. `newSources` maps a disk's index (see
 * DomainDisk.index) to where its copy lives; disks not in the map keep their source (shared).
 * Edits are surgical: everything else keeps its exact text.
 */
export function rewriteCloneXml(xml: string, newName: string, newSources: ReadonlyMap<number, NewDiskSource>): string {
  const { doc, root: domain } = parseRoot(xml, 'domain');

  const name = domain.child('name');
  if (!name) throw new Error('The domain XML has no <name>');
  doc.setTextContent(name, newName);
  for (const uuid of domain.elements('uuid')) doc.removeElement(uuid);

  for (const iface of domain.child('devices')?.elements('interface') ?? []) {
    for (const mac of iface.elements('mac')) doc.removeElement(mac);
    // A fixed host-side device name (vnetN, tapN) would clash with the original VM's.
    const target = iface.child('target');
    if (target?.attr('dev') !== undefined) doc.removeElement(target);
  }

  const os = domain.child('os');
  const nvram = os?.child('nvram');
  if (nvram) {
    // Without a path libvirt creates a fresh NVRAM file for the new VM from the template.
    // A custom template is kept; the path (text or <source>) and its type go.
    if (nvram.attr('template') !== undefined) {
      for (const a of nvram.attributes.map((x) => x.name)) if (a !== 'template') doc.removeAttribute(nvram, a);
      doc.setTextContent(nvram, '');
    } else {
      doc.removeElement(nvram);
    }
  }

  const disks = diskElements(domain);
  for (const [index, source] of newSources) {
    const disk = disks[index];
    if (!disk) throw new RangeError(`No disk with index ${index}`);
    pointDiskAt(doc, disk, source);
  }
  return doc.text;
}

/** The name in a domain XML, for checks in tests and callers. */
export function xmlName(xml: string): string {
  return domainNameFromXml(xml) ?? '';
}
