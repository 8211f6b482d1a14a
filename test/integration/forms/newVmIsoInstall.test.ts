// The ISO install path with a real installer: a bootable ISO of Debian's netboot installer, built
// by the test environment (scripts/guest-image.sh netboot-iso: GRUB on the serial console, the
// volume id of Debian 11's netinst ISO, since this machine's osinfo-db lists no Debian 12 media)
// and uploaded into a pool. Through the wizard's controller (the webview's path): choosing the
// ISO volume recognises the OS from its volume id (read through the storage stream), Create makes and starts the
// VM, and the installer's first screen appears on its serial console.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { uploadFile } from '../../../src/libvirt/resources/transfer';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { WizardController } from '../../../src/webviews/newVm/controller';
import type { CreateResult, ToWebview, WizardState } from '../../../src/webviews/newVm/protocol';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'isoinst-';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("ISO install with Debian's real installer (integration)", function () {
  this.timeout(420_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const posted: ToWebview[] = [];
  const last = (): WizardState => {
    const s = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.ok(s);
    return s.state;
  };

  before(async function () {
    this.timeout(600_000);
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    const iso = execFileSync('bash', ['scripts/guest-image.sh', 'netboot-iso'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: run, targetPath: path.join(dir, 'pool') });
    const { vol } = await createVolume(conn, pool, { name: 'debian-12-netinst.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
  });

  after(async () => {
    await removeRunObjects(conn, { domains: (name) => name.startsWith(run), pool, dir });
    await conn?.close();
  });

  it('recognises Debian from the ISO, creates and starts the VM, and the installer shows its first screen', async () => {
    // TCG as on CI (no KVM there).
    const facts = { ...(await newVmFacts(conn, new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined))), virtType: 'qemu' as const };
    const started: string[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const c = new WizardController(conn, facts, (m) => posted.push(m), { log, cancel: () => undefined, created: (_vm, name) => void started.push(name), pickLocalFile: async () => undefined, askExistingVolume: async () => undefined });
    await c.handle({ type: 'ready' });
    await c.handle({ type: 'edit', field: 'media', value: `${pool.name}/debian-12-netinst.iso` });
    assert.equal(last().values['os'], 'http://debian.org/debian/11', 'the OS is read from the ISO volume');
    const name = `${run}-debian`;
    // The test ISO boots through GRUB's BIOS image; a small disk and memory for the shared machine.
    for (const [field, value] of [['firmware', 'bios'], ['memory', 1024], ['diskPool', pool.name], ['diskSizeGiB', 1], ['name', name], ['start', true]] as const) await c.handle({ type: 'edit', field, value });
    await c.handle({ type: 'create', requestId: 1 });
    const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 1)?.result as CreateResult;
    assert.equal(result.ok, true, result.ok ? '' : result.message);
    assert.deepEqual(started, [name]);
    const dom = await conn.domainLookupByName(name);
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(def.devicesOf('disk').find((d) => d.get('device') === 'cdrom')?.get('sourceVolume'), 'debian-12-netinst.iso');
    // The serial console from the start: GRUB, then the kernel, then the installer's first screen
    // (about 30 s under TCG on an idle machine; minutes on a loaded one).
    const chunks: Buffer[] = [];
    const watcher = await Connection.open(URI);
    try {
      const stream = await watcher.domainOpenConsole(await watcher.domainLookupByName(name), null, 0);
      stream.on('data', (b: Buffer) => chunks.push(b));
      // Closing the watcher's connection ends the stream with an error: expected then.
      stream.on('error', () => undefined);
      const text = (): string => Buffer.concat(chunks).toString('latin1');
      const firstScreen = /Choose language|Select a language/;
      for (let i = 0; i < 3600 && !firstScreen.test(text()); i++) await sleep(100);
      fs.writeFileSync(path.join(dir, 'serial.log'), text());
      assert.match(text(), firstScreen, `serial console: ${text().slice(-800)}`);
    } finally {
      await watcher.close().catch(() => undefined);
      await conn.domainDestroy(dom).catch(() => undefined);
    }
  });
});
