// Live migration of the same running TCG guest (256 MiB, disk in a pool both daemons share)
// between the two daemons of scripts/testenv.sh, there and back, BENCH_MIGRATIONS times (default
// 3): our client-driven migration (open both connections, Begin/Prepare/Perform/Finish/Confirm,
// close) beside `virsh migrate` with the same flags (one process each way: libvirt's C library
// driving the same five steps). Median per direction and the ratio ours/virsh (goal <= 1.1).
// Everything is removed again, even when something fails.
//
//   node out/bench/migrationBench.js     (after `npx tsc -p .`, with scripts/testenv.sh started)

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../src/libvirt/generated/libvirtConstants';
import { migrateClientDriven, type MigrationOptions } from '../src/libvirt/migration';

const SRC = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const SRC_TCP = `qemu+tcp://${process.env['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509'}/system`;
const DST = process.env['LIBVIRT_TEST_PEER_URI'] ?? 'qemu+tcp://127.0.0.1:16510/system';
const SHARED = process.env['LIBVIRT_TEST_SHARED_DIR'] ?? '/var/lib/libvirt-vms-test/shared';

const OPTIONS: MigrationOptions = {
  mode: 'live',
  persistent: true,
  undefineSource: true,
  copyStorage: 'none',
  peerToPeer: false,
  tunnelled: false,
  autoConverge: false,
  compressed: false,
  postCopy: false,
  unsafe: true,
  migrateUri: 'tcp://127.0.0.1',
};
const VIRSH_FLAGS = ['--live', '--persistent', '--undefinesource', '--unsafe', '--migrateuri', 'tcp://127.0.0.1'];

export interface MigrationBench {
  readonly runs: number;
  readonly oursThereMs: number;
  readonly oursBackMs: number;
  readonly virshThereMs: number;
  readonly virshBackMs: number;
  /** Every run, in order (ms): on a machine others load, one slow run says little, the spread says more. */
  readonly samples: { readonly oursThere: readonly number[]; readonly oursBack: readonly number[]; readonly virshThere: readonly number[]; readonly virshBack: readonly number[] };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

async function oursOnce(fromUri: string, toUri: string, name: string): Promise<number> {
  const t0 = performance.now();
  const [a, b] = await Promise.all([Connection.open(fromUri), Connection.open(toUri)]);
  try {
    await migrateClientDriven(a, b, await a.domainLookupByName(name), OPTIONS);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  return performance.now() - t0;
}

function virshOnce(fromUri: string, toUri: string, name: string): number {
  const t0 = performance.now();
  const r = spawnSync('virsh', ['-c', fromUri, 'migrate', ...VIRSH_FLAGS, name, toUri], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`virsh migrate failed: ${r.stderr.trim()}`);
  return performance.now() - t0;
}

export async function benchMigration(runs = Number(process.env['BENCH_MIGRATIONS'] ?? 3)): Promise<MigrationBench> {
  const src = await Connection.open(SRC);
  const dst = await Connection.open(DST);
  const name = `bench-mig${process.pid}`;
  const dir = path.join(SHARED, name);
  const poolXml = `<pool type='dir'><name>${name}</name><target><path>${dir}</path><permissions><mode>0755</mode></permissions></target></pool>`;
  const t = { oursThere: [] as number[], oursBack: [] as number[], virshThere: [] as number[], virshBack: [] as number[] };
  try {
    const sp = await src.storagePoolDefineXml(poolXml);
    await src.storagePoolBuild(sp);
    await src.storagePoolCreate(sp);
    const dp = await dst.storagePoolDefineXml(poolXml);
    await dst.storagePoolCreate(dp);
    await src.storageVolCreateXml(sp, `<volume><name>${name}.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>`);
    await src.domainCreate(
      await src.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='pc'>hvm</type></os>
        <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${dir}/${name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
        <interface type='network'><source network='default'/><model type='virtio'/></interface></devices></domain>`),
    );
    // Back over TCP: the peer daemon cannot use this machine's unix socket path for its own connection.
    for (let i = 0; i < runs; i++) {
      t.oursThere.push(await oursOnce(SRC, DST, name));
      t.oursBack.push(await oursOnce(DST, SRC, name));
      t.virshThere.push(virshOnce(SRC, DST, name));
      t.virshBack.push(virshOnce(DST, SRC_TCP, name));
    }
  } finally {
    for (const c of [dst, src]) {
      const d = await c.domainLookupByName(name).catch(() => undefined);
      if (d) {
        await c.domainDestroy(d).catch(() => undefined);
        await c.domainUndefine(d, U.NVRAM).catch(() => undefined);
      }
      const p = await c.storagePoolLookupByName(name).catch(() => undefined);
      if (p) {
        for (const v of await c.storagePoolListAllVolumes(p).catch(() => [])) await c.storageVolDelete(v).catch(() => undefined);
        await c.storagePoolDestroy(p).catch(() => undefined);
        await c.storagePoolDelete(p).catch(() => undefined);
        await c.storagePoolUndefine(p).catch(() => undefined);
      }
    }
    await Promise.all([src.close(), dst.close()]);
  }
  return { runs, oursThereMs: median(t.oursThere), oursBackMs: median(t.oursBack), virshThereMs: median(t.virshThere), virshBackMs: median(t.virshBack), samples: t };
}

export function formatMigrationBench(b: MigrationBench): string {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const ratio = (a: number, c: number): string => `${(a / c).toFixed(2)}x`;
  const runs = (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(' ');
  return [
    `live migration of a running 256 MiB TCG guest, shared disk, median of ${b.runs}:`,
    `  there (main -> peer): ours ${ms(b.oursThereMs)}  virsh migrate ${ms(b.virshThereMs)}  ratio ${ratio(b.oursThereMs, b.virshThereMs)}`,
    `  back  (peer -> main): ours ${ms(b.oursBackMs)}  virsh migrate ${ms(b.virshBackMs)}  ratio ${ratio(b.oursBackMs, b.virshBackMs)}`,
    `  runs (ms): ours there ${runs(b.samples.oursThere)}; virsh there ${runs(b.samples.virshThere)}; ours back ${runs(b.samples.oursBack)}; virsh back ${runs(b.samples.virshBack)}`,
  ].join('\n');
}

if (require.main === module) {
  benchMigration().then(
    (b) => console.log(formatMigrationBench(b)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
