// Add Hardware in a real VS Code: defines a shut-off q35 TCG VM, then runs code-server + Chromium
// through the host-test harness with bench/addHardwareBenchHost.ts, which times Add Hardware
// until the webview has drawn the first kind's form (model build + first render; target ≤ 300 ms),
// in its own tab and inside the VM's details tab (the details tab's button).
// Removes its VM even when something fails, and VMs left by an interrupted run.
//
// Run by `npm run bench` (bench/main.ts) or alone: node out/bench/addHardwareBench.js

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../src/libvirt/connection';
import { runHostTests } from '../test/vscode/harness/hostTests';
import type { AddHardwareBenchResult } from './addHardwareBenchHost';

export const ADDHW_BENCH_PREFIX = 'addhwbench-';
export const OPEN_TARGET_MS = 300;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function isResult(x: unknown): x is AddHardwareBenchResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return Array.isArray(r['openMs']) && Array.isArray(r['loadedMs']) && Array.isArray(r['inDetailsMs']) && typeof r['fields'] === 'number' && typeof r['kinds'] === 'number';
}

export async function benchAddHardware(opts: { readonly uri: string; readonly runs: number }): Promise<AddHardwareBenchResult> {
  const conn = await Connection.open(opts.uri);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'addhw-bench-'));
  const outFile = path.join(outDir, 'result.json');
  let dom: DomainRef | undefined;
  try {
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(ADDHW_BENCH_PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    const name = `${ADDHW_BENCH_PREFIX}${crypto.randomBytes(4).toString('hex')}`;
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/><apic/></features>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/${name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><source network='default'/><model type='virtio'/></interface><graphics type='vnc' autoport='yes'/><video><model type='virtio'/></video></devices></domain>`);
    const code = await runHostTests({
      testsModule: path.join(__dirname, 'addHardwareBenchHost'),
      timeoutMs: 5 * 60_000,
      env: { LIBVIRT_TEST_URI: opts.uri, BENCH_RUNS: String(opts.runs), LIBVIRT_VMS_ADDHW_BENCH_OUT: outFile, LIBVIRT_VMS_ADDHW_BENCH_UUID: dom.uuid, LIBVIRT_VMS_ADDHW_BENCH_NAME: name },
    });
    if (code !== 0) throw new Error(`the extension host benchmark exited ${code}`);
    const host: unknown = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    if (!isResult(host)) throw new Error(`unexpected result in ${outFile}`);
    return host;
  } finally {
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

export function formatAddHardwareBench(r: AddHardwareBenchResult): string {
  const warm = r.openMs.slice(1);
  const open = median(warm.length > 0 ? warm : r.openMs);
  const inTab = median(r.inDetailsMs);
  const rows: [string, string][] = [
    [`kinds offered / fields of the first form`, `${r.kinds} / ${r.fields}`],
    ['Add Hardware to first form drawn, first tab of the session', ms(r.openMs[0] ?? NaN)],
    [`Add Hardware to first form drawn, median of ${warm.length} reopenings`, `${ms(open)} (target ≤ ${OPEN_TARGET_MS} ms: ${open <= OPEN_TARGET_MS ? 'met' : 'NOT met'})`],
    ['Add Hardware to the model built (all kinds), median', ms(median(r.loadedMs))],
    [`Details tab's Add Hardware to the form drawn in that tab, median of ${r.inDetailsMs.length}`, `${ms(inTab)} (target ≤ ${OPEN_TARGET_MS} ms: ${inTab <= OPEN_TARGET_MS ? 'met' : 'NOT met'})`],
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  const each = (xs: readonly number[]): string => xs.map((v) => v.toFixed(0)).join(', ');
  return [...rows.map(([l, v]) => `${l.padEnd(w)}  ${v}`), `(each run: own tab ${each(r.openMs)} ms; in the details tab ${each(r.inDetailsMs)} ms)`].join('\n');
}

if (require.main === module) {
  benchAddHardware({ uri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system', runs: Number(process.env['BENCH_RUNS'] ?? 5) }).then(
    (r) => {
      process.stdout.write(`${formatAddHardwareBench(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`add hardware bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
