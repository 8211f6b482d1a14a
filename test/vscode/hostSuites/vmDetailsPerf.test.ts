// The performance charts of the VM details tab inside a real VS Code: the panel of a running TCG
// VM, opened by the command with the Virtual Machines view hidden, receives the samples of the
// connection's bulk stats refresh through its protocol (each message passes the webview's own
// check), the connection sees only that one bulk listing per interval and no call per VM, and
// once the VM is off the panel is told there is no data.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainStatsTypes, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { parsePerfMessage, type ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { waitFor } from './wait';
import { leftoverOfDeadRun } from '../../leftovers';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hperf-';
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

/** A TCG VM whose firmware reads its disk and sends PXE requests on its NIC (no guest OS needed). */
function domainXml(name: string, disk: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><boot dev='network'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>`;
}

/** Counts every call made through this Connection object's public methods (the calls still go out). */
function countCalls(conn: Connection): { counts: Map<string, number>; statsFlags: number[]; restore(): void } {
  const counts = new Map<string, number>();
  const statsFlags: number[] = [];
  const proto = Object.getPrototypeOf(conn) as object;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && n !== 'call' && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function');
  for (const name of names) {
    const orig = Object.getOwnPropertyDescriptor(proto, name)!.value as (...a: unknown[]) => unknown;
    Object.defineProperty(conn, name, {
      configurable: true,
      value: (...args: unknown[]): unknown => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        if (name === 'connectGetAllDomainStats') statsFlags.push(args[0] as number);
        return orig.apply(conn, args);
      },
    });
  }
  return {
    counts,
    statsFlags,
    restore: () => {
      for (const name of names) Reflect.deleteProperty(conn, name);
    },
  };
}

describe('VM details performance charts (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let api: ExtensionApi;
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir: string;

  before(async () => {
    await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', 1, vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    // Under /tmp itself: the test's own TMPDIR may sit below folders QEMU cannot enter.
    dir = fs.mkdtempSync(path.join('/tmp', PREFIX));
    fs.chmodSync(dir, 0o755);
    const disk = path.join(dir, 'disk.raw');
    fs.writeFileSync(disk, Buffer.alloc(4 * 1024 * 1024));
    dom = await conn.domainDefineXml(domainXml(name, disk));
    await conn.domainCreate(dom);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', undefined, vscode.ConfigurationTarget.Global);
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends the bulk stats samples of a running VM to its Overview, with no call of its own, and says when it is off', async () => {
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === URI));
    const id = entry.config.id;
    if (entry.managed.state.kind !== 'connected') await vscode.commands.executeCommand('libvirtVms.connection.connect', { connectionId: id });
    const state = await waitFor('connected', () => (entry.managed.state.kind === 'connected' ? entry.managed.state : undefined));
    await waitFor('the VM listed', () => api.tree.vmItem(id, name));
    // The tree is hidden: only the open panel makes the poller refresh this connection.
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId: id, uuid: dom!.uuid });
    const panel = await waitFor('the details tab', () => api.details.get(id, dom!.uuid));
    const posted: ToWebview[] = [];
    panel.host.onDidPost((m) => posted.push(m));
    const shown: string[] = [];
    panel.controller.onDidShowForm((section) => shown.push(section));
    // The real webview draws the Overview (with the charts) and says so, perhaps before the
    // listener above was added: the controller keeps what was drawn.
    await waitFor('the webview to draw the Overview', () => shown.includes('overview') || panel.controller.drawnSections.has('overview'), 30_000);

    const calls = countCalls(state.conn);
    const t0 = Date.now();
    try {
      const samples = await waitFor(
        'two performance samples',
        () => {
          // The first sample after opening may lack disk and network rates (the reading before it had no such counters).
          const s = posted.filter((m) => m.type === 'perfSample' && m.sample.diskReadBps !== undefined);
          return s.length >= 2 ? s : undefined;
        },
        30_000,
      );
      const seconds = (Date.now() - t0) / 1000;
      for (const m of samples) {
        const wire: unknown = JSON.parse(JSON.stringify(m)); // what postMessage delivers
        assert.deepEqual(parsePerfMessage(wire), wire, 'the webview accepts the message as sent');
      }
      const last = samples[samples.length - 1]!;
      assert.ok(last.type === 'perfSample');
      assert.ok(last.sample.cpuPercent !== undefined && last.sample.cpuPercent >= 0 && last.sample.cpuPercent <= 100, JSON.stringify(last.sample));
      assert.ok(last.sample.memoryKiB !== undefined && last.sample.memoryKiB > 0, JSON.stringify(last.sample));
      console.log(`      last sample: ${JSON.stringify(last.sample)}`);
      assert.ok(last.sample.diskReadBps !== undefined && last.sample.netRxBps !== undefined, `disk and network rates: ${JSON.stringify(last.sample)}`);
      // Only the tree's bulk listing ran (with the host's own CPU and memory figures the performance
      // history records in the same round): no stats call per VM, nothing else.
      const names = [...calls.counts.keys()].sort();
      const perRefresh = ['connectGetAllDomainStats', 'connectListAllDomains', 'nodeGetCpuStats', 'nodeGetMemoryStats'];
      assert.deepEqual(names.filter((n) => !perRefresh.includes(n)), [], `calls: ${JSON.stringify([...calls.counts])}`);
      const bulk = calls.counts.get('connectGetAllDomainStats') ?? 0;
      for (const n of ['nodeGetCpuStats', 'nodeGetMemoryStats']) assert.ok((calls.counts.get(n) ?? 0) <= bulk + 1, `${n}: at most one per refresh, ${JSON.stringify([...calls.counts])}`);
      assert.ok(bulk >= 2 && bulk <= Math.ceil(seconds) + 2, `${bulk} bulk stats calls in ${seconds.toFixed(1)} s at a 1 s interval`);
      const perfGroups = VirDomainStatsTypes.BLOCK | VirDomainStatsTypes.INTERFACE;
      assert.ok(calls.statsFlags.every((f) => (f & perfGroups) === perfGroups), 'the bulk call asks for disk and network bytes while the panel is open');
    } finally {
      calls.restore();
    }

    await conn.domainDestroy(dom!);
    const off = await waitFor('the panel told the VM is off', () => posted.find((m) => m.type === 'perf' && !m.perf.active));
    assert.deepEqual(off, { type: 'perf', perf: { active: false, samples: [], history: true } });
  });
});
