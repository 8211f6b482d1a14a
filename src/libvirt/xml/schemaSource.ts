// Where libvirt's RelaxNG schemas come from: the local /usr/share/libvirt/schemas, a map of
// texts, or a remote host through a command runner (e.g. an SSH exec channel). The schemas
// differ per libvirt version, so a document is validated against its host's own copy.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const LIBVIRT_SCHEMA_DIR = '/usr/share/libvirt/schemas';

export interface SchemaSource {
  /** File names (no directories), e.g. domain.rng, domaincommon.rng. */
  listFiles(): Promise<string[]>;
  readFile(name: string): Promise<Buffer>;
}

export class SchemaSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaSourceError';
  }
  static is(e: unknown): e is SchemaSourceError {
    return e instanceof SchemaSourceError;
  }
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+\.rng$/.test(name)) throw new SchemaSourceError(`'${name}' is not a schema file name`);
}

/** Reads a local schema directory. */
export class LocalSchemaSource implements SchemaSource {
  constructor(readonly dir: string = LIBVIRT_SCHEMA_DIR) {}
  async listFiles(): Promise<string[]> {
    return (await fs.readdir(this.dir)).filter((f) => f.endsWith('.rng')).sort();
  }
  async readFile(name: string): Promise<Buffer> {
    checkName(name);
    return fs.readFile(path.join(this.dir, name));
  }
}

/** Schemas given as texts (e.g. fetched earlier and cached). */
export class MapSchemaSource implements SchemaSource {
  constructor(private readonly files: ReadonlyMap<string, Buffer | string>) {}
  async listFiles(): Promise<string[]> {
    return [...this.files.keys()].filter((f) => f.endsWith('.rng')).sort();
  }
  async readFile(name: string): Promise<Buffer> {
    const v = this.files.get(name);
    if (v === undefined) throw new SchemaSourceError(`schema ${name} not found`);
    return Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
  }
}

/** Runs a fixed argument vector on the target host and returns its stdout. */
export type ExecFn = (argv: readonly string[]) => Promise<Buffer>;

/**
 * Fetches the host's schema directory with one fixed command,
 * `tar -C /usr/share/libvirt/schemas -c .` (no user input in it), and serves files from the
 * archive. The archive is fetched once per instance.
 */
export class ExecSchemaSource implements SchemaSource {
  static readonly COMMAND: readonly string[] = ['tar', '-C', LIBVIRT_SCHEMA_DIR, '-c', '.'];
  private files: Promise<Map<string, Buffer>> | undefined;
  constructor(private readonly exec: ExecFn) {}

  private load(): Promise<Map<string, Buffer>> {
    this.files ??= this.exec(ExecSchemaSource.COMMAND).then(parseTar);
    return this.files;
  }
  async listFiles(): Promise<string[]> {
    return [...(await this.load()).keys()].filter((f) => f.endsWith('.rng')).sort();
  }
  async readFile(name: string): Promise<Buffer> {
    checkName(name);
    const f = (await this.load()).get(name);
    if (!f) throw new SchemaSourceError(`schema ${name} not found on the host`);
    return f;
  }
}

/** Regular files of a POSIX (ustar/GNU) tar archive, by base name. */
export function parseTar(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (s: number, n: number): string => header.toString('latin1', s, s + n).replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new SchemaSourceError('corrupt tar archive');
    const type = str(156, 1);
    const magic = str(257, 6);
    const prefix = magic.startsWith('ustar') ? str(345, 155) : '';
    let name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    const data = buf.subarray(off + 512, off + 512 + size);
    if (data.length < size) throw new SchemaSourceError('truncated tar archive');
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '' || type === '7') {
      name = name.replace(/^\.\//, '');
      if (!name.includes('/')) out.set(name, Buffer.from(data));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
