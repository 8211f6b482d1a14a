// Where libvirt's RelaxNG schemas come from: the local /usr/share/libvirt/schemas, a map of
// texts, or a remote host through a command runner (e.g. an SSH exec channel). The schemas
// differ per libvirt version, so a document is validated against its host's own copy.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RemoteCommandLimitError } from '../transport/transportErrors';

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

/** Bounds an ExecFn must keep: past either one it stops the command and rejects. */
export interface ExecLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/**
 * Runs a fixed argument vector on the target host and returns its stdout, within the limits
 * (rejecting with RemoteCommandLimitError past them).
 */
export type ExecFn = (argv: readonly string[], limits: ExecLimits) => Promise<Buffer>;

export interface ExecSchemaSourceOptions {
  /** Largest archive accepted. Default 16 MiB (libvirt's schemas are about 0.5 MiB). */
  readonly maxBytes?: number;
  /** Time for the whole fetch. Default 30 s. */
  readonly timeoutMs?: number;
  /** Wait after a failed fetch before the next one; doubles per failure up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

/**
 * Fetches the host's schema directory with one fixed command,
 * `tar -C /usr/share/libvirt/schemas -c .` (no user input in it), and serves files from the
 * archive. The archive is fetched once per instance, bounded in size and time. A failed fetch
 * is not kept: until the retry delay has passed requests get its error at once (typing in an
 * editor does not hammer the host), after it the next request fetches again.
 */
export class ExecSchemaSource implements SchemaSource {
  static readonly COMMAND: readonly string[] = ['tar', '-C', LIBVIRT_SCHEMA_DIR, '-c', '.'];
  private files: Promise<Map<string, Buffer>> | undefined;
  private failure: { readonly error: unknown; readonly until: number } | undefined;
  private failures = 0;
  private readonly limits: ExecLimits;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly exec: ExecFn,
    opts: ExecSchemaSourceOptions = {},
  ) {
    this.limits = { maxBytes: opts.maxBytes ?? 16 * 1024 * 1024, timeoutMs: opts.timeoutMs ?? 30_000 };
    this.retryDelayMs = opts.retryDelayMs ?? 5_000;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 120_000;
  }

  private load(): Promise<Map<string, Buffer>> {
    if (this.files) return this.files;
    if (this.failure && Date.now() < this.failure.until) return Promise.reject(this.failure.error);
    const files = this.fetch().then(
      (map) => {
        this.failures = 0;
        this.failure = undefined;
        return map;
      },
      (error: unknown) => {
        const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** this.failures++);
        this.failure = { error, until: Date.now() + delay };
        if (this.files === files) this.files = undefined;
        throw error;
      },
    );
    this.files = files;
    return files;
  }

  /** The archive, within the limits even when the ExecFn does not keep them. */
  private async fetch(): Promise<Map<string, Buffer>> {
    const what = `Fetching the libvirt schemas (${ExecSchemaSource.COMMAND.join(' ')})`;
    const { maxBytes, timeoutMs } = this.limits;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RemoteCommandLimitError(what, 'time', timeoutMs)), timeoutMs);
    });
    try {
      const tar = await Promise.race([this.exec(ExecSchemaSource.COMMAND, this.limits), deadline]);
      if (tar.length > maxBytes) throw new RemoteCommandLimitError(what, 'size', maxBytes);
      return parseTar(tar);
    } finally {
      clearTimeout(timer);
    }
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

/** Regular files at the top of a POSIX (ustar/GNU) tar archive, by base name. */
export function parseTar(buf: Buffer): Map<string, Buffer> {
  return new Map([...parseTarEntries(buf)].filter(([name]) => !name.includes('/')));
}

/** Regular files of a POSIX (ustar/GNU) tar archive, by path (without a leading ./). */
export function parseTarEntries(buf: Buffer): Map<string, Buffer> {
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
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    const data = buf.subarray(off + 512, off + 512 + size);
    if (data.length < size) throw new SchemaSourceError('truncated tar archive');
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '' || type === '7') {
      out.set(name.replace(/^\.\//, ''), Buffer.from(data));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
