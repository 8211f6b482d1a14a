// Storage pool listing at scale: a dir pool with BENCH_VOLUMES (default 1000) raw 1 MiB sparse
// volumes, created pipelined, then the tree's listing of an expanded pool timed: one
// storagePoolListAllVolumes plus one storageVolGetInfo per volume, all in flight together.
// `virsh vol-list --details` (libvirt's C client, one process) is timed for reference.
// Everything is removed again, even when something fails.
//
//   node out/bench/resources.js     (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { createPool, deletePool, listPoolVolumes } from '../src/libvirt/resources/operations';
import { buildVolumeXml } from '../src/libvirt/resources/volume';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

export interface PoolListingBench {
  readonly volumes: number;
  readonly createAllMs: number;
  readonly listMs: number;
  readonly infoAllMs: number;
  /** list + infos, as an expanded pool loads in the tree; median of `runs`. */
  readonly treeListingMedianMs: number;
  readonly virshVolListMs: number | undefined;
  readonly runs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export async function benchPoolListing(volumes = Number(process.env['BENCH_VOLUMES'] ?? 1000), runs = 5): Promise<PoolListingBench> {
  const conn = await Connection.open(URI);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-bench-'));
  fs.chmodSync(dir, 0o755);
  const name = `rtest-bench-${crypto.randomBytes(3).toString('hex')}`;
  const pool = await createPool(conn, { type: 'dir', name, targetPath: path.join(dir, 'pool') });
  try {
    let t0 = performance.now();
    await Promise.all(
      Array.from({ length: volumes }, (_, i) => conn.storageVolCreateXml(pool, buildVolumeXml({ name: `v${String(i).padStart(5, '0')}.raw`, format: 'raw', capacity: 1024 * 1024, allocation: 0 }), 0)),
    );
    const createAllMs = performance.now() - t0;

    t0 = performance.now();
    const vols = await conn.storagePoolListAllVolumes(pool, 0);
    const listMs = performance.now() - t0;
    if (vols.length !== volumes) throw new Error(`expected ${volumes} volumes, listed ${vols.length}`);
    t0 = performance.now();
    const infos = await Promise.all(vols.map((v) => conn.storageVolGetInfo(v)));
    const infoAllMs = performance.now() - t0;
    if (infos.some((i) => i.capacity !== 1024 * 1024)) throw new Error('unexpected volume capacity');

    const tree: number[] = [];
    for (let r = 0; r < runs; r++) {
      t0 = performance.now();
      const vs = await conn.storagePoolListAllVolumes(pool, 0);
      await Promise.all(vs.map((v) => conn.storageVolGetInfo(v)));
      tree.push(performance.now() - t0);
    }

    let virshVolListMs: number | undefined;
    t0 = performance.now();
    const v = spawnSync('virsh', ['-c', URI, 'vol-list', '--details', name], { stdio: 'ignore' });
    if (v.status === 0) virshVolListMs = performance.now() - t0;

    return { volumes, createAllMs, listMs, infoAllMs, treeListingMedianMs: median(tree), virshVolListMs, runs };
  } finally {
    await listPoolVolumes(conn, pool)
      .then(({ volumes }) => deletePool(conn, pool, { deleteStorage: true, volumes }))
      .catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn.close();
  }
}

export function formatPoolListingBench(b: PoolListingBench): string {
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  return [
    `pool listing, ${b.volumes} volumes (dir pool, raw 1 MiB sparse):`,
    `  create all, pipelined:            ${ms(b.createAllMs)} (${ms(b.createAllMs / b.volumes)} per volume)`,
    `  storagePoolListAllVolumes:        ${ms(b.listMs)}`,
    `  storageVolGetInfo x ${b.volumes}, pipelined: ${ms(b.infoAllMs)}`,
    `  list + infos (tree), median of ${b.runs}: ${ms(b.treeListingMedianMs)}`,
    `  virsh vol-list --details (process): ${b.virshVolListMs === undefined ? 'n/a' : ms(b.virshVolListMs)}`,
  ].join('\n');
}

if (require.main === module) {
  benchPoolListing().then(
    (b) => console.log(formatPoolListingBench(b)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
