// The VM details tab in a real VS Code: defines a shut-off TCG VM with 30 devices (disks, CD-ROM,
// NICs, serials, consoles, channels, controllers, input, sound, watchdog, RNG, …), then runs
// code-server + Chromium through the host-test harness with bench/detailsBenchHost.ts, which
// times Open Details until the webview has drawn the first form (target ≤ 300 ms) and an Apply
// round trip of a memory change (target ≤ 200 ms). Also times the one bulk stats call with and
// without the disk and network groups the performance charts add. Removes its VM even when
// something fails, and VMs left by an interrupted run.
//
// Run by `npm run bench` (bench/main.ts) or alone: node out/bench/detailsBench.js

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection, type DomainRef } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../src/libvirt/xml/domainXml';
import { PERF_STATS, TREE_STATS } from '../src/views/statsGroups';
import { runHostTests } from '../test/vscode/harness/hostTests';
import type { DetailsBenchResult } from './detailsBenchHost';

export const DETAILS_BENCH_PREFIX = 'detailsbench-';
export const OPEN_TARGET_MS = 300;
export const APPLY_TARGET_MS = 200;

export interface DetailsBenchReport {
  readonly host: DetailsBenchResult;
  /** Median of the bulk stats call with the tree's groups, and with the charts' groups added. */
  readonly statsTreeMs: number;
  readonly statsPerfMs: number;
  readonly domainsOnHost: number;
}

/** 30 devices of many kinds; the disk images need not exist for a shut-off VM. */
function manyDevicesXml(name: string): string {
  const disks = ['vda', 'vdb', 'vdc', 'vdd', 'sda', 'sdb'].map((dev) => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/${name}-${dev}.qcow2'/><target dev='${dev}' bus='${dev.startsWith('vd') ? 'virtio' : 'scsi'}'/></disk>`);
  const nics = Array.from({ length: 6 }, (_, i) => `<interface type='network'><mac address='52:54:00:be:00:0${i}'/><source network='default'/><model type='virtio'/></interface>`);
  const serials = [0, 1, 2].map((i) => `<serial type='pty'><target port='${i}'/></serial>`);
  const devices = [
    ...disks,
    `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sdc' bus='sata'/><readonly/></disk>`,
    ...nics,
    ...serials,
    `<console type='pty'><target type='serial' port='0'/></console>`,
    `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>`,
    `<channel type='pty'><target type='virtio' name='org.example.bench.0'/></channel>`,
    `<controller type='scsi' index='0' model='virtio-scsi'/>`,
    `<controller type='usb' index='0' model='qemu-xhci'/>`,
    `<controller type='virtio-serial' index='0'/>`,
    `<input type='tablet' bus='usb'/>`,
    `<input type='keyboard' bus='usb'/>`,
    `<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>`,
    `<sound model='ich9'/>`,
    `<video><model type='virtio'/></video>`,
    `<watchdog model='i6300esb' action='reset'/>`,
    `<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`,
    `<memballoon model='virtio'/>`,
    `<panic model='isa'/>`,
  ];
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    ${devices.join('\n    ')}
  </devices>
</domain>`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function isResult(x: unknown): x is DetailsBenchResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return ['openMs', 'openPhases', 'applyMs', 'applyDrawnMs'].every((k) => Array.isArray(r[k])) && typeof r['fields'] === 'number';
}

async function timeStats(conn: Connection, groups: number, runs: number): Promise<number> {
  await conn.connectGetAllDomainStats(groups, 0);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await conn.connectGetAllDomainStats(groups, 0);
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function remove(conn: Connection, d: DomainRef): Promise<void> {
  await conn.domainDestroy(d).catch(() => undefined);
  await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.MANAGED_SAVE);
}

export async function benchDetails(opts: { readonly uri: string; readonly runs: number }): Promise<DetailsBenchReport> {
  const conn = await Connection.open(opts.uri);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'details-bench-'));
  const outFile = path.join(outDir, 'result.json');
  let dom: DomainRef | undefined;
  try {
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(DETAILS_BENCH_PREFIX)) await remove(conn, d).catch(() => undefined);
    const name = `${DETAILS_BENCH_PREFIX}${crypto.randomBytes(4).toString('hex')}`;
    dom = await conn.domainDefineXml(manyDevicesXml(name));
    const devices = DomainXml.parse(await conn.domainGetXmlDesc(dom, 0)).devicesElement?.elements().length ?? 0;
    if (devices < 30) throw new Error(`the benchmark VM has ${devices} devices, expected at least 30`);
    const statsRuns = Math.max(10, opts.runs * 4);
    const statsTreeMs = await timeStats(conn, TREE_STATS, statsRuns);
    const statsPerfMs = await timeStats(conn, TREE_STATS | PERF_STATS, statsRuns);
    const domainsOnHost = (await conn.connectListAllDomains()).length;
    const code = await runHostTests({
      testsModule: path.join(__dirname, 'detailsBenchHost'),
      timeoutMs: 5 * 60_000,
      env: {
        LIBVIRT_TEST_URI: opts.uri,
        BENCH_RUNS: String(opts.runs),
        LIBVIRT_VMS_DETAILS_BENCH_OUT: outFile,
        LIBVIRT_VMS_DETAILS_BENCH_UUID: dom.uuid,
        LIBVIRT_VMS_DETAILS_BENCH_NAME: name,
        LIBVIRT_VMS_DETAILS_BENCH_DEVICES: String(devices),
      },
    });
    if (code !== 0) throw new Error(`the extension host benchmark exited ${code}`);
    const host: unknown = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    if (!isResult(host)) throw new Error(`unexpected result in ${outFile}`);
    return { host, statsTreeMs, statsPerfMs, domainsOnHost };
  } finally {
    if (dom) await remove(conn, dom).catch(() => undefined);
    await conn.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const verdict = (v: number, target: number): string => `${ms(v)} (target ≤ ${target} ms: ${v <= target ? 'met' : 'NOT met'})`;

export function formatDetailsBench(r: DetailsBenchReport): string {
  const h = r.host;
  const warm = h.openMs.slice(1);
  const rows: [string, string][] = [
    [`VM with ${h.devices} devices, shut off: fields of the Overview form`, String(h.fields)],
    ['Open Details to first form drawn, first panel of the session', ms(h.openMs[0] ?? NaN)],
    [`Open Details to first form drawn, median of ${warm.length} reopenings`, verdict(median(warm.length > 0 ? warm : h.openMs), OPEN_TARGET_MS)],
    [`Apply memory (define VALIDATE + reload) to state posted, median of ${h.applyMs.length}`, verdict(median(h.applyMs), APPLY_TARGET_MS)],
    ['Apply memory to the webview redrawn, median', ms(median(h.applyDrawnMs))],
    [`bulk stats call, tree groups (${r.domainsOnHost} domains on the host), median`, ms(r.statsTreeMs)],
    ['bulk stats call with disk and network groups (a details panel open), median', ms(r.statsPerfMs)],
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  const n = (v: number): string => v.toFixed(0);
  const phases = h.openPhases.map(
    (p, i) =>
      `  open ${i + 1}: tab ${n(p.tab)}, model loaded ${n(p.loaded)}, webview ready ${n(p.ready)}, state posted ${n(p.statePosted)}, form drawn ${n(p.drawn)} ms` +
      (p.page ? ` (page: VS Code's empty page loaded ${p.page.frameLoadedMs !== undefined ? n(p.page.frameLoadedMs) : '?'}, script fetched ${p.page.scriptFetchStartMs !== undefined ? n(p.page.scriptFetchStartMs) : '?'}–${p.page.scriptFetchEndMs !== undefined ? n(p.page.scriptFetchEndMs) : '?'}, started ${n(p.page.scriptMs)}, ready ${n(p.page.readyMs)}, state arrived ${p.page.stateMs !== undefined ? n(p.page.stateMs) : '?'}, form drawn ${n(p.page.drawnMs)} ms after the webview document began loading)` : ''),
  );
  return [
    ...rows.map(([l, v]) => `${l.padEnd(w)}  ${v}`),
    `(each run: open ${h.openMs.map(n).join(', ')} ms; apply ${h.applyMs.map(n).join(', ')} ms)`,
    'Where each opening went, in ms since Open Details ran:',
    ...phases,
  ].join('\n');
}

if (require.main === module) {
  benchDetails({ uri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system', runs: Number(process.env['BENCH_RUNS'] ?? 5) }).then(
    (r) => {
      process.stdout.write(`${formatDetailsBench(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`details bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
