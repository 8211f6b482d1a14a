// The Secrets and Host Interfaces groups at scale: BENCH_SECRETS (default 500) secrets defined
// pipelined, then the group's listing timed (connectListAllSecrets three times at once: all,
// ephemeral, private; no per-secret call), and the Host Interfaces listing (node devices, the
// interface driver's list and every XML, pipelined). `virsh secret-list` and
// `virsh iface-list --all` (libvirt's C client, one process each) are timed for reference.
// The secrets are removed again, even when something fails.
//
//   node out/bench/hostNetworking.js     (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Connection, type SecretRef } from '../src/libvirt/connection';
import { joinHostInterfaces, loadHostInterfaceFacts } from '../src/libvirt/resources/hostInterface';
import { buildSecretXml, listSecrets } from '../src/libvirt/resources/secret';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

export interface HostNetworkingBench {
  readonly secrets: number;
  readonly defineAllMs: number;
  readonly secretListingMedianMs: number;
  readonly virshSecretListMs: number | undefined;
  readonly interfaces: number;
  readonly interfaceListingMedianMs: number;
  readonly virshIfaceListMs: number | undefined;
  readonly runs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function timeProcess(cmd: string, args: readonly string[]): number | undefined {
  const t0 = performance.now();
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0 ? performance.now() - t0 : undefined;
}

export async function benchHostNetworking(count = Number(process.env['BENCH_SECRETS'] ?? 500), runs = 5): Promise<HostNetworkingBench> {
  const conn = await Connection.open(URI);
  const tag = `bench-secret-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const made: SecretRef[] = [];
  try {
    let t0 = performance.now();
    made.push(...(await Promise.all(Array.from({ length: count }, (_, i) => conn.secretDefineXml(buildSecretXml({ usage: 'ceph', usageId: `${tag}-${i}` }), 0)))));
    const defineAllMs = performance.now() - t0;
    const listing: number[] = [];
    for (let r = 0; r < runs; r++) {
      t0 = performance.now();
      const l = await listSecrets(conn);
      listing.push(performance.now() - t0);
      if (l.filter((s) => s.desc?.usageId?.startsWith(tag)).length !== count) throw new Error('a defined secret is missing from the listing');
    }
    const ifaces: number[] = [];
    let interfaces = 0;
    for (let r = 0; r < runs; r++) {
      t0 = performance.now();
      interfaces = joinHostInterfaces(await loadHostInterfaceFacts(conn), [], []).length;
      ifaces.push(performance.now() - t0);
    }
    return {
      secrets: count,
      defineAllMs,
      secretListingMedianMs: median(listing),
      virshSecretListMs: timeProcess('virsh', ['-c', URI, 'secret-list']),
      interfaces,
      interfaceListingMedianMs: median(ifaces),
      virshIfaceListMs: timeProcess('virsh', ['-c', URI, 'iface-list', '--all']),
      runs,
    };
  } finally {
    await Promise.all(made.map((s) => conn.secretUndefine(s).catch(() => undefined)));
    await conn.close();
  }
}

export function formatHostNetworkingBench(b: HostNetworkingBench): string {
  const ms = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
  return [
    `Secrets group, ${b.secrets} secrets:`,
    `  define all, pipelined:                 ${ms(b.defineAllMs)}`,
    `  three flag listings (tree), median of ${b.runs}: ${ms(b.secretListingMedianMs)}`,
    `  virsh secret-list (one process):       ${ms(b.virshSecretListMs)}`,
    `Host Interfaces group, ${b.interfaces} interfaces:`,
    `  node devices + interface driver + XMLs, median of ${b.runs}: ${ms(b.interfaceListingMedianMs)}`,
    `  virsh iface-list --all (one process):  ${ms(b.virshIfaceListMs)}`,
  ].join('\n');
}

if (require.main === module) {
  benchHostNetworking()
    .then((b) => console.log(formatHostNetworkingBench(b)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
