// cloud-init's NoCloud seed for a new VM: meta-data (instance id, hostname), user-data (#cloud-config:
// a user with a hashed password, SSH keys and sudo, packages, commands, and the user's own YAML
// merged over it) and network-config (version 2: the NIC matched by its MAC, DHCP or a static
// address). Written into an ISO image (./isoImage.ts, volume id "cidata") that is uploaded as a
// volume and attached as a CD-ROM. Formats: cloud-init's NoCloud datasource, cloud-config and
// network config version 2 documentation.

import { yaml } from '../lazyModules';
import { buildIsoImage } from './isoImage';
import { sha512Crypt } from './sha512crypt';

export interface CloudInitUser {
  readonly name: string;
  /** Hashed here (SHA-512 crypt); never written in clear. Empty: no password login. */
  readonly password?: string;
  readonly sshKeys: readonly string[];
  /** Passwordless sudo, as cloud images' default user has. */
  readonly sudo: boolean;
}

export type CloudInitNetwork =
  | { readonly mode: 'dhcp' }
  /** address in CIDR form (192.168.122.50/24); IPv4 or IPv6. */
  | { readonly mode: 'static'; readonly address: string; readonly gateway?: string; readonly dns: readonly string[] };

export interface CloudInitSpec {
  readonly instanceId: string;
  readonly hostname: string;
  readonly user?: CloudInitUser;
  /** The NIC's MAC: network-config matches the interface by it (names differ between guests). */
  readonly mac?: string;
  readonly network: CloudInitNetwork;
  readonly packages: readonly string[];
  /** Shell commands run once at first boot (runcmd), each as one string. */
  readonly commands: readonly string[];
  /** The user's own #cloud-config YAML, merged over the generated one (their keys win). */
  readonly userData?: string;
}

/** A problem with the spec, on the field it concerns (line and column for the user's YAML). */
export interface SeedProblem {
  readonly field: keyof CloudInitSpec | 'user.name' | 'user.password' | 'user.sshKeys' | 'network.address' | 'network.gateway' | 'network.dns';
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
}

export class SeedError extends Error {
  override readonly name = 'SeedError';
  constructor(readonly problems: readonly SeedProblem[]) {
    super(problems.map((p) => (p.line !== undefined ? `${p.message} (line ${p.line})` : p.message)).join('; '));
  }
}

const HOSTNAME = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;
const isIp = (s: string): boolean => IPV4.test(s) || (IPV6.test(s) && s.includes(':'));
const SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

/** Checks the spec; every problem at once. */
export function checkSeed(spec: CloudInitSpec): SeedProblem[] {
  const out: SeedProblem[] = [];
  if (!HOSTNAME.test(spec.hostname)) out.push({ field: 'hostname', message: `'${spec.hostname}' is not a host name (letters, digits and '-', up to 63, not starting or ending with '-')` });
  if (spec.instanceId.trim() === '') out.push({ field: 'instanceId', message: 'The instance id is empty' });
  if (spec.user) {
    if (!USERNAME.test(spec.user.name)) out.push({ field: 'user.name', message: `'${spec.user.name}' is not a user name (lower case letters, digits, '_' and '-', up to 32, not starting with a digit)` });
    spec.user.sshKeys.forEach((k, i) => {
      if (!SSH_KEY.test(k.trim())) out.push({ field: 'user.sshKeys', message: `SSH key ${i + 1} is not an OpenSSH public key line (type, base64 key, comment)` });
    });
    if (!spec.user.password && spec.user.sshKeys.length === 0) out.push({ field: 'user.password', message: `User '${spec.user.name}' would have neither a password nor an SSH key: nobody could log in` });
  }
  if (spec.network.mode === 'static') {
    // Interface names differ between guests: a static address needs the NIC's MAC to find it.
    if (spec.mac === undefined) out.push({ field: 'mac', message: 'A static address needs the MAC of the NIC it is for' });
    const m = /^(.+)\/(\d{1,3})$/.exec(spec.network.address);
    const ip = m?.[1] ?? '';
    const prefix = Number(m?.[2]);
    if (!m || !isIp(ip) || prefix > (ip.includes(':') ? 128 : 32)) out.push({ field: 'network.address', message: `'${spec.network.address}' is not an address with its prefix, like 192.168.122.50/24` });
    if (spec.network.gateway !== undefined && spec.network.gateway !== '' && !isIp(spec.network.gateway)) out.push({ field: 'network.gateway', message: `'${spec.network.gateway}' is not an IP address` });
    spec.network.dns.forEach((d) => {
      if (!isIp(d)) out.push({ field: 'network.dns', message: `'${d}' is not an IP address` });
    });
  }
  if (spec.mac !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(spec.mac)) out.push({ field: 'mac', message: `'${spec.mac}' is not a MAC address` });
  spec.packages.forEach((p) => {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9+.:~_-]*$/.test(p)) out.push({ field: 'packages', message: `'${p}' is not a package name` });
  });
  if (spec.userData !== undefined && spec.userData.trim() !== '') out.push(...userDataProblems(spec.userData));
  return out;
}

function userDataProblems(text: string): SeedProblem[] {
  const doc = yaml().parseDocument(text, { prettyErrors: true });
  const out: SeedProblem[] = doc.errors.map((e) => ({ field: 'userData' as const, message: `cloud-config YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line, col: e.linePos?.[0]?.col }));
  if (out.length === 0 && doc.contents !== null && !yaml().isMap(doc.contents)) out.push({ field: 'userData', message: 'cloud-config must be a mapping of keys (hostname:, users:, runcmd: …)', line: 1 });
  return out;
}

export interface SeedFiles {
  readonly metaData: string;
  readonly userData: string;
  /** Absent: cloud-init's fallback (DHCP on the first NIC). */
  readonly networkConfig?: string;
}

/** The seed's three files; throws SeedError with every problem. */
export function seedFiles(spec: CloudInitSpec, hash: (password: string) => string = (p) => sha512Crypt(p)): SeedFiles {
  const problems = checkSeed(spec);
  if (problems.length > 0) throw new SeedError(problems);
  const config: Record<string, unknown> = { hostname: spec.hostname, fqdn: spec.hostname, manage_etc_hosts: true };
  if (spec.user) {
    const u: Record<string, unknown> = { name: spec.user.name, shell: '/bin/bash', groups: ['adm', 'sudo'], lock_passwd: !spec.user.password };
    if (spec.user.password) u['passwd'] = hash(spec.user.password);
    if (spec.user.sshKeys.length > 0) u['ssh_authorized_keys'] = spec.user.sshKeys.map((k) => k.trim());
    if (spec.user.sudo) u['sudo'] = 'ALL=(ALL) NOPASSWD:ALL';
    config['users'] = ['default', u];
    // Password login over SSH only when the user chose a password.
    config['ssh_pwauth'] = Boolean(spec.user.password);
  }
  if (spec.packages.length > 0) config['packages'] = [...spec.packages];
  if (spec.commands.length > 0) config['runcmd'] = [...spec.commands];
  let merged: Record<string, unknown> = config;
  if (spec.userData && spec.userData.trim() !== '') {
    const own = yaml().parseDocument(spec.userData).toJS() as Record<string, unknown> | null;
    merged = { ...config, ...(own ?? {}) };
  }
  // cloud-init reads YAML 1.1 (PyYAML): written as 1.1, strings such as a MAC of digits only
  // (52:54:00:12:34:56, a base-60 integer in 1.1) or "yes" are quoted and stay strings.
  const yaml11 = (v: unknown): string => yaml().stringify(v, { version: '1.1' });
  const meta = yaml11({ 'instance-id': spec.instanceId, 'local-hostname': spec.hostname });
  const userData = `#cloud-config\n${yaml11(merged)}`;
  // Matched by MAC and renamed (matching by a name pattern renders a stanza for the wrong name on
  // ifupdown guests); without a MAC, cloud-init's own fallback does DHCP on the first NIC.
  if (!spec.mac) return { metaData: meta, userData };
  const eth: Record<string, unknown> = { match: { macaddress: spec.mac.toLowerCase() }, 'set-name': 'eth0' };
  if (spec.network.mode === 'dhcp') {
    eth['dhcp4'] = true;
    eth['dhcp6'] = false;
  } else {
    eth['addresses'] = [spec.network.address];
    // The default route as a prefix: cloud-init before 23.1 (Debian 12 has 22.4) refuses
    // netplan's `to: default` ("Address default is not a valid ip address") and fails the boot.
    if (spec.network.gateway) eth['routes'] = [{ to: spec.network.gateway.includes(':') ? '::/0' : '0.0.0.0/0', via: spec.network.gateway }];
    if (spec.network.dns.length > 0) eth['nameservers'] = { addresses: [...spec.network.dns] };
  }
  return { metaData: meta, userData, networkConfig: yaml11({ version: 2, ethernets: { eth0: eth } }) };
}

/** The NoCloud seed image: volume id "cidata" with user-data, meta-data and network-config. */
export function seedImage(files: SeedFiles, date?: Date): Buffer {
  return buildIsoImage({
    volumeId: 'cidata',
    files: [
      { name: 'user-data', data: Buffer.from(files.userData, 'utf8') },
      { name: 'meta-data', data: Buffer.from(files.metaData, 'utf8') },
      ...(files.networkConfig !== undefined ? [{ name: 'network-config', data: Buffer.from(files.networkConfig, 'utf8') }] : []),
    ],
    ...(date ? { date } : {}),
  });
}
