// Whether a file exists on another libvirt host, asked through libvirt alone (the client may not
// reach that host's file system at all). In order:
//  1. firmware the host's domain capabilities list (`<os><loader><value>`, from its firmware
//     descriptors): present;
//  2. a volume of one of its active storage pools (storageVolLookupByPath): present;
//  3. a file in the directory of one of its pools that the pool does not list: missing;
//  4. otherwise a transient `dir` pool over the file's directory, read and destroyed at once: it
//     lists what is in that directory (or fails when the directory does not exist). Nothing is
//     written: the pool is created without BUILD, is never defined, and is gone after the check;
//     clients watching pool events see it come and go under the name libvirt-vms-probe-….
//     When libvirt refuses the pool (another pool covers that directory, no storage driver) the
//     answer is "unknown", which the callers turn into a warning, never into a refusal.
// No `vscode` import.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Connection } from '../../libvirt/connection';
import { isNoStorageVol } from '../../libvirt/rpc/errors';
import { child, children, escapeXml, parseXmlElement, textOf } from '../../libvirt/resources/xmlElement';

export type FileState = 'present' | 'missing' | 'unknown';

export type DestinationFilesApi = Pick<Connection, 'storageVolLookupByPath' | 'storagePoolCreateXml' | 'storagePoolListAllVolumes' | 'storagePoolDestroy' | 'connectListAllStoragePools' | 'storagePoolGetXmlDesc'>;

/** A host's storage pools by their target directory. */
export async function poolDirs(conn: Pick<Connection, 'connectListAllStoragePools' | 'storagePoolGetXmlDesc'>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const pools = await conn.connectListAllStoragePools();
  const xmls = await Promise.all(pools.map((p) => conn.storagePoolGetXmlDesc(p).catch(() => '')));
  pools.forEach((p, i) => {
    const target = textOf(parseXmlElement(xmls[i] || '<pool/>'), 'target/path');
    if (target) out.set(path.normalize(target.trim()), p.name);
  });
  return out;
}

/** Asks one host about files, each directory probed at most once. */
export class DestinationFiles {
  private readonly dirs = new Map<string, Promise<ReadonlySet<string> | 'missing' | 'unknown'>>();
  private pools: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly conn: DestinationFilesApi,
    /** Firmware paths the host's domain capabilities list. */
    private readonly firmware: ReadonlySet<string> = new Set(),
  ) {}

  async state(file: string): Promise<FileState> {
    const p = path.normalize(file);
    if (this.firmware.has(p)) return 'present';
    const vol = await this.conn.storageVolLookupByPath(p).then(
      () => true,
      (e: unknown) => (isNoStorageVol(e) ? false : Promise.reject(e)),
    );
    if (vol) return 'present';
    const dir = path.dirname(p);
    // A pool over that directory would have listed the file (libvirt also refuses a second pool there).
    this.pools ??= poolDirs(this.conn);
    if ((await this.pools).has(dir)) return 'missing';
    let listing = this.dirs.get(dir);
    if (!listing) {
      listing = this.list(dir);
      this.dirs.set(dir, listing);
    }
    const l = await listing;
    if (l === 'missing' || l === 'unknown') return l;
    return l.has(p) ? 'present' : 'missing';
  }

  private async list(dir: string): Promise<ReadonlySet<string> | 'missing' | 'unknown'> {
    const name = `libvirt-vms-probe-${randomBytes(4).toString('hex')}`;
    let pool;
    try {
      pool = await this.conn.storagePoolCreateXml(`<pool type='dir'><name>${name}</name><target><path>${escapeXml(dir)}</path></target></pool>`, 0);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // libvirt 9.0: "cannot open directory '/x': No such file or directory".
      if (/No such file or directory|does not exist/i.test(msg)) return 'missing';
      // Anything else (a pool of its own over that directory, no storage driver): cannot say.
      return 'unknown';
    }
    try {
      // A dir pool's volume key is the file's path.
      return new Set((await this.conn.storagePoolListAllVolumes(pool)).map((v) => path.normalize(v.key)));
    } finally {
      await this.conn.storagePoolDestroy(pool).catch(() => undefined);
    }
  }
}

/** The firmware files a host's domain capabilities list for this VM's emulator, arch, machine and type. */
export async function firmwareOf(conn: Pick<Connection, 'connectGetDomainCapabilities'>, emulator: string | null, arch: string | null, machine: string | null, virttype: string | null): Promise<Set<string>> {
  try {
    const caps = await conn.connectGetDomainCapabilities(emulator, arch, machine, virttype);
    const loader = child(child(parseXmlElement(caps), 'os'), 'loader');
    return new Set(children(loader, 'value').map((v) => path.normalize(v.text.trim())).filter((v) => v.startsWith('/')));
  } catch {
    return new Set();
  }
}
