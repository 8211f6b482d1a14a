// The guest agent's facts as plain data (no calls): the types, the decoding of
// virDomainGetGuestInfo's typed parameters, and small helpers. Shared with the details webview
// (which draws them), so this file imports nothing but types.

import type { TypedParams } from './typedParams';

export interface GuestOsFacts {
  /** e.g. "debian" */
  readonly id?: string;
  /** e.g. "Debian GNU/Linux" */
  readonly name?: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm)" */
  readonly prettyName?: string;
  readonly version?: string;
  readonly versionId?: string;
  readonly kernelRelease?: string;
  readonly kernelVersion?: string;
  readonly machine?: string;
  readonly variant?: string;
}

export interface GuestUser {
  readonly name: string;
  /** Windows domain of the user. */
  readonly domain?: string;
  /** Milliseconds since the epoch. */
  readonly loginTime?: number;
}

export interface GuestFilesystem {
  readonly mountpoint: string;
  /** The guest's device name, e.g. "vda1". */
  readonly name: string;
  readonly fstype: string;
  readonly totalBytes?: number;
  readonly usedBytes?: number;
  /** The VM's disks under this file system (target dev as libvirt calls it, e.g. "vda"). */
  readonly disks: readonly string[];
}

export interface GuestAddress {
  readonly type: 'ipv4' | 'ipv6';
  readonly addr: string;
  readonly prefix: number;
}

export interface GuestInterface {
  readonly name: string;
  readonly hwaddr?: string;
  readonly addrs: readonly GuestAddress[];
}

/** What the agent told; a type the agent (or libvirt) could not answer is absent. */
export interface GuestFacts {
  readonly os?: GuestOsFacts;
  readonly hostname?: string;
  readonly timezone?: { readonly name?: string; readonly offsetSeconds?: number };
  readonly users?: readonly GuestUser[];
  readonly filesystems?: readonly GuestFilesystem[];
  readonly interfaces?: readonly GuestInterface[];
}

/** How to get the agent running in the guest, one line per family (shown where the agent is missing). */
/** After installing on Linux (most packages start the agent themselves; this makes sure). */
export const AGENT_ENABLE_LINE = 'sudo systemctl enable --now qemu-guest-agent';

export const AGENT_INSTALL_LINES: readonly { readonly os: string; readonly command: string }[] = [
  { os: 'Debian, Ubuntu', command: 'sudo apt install qemu-guest-agent' },
  { os: 'Fedora, RHEL, CentOS, Alma, Rocky', command: 'sudo dnf install qemu-guest-agent' },
  { os: 'openSUSE, SLES', command: 'sudo zypper install qemu-guest-agent' },
  { os: 'Windows', command: 'install the guest agent from the virtio-win ISO (guest-agent\\qemu-ga-x86_64.msi) and the VirtIO serial driver (vioserial)' },
];

// ------------------------------------------------------------------------------ decoding

function str(p: TypedParams, key: string): string | undefined {
  const v = p[key];
  return typeof v === 'string' ? v : undefined;
}

function num(p: TypedParams, key: string): number | undefined {
  const v = p[key];
  return typeof v === 'number' ? v : undefined;
}

/** Indexes 0..count-1 of a `<prefix>.count` list, bounded by what the reply can hold. */
function indexes(p: TypedParams, countKey: string): number[] {
  const n = Math.min(num(p, countKey) ?? 0, 2048);
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Decodes virDomainGetGuestInfo's typed parameters (keys as documented in libvirt-domain.c). */
export function decodeGuestInfo(p: TypedParams): GuestFacts {
  const out: { -readonly [K in keyof GuestFacts]: GuestFacts[K] } = {};
  if (Object.keys(p).some((k) => k.startsWith('os.'))) {
    out.os = defined<GuestOsFacts>({
      id: str(p, 'os.id'),
      name: str(p, 'os.name'),
      prettyName: str(p, 'os.pretty-name'),
      version: str(p, 'os.version'),
      versionId: str(p, 'os.version-id'),
      kernelRelease: str(p, 'os.kernel-release'),
      kernelVersion: str(p, 'os.kernel-version'),
      machine: str(p, 'os.machine'),
      variant: str(p, 'os.variant'),
    });
  }
  const hostname = str(p, 'hostname');
  if (hostname !== undefined) out.hostname = hostname;
  if (p['timezone.name'] !== undefined || p['timezone.offset'] !== undefined) {
    out.timezone = defined({ name: str(p, 'timezone.name'), offsetSeconds: num(p, 'timezone.offset') });
  }
  if (p['user.count'] !== undefined) {
    out.users = indexes(p, 'user.count').flatMap((i) => {
      const name = str(p, `user.${i}.name`);
      return name === undefined ? [] : [defined<GuestUser>({ name, domain: str(p, `user.${i}.domain`), loginTime: num(p, `user.${i}.login-time`) })];
    });
  }
  if (p['fs.count'] !== undefined) {
    out.filesystems = indexes(p, 'fs.count').flatMap((i) => {
      const mountpoint = str(p, `fs.${i}.mountpoint`);
      if (mountpoint === undefined) return [];
      const disks = indexes(p, `fs.${i}.disk.count`).flatMap((d) => {
        const alias = str(p, `fs.${i}.disk.${d}.alias`);
        return alias === undefined ? [] : [alias];
      });
      return [
        defined<GuestFilesystem>({
          mountpoint,
          name: str(p, `fs.${i}.name`) ?? '',
          fstype: str(p, `fs.${i}.fstype`) ?? '',
          totalBytes: num(p, `fs.${i}.total-bytes`),
          usedBytes: num(p, `fs.${i}.used-bytes`),
          disks,
        }),
      ];
    });
  }
  if (p['if.count'] !== undefined) {
    out.interfaces = indexes(p, 'if.count').flatMap((i) => {
      const name = str(p, `if.${i}.name`);
      if (name === undefined) return [];
      const addrs = indexes(p, `if.${i}.addr.count`).flatMap((a): GuestAddress[] => {
        const type = str(p, `if.${i}.addr.${a}.type`);
        const addr = str(p, `if.${i}.addr.${a}.addr`);
        if ((type !== 'ipv4' && type !== 'ipv6') || addr === undefined) return [];
        return [{ type, addr, prefix: num(p, `if.${i}.addr.${a}.prefix`) ?? 0 }];
      });
      return [defined<GuestInterface>({ name, hwaddr: str(p, `if.${i}.hwaddr`), addrs })];
    });
  }
  return out;
}

/** The OS in one line: "Debian GNU/Linux 12 (bookworm)", or name + version; undefined when unknown. */
export function osLine(os: GuestOsFacts | undefined): string | undefined {
  if (!os) return undefined;
  if (os.prettyName) return os.prettyName;
  const s = [os.name ?? os.id, os.version].filter((x) => x).join(' ');
  return s || undefined;
}

/** How full a file system is, in whole percent; undefined when the agent gave no sizes. */
export function usedPercent(fs: GuestFilesystem): number | undefined {
  if (fs.totalBytes === undefined || fs.usedBytes === undefined || fs.totalBytes <= 0) return undefined;
  return Math.min(100, Math.round((fs.usedBytes / fs.totalBytes) * 100));
}

/** Whether the interface is the guest's loopback (not worth showing as an address of the VM). */
export function isLoopback(i: GuestInterface): boolean {
  return i.name === 'lo' || i.addrs.every((a) => a.addr === '127.0.0.1' || a.addr === '::1');
}
