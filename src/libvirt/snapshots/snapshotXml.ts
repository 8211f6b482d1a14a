// A domain snapshot's XML, read and written (libvirt's "Snapshot XML format", formatsnapshot.rst):
// what the tree shows (state, time, description, parent), whether the snapshot lives inside the
// disk images (internal) or in overlay/memory files beside them (external), and the XML that asks
// libvirt for a new snapshot. Only the top-level elements are read; the embedded <domain> is left.

import { escapeAttr, escapeText, XmlDocument, type XmlElement } from '../xml/xmlDocument';

/** Where a snapshot's disks or memory live: libvirt's snapshot='internal|external|no|manual'. */
export type SnapshotLocation = 'internal' | 'external' | 'no' | 'manual';

export interface SnapshotDiskInfo {
  /** The disk's target (vda) or source path, as libvirt names it. */
  readonly name: string;
  readonly snapshot: SnapshotLocation | undefined;
  /** An external snapshot's overlay file. */
  readonly file?: string;
}

export interface SnapshotInfo {
  readonly name: string;
  readonly description?: string;
  /**
   * libvirt's <state>: the VM's state when the snapshot was taken ('running', 'paused', 'shutoff',
   * 'crashed', 'pmsuspended'), or 'disk-snapshot' for a disk-only snapshot of a running VM.
   */
  readonly state: string;
  /** Seconds since the epoch. */
  readonly creationTime?: number;
  readonly parent?: string;
  readonly memory: SnapshotLocation | undefined;
  readonly memoryFile?: string;
  readonly disks: readonly SnapshotDiskInfo[];
}

const LOCATIONS: readonly SnapshotLocation[] = ['internal', 'external', 'no', 'manual'];

function location(v: string | undefined): SnapshotLocation | undefined {
  return LOCATIONS.find((l) => l === v);
}

function text(doc: XmlDocument, el: XmlElement | undefined): string | undefined {
  return el ? doc.textContent(el).trim() : undefined;
}

export function parseSnapshotXml(xml: string): SnapshotInfo {
  const doc = XmlDocument.parse(xml);
  const root = doc.root;
  if (root.name !== 'domainsnapshot') throw new Error(`Expected a <domainsnapshot> document, got <${root.name}>`);
  const name = text(doc, root.child('name'));
  if (!name) throw new Error('The snapshot XML has no <name>');
  const time = Number(text(doc, root.child('creationTime')));
  const memory = root.child('memory');
  const description = text(doc, root.child('description'));
  const parent = text(doc, root.find(['parent', 'name']));
  const memoryFile = memory?.attr('file');
  const disks = (root.child('disks')?.elements('disk') ?? []).map((d): SnapshotDiskInfo => {
    const file = d.child('source')?.attr('file') ?? d.child('source')?.attr('dev');
    return { name: d.attr('name') ?? '', snapshot: location(d.attr('snapshot')), ...(file ? { file } : {}) };
  });
  return {
    name,
    ...(description ? { description } : {}),
    state: text(doc, root.child('state')) ?? 'unknown',
    ...(Number.isFinite(time) && time > 0 ? { creationTime: time } : {}),
    ...(parent ? { parent } : {}),
    memory: location(memory?.attr('snapshot')),
    ...(memoryFile ? { memoryFile } : {}),
    disks,
  };
}

/**
 * 'internal' when every saved part lives inside the images, 'external' when any disk or the memory
 * is in a file of its own (libvirt 9.0 cannot revert to those).
 */
export function snapshotLocation(s: SnapshotInfo): 'internal' | 'external' {
  return s.memory === 'external' || s.disks.some((d) => d.snapshot === 'external') ? 'external' : 'internal';
}

/** The snapshot holds the VM's memory (it resumes running or paused on revert). */
export function snapshotHasMemory(s: SnapshotInfo): boolean {
  return s.memory === 'internal' || s.memory === 'external';
}

/** What a new snapshot asks libvirt for (see snapshotCreateRequest in snapshotPlan.ts). */
export interface NewSnapshotXml {
  readonly name: string;
  readonly description?: string;
  readonly memory?: { readonly snapshot: SnapshotLocation; readonly file?: string };
  /** Per-disk choices; absent: libvirt's defaults for the flags given. */
  readonly disks?: readonly { readonly name: string; readonly snapshot: SnapshotLocation }[];
}

export function buildSnapshotXml(s: NewSnapshotXml): string {
  const lines = ['<domainsnapshot>', `  <name>${escapeText(s.name)}</name>`];
  if (s.description) lines.push(`  <description>${escapeText(s.description)}</description>`);
  if (s.memory) {
    const file = s.memory.file !== undefined ? ` file='${escapeAttr(s.memory.file, "'")}'` : '';
    lines.push(`  <memory snapshot='${s.memory.snapshot}'${file}/>`);
  }
  if (s.disks) {
    lines.push('  <disks>');
    for (const d of s.disks) lines.push(`    <disk name='${escapeAttr(d.name, "'")}' snapshot='${d.snapshot}'/>`);
    lines.push('  </disks>');
  }
  lines.push('</domainsnapshot>');
  return lines.join('\n');
}
