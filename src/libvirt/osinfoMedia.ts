// What osinfo-db says about installing an OS, and recognising an OS from its install media: the
// identifiers of an ISO's primary volume descriptor, an install tree's .treeinfo, or a URL in the
// layout of a Debian/Ubuntu mirror. Formats: osinfo-db's XML (its <media>, <tree>, <resources>,
// <devices>, <derives-from>/<upgrades>, as in /usr/share/osinfo/os/*/*.xml), ECMA-119 (ISO 9660)
// for the volume descriptor, and the .treeinfo INI file of productmd. Pure: callers read the bytes
// (a storage volume's first blocks through the storage stream, a file, an HTTP response).

import { VIRTIO_BLK, VIRTIO_NET } from './xml/kinds/osDevices';
import { decodeEntities } from './xml/xmlDocument';

/** One <media> of an OS: the ISO identifiers it is recognised by (regular expressions) and its boot files. */
export interface OsinfoMedia {
  readonly arch: string;
  readonly volumeId?: string;
  readonly systemId?: string;
  readonly publisherId?: string;
  readonly applicationId?: string;
  readonly kernel?: string;
  readonly initrd?: string;
  /** A live image (boots to a desktop) rather than an installer. */
  readonly live: boolean;
}

/** One <tree> of an OS: where an install tree lives and how its .treeinfo reads (regular expressions). */
export interface OsinfoTree {
  readonly arch: string;
  readonly url?: string;
  readonly treeinfo?: { readonly family?: string; readonly version?: string; readonly arch?: string; readonly variant?: string };
  readonly kernel?: string;
  readonly initrd?: string;
}

/** Minimum or recommended resources (bytes, CPUs). */
export interface OsinfoResources {
  readonly ramBytes?: number;
  readonly storageBytes?: number;
  readonly cpus?: number;
}

/** The install facts of one OS in osinfo-db. */
export interface OsinstallFacts {
  readonly id: string;
  readonly name: string;
  readonly family?: string;
  readonly distro?: string;
  readonly codename?: string;
  readonly releaseDate?: string;
  /** The OSes this one derives from or upgrades (ids): devices and resources are inherited. */
  readonly parents: readonly string[];
  readonly media: readonly OsinfoMedia[];
  readonly trees: readonly OsinfoTree[];
  /** By arch ('all' applies to every arch). */
  readonly minimum: ReadonlyMap<string, OsinfoResources>;
  readonly recommended: ReadonlyMap<string, OsinfoResources>;
  /** Device ids the OS supports (http://pcisig.com/pci/1af4/1041 …), its own only. */
  readonly devices: readonly string[];
}

const text = (body: string, tag: string): string | undefined => {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(body);
  const v = m ? decodeEntities(m[1]!).trim() : '';
  return v === '' ? undefined : v;
};
const attr = (open: string, name: string): string | undefined => {
  const m = new RegExp(`\\b${name}\\s*=\\s*(["'])([^"']*)\\1`).exec(open);
  return m ? decodeEntities(m[2]!) : undefined;
};
function blocks(body: string, tag: string): { open: string; inner: string }[] {
  const out: { open: string; inner: string }[] = [];
  for (const m of body.matchAll(new RegExp(`<${tag}\\b([^>]*?)(?:/>|>([\\s\\S]*?)</${tag}>)`, 'g'))) out.push({ open: m[1] ?? '', inner: m[2] ?? '' });
  return out;
}
const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
function resources(inner: string): OsinfoResources {
  return { ramBytes: num(text(inner, 'ram')), storageBytes: num(text(inner, 'storage')), cpus: num(text(inner, 'n-cpus')) };
}
/** Text of an element that may carry translations: the one without xml:lang. */
function plain(body: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body);
  const v = m ? decodeEntities(m[1]!).trim() : '';
  return v === '' ? undefined : v;
}

/** The install facts of the OSes in one osinfo-db file. */
export function parseOsinstallXml(xml: string): OsinstallFacts[] {
  const out: OsinstallFacts[] = [];
  for (const os of blocks(xml.replace(/<!--[\s\S]*?-->/g, ''), 'os')) {
    const id = attr(os.open, 'id');
    if (!id) continue;
    const body = os.inner;
    // The OS's own facts, without those of its variants, media and trees.
    const own = body.replace(/<(variant|media|tree|image|resources|devices|installer|firmware|driver)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/g, '');
    const media = blocks(body, 'media').map(({ open, inner }): OsinfoMedia => {
      const iso = blocks(inner, 'iso')[0]?.inner ?? '';
      return {
        arch: attr(open, 'arch') ?? 'all',
        volumeId: text(iso, 'volume-id'),
        systemId: text(iso, 'system-id'),
        publisherId: text(iso, 'publisher-id'),
        applicationId: text(iso, 'application-id'),
        kernel: text(inner, 'kernel'),
        initrd: text(inner, 'initrd'),
        live: attr(open, 'live') === 'true',
      };
    });
    const trees = blocks(body, 'tree').map(({ open, inner }): OsinfoTree => {
      const ti = blocks(inner, 'treeinfo')[0]?.inner;
      return {
        arch: attr(open, 'arch') ?? 'all',
        url: text(inner, 'url'),
        treeinfo: ti === undefined ? undefined : { family: text(ti, 'family'), version: text(ti, 'version'), arch: text(ti, 'arch'), variant: text(ti, 'variant') },
        kernel: text(inner, 'kernel'),
        initrd: text(inner, 'initrd'),
      };
    });
    const minimum = new Map<string, OsinfoResources>();
    const recommended = new Map<string, OsinfoResources>();
    for (const r of blocks(body, 'resources')) {
      const arch = attr(r.open, 'arch') ?? 'all';
      const min = blocks(r.inner, 'minimum')[0];
      const rec = blocks(r.inner, 'recommended')[0];
      if (min) minimum.set(arch, resources(min.inner));
      if (rec) recommended.set(arch, resources(rec.inner));
    }
    const devices = blocks(body, 'devices').flatMap((d) => blocks(d.inner, 'device').map((x) => attr(x.open, 'id') ?? '')).filter((x) => x !== '');
    const parents = [...own.matchAll(/<(?:derives-from|upgrades)\b[^>]*\bid\s*=\s*(["'])([^"']+)\1/g)].map((m) => decodeEntities(m[2]!));
    out.push({
      id,
      name: plain(own, 'name') ?? id,
      family: text(own, 'family'),
      distro: text(own, 'distro'),
      codename: text(own, 'codename'),
      releaseDate: text(own, 'release-date'),
      parents: [...new Set(parents)],
      media,
      trees,
      minimum,
      recommended,
      devices,
    });
  }
  return out;
}

// ------------------------------------------------------------------ ISO 9660

/** The identifiers of an ISO 9660 primary volume descriptor (ECMA-119 8.4). */
export interface IsoIdentifiers {
  readonly systemId: string;
  readonly volumeId: string;
  readonly publisherId: string;
  readonly applicationId: string;
}

/** Where the volume descriptors start (sector 16 of 2048 bytes) and how much to read to find the primary one. */
export const ISO_DESCRIPTOR_OFFSET = 16 * 2048;
export const ISO_DESCRIPTOR_READ = 2048 * 4;

/**
 * Reads the primary volume descriptor from the bytes at ISO_DESCRIPTOR_OFFSET (a boot record or
 * supplementary descriptors may come first; the set ends with type 255). Undefined: not ISO 9660.
 */
export function parseIsoDescriptors(bytes: Uint8Array): IsoIdentifiers | undefined {
  const field = (d: Uint8Array, at: number, len: number): string =>
    Buffer.from(d.subarray(at, at + len))
      .toString('latin1')
      .replace(/[\0 ]+$/, '')
      .trim();
  for (let off = 0; off + 2048 <= bytes.length; off += 2048) {
    const d = bytes.subarray(off, off + 2048);
    if (Buffer.from(d.subarray(1, 6)).toString('latin1') !== 'CD001') return undefined;
    if (d[0] === 255) return undefined;
    if (d[0] === 1) return { systemId: field(d, 8, 32), volumeId: field(d, 40, 32), publisherId: field(d, 318, 128), applicationId: field(d, 574, 128) };
  }
  return undefined;
}

// ------------------------------------------------------------------ .treeinfo

/** An install tree's .treeinfo ([general] in old trees, [release]/[tree] in productmd 1.x). */
export interface Treeinfo {
  readonly family?: string;
  readonly version?: string;
  readonly arch?: string;
  readonly variant?: string;
  /** Kernel and initrd paths relative to the tree, by arch. */
  readonly images: ReadonlyMap<string, { readonly kernel?: string; readonly initrd?: string }>;
}

export function parseTreeinfo(textIn: string): Treeinfo {
  const sections = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const raw of textIn.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      cur = new Map();
      sections.set(sec[1]!.trim().toLowerCase(), cur);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && cur) cur.set(kv[1]!.trim().toLowerCase(), kv[2]!.trim());
  }
  const g = (s: string, k: string): string | undefined => sections.get(s)?.get(k) || undefined;
  const images = new Map<string, { kernel?: string; initrd?: string }>();
  for (const [name, kv] of sections) {
    const m = /^images-(.+)$/.exec(name);
    if (m) images.set(m[1]!, { kernel: kv.get('kernel'), initrd: kv.get('initrd') });
  }
  return {
    family: g('release', 'name') ?? g('general', 'family') ?? g('product', 'name'),
    version: g('release', 'version') ?? g('general', 'version') ?? g('product', 'version'),
    arch: g('tree', 'arch') ?? g('general', 'arch'),
    variant: g('general', 'variant') ?? g('variant-' + (g('tree', 'variants') ?? '').split(',')[0]?.toLowerCase(), 'name'),
    images,
  };
}

// ------------------------------------------------------------------ matching

/** libosinfo matches media and tree identifiers as unanchored, case-sensitive regular expressions. */
function matches(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (value === undefined) return false;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

const archOk = (want: string | undefined, have: string): boolean => want === undefined || have === 'all' || have === want;

export interface Detected {
  readonly os: OsinstallFacts;
  readonly media?: OsinfoMedia;
  readonly tree?: OsinfoTree;
}

/** Newest first (release date), then by id, so the most specific recent release wins among equal matches. */
function newestFirst(a: Detected, b: Detected): number {
  return (b.os.releaseDate ?? '').localeCompare(a.os.releaseDate ?? '') || a.os.id.localeCompare(b.os.id);
}

/**
 * The OSes whose media the ISO matches (every identifier osinfo-db gives must match), best
 * first: media with more identifiers given are more specific and win.
 */
export function detectFromIso(catalog: readonly OsinstallFacts[], iso: IsoIdentifiers, arch?: string): Detected[] {
  const found: { d: Detected; weight: number }[] = [];
  for (const os of catalog) {
    for (const m of os.media) {
      if (m.volumeId === undefined && m.systemId === undefined && m.publisherId === undefined && m.applicationId === undefined) continue;
      if (!archOk(arch, m.arch)) continue;
      if (matches(m.volumeId, iso.volumeId) && matches(m.systemId, iso.systemId) && matches(m.publisherId, iso.publisherId) && matches(m.applicationId, iso.applicationId)) {
        found.push({ d: { os, media: m }, weight: [m.volumeId, m.systemId, m.publisherId, m.applicationId].filter((x) => x !== undefined).length });
        break;
      }
    }
  }
  return found.sort((a, b) => b.weight - a.weight || newestFirst(a.d, b.d)).map((x) => x.d);
}

/** The OSes whose trees the .treeinfo matches, best first. */
export function detectFromTreeinfo(catalog: readonly OsinstallFacts[], ti: Treeinfo, arch?: string): Detected[] {
  const found: Detected[] = [];
  for (const os of catalog) {
    const t = os.trees.find((x) => x.treeinfo && archOk(arch ?? ti.arch, x.arch) && matches(x.treeinfo.family, ti.family) && matches(x.treeinfo.version, ti.version) && matches(x.treeinfo.arch, ti.arch) && (x.treeinfo.variant === undefined || matches(x.treeinfo.variant, ti.variant)));
    if (t) found.push({ os, tree: t });
  }
  return found.sort(newestFirst);
}

/** Debian's and Ubuntu's installer directory layout: …/dists/<codename>/main/installer-<debian arch>/… */
const DEBIAN_LAYOUT = /\/dists\/([a-z0-9-]+)\/main\/installer-([a-z0-9]+)(?:\/|$)/;
const DEBIAN_ARCH: Record<string, string> = { amd64: 'x86_64', i386: 'i686', arm64: 'aarch64', armhf: 'armv7l', ppc64el: 'ppc64le', s390x: 's390x' };

/**
 * The OS of a Debian/Ubuntu mirror URL by its layout (the codename in the path; a mirror root
 * needs the codename from its Release file first). The tree whose URL shares the codename gives
 * the kernel and initrd paths below the installer directory.
 */
export function detectFromDebianUrl(catalog: readonly OsinstallFacts[], url: string): Detected[] {
  const m = DEBIAN_LAYOUT.exec(new URL(url).pathname);
  if (!m) return [];
  const [, codename, debArch] = m;
  const arch = DEBIAN_ARCH[debArch!] ?? debArch!;
  // Ubuntu's codenames are two words ("Jammy Jellyfish"); the path has the first.
  const own = (os: OsinstallFacts): boolean => os.codename?.split(/\s+/)[0]?.toLowerCase() === codename;
  const found: Detected[] = [];
  for (const os of catalog) {
    const tree = os.trees.find((t) => t.url !== undefined && archOk(arch, t.arch) && DEBIAN_LAYOUT.exec(t.url)?.[1] === codename);
    if (tree || own(os)) found.push({ os, ...(tree ? { tree } : {}) });
  }
  // Prefer the OS whose own codename is the path's (an OS and its point releases share trees).
  return found.sort((a, b) => Number(own(b.os)) - Number(own(a.os)) || newestFirst(a, b));
}

// ------------------------------------------------------------------ inherited facts


/** An OS with the facts it inherits from the OSes it derives from or upgrades. */
export class OsinstallCatalog {
  private readonly byId: Map<string, OsinstallFacts>;

  constructor(readonly all: readonly OsinstallFacts[]) {
    this.byId = new Map(all.map((o) => [o.id, o]));
  }

  get(id: string): OsinstallFacts | undefined {
    return this.byId.get(id);
  }

  /** The OS and its ancestors, nearest first (each once; cycles ignored). */
  lineage(id: string): OsinstallFacts[] {
    const out: OsinstallFacts[] = [];
    const seen = new Set<string>();
    const queue = [id];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const os = this.byId.get(cur);
      if (!os) continue;
      out.push(os);
      queue.push(...os.parents);
    }
    return out;
  }

  /** Whether the OS (or an ancestor) lists the device. */
  supports(id: string, deviceIds: readonly string[]): boolean {
    return this.lineage(id).some((o) => o.devices.some((d) => deviceIds.includes(d)));
  }

  /** Whether osinfo-db lists any device (driver) for the OS or the OSes it derives from. */
  listsDevices(id: string): boolean {
    return this.lineage(id).some((o) => o.devices.length > 0);
  }

  /** VirtIO disk and network drivers in the installer and the installed system. */
  supportsVirtio(id: string): boolean {
    return this.supports(id, VIRTIO_BLK) && this.supports(id, VIRTIO_NET);
  }

  /** The nearest resources for an arch (the arch's own, else 'all'), inherited when the OS lists none. */
  resources(id: string, kind: 'minimum' | 'recommended', arch: string): OsinfoResources | undefined {
    for (const os of this.lineage(id)) {
      const r = os[kind].get(arch) ?? os[kind].get('all');
      if (r) return r;
    }
    return undefined;
  }
}
