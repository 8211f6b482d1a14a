// A network install tree reached by URL (HTTP, HTTPS or FTP): what it is (its .treeinfo, or the
// layout of a Debian/Ubuntu mirror's installer directory), the OS it installs (../osinfoMedia.ts),
// and the installer's kernel and initrd, fetched here (Node's http/https, TLS certificates verified
// by Node's defaults, never turned off; anonymous FTP through basic-ftp, in clear text as plain
// HTTP is) with size limits, progress and cancel, so they can be put on any host through the
// storage API.

import * as http from 'node:http';
import * as https from 'node:https';
import { Writable } from 'node:stream';
import { basicFtp } from './lazyModules';
import { detectFromDebianUrl, detectFromTreeinfo, parseTreeinfo, type OsinstallFacts } from './osinfoMedia';
import type { TransferProgress } from './resources/transfer';

/** Limits of what an install tree may make us fetch (bytes). */
export const TREEINFO_MAX = 256 * 1024;
export const KERNEL_MAX = 128 * 1024 * 1024;
export const INITRD_MAX = 512 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    message: string,
    readonly url: string,
    /** The HTTP status (or the FTP reply code) when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  static is(e: unknown): e is FetchError {
    return e instanceof FetchError;
  }
}

export interface FetchOptions {
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TransferProgress) => void;
  /** Without an answer for this long the fetch fails (ms, default 30 s). */
  readonly timeoutMs?: number;
}

/** http, https and ftp (anonymous); credentials in a URL are refused (they would be logged and sent in clear). */
export function checkTreeUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new FetchError(`'${raw}' is not a URL`, raw);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ftp:') throw new FetchError(`'${u.protocol}' URLs are not supported: use http://, https:// or ftp://`, raw);
  if (u.username !== '' || u.password !== '') throw new FetchError('A URL with a user name or password is not accepted', raw);
  return u;
}

/**
 * GETs a URL into memory (ftp:// through fetchFtp below): redirects followed (at most 5, never
 * from https to http), at most `maxBytes` (refused early by Content-Length, else when the body
 * passes it). A 404 or 410 resolves to undefined (the caller tries another layout); other
 * statuses fail.
 */
export async function fetchBytes(url: string, opts: FetchOptions, redirects = 0): Promise<Buffer | undefined> {
  const u = checkTreeUrl(url);
  opts.signal?.throwIfAborted();
  return u.protocol === 'ftp:' ? fetchFtp(u, url, opts) : fetchHttp(u, url, opts, redirects);
}

function fetchHttp(u: URL, url: string, opts: FetchOptions, redirects: number): Promise<Buffer | undefined> {
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const get = u.protocol === 'https:' ? https.get : http.get;
    const req = get(u, { signal: opts.signal, timeout: opts.timeoutMs ?? 30_000, headers: { 'user-agent': 'libvirt-vms' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        const next = new URL(res.headers.location, u);
        if (redirects >= MAX_REDIRECTS) return reject(new FetchError(`Too many redirects from ${url}`, url, status));
        if (u.protocol === 'https:' && next.protocol !== 'https:') return reject(new FetchError(`${url} redirects from HTTPS to ${next.protocol}: refused`, url, status));
        fetchBytes(next.toString(), opts, redirects + 1).then(resolve, reject);
        return;
      }
      if (status === 404 || status === 410) {
        res.resume();
        return resolve(undefined);
      }
      if (status !== 200) {
        res.resume();
        return reject(new FetchError(`${url} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, url, status));
      }
      const length = Number(res.headers['content-length'] ?? NaN);
      const total = Number.isFinite(length) ? length : 0;
      if (total > opts.maxBytes) {
        res.destroy();
        return reject(new FetchError(`${url} is ${total} bytes, more than the limit of ${opts.maxBytes}`, url, status));
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      let last = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > opts.maxBytes) {
          res.destroy(new FetchError(`${url} sent more than the limit of ${opts.maxBytes} bytes`, url, status));
          return;
        }
        chunks.push(c);
        const now = Date.now();
        if (now - last >= 200) {
          last = now;
          opts.onProgress?.({ bytes, total });
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) return reject(new FetchError(`${url}: the connection closed before the end of the file`, url, status));
        opts.onProgress?.({ bytes, total });
        resolve(Buffer.concat(chunks));
      });
    });
    req.on('timeout', () => req.destroy(new FetchError(`${url} did not answer within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s`, url)));
    req.on('error', (e) => reject(FetchError.is(e) || (e as { name?: string }).name === 'AbortError' ? e : new FetchError(`${url}: ${e.message}`, url)));
  });
}

/** FTP reply 550: no such file (or not a plain file, such as a directory). */
const FTP_UNAVAILABLE = 550;

/**
 * An ftp:// file into memory, as fetchBytes does for HTTP: anonymous login, binary mode, passive
 * data connection (basic-ftp: EPSV, else PASV); the size from SIZE is checked against the limit
 * before the transfer (and the bytes as they come, for a server without SIZE); a missing file
 * (reply 550) resolves to undefined. Cancel closes the connection.
 */
async function fetchFtp(u: URL, url: string, opts: FetchOptions): Promise<Buffer | undefined> {
  const { Client, FTPError } = basicFtp();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const client = new Client(timeoutMs);
  const abort = (): void => client.close();
  opts.signal?.addEventListener('abort', abort, { once: true });
  const code = (e: unknown): number | undefined => (e instanceof FTPError ? e.code : undefined);
  try {
    await client.access({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port === '' ? 21 : Number(u.port), user: 'anonymous', password: 'anonymous@', secure: false });
    const remote = decodeURIComponent(u.pathname);
    let total = 0;
    try {
      total = await client.size(remote);
    } catch (e) {
      if (code(e) === FTP_UNAVAILABLE) return undefined;
      // A server without SIZE (502, 500): the limit is checked on the bytes instead.
      if (code(e) === undefined) throw e;
    }
    if (total > opts.maxBytes) throw new FetchError(`${url} is ${total} bytes, more than the limit of ${opts.maxBytes}`, url);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let last = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        bytes += chunk.length;
        if (bytes > opts.maxBytes) return done(new FetchError(`${url} sent more than the limit of ${opts.maxBytes} bytes`, url));
        chunks.push(chunk);
        const now = Date.now();
        if (now - last >= 200) {
          last = now;
          opts.onProgress?.({ bytes, total });
        }
        done();
      },
    });
    try {
      await client.downloadTo(sink, remote);
    } catch (e) {
      if (code(e) === FTP_UNAVAILABLE) return undefined;
      throw e;
    }
    if (total > 0 && bytes !== total) throw new FetchError(`${url}: the transfer ended after ${bytes} of ${total} bytes`, url);
    opts.onProgress?.({ bytes, total });
    return Buffer.concat(chunks);
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (FetchError.is(e)) throw e;
    const what = e instanceof Error ? e.message : String(e);
    throw new FetchError(`${url}: ${/timeout/i.test(what) ? `no answer within ${Math.round(timeoutMs / 1000)} s` : what}`, url, code(e));
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    client.close();
  }
}

/** What a URL's tree is: where the installer's kernel and initrd are, and the OS (osinfo id) when known. */
export interface InstallTree {
  readonly url: string;
  readonly kind: 'treeinfo' | 'debian';
  readonly kernelUrl: string;
  readonly initrdUrl: string;
  readonly osId?: string;
  /** Arguments the installer needs to find the rest of the tree (virt-install's: inst.repo for .treeinfo trees). */
  readonly installArgs: string;
}

const DEBIAN_INSTALLER = /^(.*\/dists\/[a-z0-9-]+\/main\/installer-([a-z0-9]+)\/)/;
const DEBIAN_ARCH: Record<string, string> = { x86_64: 'amd64', i686: 'i386', aarch64: 'arm64', armv7l: 'armhf', ppc64le: 'ppc64el', s390x: 's390x' };

/**
 * Finds out what the URL serves: a tree with a .treeinfo (Fedora, RHEL, CentOS, openSUSE…) gives
 * its images for the arch; a Debian/Ubuntu installer directory (…/dists/<codename>/main/
 * installer-<arch>/) gives osinfo-db's kernel/initrd paths for that release, else the netboot
 * layout every current Debian uses. Anything else is refused with the reason.
 */
export async function probeInstallTree(raw: string, catalog: readonly OsinstallFacts[], arch = 'x86_64', opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<InstallTree> {
  const u = checkTreeUrl(raw);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  const base = u.toString();
  const debian = DEBIAN_INSTALLER.exec(u.pathname);
  if (!debian) {
    const text = await fetchBytes(new URL('.treeinfo', base).toString(), { maxBytes: TREEINFO_MAX, ...opts });
    if (!text) throw new FetchError(`${base} is not an install tree: it has no .treeinfo and is not a Debian/Ubuntu installer directory (…/dists/<release>/main/installer-<arch>/)`, base);
    const ti = parseTreeinfo(text.toString('utf8'));
    const images = ti.images.get(arch) ?? ti.images.get(ti.arch ?? arch);
    if (!images?.kernel || !images.initrd) throw new FetchError(`${base}.treeinfo names no kernel and initrd for ${arch}`, base);
    const os = detectFromTreeinfo(catalog, ti, arch)[0]?.os.id;
    return { url: base, kind: 'treeinfo', kernelUrl: new URL(images.kernel, base).toString(), initrdUrl: new URL(images.initrd, base).toString(), ...(os ? { osId: os } : {}), installArgs: `inst.repo=${base}` };
  }
  const installerDir = new URL(debian[1]!, base).toString();
  const found = detectFromDebianUrl(catalog, installerDir).find((d) => d.tree?.kernel && d.tree.initrd) ?? detectFromDebianUrl(catalog, installerDir)[0];
  const debArch = debian[2]!;
  if (DEBIAN_ARCH[arch] !== undefined && DEBIAN_ARCH[arch] !== debArch) throw new FetchError(`${base} is the installer for ${debArch}, not ${arch}`, base);
  const kernel = found?.tree?.kernel ?? `current/images/netboot/debian-installer/${debArch}/linux`;
  const initrd = found?.tree?.initrd ?? `current/images/netboot/debian-installer/${debArch}/initrd.gz`;
  return { url: base, kind: 'debian', kernelUrl: new URL(kernel, installerDir).toString(), initrdUrl: new URL(initrd, installerDir).toString(), ...(found ? { osId: found.os.id } : {}), installArgs: '' };
}

/** The installer's kernel and initrd, fetched with the limits above; progress over both files. */
export async function fetchInstallerBoot(tree: InstallTree, opts: { signal?: AbortSignal; onProgress?: (what: 'kernel' | 'initrd', p: TransferProgress) => void } = {}): Promise<{ kernel: Buffer; initrd: Buffer }> {
  const get = async (what: 'kernel' | 'initrd', url: string, maxBytes: number): Promise<Buffer> => {
    const b = await fetchBytes(url, { maxBytes, ...(opts.signal ? { signal: opts.signal } : {}), onProgress: (p) => opts.onProgress?.(what, p) });
    if (!b) throw new FetchError(`The tree has no ${what} at ${url} (${url.startsWith('ftp:') ? 'FTP 550' : 'HTTP 404'})`, url, url.startsWith('ftp:') ? FTP_UNAVAILABLE : 404);
    if (b.length === 0) throw new FetchError(`The ${what} at ${url} is empty`, url);
    return b;
  };
  const kernel = await get('kernel', tree.kernelUrl, KERNEL_MAX);
  const initrd = await get('initrd', tree.initrdUrl, INITRD_MAX);
  return { kernel, initrd };
}
