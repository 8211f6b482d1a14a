// Where the RelaxNG schemas of a host come from. libvirt installs them with the daemon
// (/usr/share/libvirt/schemas) and they change between versions, so the editor reads the
// connected host's copy: from the local disk for a local (unix socket) connection, as one
// bounded tar archive over the SSH session for qemu+ssh (ExecSchemaSource). libvirt has no RPC
// that returns its schemas, so a TLS or TCP host falls back to this machine's copy (the caller
// says so). One schema source per host, shared by completion and validation; grammars are
// cached per source and libvirt version.

import { sshSessionOptionsForUri } from '../../libvirt/transport/open';
import { sharedSshSessions } from '../../libvirt/transport/sshSession';
import { parseUri } from '../../libvirt/uri';
import { ExecSchemaSource, LIBVIRT_SCHEMA_DIR, LocalSchemaSource, SchemaSourceError, type ExecFn, type SchemaSource } from '../../libvirt/xml/schemaSource';
import { RngGrammar, type RngReader } from '../../libvirt/xml/rngGrammar';

/** Only plain words reach the remote shell: callers pass fixed commands. */
const PLAIN_WORD = /^[A-Za-z0-9_./-]+$/;

/**
 * Runs a fixed argument vector on the SSH host of `uri` over its shared session and returns
 * stdout, within the limits. Plain words only, so joining with spaces needs no quoting.
 */
export function sshExec(uri: string): ExecFn {
  const parsed = parseUri(uri);
  return async (argv, limits) => {
    for (const a of argv) if (!PLAIN_WORD.test(a)) throw new SchemaSourceError(`refusing to pass '${a}' to a remote shell`);
    const session = await sharedSshSessions.acquire(sshSessionOptionsForUri(parsed));
    try {
      return await session.output(argv.join(' '), limits);
    } finally {
      session.release();
    }
  };
}

/** Reads schema files as text from a SchemaSource. */
export function readerOf(source: SchemaSource): RngReader {
  return async (name) => (await source.readFile(name)).toString('utf8');
}

export function localReader(dir: string = LIBVIRT_SCHEMA_DIR): RngReader {
  return readerOf(new LocalSchemaSource(dir));
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

export interface HostSchemas {
  /** Identifies the source: grammars and validators are cached under it. */
  readonly key: string;
  readonly source: SchemaSource;
  readonly origin: SchemaOrigin;
}

/** Schema sources per host, and grammars cached by source, libvirt version and entry file. */
export class SchemaCache {
  private readonly cache = new Map<string, Promise<LoadedGrammar>>();
  /** Kept per host so that a failed fetch's retry delay holds across requests. */
  private readonly sources = new Map<string, HostSchemas>();

  /** The schemas of the host of `uri` (a libvirt URI; undefined: this machine). */
  sourceFor(uri: string | undefined): HostSchemas {
    const wanted = this.describe(uri);
    let found = this.sources.get(wanted.key);
    if (!found) {
      found = { key: wanted.key, origin: wanted.origin, source: wanted.create() };
      this.sources.set(wanted.key, found);
    }
    return found;
  }

  private describe(uri: string | undefined): { key: string; origin: SchemaOrigin; create: () => SchemaSource } {
    const local = (): SchemaSource => new LocalSchemaSource();
    if (uri !== undefined) {
      const parsed = parseUri(uri);
      if (parsed.transport === 'ssh') {
        return { key: `ssh:${uri}`, origin: { where: 'host', description: `schemas of ${parsed.host ?? 'the host'} (over SSH)` }, create: () => new ExecSchemaSource(sshExec(uri)) };
      }
      if (parsed.isLocal) return { key: 'unix', origin: { where: 'host', description: `schemas of this machine (${LIBVIRT_SCHEMA_DIR})` }, create: local };
      return {
        key: 'local',
        origin: { where: 'local', description: `this machine's schemas (${parsed.host ?? 'the host'} cannot send its own over ${parsed.transport})` },
        create: local,
      };
    }
    return { key: 'local', origin: { where: 'local', description: `schemas of this machine (${LIBVIRT_SCHEMA_DIR})` }, create: local };
  }

  /** `uri`: the connection's libvirt URI (undefined: this machine); `version`: its libvirt version. */
  grammar(uri: string | undefined, version: number, entry: string): Promise<LoadedGrammar> {
    const { key, source, origin } = this.sourceFor(uri);
    const cacheKey = `${key}|${version}|${entry}`;
    let p = this.cache.get(cacheKey);
    if (!p) {
      p = RngGrammar.load(entry, readerOf(source)).then((grammar) => ({ grammar, origin }));
      this.cache.set(cacheKey, p);
      p.catch(() => this.cache.delete(cacheKey));
    }
    return p;
  }
}
