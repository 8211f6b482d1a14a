// Pure parts of cloning a VM: which disks are copied, the new volume names, and the rewrite of
// the domain XML (new name, no <uuid>, no interface <mac>, fresh NVRAM, new disk sources).
// Rules follow what virt-clone does: writable disks are copied, CD-ROMs, floppies, read-only and
// shareable disks are shared; libvirt generates a new UUID and new MACs when they are absent
// (see formatdomain.rst "General metadata" and "Network interfaces").

import { DomainDisk, diskElements, diskHasSource, diskIsPrivate, domainRoot } from '../domainXmlFacts';
import {
  buildXml,
  childElements,
  clearAttrs,
  firstChild,
  getAttr,
  parseXml,
  removeChild,
  removeChildren,
  rootElement,
  setAttr,
  setText,
  textOf,
  XmlNode,
} from '../xmlTree';

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

function pointDiskAt(disk: XmlNode, source: NewDiskSource): void {
  const src = firstChild(disk, 'source');
  if (!src) throw new Error('A copied disk has no <source>');
  const type = getAttr(disk, 'type') ?? 'file';
  if (source.kind === 'volume') {
    if (type !== 'volume') throw new Error(`Cannot point a ${type} disk at a pool volume`);
    setAttr(src, 'pool', source.pool);
    setAttr(src, 'volume', source.volume);
  } else if (type === 'block') {
    setAttr(src, 'dev', source.path);
  } else if (type === 'file') {
    setAttr(src, 'file', source.path);
  } else {
    throw new Error(`Cannot point a ${type} disk at a path`);
  }
  // A copy is a standalone image: the source's backing chain description no longer applies.
  removeChildren(disk, 'backingStore');
}

/**
 * Rewrites an inactive domain XML for its clone. `newSources` maps a disk's index (see
 * DomainDisk.index) to where its copy lives; disks not in the map keep their source (shared).
 */
export function rewriteCloneXml(xml: string, newName: string, newSources: ReadonlyMap<number, NewDiskSource>): string {
  const doc = parseXml(xml);
  const domain = rootElement(doc, 'domain');

  const name = firstChild(domain, 'name');
  if (!name) throw new Error('The domain XML has no <name>');
  setText(name, newName);
  removeChildren(domain, 'uuid');

  const devices = firstChild(domain, 'devices');
  if (devices) {
    for (const iface of childElements(devices, 'interface')) {
      removeChildren(iface, 'mac');
      // A fixed host-side device name (vnetN, tapN) would clash with the original VM's.
      const target = firstChild(iface, 'target');
      if (target && getAttr(target, 'dev') !== undefined) removeChild(iface, target);
    }
  }

  const os = firstChild(domain, 'os');
  const nvram = os ? firstChild(os, 'nvram') : undefined;
  if (os && nvram) {
    // Without a path libvirt creates a fresh NVRAM file for the new VM from the template.
    // A custom template is kept; the path (text or <source>) and its type go.
    const template = getAttr(nvram, 'template');
    if (template !== undefined) {
      clearAttrs(nvram);
      setAttr(nvram, 'template', template);
      setText(nvram, '');
    } else {
      removeChild(os, nvram);
    }
  }

  const disks = diskElements(domain);
  for (const [index, source] of newSources) {
    const disk = disks[index];
    if (!disk) throw new RangeError(`No disk with index ${index}`);
    pointDiskAt(disk, source);
  }
  return buildXml(doc);
}

/** The name in a domain XML, for checks in tests and callers. */
export function xmlName(xml: string): string {
  const name = firstChild(domainRoot(xml), 'name');
  return name ? textOf(name) : '';
}
