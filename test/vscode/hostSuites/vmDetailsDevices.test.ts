// The VM details tab's device forms inside a real VS Code extension host, opened by the real
// Open Details command over the real libvirtd: removing a disk names its storage and deletes
// exactly that volume through the storage API (kept when another VM uses it; nothing done when
// that changes while the question is open), "Generate New MAC" on a NIC, and the host's free
// memory shown in the Memory section. Questions are answered through the PromptSeam; messages
// go through the panel's own checks, the path a webview message takes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChoiceRequest, ConfirmRequest } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { formatKiB } from '../../../src/libvirt/xml/units';
import type { VmDetailsPanel } from '../../../src/webviews/vmDetails/panel';
import type { RequestResult, ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hdev-';
const OWN = `${PREFIX}${process.pid}-`;
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

function vmXml(name: string, disks: readonly string[], nics: readonly string[] = []): string {
  const d = disks.map((p, i) => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${p}'/><target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/></disk>`);
  const n = nics.map((mac) => `<interface type='user'><mac address='${mac}'/><model type='virtio'/></interface>`);
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${d.join('')}${n.join('')}</devices></domain>`;
}

const volXml = (name: string): string => `<volume><name>${name}</name><capacity unit='MiB'>8</capacity><target><format type='qcow2'/></target></volume>`;

describe('VM details: device forms (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let pool: StoragePoolRef;
  let dir: string;
  let base: string;
  let n = 0;
  let nextRequest = 1;
  const unique = (kind: string): string => `${OWN}${kind}${++n}`;

  /** Removes this suite's domains and pools (also a killed earlier run's), with their volumes. */
  async function cleanup(prefix: string): Promise<void> {
    for (const d of await conn.connectListAllDomains()) {
      if (!d.name.startsWith(prefix)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
    for (const p of await conn.connectListAllStoragePools()) {
      if (!p.name.startsWith(prefix)) continue;
      await conn.storagePoolCreate(p).catch(() => undefined);
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolDelete(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
  }

  const image = async (name: string): Promise<string> => {
    await conn.storageVolCreateXml(pool, volXml(name));
    return path.join(dir, name);
  };

  /** Opens the VM's details through the command, as a click in the tree does; returns the panel and what it posts. */
  async function open(dom: DomainRef): Promise<{ panel: VmDetailsPanel; posted: ToWebview[] }> {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid: dom.uuid });
    const panel = api.details.get(connectionId, dom.uuid);
    assert.ok(panel, 'no details tab opened');
    const posted: ToWebview[] = [];
    panel.host.onDidPost((m) => posted.push(m));
    await panel.loaded;
    // The real webview says ready by itself; say it here too so nothing waits on page load.
    await panel.receive({ type: 'ready' });
    return { panel, posted };
  }

  async function request(p: { panel: VmDetailsPanel; posted: ToWebview[] }, m: Record<string, unknown>): Promise<RequestResult> {
    const requestId = nextRequest++;
    assert.ok(await p.panel.receive({ ...m, requestId }), 'the message was refused');
    const reply = p.posted.find((x): x is Extract<ToWebview, { type: 'result' }> => x.type === 'result' && x.inReplyTo === requestId);
    assert.ok(reply, 'no answer to the request');
    return reply.result;
  }

  const inactive = async (dom: DomainRef): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
  const targets = async (dom: DomainRef): Promise<string[]> => (await inactive(dom)).devicesOf('disk').map((d) => String(d.get('target')));

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    await cleanup(PREFIX);
    base = fs.mkdtempSync(`/tmp/${OWN}`);
    fs.chmodSync(base, 0o755);
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 20_000);
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected', 30_000);
    const name = unique('pool');
    dir = path.join(base, name);
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolBuild(pool);
    await conn.storagePoolCreate(pool);
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    api?.details.dispose();
    if (conn) {
      await cleanup(OWN);
      await conn.close();
    }
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  describe('Remove a disk', () => {
    let vm: DomainRef;
    let own: string;
    let shared: string;
    let p: { panel: VmDetailsPanel; posted: ToWebview[] };
    before(async () => {
      own = await image('own.qcow2');
      shared = await image('shared.qcow2');
      const keep = await image('keep.qcow2');
      vm = await conn.domainDefineXml(vmXml(unique('vm'), [own, shared, keep]));
      await conn.domainDefineXml(vmXml(unique('other'), [shared]));
      p = await open(vm);
    });

    it('names the volume in the question and deletes exactly it with "Remove and Delete Storage"', async () => {
      const asked: ChoiceRequest[] = [];
      api.prompts.setResponder({ choose: (req) => (asked.push(req), 'Remove and Delete Storage') });
      const r = await request(p, { type: 'remove', section: 'disk:vda' });
      assert.equal(asked.length, 1, 'one question with a choice');
      assert.deepEqual(asked[0]?.buttons, ['Remove', 'Remove and Delete Storage']);
      assert.ok(asked[0]?.detail.includes(`volume own.qcow2 in pool ${pool.name} (${own})`), `the volume is not named in:\n${asked[0]?.detail}`);
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.match(r.summary, new RegExp(`Deleted volume own\\.qcow2 in pool ${pool.name}`));
      assert.deepEqual(await targets(vm), ['vdb', 'vdc']);
      assert.equal(fs.existsSync(own), false, 'the volume is deleted');
      assert.ok(fs.existsSync(shared) && fs.existsSync(path.join(dir, 'keep.qcow2')), 'no other volume is touched');
      const vols = (await conn.storagePoolListAllVolumes(pool)).map((v) => v.name).sort();
      assert.deepEqual(vols, ['keep.qcow2', 'shared.qcow2']);
    });

    it('keeps a volume another VM uses, and says so in the question (no deletion offered)', async () => {
      const asked: ConfirmRequest[] = [];
      api.prompts.setResponder({ confirm: (req) => (asked.push(req), true), choose: () => assert.fail('deletion was offered for a volume another VM uses') });
      const r = await request(p, { type: 'remove', section: 'disk:vdb' });
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(asked.length, 1);
      assert.match(asked[0]?.detail ?? '', new RegExp(`Its storage ${shared.replace(/[.]/g, '\\.')} is kept: it is used by ${OWN}other`));
      assert.deepEqual(await targets(vm), ['vdc']);
      assert.ok(fs.existsSync(shared), 'the shared volume is kept');
    });

    it('removes nothing when another VM starts using the volume while the question is open', async () => {
      const keep = path.join(dir, 'keep.qcow2');
      api.prompts.setResponder({
        choose: async (req) => {
          assert.ok(req.detail.includes(keep));
          await conn.domainDefineXml(vmXml(unique('late'), [keep]));
          return 'Remove and Delete Storage';
        },
      });
      const r = await request(p, { type: 'remove', section: 'disk:vdc' });
      assert.ok(!r.ok, 'the removal went ahead');
      assert.match(r.message, /was not removed: .*keep\.qcow2 cannot be deleted: it is used by /);
      assert.deepEqual(await targets(vm), ['vdc'], 'the disk is still there');
      assert.ok(fs.existsSync(keep), 'the volume is still there');
    });
  });

  describe('NIC', () => {
    const MAC = '52:54:00:de:70:01';
    const OTHER = '52:54:00:de:70:02';
    let vm: DomainRef;
    let p: { panel: VmDetailsPanel; posted: ToWebview[] };
    before(async () => {
      vm = await conn.domainDefineXml(vmXml(unique('nic'), [], [MAC, OTHER]));
      p = await open(vm);
    });

    it('offers "Generate New MAC" on the MAC field and applies the generated address', async () => {
      const section = `interface:${MAC}`;
      const state = p.panel.controller.state();
      const mac = state.sections.find((s) => s.id === section)?.fields.find((f) => f.id === 'mac');
      assert.deepEqual(mac?.action, { id: 'generateMac', label: 'Generate New MAC', icon: 'refresh' });
      // A pending edit of the other NIC takes an address the generated one must not repeat.
      const pending = [{ section: `interface:${OTHER}`, field: 'mac', value: '52:54:00:de:70:03' }];
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await request(p, { type: 'fieldAction', section, field: 'mac', changes: pending });
        assert.ok(r.ok, r.ok ? '' : r.message);
        assert.equal(typeof r.value, 'string');
        const v = String(r.value);
        assert.match(v, /^52:54:00(:[0-9a-f]{2}){3}$/);
        assert.ok(![MAC, OTHER, '52:54:00:de:70:03'].includes(v), `${v} is already used`);
        seen.add(v);
      }
      assert.ok(seen.size > 1, 'the same address every time');
      const fresh = [...seen][0]!;
      const r = await request(p, { type: 'apply', changes: [{ section, field: 'mac', value: fresh }] });
      assert.ok(r.ok, r.ok ? '' : r.message);
      const macs = (await inactive(vm)).devicesOf('interface').map((i) => String(i.get('mac')));
      assert.deepEqual(macs, [fresh, OTHER]);
    });

    it('shows a malformed MAC on the field and does not apply it', async () => {
      const before = await conn.domainGetXmlDesc(vm, VirDomainXMLFlags.INACTIVE);
      const section = p.panel.controller.state().sections.find((s) => s.id.startsWith('interface:') && s.id !== `interface:${OTHER}`)!.id;
      const r = await request(p, { type: 'apply', changes: [{ section, field: 'mac', value: '52:54:00:zz:00:01' }] });
      assert.ok(!r.ok);
      assert.deepEqual(r.problems.map((x) => [x.section, x.field]), [[section, 'mac']]);
      assert.match(r.problems[0]?.message ?? '', /MAC/);
      assert.equal(await conn.domainGetXmlDesc(vm, VirDomainXMLFlags.INACTIVE), before);
    });
  });

  describe('Memory', () => {
    it("shows the host's free memory next to the memory fields", async () => {
      const vm = await conn.domainDefineXml(vmXml(unique('mem'), []));
      const p = await open(vm);
      const memory = p.panel.controller.state().sections.find((s) => s.id === 'memory');
      assert.ok(memory);
      const ids = memory.fields.map((f) => f.id);
      assert.equal(ids.indexOf('hostFreeMemory'), ids.indexOf('currentMemory') + 1, `not next to the allocation: ${ids.join(', ')}`);
      const field = memory.fields.find((f) => f.id === 'hostFreeMemory');
      assert.equal(field?.widget, 'readonly');
      assert.equal(field?.label, 'Host free memory');
      const total = formatKiB((await conn.nodeGetInfo()).memory);
      const shown = String(memory.values['hostFreeMemory']);
      const m = new RegExp(`^(\\d+(?:\\.\\d)?) (MiB|GiB) free of ${total.replace('.', '\\.')}$`).exec(shown);
      assert.ok(m, `unexpected text: ${shown}`);
      const shownKiB = Number(m[1]) * (m[2] === 'GiB' ? 1024 * 1024 : 1024);
      const freeKiB = (await conn.nodeGetFreeMemory()) / 1024;
      // Free memory moves; the text is rounded to 0.1 GiB.
      assert.ok(Math.abs(shownKiB - freeKiB) < Math.max(0.2 * freeKiB, 200 * 1024), `shown ${shown}, host says ${formatKiB(freeKiB)}`);
    });
  });
});
