// The details tab's OS field inside a real VS Code extension host, opened by the Open Details
// command on the local connection: it offers libosinfo's list (the real osinfo-db, read by the
// extension's own catalog), and saving a choice writes the libosinfo metadata libvirt reads back.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import type { ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { waitFor } from './wait';
import { leftoverOfDeadRun } from '../../leftovers';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hdos-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const DEBIAN = 'http://debian.org/debian/11';

describe('VM details: the OS field from libosinfo (extension host, real libvirtd)', function () {
  this.timeout(90_000);
  let api: ExtensionApi;
  let conn: Connection;
  let dom: DomainRef;
  let connectionId: string;
  let addedConnection = false;
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'details os test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected');
  });

  after(async () => {
    api?.details.get(connectionId, dom?.uuid ?? '')?.dispose();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it('offers Debian 11 from the osinfo-db list and saving it writes the libosinfo metadata', async () => {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid: dom.uuid, section: 'os' });
    const panel = api.details.get(connectionId, dom.uuid);
    assert.ok(panel, 'the command opened no tab');
    await panel.loaded;
    const posted: ToWebview[] = [];
    panel.host.onDidPost((m) => posted.push(m));
    assert.ok(await panel.receive({ type: 'ready' }));
    const state = posted.find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.ok(state, 'no state posted');
    assert.equal(state.state.selected, 'os');
    const field = state.state.sections.find((s) => s.id === 'os')!.fields.find((f) => f.id === 'osinfo')!;
    assert.equal(field.widget, 'select');
    assert.equal(field.allowCustom, true);
    const debian = field.options?.find((o) => o.value === DEBIAN);
    assert.deepEqual(debian && { label: debian.label, detail: debian.detail }, { label: 'Debian 11 (debian11)', detail: `${DEBIAN} · released 2021-08-14` });

    assert.ok(await panel.receive({ type: 'apply', requestId: 1, changes: [{ section: 'os', field: 'osinfo', value: DEBIAN }] }));
    const reply = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 1);
    assert.ok(reply?.result.ok, JSON.stringify(reply?.result));
    const xml = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    assert.equal(DomainXml.parse(xml).osinfoId, DEBIAN);
    assert.match(xml, /<libosinfo:libosinfo xmlns:libosinfo="http:\/\/libosinfo\.org\/xmlns\/libvirt\/domain\/1\.0">\s*<libosinfo:os id="http:\/\/debian\.org\/debian\/11"\/>/);
  });
});
