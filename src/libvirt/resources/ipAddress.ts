// IPv4/IPv6 addresses and prefixes as bigints, for network ranges: parsing, subnet membership,
// overlap, and the host's IPv4 routes (/proc/net/route) when the libvirt host is this machine.

import { ResourceInputError } from './validation';

export type IpFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

const BITS: Readonly<Record<IpFamily, number>> = { ipv4: 32, ipv6: 128 };

export function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const groups = (x: string): string[] | undefined => (x === '' ? [] : x.split(':'));
  const h = groups(head) ?? [];
  const t = tail === undefined ? [] : (groups(tail) ?? []);
  const all = [...h, ...(tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0')), ...t];
  if (all.length !== 8) return undefined;
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

export function parseIp(s: string): { family: IpFamily; value: bigint } | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 'ipv4', value: v4 };
  const v6 = parseIpv6(s);
  if (v6 !== undefined) return { family: 'ipv6', value: v6 };
  return undefined;
}

export function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

export function formatIpv6(v: bigint): string {
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function formatIp(family: IpFamily, v: bigint): string {
  return family === 'ipv4' ? formatIpv4(v) : formatIpv6(v);
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function makeCidr(family: IpFamily, address: bigint, prefix: number): Cidr {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > BITS[family]) {
    throw new ResourceInputError('prefix', `Prefix /${prefix} is not valid for ${family === 'ipv4' ? 'IPv4' : 'IPv6'}.`);
  }
  return { family, network: address & mask(family, prefix), prefix };
}

/** "192.168.100.0/24" or "fd00::/64". */
export function parseCidr(s: string): Cidr {
  const [addr, pfx] = s.split('/');
  const ip = parseIp(addr ?? '');
  if (!ip || pfx === undefined || !/^\d+$/.test(pfx)) throw new ResourceInputError('address', `Not an address with a prefix: ${JSON.stringify(s)} (e.g. 192.168.100.0/24).`);
  return makeCidr(ip.family, ip.value, Number(pfx));
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

/** A dotted netmask (255.255.255.0) as a prefix length. */
export function netmaskToPrefix(netmask: string): number | undefined {
  const v = parseIpv4(netmask);
  if (v === undefined) return undefined;
  const bin = v.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bin) ? bin.indexOf('0') === -1 ? 32 : bin.indexOf('0') : undefined;
}

export function contains(c: Cidr, family: IpFamily, address: bigint): boolean {
  return c.family === family && (address & mask(family, c.prefix)) === c.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.network & m) === (b.network & m);
}

/** IPv4 destinations of /proc/net/route (hex little-endian), except the default route. */
export function parseProcNetRoute(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = le32(f[1] ?? '');
    const m = le32(f[7] ?? '');
    if (dest === undefined || m === undefined || m === 0n) continue;
    const prefix = netmaskToPrefix(formatIpv4(m));
    if (prefix !== undefined) out.push(makeCidr('ipv4', dest, prefix));
  }
  return out;
}

function le32(hex: string): bigint | undefined {
  if (!/^[0-9a-f]{8}$/i.test(hex)) return undefined;
  const b = Buffer.from(hex, 'hex');
  return BigInt(b.readUInt32LE(0));
}
