// A `tag:` filter over BENCH_DOMAINS (default 1000) VMs, cold: the tags are not known yet, so they
// are read the way the tree reads them (src/libvirt/tags.ts readTagsBulk: one small
// virDomainGetMetadata per VM, all issued at once and pipelined by our RPC client) and the filter
// is applied. Runs against libvirtd's test driver (test+unix:///default: in-process state behind
// the real daemon and our real client; it lives while the connection is open), where a third of the
// VMs get tags. Also reports the whole tree load for comparison (bulk stats + the tag reads), and the
// alternative of fetching every VM's full XML, which the tree used to do for a tag filter.
// Target: cold filter ≤ 300 ms.
//
//   node out/bench/tagFilterBench.js   (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { VirDomainStatsTypes } from '../src/libvirt/generated/libvirtConstants';
import { readTagsBulk, updateDomainTags } from '../src/libvirt/tags';
import { summarizeDomainXml } from '../src/libvirt/xml/summary';
import { matchesFilter, parseFilter } from '../src/views/filter';
import { stateName } from '../src/views/vmState';

const URI = process.env['BENCH_TAG_URI'] ?? 'test+unix:///default';

export interface TagFilterBench {
  readonly domains: number;
  readonly tagged: number;
  readonly matched: number;
  readonly coldFilterMs: readonly number[];
  readonly loadWithTagsMs: readonly number[];
  readonly fullXmlMs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export async function benchTagFilter(domains = Number(process.env['BENCH_DOMAINS'] ?? 1000), runs = Number(process.env['BENCH_RUNS'] ?? 5)): Promise<TagFilterBench> {
  const conn = await Connection.open(URI);
  try {
    const names = Array.from({ length: domains }, (_, i) => `tagbench-${i}`);
    const refs = await Promise.all(names.map((n) => conn.domainDefineXml(`<domain type='test'><name>${n}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`)));
    // A third tagged "web" (some with a second tag), the rest untagged.
    const tagged = refs.filter((_, i) => i % 3 === 0);
    await Promise.all(tagged.map((d, i) => updateDomainTags(conn, d, () => (i % 2 === 0 ? ['web'] : ['web', 'db']))));
    const filter = parseFilter('tag:web');
    const coldFilterMs: number[] = [];
    const loadWithTagsMs: number[] = [];
    let matched = 0;
    for (let r = 0; r < runs; r++) {
      // Cold: the VM list is known (the tree has it from its bulk stats call), tags are not.
      const all = (await conn.connectListAllDomains()).filter((d) => d.name.startsWith('tagbench-'));
      const t0 = performance.now();
      const tags = await readTagsBulk(conn, all);
      matched = all.filter((d) => matchesFilter(filter, { name: d.name, state: 'shutoff', tags: tags.get(d.uuid) ?? [] })).length;
      coldFilterMs.push(performance.now() - t0);
      if (matched !== tagged.length) throw new Error(`the filter matched ${matched} VMs, expected ${tagged.length}`);
      // The whole load as the tree does it on connect: one bulk stats call, then the tag reads.
      const t1 = performance.now();
      const stats = await conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE, 0);
      const listed = stats.filter((s) => s.dom.name.startsWith('tagbench-'));
      const tags2 = await readTagsBulk(
        conn,
        listed.map((s) => s.dom),
      );
      listed.filter((s) => matchesFilter(filter, { name: s.dom.name, state: stateName(Number(s.params['state.state'] ?? 0), false), tags: tags2.get(s.dom.uuid) ?? [] }));
      loadWithTagsMs.push(performance.now() - t1);
    }
    // The alternative: every VM's full XML, parsed.
    const t2 = performance.now();
    const xmls = await Promise.all(refs.map((d) => conn.domainGetXmlDesc(d, 0)));
    const viaXml = xmls.filter((x) => summarizeDomainXml(x).tags.includes('web')).length;
    const fullXmlMs = performance.now() - t2;
    if (viaXml !== tagged.length) throw new Error(`the full XML matched ${viaXml} VMs, expected ${tagged.length}`);
    await Promise.all(refs.map((d) => conn.domainUndefine(d, 0).catch(() => undefined)));
    return { domains, tagged: tagged.length, matched, coldFilterMs, loadWithTagsMs, fullXmlMs };
  } finally {
    await conn.close();
  }
}

export function formatTagFilterBench(r: TagFilterBench): string {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const rows: [string, string][] = [
    [`tag:web over ${r.domains} VMs, cold (tags read, pipelined GetMetadata), median of ${r.coldFilterMs.length}`, `${ms(median(r.coldFilterMs))} (min ${ms(Math.min(...r.coldFilterMs))}; target ≤ 300 ms)`],
    [`  VMs matched (of ${r.tagged} tagged)`, String(r.matched)],
    ['tree load: bulk stats + every VM\'s tags, median', ms(median(r.loadWithTagsMs))],
    ['for comparison: every VM\'s full XML fetched and parsed', ms(r.fullXmlMs)],
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, v]) => `${l.padEnd(w)}  ${v}`).join('\n');
}

if (require.main === module) {
  benchTagFilter().then(
    (r) => {
      process.stdout.write(`${formatTagFilterBench(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`tag filter bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
