// OpenSSH known_hosts files (see sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed
// (|1|salt|hash, HMAC-SHA1) host patterns, [host]:port for non-22 ports, wildcards and
// negation, and the @revoked / @cert-authority markers.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface KnownHostEntry {
  readonly marker: '@revoked' | '@cert-authority' | undefined;
  readonly patterns: string;
  readonly keyType: string;
  readonly key: Buffer;
}

export type HostKeyStatus =
  | { readonly kind: 'known' }
  | { readonly kind: 'unknown'; readonly otherKeyTypes: readonly string[] }
  | { readonly kind: 'changed' }
  | { readonly kind: 'revoked' };

/** The name known_hosts uses for a host: "host", or "[host]:port" when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's SHA256 fingerprint of a public key blob: "SHA256:" + unpadded base64. */
export function sha256Fingerprint(key: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type (first string) of an SSH public key blob, e.g. "ssh-ed25519". */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const len = key.readUInt32BE(0);
  if (len > key.length - 4) return '';
  return key.subarray(4, 4 + len).toString('latin1');
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) continue;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) continue;
    entries.push({ marker, patterns, keyType, key });
  }
  return entries;
}

function hashedMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = crypto.createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}

function wildcardMatches(pattern: string, name: string): boolean {
  let re = '^';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${re}$`, 'i').test(name);
}

/** Whether an entry's host pattern list names this host (negated patterns exclude). */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.patterns.startsWith('|')) return hashedMatches(entry.patterns, name);
  let matched = false;
  for (const p of entry.patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcardMatches(p.slice(1), name)) return false;
    } else if (wildcardMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyStatus {
  const name = knownHostsName(host, port);
  const type = keyTypeOf(key);
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && entryMatchesHost(e, name));
  if (forHost.some((e) => e.marker === '@revoked' && e.key.equals(key))) return { kind: 'revoked' };
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { kind: 'known' };
  if (plain.some((e) => e.keyType === type)) return { kind: 'changed' };
  return { kind: 'unknown', otherKeyTypes: [...new Set(plain.map((e) => e.keyType))] };
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  try {
    return parseKnownHosts(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends "name keytype base64" to a known_hosts file, creating it (0600) and its directory. */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = fs.readFileSync(file, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {
    // A missing file is created below.
  }
  fs.appendFileSync(file, `${prefix}${knownHostsName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}
