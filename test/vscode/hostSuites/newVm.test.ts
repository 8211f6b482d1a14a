// The New VM wizard inside a real VS Code extension host, on the real libvirtd: the panel opens
// with the host's facts, choosing an ISO volume detects Debian 11 and fills in its defaults, bad
// input is refused on its step, a malformed message is refused, and Create makes the VM (read back
// from libvirt) through the same message path a webview takes.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { uploadFile } from '../../../src/libvirt/resources/transfer';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { NewVmPanel } from '../../../src/webviews/newVm/panel';
import type { CreateResult, ToWebview, WizardState } from '../../../src/webviews/newVm/protocol';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hwiz-';
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

describe('New VM wizard (extension host, real libvirtd)', function () {
  this.timeout(60_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  let panel: NewVmPanel;
  const posted: ToWebview[] = [];
  const created: string[] = [];
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const last = (): WizardState => {
    const s = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.ok(s, 'no state posted');
    return s.state;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwiz-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const { vol } = await createVolume(conn, pool, { name: 'debian-11.7.0-amd64-netinst.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    const facts = await newVmFacts(conn, new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined));
    panel = new NewVmPanel({ extensionUri: ext.extensionUri, hostName: 'test host', conn, facts, callbacks: { log, created: (_vm, name) => void created.push(name), pickLocalFile: async () => undefined, askExistingVolume: async () => undefined } });
    panel.host.onDidPost((m) => posted.push(m));
    await panel.receive({ type: 'ready' });
  });

  after(async () => {
    panel?.panel.dispose();
    await removeRunObjects(conn, { domains: (name) => name.startsWith(`${PREFIX}${process.pid}-`), pool, dir });
    await conn?.close();
  });

  it('opens as an editor tab on the method step, with Create refused until an ISO is chosen', () => {
    assert.equal(panel.panel.title, 'New VM on test host');
    const s = last();
    assert.equal(s.step, 'method');
    assert.deepEqual(s.steps.map((x) => x.id), ['method', 'os', 'resources', 'storage', 'network', 'summary']);
    assert.ok(s.problems.some((p) => p.section === 'method' && p.field === 'media' && p.severity === 'error'));
  });

  it('refuses a malformed message and changes nothing', async () => {
    const before = posted.length;
    assert.equal(await panel.receive({ type: 'edit', field: 'memory', value: { evil: true } }), false);
    assert.equal(await panel.receive({ type: 'create', requestId: 'x' }), false);
    assert.equal(posted.length, before);
  });

  it('detects Debian 11 from the chosen ISO and fills in its defaults; Create makes the VM', async () => {
    await panel.receive({ type: 'edit', field: 'media', value: `${pool.name}/debian-11.7.0-amd64-netinst.iso` });
    let s = last();
    assert.equal(s.values['os'], 'http://debian.org/debian/11');
    assert.equal(s.values['name'], 'debian11');
    assert.match(s.steps.find((x) => x.id === 'os')?.description ?? '', /Detected from the media/);
    const name = `${PREFIX}${process.pid}-debian11`;
    await panel.receive({ type: 'edit', field: 'name', value: name });
    await panel.receive({ type: 'edit', field: 'start', value: false });
    await panel.receive({ type: 'edit', field: 'diskSizeGiB', value: 0 });
    s = last();
    assert.ok(s.problems.some((p) => p.section === 'storage' && p.field === 'diskSizeGiB' && p.severity === 'error'));
    await panel.receive({ type: 'create', requestId: 7 });
    const refused = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 7)?.result as CreateResult;
    assert.equal(refused.ok, false);
    assert.equal(last().step, 'storage', 'Create goes to the first step with an error');
    assert.equal((await conn.connectListAllDomains()).some((d) => d.name === name), false, 'nothing created');
    await panel.receive({ type: 'edit', field: 'diskSizeGiB', value: 1 });
    await panel.receive({ type: 'create', requestId: 8 });
    const ok = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 8)?.result as CreateResult;
    assert.equal(ok.ok, true, ok.ok ? '' : ok.message);
    assert.deepEqual(created, [name]);
    const dom = await conn.domainLookupByName(name);
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(def.osinfoId, 'http://debian.org/debian/11');
    assert.deepEqual(def.devicesOf('disk').map((d) => d.get('device')), ['disk', 'cdrom']);
    assert.equal(def.devicesOf('disk')[1]?.get('sourceVolume'), 'debian-11.7.0-amd64-netinst.iso');
  });
});
