// Suggestions at scale: the host-wide list (Show Suggestions) over BENCH_HINT_DOMAINS (default
// 500) defined VMs on the real libvirtd, cold (every definition fetched, pipelined on one
// connection) and with every definition already known (as the tree session holds them for
// shut-off VMs: analysis only), plus the analysis of one realistic domain (virt-install's q35
// with 40 devices), which the XML editor runs on each change. Every run must find the hints the
// domains were built with, so a faster but blind analysis cannot pass. Removes its domains even
// when something fails, and those of an interrupted run (same prefix) first.
//
// Run by `npm run bench` (bench/main.ts) or alone: node out/bench/hintsBench.js

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeDomain } from '../src/forms/hints';
import { hostHints } from '../src/forms/hintHost';
import { Connection, type DomainRef } from '../src/libvirt/connection';
import { VirDomainXMLFlags } from '../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../src/libvirt/xml/domainXml';
import { baseDomain, DEBIAN } from '../test/hintCases';

export const HINTS_BENCH_PREFIX = 'hntbench-';

export interface HintsBenchReport {
  readonly domains: number;
  readonly coldMs: readonly number[];
  readonly knownMs: readonly number[];
  readonly oneDomainUs: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function fixture(name: string): string {
  const up = __dirname.includes(`${path.sep}out${path.sep}`) ? ['..', '..'] : ['..'];
  return fs.readFileSync(path.resolve(__dirname, ...up, 'test', 'fixtures', 'xml', `${name}.xml`), 'utf8');
}

export async function benchHints(opts: { readonly uri: string; readonly domains: number; readonly runs: number }): Promise<HintsBenchReport> {
  const conn = await Connection.open(opts.uri);
  const made: DomainRef[] = [];
  try {
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(HINTS_BENCH_PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    const run = crypto.randomBytes(3).toString('hex');
    // Each VM has three hints: an emulated NIC, a qcow2 without discard, no tablet.
    const xml = (n: number): string =>
      baseDomain({ name: `${HINTS_BENCH_PREFIX}${run}-${n}`, type: 'qemu' }).replace("<model type='virtio'/>", "<model type='e1000e'/>").replace(" discard='unmap'", '').replace(/\s*<input type='tablet' bus='usb'\/>/, '');
    made.push(...(await Promise.all(Array.from({ length: opts.domains }, (_, i) => conn.domainDefineXml(xml(i))))));
    const mine = new Set(made.map((d) => d.uuid));
    const check = (r: Awaited<ReturnType<typeof hostHints>>): void => {
      const ours = r.vms.filter((v) => mine.has(v.dom.uuid));
      if (ours.length !== opts.domains || ours.some((v) => v.hints.length < 2)) throw new Error(`the analysis missed hints: ${ours.length} VMs, ${ours.filter((v) => v.hints.length < 2).length} without theirs`);
    };
    const coldMs: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now();
      check(await hostHints(conn));
      coldMs.push(performance.now() - t0);
    }
    const all = await conn.connectListAllDomains();
    const texts = new Map((await Promise.all(all.map((d) => conn.domainGetXmlDesc(d, VirDomainXMLFlags.INACTIVE).then((x) => [d.uuid, x] as const, () => [d.uuid, ''] as const)))).filter(([, x]) => x !== ''));
    const knownMs: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now();
      const r = await hostHints(conn, { known: (d) => texts.get(d.uuid) });
      if (r.fetched > all.length - texts.size) throw new Error(`fetched ${r.fetched} definitions it had`);
      check(r);
      knownMs.push(performance.now() - t0);
    }
    const q35 = DomainXml.parse(fixture('virt-install-q35'));
    const reps = 200;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) analyzeDomain(q35, { os: DEBIAN, hostCpus: 2, hostMemoryKiB: 8 * 1024 * 1024 });
    const oneDomainUs = ((performance.now() - t0) / reps) * 1000;
    return { domains: opts.domains, coldMs, knownMs, oneDomainUs };
  } finally {
    await Promise.allSettled(made.map((d) => conn.domainUndefine(d)));
    await conn.close();
  }
}

export function formatHintsBench(r: HintsBenchReport): string {
  const f = (xs: readonly number[]): string => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  return [
    `host-wide suggestions, ${r.domains} VMs of ours (plus the host's others), definitions fetched pipelined: ${f(r.coldMs)}`,
    `host-wide suggestions, every definition already known (analysis only):                     ${f(r.knownMs)}`,
    `one domain (virt-install q35, 40 devices), as the XML editor runs it per change:          ${r.oneDomainUs.toFixed(0)} µs`,
  ].join('\n');
}

if (require.main === module) {
  benchHints({ uri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system', domains: Number(process.env['BENCH_HINT_DOMAINS'] ?? 500), runs: Number(process.env['BENCH_RUNS'] ?? 5) })
    .then((r) => console.log(formatHintsBench(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
