// One whole client process, timed from outside by bench/main.ts: open the connection, list all
// domains, then bulk stats (state + balloon + vcpu). Prints the two counts.

import { Connection } from '../src/libvirt/connection';
import { VirDomainStatsTypes } from '../src/libvirt/generated/libvirtConstants';

async function main(): Promise<void> {
  const uri = process.argv[2] ?? process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
  const conn = await Connection.open(uri);
  const doms = await conn.connectListAllDomains();
  const stats = await conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE | VirDomainStatsTypes.BALLOON | VirDomainStatsTypes.VCPU);
  process.stdout.write(`${doms.length} ${stats.length}\n`);
  await conn.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
