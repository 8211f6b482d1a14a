// The New VM wizard's default path (Linux from an ISO volume) on the real libvirtd, through the
// wizard's own code (newVmFacts, detectVolumeOs, suggest, createVm): reading the host when the
// wizard opens, recognising the OS from the ISO, and Create to the VM running. The webview's own
// start-up is the details tab's (bench/detailsBench.ts); the clicks in between are the user's.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createVm } from '../src/forms/createVm';
import { detectVolumeOs, newVmFacts } from '../src/forms/newVmFacts';
import { initialValues, suggest, toRequest } from '../src/forms/newVmModel';
import { Connection } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../src/libvirt/osinfo';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../src/libvirt/resources/operations';
import { uploadFile } from '../src/libvirt/resources/transfer';

export interface NewVmBench {
  readonly factsMs: number[];
  readonly detectMs: number[];
  readonly createToRunningMs: number[];
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function benchNewVm(uri: string, runs: number): Promise<NewVmBench> {
  const conn = await Connection.open(uri);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-newvm-'));
  fs.chmodSync(dir, 0o755);
  const tag = `bench-newvm-${process.pid}`;
  const pool = await createPool(conn, { type: 'dir', name: tag, targetPath: path.join(dir, 'pool') });
  const out: NewVmBench = { factsMs: [], detectMs: [], createToRunningMs: [] };
  const made: string[] = [];
  try {
    const root = fs.mkdtempSync(path.join(dir, 'iso-'));
    fs.writeFileSync(path.join(root, 'README'), 'bench\n');
    const iso = path.join(dir, 'debian.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'Debian 11.7.0 amd64 n', '-o', iso, root], { stdio: 'pipe' });
    const { vol } = await createVolume(conn, pool, { name: 'debian.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    for (let i = 0; i < runs; i++) {
      const osinfo = new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined);
      let t = performance.now();
      const facts = await newVmFacts(conn, osinfo);
      out.factsMs.push(performance.now() - t);
      const values: Record<string, string | number | boolean | undefined> = { ...initialValues(facts), media: `${tag}/debian.iso` };
      t = performance.now();
      values['os'] = await detectVolumeOs(conn, facts, tag, 'debian.iso');
      out.detectMs.push(performance.now() - t);
      Object.assign(values, suggest(facts, values, new Set()), { name: `${tag}-${i}`, diskSizeGiB: 1, memory: 128, firmware: 'bios', start: true });
      made.push(`${tag}-${i}`);
      t = performance.now();
      // TCG, as in CI; the disk is thin and the VM boots to its firmware.
      const vm = await createVm(conn, { ...toRequest(facts, values), plan: { ...toRequest(facts, values).plan, type: 'qemu' } });
      out.createToRunningMs.push(performance.now() - t);
      await conn.domainDestroy(vm.domain).catch(() => undefined);
    }
  } finally {
    for (const d of await conn.connectListAllDomains()) {
      if (!made.includes(d.name)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
    await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn.close();
  }
  return out;
}

export function formatNewVmBench(b: NewVmBench): string {
  const ms = (xs: readonly number[]): string => `${median(xs).toFixed(1)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;
  return [
    `wizard opens: the host's pools, volumes, networks, capabilities and osinfo-db read, median  ${ms(b.factsMs)}`,
    `ISO chosen: its volume descriptors read through the storage stream and matched, median      ${ms(b.detectMs)}`,
    `Create to the VM running (disk, define VALIDATE, start; TCG), median                         ${ms(b.createToRunningMs)}`,
  ].join('\n');
}
