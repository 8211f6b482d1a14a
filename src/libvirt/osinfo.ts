// The operating systems libosinfo knows (osinfo-db: /usr/share/osinfo/os/<vendor>/<os>.xml), for
// the OS field's searchable list. Read from this machine when osinfo-db is installed here, else
// from the connected host over its SSH exec channel (one bounded `tar` of the os directory), else
// there is no list and the field takes free text. Each file is scanned for its top-level facts
// (id, short id, name, version, vendor, release and end-of-life dates) without a full XML parse:
// about 800 files in well under a second, once per catalog.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OsinstallCatalog, parseOsinstallXml } from './osinfoMedia';
import { parseTarEntries, type ExecFn } from './xml/schemaSource';
import { decodeEntities } from './xml/xmlDocument';

export const OSINFO_DIR = '/usr/share/osinfo';

export interface OsinfoEntry {
  /** The libosinfo id, e.g. http://debian.org/debian/11 (what the domain's metadata stores). */
  readonly id: string;
  /** The first short id, e.g. debian11. */
  readonly shortId: string | undefined;
  readonly name: string;
  readonly version: string | undefined;
  readonly vendor: string | undefined;
  readonly releaseDate: string | undefined;
  readonly eolDate: string | undefined;
}

/** Blocks inside <os> whose own <name>/<version>… are not the OS's. */
const NESTED = /<(variant|media|tree|image|resources|devices|installer|firmware|driver|kernel-url-argument)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/g;
const OS_RE = /<os\b[^>]*\bid\s*=\s*(["'])([^"']+)\1[^>]*>([\s\S]*?)<\/os>/g;

/** The first <tag> without attributes (translations carry xml:lang) among the OS's own children. */
function first(body: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body);
  const v = m ? decodeEntities(m[1]!).trim() : '';
  return v === '' ? undefined : v;
}

/** The OSes of one osinfo-db file (normally one). */
export function parseOsinfoXml(text: string): OsinfoEntry[] {
  const out: OsinfoEntry[] = [];
  for (const m of text.matchAll(OS_RE)) {
    const body = m[3]!.replace(/<!--[\s\S]*?-->/g, '').replace(NESTED, '');
    const id = decodeEntities(m[2]!);
    out.push({
      id,
      shortId: first(body, 'short-id'),
      name: first(body, 'name') ?? id,
      version: first(body, 'version'),
      vendor: first(body, 'vendor'),
      releaseDate: first(body, 'release-date'),
      eolDate: first(body, 'eol-date'),
    });
  }
  return out;
}

/** Sorted by name with numbers in order (Debian 9 before Debian 10). */
function sorted(entries: OsinfoEntry[]): OsinfoEntry[] {
  const seen = new Set<string>();
  return entries
    .filter((e) => !seen.has(e.id) && seen.add(e.id))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true, sensitivity: 'base' }) || a.id.localeCompare(b.id));
}

/** The texts of a local osinfo-db's OS files; undefined when it has none. */
export async function readLocalOsinfoFiles(dir: string = OSINFO_DIR): Promise<string[] | undefined> {
  const osDir = path.join(dir, 'os');
  let vendors: string[];
  try {
    vendors = await fs.readdir(osDir);
  } catch {
    return undefined;
  }
  const files = (await Promise.all(vendors.map(async (v) => (await fs.readdir(path.join(osDir, v)).catch(() => [] as string[])).filter((f) => f.endsWith('.xml')).map((f) => path.join(osDir, v, f))))).flat();
  const texts = (await Promise.all(files.map((f) => fs.readFile(f, 'utf8').catch(() => '')))).filter((t) => t !== '');
  return texts.length > 0 ? texts : undefined;
}

/** The OS list of a local osinfo-db directory; undefined when it has none. */
export async function readLocalOsinfo(dir: string = OSINFO_DIR): Promise<OsinfoEntry[] | undefined> {
  return entriesOf(await readLocalOsinfoFiles(dir));
}

function entriesOf(texts: readonly string[] | undefined): OsinfoEntry[] | undefined {
  const all = (texts ?? []).flatMap(parseOsinfoXml);
  return all.length > 0 ? sorted(all) : undefined;
}

/** The command that fetches a host's OS files: fixed words only (no user input reaches the shell). */
export const OSINFO_REMOTE_COMMAND: readonly string[] = ['tar', '-C', OSINFO_DIR, '-cz', 'os'];

/** The texts of a host's OS files through `exec`; undefined when the host has no osinfo-db. */
export async function readRemoteOsinfoFiles(exec: ExecFn, limits = { maxBytes: 8 * 1024 * 1024, timeoutMs: 20_000 }): Promise<string[] | undefined> {
  const gz = await exec(OSINFO_REMOTE_COMMAND, limits);
  if (gz.length === 0) return undefined;
  const tar = gunzipSync(gz, { maxOutputLength: 64 * 1024 * 1024 });
  // os/<vendor>/<os>.xml, as readLocalOsinfoFiles reads (not the fragments in <os>.d/ directories).
  const texts = [...parseTarEntries(tar)].filter(([name]) => /^os\/[^/]+\/[^/]+\.xml$/.test(name)).map(([, data]) => data.toString('utf8'));
  return texts.length > 0 ? texts : undefined;
}

/** The OS list of a host through `exec`; undefined when the host has no osinfo-db. */
export async function readRemoteOsinfo(exec: ExecFn, limits?: { maxBytes: number; timeoutMs: number }): Promise<OsinfoEntry[] | undefined> {
  return entriesOf(await readRemoteOsinfoFiles(exec, limits));
}

/** How long a failed or empty look-up is remembered before the next panel asks again. */
const RETRY_MS = 5 * 60_000;

/**
 * The OS files of one host: this machine's osinfo-db, else the host's over `exec` (when given),
 * read once and kept; a miss is kept for a few minutes so panels do not ask the host each time.
 * The OS list (the OS field) and the install facts (media detection, resources, drivers) are
 * both read from them, each once.
 */
export class OsinfoCatalog {
  private files: Promise<string[] | undefined> | undefined;
  private missUntil = 0;
  private list: { from: Promise<unknown>; value: Promise<OsinfoEntry[] | undefined> } | undefined;
  private install: { from: Promise<unknown>; value: Promise<OsinstallCatalog | undefined> } | undefined;

  constructor(
    private readonly local: () => Promise<string[] | undefined>,
    private readonly exec: ExecFn | undefined,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  private texts(): Promise<string[] | undefined> {
    if (this.files && (this.missUntil === 0 || Date.now() < this.missUntil)) return this.files;
    this.missUntil = 0;
    this.files = this.read().then((l) => {
      if (!l) this.missUntil = Date.now() + RETRY_MS;
      return l;
    });
    return this.files;
  }

  entries(): Promise<OsinfoEntry[] | undefined> {
    const from = this.texts();
    if (this.list?.from !== from) this.list = { from, value: from.then(entriesOf) };
    return this.list.value;
  }

  /** What osinfo-db says about installing each OS (undefined: no osinfo-db here or on the host). */
  installFacts(): Promise<OsinstallCatalog | undefined> {
    const from = this.texts();
    if (this.install?.from !== from) this.install = { from, value: from.then((t) => (t ? new OsinstallCatalog(t.flatMap(parseOsinstallXml)) : undefined)) };
    return this.install.value;
  }

  private async read(): Promise<string[] | undefined> {
    const here = await this.local().catch(() => undefined);
    if (here || !this.exec) return here;
    try {
      return await readRemoteOsinfoFiles(this.exec);
    } catch (e) {
      this.onError(`Reading the host's OS list (osinfo-db) failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
}

/**
 * One catalog per host; this machine's osinfo-db is read once for all of them. `execFor` gives
 * the command channel of a host that has one (SSH), else undefined.
 */
export class OsinfoCatalogs {
  private readonly byHost = new Map<string, OsinfoCatalog>();
  private localFiles: Promise<string[] | undefined> | undefined;

  constructor(
    private readonly execFor: (uri: string) => ExecFn | undefined,
    private readonly dir: string = OSINFO_DIR,
    private readonly onError?: (message: string) => void,
  ) {}

  forHost(uri: string): OsinfoCatalog {
    let c = this.byHost.get(uri);
    if (!c) {
      c = new OsinfoCatalog(() => (this.localFiles ??= readLocalOsinfoFiles(this.dir)), this.execFor(uri), this.onError);
      this.byHost.set(uri, c);
    }
    return c;
  }
}

/** The OS field's options: "Debian 11 (debian11)", with the id and dates as the second line. */
export function osinfoOptions(entries: readonly OsinfoEntry[]): { value: string; label: string; detail: string }[] {
  return entries.map((e) => ({
    value: e.id,
    label: e.shortId ? `${e.name} (${e.shortId})` : e.name,
    detail: [e.id, e.releaseDate ? `released ${e.releaseDate}` : undefined, e.eolDate ? `end of life ${e.eolDate}` : undefined].filter((x) => x !== undefined).join(' · '),
  }));
}
