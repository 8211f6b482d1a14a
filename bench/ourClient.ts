// One whole client process, timed from outside by bench/main.ts: open the connection, list all
// domains, then bulk stats (state + balloon + vcpu). Prints one JSON line: the two counts and the
// in-process time of each step (performance.now(), milliseconds), the same fields as
// bench/pyclient.py prints for python3-libvirt. `loadMs` is the time from process start to the
// first line of main(), i.e. Node's startup plus loading this program's modules. `workCpuMs` is the
// CPU time this process spent on the three steps (user + system): unlike the times, it does not
// count the daemon's work or the waits of a busy machine.

import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { VirDomainStatsTypes } from '../src/libvirt/generated/libvirtConstants';

async function main(): Promise<void> {
  const loadMs = performance.now();
  const uri = process.argv[2] ?? process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const conn = await Connection.open(uri);
  const t1 = performance.now();
  const doms = await conn.connectListAllDomains();
  const t2 = performance.now();
  const stats = await conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE | VirDomainStatsTypes.BALLOON | VirDomainStatsTypes.VCPU);
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await conn.close();
  const result = {
    domains: doms.length,
    stats: stats.length,
    loadMs,
    openMs: t1 - t0,
    listMs: t2 - t1,
    statsMs: t3 - t2,
    workMs: t3 - t0,
    workCpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
