// What the connection row's tooltip says about a host: its name, the libvirt and hypervisor
// versions, CPU and memory (virConnectGetHostname, virConnectGetLibVersion, virConnectGetType,
// virConnectGetVersion, virNodeGetInfo). Read once per connection; each part may fail on its own
// (a read-only or restricted connection), and then is missing rather than failing the rest.

import type { NodeInfo } from './connection';

export interface HostDetailsApi {
  connectGetHostname(): Promise<string>;
  connectGetLibVersion(): Promise<number>;
  connectGetType(): Promise<string>;
  connectGetVersion(): Promise<number>;
  nodeGetInfo(): Promise<NodeInfo>;
}

export interface HostDetails {
  readonly hostname?: string;
  /** "9.0.0" */
  readonly libvirtVersion?: string;
  /** "QEMU" */
  readonly hypervisor?: string;
  /** "7.2.22" */
  readonly hypervisorVersion?: string;
  readonly node?: NodeInfo;
}

/** libvirt's version numbers (major * 1,000,000 + minor * 1,000 + release) as "major.minor.release". */
export function formatLibvirtVersion(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
}

function settled<T>(r: PromiseSettledResult<T>): T | undefined {
  return r.status === 'fulfilled' ? r.value : undefined;
}

export async function readHostDetails(conn: HostDetailsApi): Promise<HostDetails> {
  const [hostname, lib, type, version, node] = await Promise.allSettled([
    conn.connectGetHostname(),
    conn.connectGetLibVersion(),
    conn.connectGetType(),
    conn.connectGetVersion(),
    conn.nodeGetInfo(),
  ]);
  const hv = settled(version);
  const libVersion = settled(lib);
  return {
    hostname: settled(hostname),
    libvirtVersion: libVersion === undefined ? undefined : formatLibvirtVersion(libVersion),
    hypervisor: settled(type),
    // 0: the driver has no version to report (virConnectGetVersion).
    hypervisorVersion: hv === undefined || hv === 0 ? undefined : formatLibvirtVersion(hv),
    node: settled(node),
  };
}
