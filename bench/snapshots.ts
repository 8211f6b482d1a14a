// Loading the snapshot tree of a VM with many snapshots, as the tree's Snapshots node does: one
// listing, the current snapshot, and every snapshot's XML pipelined (parents from the XML, no
// per-snapshot parent calls). A shut-off TCG VM with a tiny qcow2 disk gets BENCH_SNAPSHOTS
// (default 200) internal snapshots in a chain with a branch every tenth; `virsh snapshot-list
// --tree` (libvirt's C client, one process) is timed for reference. Everything is removed again.
//
//   node out/bench/snapshots.js     (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../src/libvirt/generated/libvirtConstants';
import { takeSnapshot } from '../src/libvirt/snapshots/snapshotPlan';
import { loadSnapshotTree } from '../src/libvirt/snapshots/snapshotTree';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

export interface SnapshotTreeBench {
  readonly snapshots: number;
  readonly createAllMs: number;
  readonly loadMedianMs: number;
  readonly loadMinMs: number;
  readonly virshTreeMedianMs: number | undefined;
  readonly runs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export async function benchSnapshotTree(count = Number(process.env['BENCH_SNAPSHOTS'] ?? 200), runs = 5): Promise<SnapshotTreeBench> {
  const conn = await Connection.open(URI);
  const dir = fs.mkdtempSync('/tmp/bench-snap-');
  fs.chmodSync(dir, 0o755);
  const disk = path.join(dir, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
  fs.chmodSync(disk, 0o666);
  const name = `bench-snap-${crypto.randomBytes(3).toString('hex')}`;
  const dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      // Every tenth snapshot branches off the one five back, so the tree is not only a chain.
      if (i > 0 && i % 10 === 0) await conn.domainRevertToSnapshot({ dom, name: `s${i - 5}` });
      await takeSnapshot(conn, dom, { name: `s${i}`, kind: 'internal', description: `snapshot number ${i}` });
    }
    const createAllMs = performance.now() - t0;
    const loads: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const tree = await loadSnapshotTree(conn, dom);
      loads.push(performance.now() - t);
      if (tree.byName.size !== count) throw new Error(`loaded ${tree.byName.size} snapshots, expected ${count}`);
    }
    const virsh: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const res = spawnSync('virsh', ['-c', URI, 'snapshot-list', name, '--tree'], { stdio: 'ignore' });
      if (res.status !== 0) break;
      virsh.push(performance.now() - t);
    }
    return {
      snapshots: count,
      createAllMs,
      loadMedianMs: median(loads),
      loadMinMs: Math.min(...loads),
      virshTreeMedianMs: virsh.length === runs ? median(virsh) : undefined,
      runs,
    };
  } finally {
    await conn.domainUndefine(dom, U.SNAPSHOTS_METADATA).catch(() => undefined);
    await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSnapshotTreeBench(b: SnapshotTreeBench): string {
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  return [
    `snapshot tree, ${b.snapshots} internal snapshots of one shut-off VM:`,
    `  take all, one after another:          ${ms(b.createAllMs)} (${ms(b.createAllMs / b.snapshots)} per snapshot)`,
    `  loadSnapshotTree (list + current + XML each, pipelined), median of ${b.runs}: ${ms(b.loadMedianMs)} (min ${ms(b.loadMinMs)})`,
    `  virsh snapshot-list --tree (process), median of ${b.runs}: ${b.virshTreeMedianMs === undefined ? 'n/a' : ms(b.virshTreeMedianMs)}`,
  ].join('\n');
}

if (require.main === module) {
  benchSnapshotTree().then(
    (b) => console.log(formatSnapshotTreeBench(b)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
