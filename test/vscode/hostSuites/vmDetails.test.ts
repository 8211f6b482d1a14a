// The VM details tab inside a real VS Code extension host, over a real inactive domain and the
// libvirt-backed model (DomainDetailsModel): one tab per VM titled with its name, edits
// checked while typing, Apply defines with VALIDATE (read back from libvirt), a refused Apply keeps
// the edits and changes nothing, a change made on the host shows the banner, and a tab closed
// with unapplied changes keeps them for the next opening. Messages go through the panel's own
// handler (the path a webview message takes), including its field checks.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import type { DetailsModel } from '../../../src/forms/formSchema';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import type { DetailsCallbacks } from '../../../src/webviews/vmDetails/controller';
import type { VmDetailsPanel } from '../../../src/webviews/vmDetails/panel';
import { VmDetailsPanels } from '../../../src/webviews/vmDetails/panels';
import type { RequestResult, ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { STATE_LABEL, stateName } from '../../../src/views/vmState';
import { waitFor } from './wait';
import { leftoverOfDeadRun } from '../../leftovers';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hdet-';
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

describe('VM details tab (extension host, real libvirtd)', function () {
  this.timeout(60_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let conn: Connection;
  let dom: DomainRef;
  let panels: VmDetailsPanels;
  let panel: VmDetailsPanel;
  let model: DomainDetailsModel;
  const posted: ToWebview[] = [];
  const reopenOffers: string[] = [];
  let nextRequest = 100;

  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const callbacks = (): DetailsCallbacks => ({ openXml: () => undefined, addHardware: () => undefined, confirmRemove: async () => false, log });

  async function open(section?: string): Promise<VmDetailsPanel> {
    const p = await panels.show({
      connectionId: 'test',
      uuid: dom.uuid,
      model: (): DetailsModel => (model = new DomainDetailsModel(conn, dom, { stateLabel: (st, saved) => STATE_LABEL[stateName(st, saved)] })),
      callbacks,
      ...(section ? { section } : {}),
    });
    p.host.onDidPost((m) => posted.push(m));
    // The real webview says ready by itself; say it here too so nothing waits on page load.
    await p.receive({ type: 'ready' });
    return p;
  }

  async function request(type: 'apply', changes: unknown[]): Promise<RequestResult> {
    const requestId = nextRequest++;
    assert.ok(await panel.receive({ type, requestId, changes }), 'the message was refused');
    const reply = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === requestId);
    assert.ok(reply, 'no answer to the request');
    return reply.result;
  }

  async function inactive(): Promise<DomainXml> {
    return DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    }
    dom = await conn.domainDefineXml(domainXml(name));
    panels = new VmDetailsPanels(ext.extensionUri, async (title) => {
      reopenOffers.push(title);
      return false;
    });
  });

  after(async () => {
    panels?.dispose();
    if (dom) {
      const d = await conn.domainLookupByUuid(dom.uuid).catch(() => undefined);
      if (d) await conn.domainUndefine(d).catch(() => undefined);
    }
    await conn?.close();
  });

  it('opens one tab per VM, titled with its name, at the requested section', async () => {
    panel = await open('memory');
    assert.equal(panel.panel.title, name);
    assert.equal(panel.controller.selectedSection, 'memory');
    const state = [...posted].reverse().find((m) => m.type === 'state');
    assert.ok(state?.type === 'state');
    // The domain sections in the tree's order, then the devices by identity.
    assert.deepEqual(state.state.sections.map((s) => s.id).slice(0, 5), ['overview', 'os', 'cpus', 'memory', 'boot']);
    assert.equal(state.state.sections.find((s) => s.id === 'memory')!.values['memory'], 128);
    const again = await panels.show({ connectionId: 'test', uuid: dom.uuid, model: () => assert.fail('a second model was built'), callbacks, section: 'cpus' });
    assert.equal(again, panel);
    assert.equal(panel.controller.selectedSection, 'cpus');
    const labels = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
    await waitFor(`a tab named ${name} (tabs: ${labels().join(', ')})`, () => labels().includes(name), 5000);
    assert.equal(labels().filter((l) => l === name).length, 1);
  });

  it('checks edits while typing and marks the tab as modified', async () => {
    await panel.receive({ type: 'select', section: 'cpus' });
    await panel.receive({ type: 'edit', changes: [{ section: 'cpus', field: 'vcpus', value: 0 }] });
    assert.equal(panel.panel.title, `● ${name}`);
    const problems = await waitFor('the checks of the edit', () => {
      const p = [...posted].reverse().find((m) => m.type === 'problems');
      return p?.type === 'problems' && p.problems.length > 0 ? p.problems : undefined;
    });
    assert.deepEqual(problems.map((p) => [p.section, p.field, p.severity]), [['cpus', 'vcpus', 'error']]);
    // A message with a bad field is refused before anything acts on it.
    assert.equal(await panel.receive({ type: 'edit', changes: [{ section: 'cpus', field: 'vcpus', value: { n: 1 } }] }), false);
    assert.deepEqual(panel.controller.pending, [{ section: 'cpus', field: 'vcpus', value: 0 }]);
    const before = (await inactive()).get('vcpus');
    const r = await request('apply', [{ section: 'cpus', field: 'vcpus', value: 0 }]);
    assert.ok(!r.ok && /Fix the errors/.test(r.message));
    assert.equal((await inactive()).get('vcpus'), before);
  });

  it('applies name, title, description, memory and vCPUs (define with VALIDATE, read back)', async () => {
    const newName = `${name}-r`;
    const r = await request('apply', [
      { section: 'overview', field: 'name', value: newName },
      { section: 'overview', field: 'title', value: 'Details test' },
      { section: 'overview', field: 'description', value: 'Set from the details tab' },
      { section: 'cpus', field: 'vcpus', value: 2 },
      { section: 'memory', field: 'memory', value: 256 },
    ]);
    assert.deepEqual(r, { ok: true, summary: 'Saved: Overview: Name, Overview: Title, Overview: Description, CPUs: Maximum vCPUs, Memory: Maximum allocation.' });
    dom = await conn.domainLookupByUuid(dom.uuid);
    assert.equal(dom.name, newName);
    const d = await inactive();
    assert.equal(d.get('title'), 'Details test');
    assert.equal(d.get('description'), 'Set from the details tab');
    assert.equal(d.get('vcpus'), 2);
    assert.equal(d.memoryKiB, 256 * 1024);
    assert.equal(panel.panel.title, newName, 'the tab follows the rename and is no longer modified');
    assert.deepEqual(panel.controller.pending, []);
  });

  it('a refused Apply shows libvirt\'s message on the field, keeps the edits and changes nothing', async () => {
    const before = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    // An emulator binary that does not exist: the checker knows the host's emulators from its
    // capabilities but leaves others to libvirt, which probes them when it defines.
    const changes = [
      { section: 'overview', field: 'emulator', value: '/usr/bin/qemu-system-nonexistent' },
      { section: 'overview', field: 'title', value: 'Not applied' },
    ];
    await panel.receive({ type: 'edit', changes });
    const r = await request('apply', changes);
    assert.ok(!r.ok, 'libvirt accepted an emulator that does not exist');
    assert.match(r.message, /qemu-system-nonexistent/);
    assert.deepEqual(r.problems.map((p) => [p.section, p.field]), [['overview', 'emulator']]);
    assert.deepEqual(panel.controller.pending, changes);
    assert.equal(panel.panel.title, `● ${dom.name}`);
    assert.equal(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE), before);
  });

  it('a definition changed on the host over unapplied edits shows the banner; Reload shows it', async () => {
    await model.eventsReady;
    const changedBefore = posted.filter((m) => m.type === 'changedOnHost').length;
    const d = await inactive();
    d.set('description', 'Changed elsewhere');
    await conn.domainDefineXml(d.toString());
    await waitFor('the changed-on-host banner', () => posted.filter((m) => m.type === 'changedOnHost').length > changedBefore);
    assert.equal(panel.controller.state().changedOnHost, true);
    assert.ok(panel.controller.dirty, 'the edits are kept');
    await panel.receive({ type: 'reload' });
    const s = panel.controller.state();
    assert.equal(s.changedOnHost, false);
    assert.deepEqual(s.pending, []);
    assert.equal(s.sections.find((x) => x.id === 'overview')!.values['description'], 'Changed elsewhere');
  });

  it('closing the tab with unapplied changes keeps them for the next opening', async () => {
    const changes = [{ section: 'memory', field: 'memory', value: 512 }];
    await panel.receive({ type: 'edit', changes });
    panel.panel.dispose();
    await waitFor('the offer to reopen', () => reopenOffers.includes(dom.name));
    assert.deepEqual(panels.keptChanges('test', dom.uuid), changes);
    posted.length = 0;
    panel = await open();
    assert.deepEqual(panel.controller.pending, changes);
    assert.equal(panel.panel.title, `● ${dom.name}`);
    assert.equal(panels.keptChanges('test', dom.uuid), undefined);
    assert.equal((await inactive()).memoryKiB, 256 * 1024, 'nothing was applied by closing');
  });
});
