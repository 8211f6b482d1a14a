// The performance history against a real libvirtd: a running TCG VM and the host are sampled with
// the same calls the tree makes (one bulk stats call with the perf groups, the node CPU and memory
// statistics), the rates are recorded, the history is written, read back as after a restart, and
// recording goes on into the same file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { perfCounters, PerfTracker, type PerfCounters } from '../../../src/libvirt/domainPerf';
import { HOST_SERIES_ID, HostHistory } from '../../../src/libvirt/history/hostHistory';
import { readHistoryFile, writeHistoryFile } from '../../../src/libvirt/history/historyFile';
import { hostSample, type HostCounters, type SampleBatch } from '../../../src/libvirt/history/samples';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { PERF_STATS, TREE_STATS } from '../../../src/views/statsGroups';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hst-';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Performance history with a real libvirtd (integration)', function () {
  this.timeout(120_000);
  const name = `${PREFIX}${process.pid}-int`;
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir: string;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    dir = fs.mkdtempSync(path.join('/tmp', PREFIX));
    fs.chmodSync(dir, 0o755);
    const disk = path.join(dir, 'disk.raw');
    fs.writeFileSync(disk, Buffer.alloc(4 * 1024 * 1024));
    // SeaBIOS reads the disk and the VM sends PXE requests: real disk and network counters.
    dom = await conn.domainDefineXml(`<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><boot dev='network'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
  </devices>
</domain>`);
    await conn.domainCreate(dom);
  });

  after(async () => {
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One refresh as HostSession makes it: bulk stats with the perf groups plus node statistics. */
  async function refresh(tracker: PerfTracker, prevHost: HostCounters | undefined): Promise<{ batch: SampleBatch; host: HostCounters }> {
    const [stats, cpu, memory] = await Promise.all([conn.connectGetAllDomainStats(TREE_STATS | PERF_STATS, 0), conn.nodeGetCpuStats(), conn.nodeGetMemoryStats()]);
    const at = Date.now();
    const readings = new Map<string, PerfCounters>();
    for (const { dom: d, params } of stats) readings.set(d.uuid, perfCounters(params, at, d.id !== -1));
    const added = tracker.update(readings);
    const host: HostCounters = { at, cpu, memory };
    const batch: SampleBatch = {
      connectionId: 'itest',
      at,
      vms: stats.map(({ dom: d }) => ({ uuid: d.uuid, name: d.name, stateCode: 1, active: d.id !== -1, sample: added.get(d.uuid) })),
      host: hostSample(prevHost, host),
    };
    return { batch, host };
  }

  it('records a running VM and the host, survives a write and a reload, and keeps recording', async () => {
    const tracker = new PerfTracker();
    const history = new HostHistory();
    let prev: HostCounters | undefined;
    // Over 7 s: the samples fall in at least two 5-second slots.
    for (let i = 0; i < 8; i++) {
      const { batch, host } = await refresh(tracker, prev);
      prev = host;
      history.record(batch);
      await sleep(1100);
    }
    const now = Date.now();
    const vm = history.range(dom!.uuid, 'live', now);
    assert.ok(vm, 'the VM has a series');
    const cpu = [...vm.avg[0]].filter((v) => !Number.isNaN(v));
    assert.ok(cpu.length >= 2, `CPU recorded in ${cpu.length} slots`);
    assert.ok(cpu.every((v) => v >= 0 && v <= 100), `CPU % in range: ${cpu.join(', ')}`);
    const mem = [...vm.avg[1]].filter((v) => !Number.isNaN(v));
    assert.ok(mem.length >= 2 && mem.every((v) => v > 0 && v <= 131072), `memory used in KiB (≤ 128 MiB): ${mem.join(', ')}`);
    const disk = [...vm.avg[2]].filter((v) => !Number.isNaN(v));
    assert.ok(disk.length >= 2, 'disk read rate recorded (the VM has a disk)');
    const host = history.range(HOST_SERIES_ID, 'live', now);
    assert.ok(host);
    const hostCpu = [...host.avg[0]].filter((v) => !Number.isNaN(v));
    assert.ok(hostCpu.length >= 2 && hostCpu.every((v) => v >= 0 && v <= 100), `host CPU %: ${hostCpu.join(', ')}`);
    assert.ok([...host.avg[2]].some((v) => v > 0), 'host memory total recorded');

    // A restart: write, read into a new history, compare, and keep recording into it.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hst-int-')), 'host.lvh');
    await writeHistoryFile(file, history);
    const { history: back } = await readHistoryFile(file, history.tiers);
    const again = back.range(dom!.uuid, 'live', now);
    assert.deepEqual(again?.avg, vm.avg);
    assert.deepEqual(again?.max, vm.max);
    await sleep(5100);
    back.record((await refresh(tracker, prev)).batch);
    const later = back.range(dom!.uuid, 'live', Date.now());
    assert.ok(later && [...later.avg[0]].filter((v) => !Number.isNaN(v)).length > cpu.length, 'a new slot after the reload');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
