// Where the RelaxNG schemas of a host come from. libvirt installs them with the daemon
// (/usr/share/libvirt/schemas) and they change between versions, so the editor reads the
// connected host's copy: from the local disk for a local (unix socket) connection, over the SSH
// session's exec channel for qemu+ssh. libvirt has no RPC that returns its schemas, so a TLS or
// TCP host falls back to this machine's copy (the caller says so). Grammars are cached per
// source and libvirt version.

import * as fs from 'node:fs/promises';
import { parseUri } from '../../libvirt/uri';
import { sshSessionOptionsForUri } from '../../libvirt/transport/open';
import { sharedSshSessions } from '../../libvirt/transport/sshSession';
import { RngGrammar, type RngReader } from './rngGrammar';

export const SCHEMA_DIR = '/usr/share/libvirt/schemas';

/** Schema file names are fixed words: never pass anything else to a remote shell. */
const SAFE_FILE = /^[A-Za-z0-9_-]+\.rng$/;

export class SchemaFileNameError extends Error {
  constructor(readonly fileName: string) {
    super(`Refusing to read schema "${fileName}": not a plain .rng file name`);
    this.name = 'SchemaFileNameError';
  }
  static is(e: unknown): e is SchemaFileNameError {
    return e instanceof SchemaFileNameError;
  }
}

export function localReader(dir: string = SCHEMA_DIR): RngReader {
  return async (name) => {
    if (!SAFE_FILE.test(name)) throw new SchemaFileNameError(name);
    return fs.readFile(`${dir}/${name}`, 'utf8');
  };
}

/**
 * Runs a fixed argument vector on the SSH host of `uri` over its shared session and returns
 * stdout. Only constant words reach the remote shell (callers pass fixed commands and
 * SAFE_FILE-checked names), so joining with spaces needs no quoting.
 */
export function sshExec(uri: string): (argv: readonly string[]) => Promise<Buffer> {
  const parsed = parseUri(uri);
  return async (argv) => {
    for (const a of argv) if (!/^[A-Za-z0-9_./-]+$/.test(a)) throw new SchemaFileNameError(a);
    const session = await sharedSshSessions.acquire(sshSessionOptionsForUri(parsed));
    try {
      const channel = await session.exec(argv.join(' '));
      return await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const errs: Buffer[] = [];
        channel.on('data', (b: Buffer) => chunks.push(b));
        channel.stderr.on('data', (b: Buffer) => errs.push(b));
        channel.on('error', reject);
        channel.on('close', (code: number | null) => {
          if (code === 0) resolve(Buffer.concat(chunks));
          else reject(new Error(`${argv[0] ?? ''} on ${parsed.host ?? ''} exited with ${code ?? 'a signal'}: ${Buffer.concat(errs).toString('utf8').trim()}`));
        });
      });
    } finally {
      session.release();
    }
  };
}

/** Reads schema files on an SSH host with `cat` over the shared session of `uri`. */
export function sshReader(uri: string, dir: string = SCHEMA_DIR): RngReader {
  const exec = sshExec(uri);
  return async (name) => {
    if (!SAFE_FILE.test(name)) throw new SchemaFileNameError(name);
    return (await exec(['cat', `${dir}/${name}`])).toString('utf8');
  };
}

export interface SchemaOrigin {
  /** 'host': the connected host's own copy; 'local': this machine's copy used for a host that cannot serve it. */
  readonly where: 'host' | 'local';
  readonly description: string;
}

export interface LoadedGrammar {
  readonly grammar: RngGrammar;
  readonly origin: SchemaOrigin;
}

function readerFor(uri: string | undefined): { key: string; read: RngReader; origin: SchemaOrigin } {
  if (uri !== undefined) {
    const parsed = parseUri(uri);
    if (parsed.transport === 'ssh') return { key: `ssh:${parsed.user ?? ''}@${parsed.host ?? ''}:${parsed.port ?? ''}`, read: sshReader(uri), origin: { where: 'host', description: `schemas of ${parsed.host ?? 'the host'} (over SSH)` } };
    if (parsed.isLocal) return { key: 'unix', read: localReader(), origin: { where: 'host', description: `schemas of this machine (${SCHEMA_DIR})` } };
    return { key: 'local', read: localReader(), origin: { where: 'local', description: `this machine's schemas (${parsed.host ?? 'the host'} cannot send its own over ${parsed.transport})` } };
  }
  return { key: 'local', read: localReader(), origin: { where: 'local', description: `schemas of this machine (${SCHEMA_DIR})` } };
}

/** Grammar cache keyed by schema source, libvirt version and entry file. */
export class SchemaCache {
  private readonly cache = new Map<string, Promise<LoadedGrammar>>();

  /** `uri`: the connection's libvirt URI (undefined: this machine); `version`: its libvirt version. */
  grammar(uri: string | undefined, version: number, entry: string): Promise<LoadedGrammar> {
    const { key, read, origin } = readerFor(uri);
    const cacheKey = `${key}|${version}|${entry}`;
    let p = this.cache.get(cacheKey);
    if (!p) {
      p = RngGrammar.load(entry, read).then((grammar) => ({ grammar, origin }));
      this.cache.set(cacheKey, p);
      p.catch(() => this.cache.delete(cacheKey));
    }
    return p;
  }
}
