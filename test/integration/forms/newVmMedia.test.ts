// The New VM wizard's install media on the real libvirtd, through the same controller the webview
// talks to: an ISO file of this computer uploaded into a pool (OS read from the file first, a
// volume of the same name never overwritten, Cancel and a non-ISO leave no volume behind), and a
// network install from a tree served on 127.0.0.1 (Debian's real netboot installer, from the
// package scripts/guest-image.sh caches): the tree is recognised, the kernel and initrd are fetched
// and stored as volumes, the installer boots and shows its first screen on the serial console,
// the persistent definition is already the final one and the two volumes are gone. The same tree
// over anonymous FTP (Debian's vsftpd, test/ftpServer.ts) for Customize before install, and an FTP
// tree's probe, limits and Cancel.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { beginInstallation, type CreatedVm } from '../../../src/forms/createVm';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { fetchBytes, FetchError, probeInstallTree } from '../../../src/libvirt/installTree';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ, parseIsoDescriptors } from '../../../src/libvirt/osinfoMedia';
import { createPool } from '../../../src/libvirt/resources/operations';
import { readVolumeRange } from '../../../src/libvirt/resources/transfer';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { WizardController, type WizardCallbacks } from '../../../src/webviews/newVm/controller';
import type { CreateResult, ToWebview, WizardState } from '../../../src/webviews/newVm/protocol';
import { startFtpServer } from '../../ftpServer';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'mda';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A static file server on 127.0.0.1 (the install tree); `hits` counts the paths asked for. */
async function serve(files: Map<string, string | Buffer>): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(p);
    const f = files.get(p);
    if (f === undefined) {
      res.writeHead(404).end();
      return;
    }
    const body = typeof f === 'string' && f.startsWith('/') && fs.existsSync(f) ? fs.readFileSync(f) : Buffer.from(f);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A connection, retried while the shared daemon restarts (another suite restarts it on purpose). */
async function openConnection(): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      return await Connection.open(URI);
    } catch (e) {
      if (i >= 60) throw e;
      await sleep(1000);
    }
  }
}

/**
 * Everything the VM prints on its serial console from now on, on a connection of its own that
 * is opened again when the daemon restarts (the VM keeps running across a restart).
 */
function watchSerial(name: string): { text: () => string; stop: () => void } {
  const chunks: Buffer[] = [];
  let stopped = false;
  let current: Connection | undefined;
  void (async () => {
    while (!stopped) {
      try {
        current = await openConnection();
        const stream = await current.domainOpenConsole(await current.domainLookupByName(name), null, 0);
        stream.on('data', (b: Buffer) => chunks.push(b));
        await new Promise<void>((r) => {
          stream.on('error', () => r());
          stream.on('close', () => r());
          stream.on('end', () => r());
        });
      } catch {
        // The daemon is restarting: try again.
      }
      await current?.close().catch(() => undefined);
      await sleep(500);
    }
  })();
  return {
    text: () => Buffer.concat(chunks).toString('latin1'),
    stop: () => {
      stopped = true;
      void current?.close().catch(() => undefined);
    },
  };
}

describe('New VM wizard: local ISO upload and network install (integration)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const domains: string[] = [];
  const posted: ToWebview[] = [];
  let script: Partial<WizardCallbacks> = {};
  const asked: string[][] = [];
  const createdVms: { vm: CreatedVm; name: string; customize: boolean }[] = [];
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

  const controller = async (tcg = false): Promise<WizardController> => {
    const read = await newVmFacts(conn, new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined));
    // TCG as on CI (no KVM there); a /dev/kvm some machines of this kind show hangs a host-passthrough guest's kernel.
    const facts = tcg ? { ...read, virtType: 'qemu' as const } : read;
    const c = new WizardController(conn, facts, (m) => posted.push(m), {
      log,
      cancel: () => undefined,
      created: (vm, name, o) => void createdVms.push({ vm, name, customize: o.customize }),
      pickLocalFile: (kind) => script.pickLocalFile?.(kind) ?? Promise.resolve(undefined),
      askExistingVolume: (p, v, alt, kind) => {
        asked.push([p, v, alt]);
        return script.askExistingVolume?.(p, v, alt, kind) ?? Promise.resolve(undefined);
      },
    }, 50);
    await c.handle({ type: 'ready' });
    await c.handle({ type: 'edit', field: 'mediaPool', value: pool.name });
    return c;
  };
  const last = (): WizardState => {
    const s = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.ok(s);
    return s.state;
  };
  const lastNotice = (): string | undefined => [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'notice' }> => m.type === 'notice')?.message;
  const volumeNames = async (): Promise<string[]> => (await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name).sort();

  before(async () => {
    conn = await openConnection();
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mda-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-pool-${crypto.randomBytes(2).toString('hex')}`, targetPath: path.join(dir, 'pool') });
  });

  beforeEach(async () => {
    if (conn.closed) conn = await openConnection();
  });

  afterEach(() => {
    script = {};
    asked.length = 0;
  });

  after(async () => {
    if (conn.closed) conn = await openConnection();
    await removeRunObjects(conn, { domains: (name) => domains.includes(name), pool, dir });
    await conn?.close();
  });

  it('Browse local ISO…: detects the OS from the file, uploads it into the pool and chooses it', async () => {
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const file = path.join(dir, 'debian-11-netinst.iso');
    fs.renameSync(iso, file);
    script.pickLocalFile = async () => file;
    const c = await controller();
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    const s = last();
    assert.equal(s.values['media'], `${pool.name}/debian-11-netinst.iso`);
    assert.equal(s.values['os'], 'http://debian.org/debian/11');
    assert.equal(s.busy, undefined);
    assert.ok(s.steps[0]!.fields.find((f) => f.id === 'media')?.options?.some((o) => o.value === `${pool.name}/debian-11-netinst.iso`), 'offered as an ISO volume');
    assert.ok(posted.some((m) => m.type === 'state' && /Uploading debian-11-netinst\.iso to pool .*: \d+%/.test(m.state.busy ?? '')), 'progress was shown');
    const vol = await conn.storageVolLookupByName(pool, 'debian-11-netinst.iso');
    const ids = parseIsoDescriptors(await readVolumeRange(conn, vol, ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ));
    assert.equal(ids?.volumeId, 'Debian 11.7.0 amd64 n');
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, fs.statSync(file).size);
  });

  it('a volume of the same name is never overwritten: Use it, upload under a new name, or neither', async () => {
    const file = path.join(dir, 'debian-11-netinst.iso');
    const before = await volumeNames();
    const original = await readVolumeRange(conn, await conn.storageVolLookupByName(pool, 'debian-11-netinst.iso'), 0, 64 * 1024);
    script.pickLocalFile = async () => file;
    const c = await controller();
    script.askExistingVolume = async () => undefined;
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    assert.deepEqual(asked, [[pool.name, 'debian-11-netinst.iso', 'debian-11-netinst-2.iso']]);
    assert.deepEqual(await volumeNames(), before, 'closing the question uploads nothing');
    assert.equal(last().values['media'], undefined);

    script.askExistingVolume = async () => 'use';
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    assert.equal(last().values['media'], `${pool.name}/debian-11-netinst.iso`);
    assert.equal(last().values['os'], 'http://debian.org/debian/11', 'the OS of the volume used');
    assert.deepEqual(await volumeNames(), before);
    assert.deepEqual(await readVolumeRange(conn, await conn.storageVolLookupByName(pool, 'debian-11-netinst.iso'), 0, 64 * 1024), original, 'unchanged');

    script.askExistingVolume = async () => 'rename';
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    assert.equal(last().values['media'], `${pool.name}/debian-11-netinst-2.iso`);
    assert.deepEqual(await volumeNames(), [...before, 'debian-11-netinst-2.iso'].sort());
  });

  it('refuses a file that is not an ISO before sending anything', async () => {
    const file = path.join(dir, 'notes.iso');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
    const before = await volumeNames();
    script.pickLocalFile = async () => file;
    const c = await controller();
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    assert.match(lastNotice() ?? '', /notes\.iso is not an ISO 9660 image/);
    assert.deepEqual(await volumeNames(), before);
  });

  it('Cancel during the upload stops it and removes the partial volume', async () => {
    // A real ISO's first blocks, then 768 MiB: long enough to be cancelled half-way.
    const iso = fs.readFileSync(makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n' }));
    const file = path.join(dir, 'big.iso');
    fs.writeFileSync(file, iso);
    fs.truncateSync(file, 768 * 1024 * 1024);
    const before = await volumeNames();
    script.pickLocalFile = async () => file;
    const c = await controller();
    let cancelled = false;
    posted.length = 0;
    const watcher = (async () => {
      for (let i = 0; i < 600 && !cancelled; i++) {
        const s = posted.at(-1);
        if (s?.type === 'state' && s.state.cancellable && /\d+%/.test(s.state.busy ?? '')) {
          cancelled = true;
          await c.handle({ type: 'cancel' });
        }
        await sleep(20);
      }
    })();
    await c.handle({ type: 'action', field: 'media', action: 'browseIso' });
    await watcher;
    assert.ok(cancelled, 'the upload was seen in progress');
    assert.match(lastNotice() ?? '', /upload of big\.iso was cancelled; the partial volume was removed/);
    assert.deepEqual(await volumeNames(), before, 'no partial volume');
    assert.equal(last().cancellable, false);
  });

  it('Upload disk image…: a qcow2 file becomes a volume libvirt reads as qcow2 of its disk size, and the VM\'s qcow2 disk; overlays and other formats are refused before anything is sent', async () => {
    const image = path.join(dir, 'guest.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '2G']);
    const overlay = path.join(dir, 'overlay.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image, overlay]);
    const vmdk = path.join(dir, 'disk.vmdk');
    execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', vmdk, '1G']);
    const before = await volumeNames();
    const c = await controller(true);
    await c.handle({ type: 'edit', field: 'method', value: 'import' });
    assert.equal(last().steps[0]!.fields.find((f) => f.id === 'importVolume')?.action?.id, 'uploadImage', 'the import offers the upload');
    for (const [file, why] of [
      [overlay, /overlay\.qcow2 is a qcow2 overlay with a backing file: .*Nothing was uploaded\.$/],
      [vmdk, /disk\.vmdk is a VMDK image, which the VM cannot use as it is\. Convert it .*Nothing was uploaded\.$/],
    ] as const) {
      script.pickLocalFile = async (kind) => (kind === 'disk' ? file : undefined);
      await c.handle({ type: 'action', field: 'importVolume', action: 'uploadImage' });
      assert.match(lastNotice() ?? '', why);
    }
    assert.deepEqual(await volumeNames(), before, 'nothing uploaded');

    script.pickLocalFile = async (kind) => (kind === 'disk' ? image : undefined);
    await c.handle({ type: 'action', field: 'importVolume', action: 'uploadImage' });
    const key = `${pool.name}/guest.qcow2`;
    assert.equal(last().values['importVolume'], key);
    assert.equal(last().steps[0]!.fields.find((f) => f.id === 'importVolume')?.options?.find((o) => o.value === key)?.detail, `${pool.name} · 2.0 GiB · qcow2`);
    const vol = await conn.storageVolLookupByName(pool, 'guest.qcow2');
    assert.match(await conn.storageVolGetXmlDesc(vol, 0), /<format type='qcow2'\/>/, 'libvirt reads the format from the image');
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, 2 * 1024 ** 3, 'and its disk size');

    const name = `${PREFIX}${process.pid}-import-${crypto.randomBytes(2).toString('hex')}`;
    domains.push(name);
    for (const [field, value] of [['memory', 256], ['name', name], ['customize', true]] as const) await c.handle({ type: 'edit', field, value });
    await c.handle({ type: 'create', requestId: 7 });
    const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 7)?.result as CreateResult;
    assert.equal(result.ok, true, result.ok ? '' : result.message);
    const xml = await conn.domainGetXmlDesc(await conn.domainLookupByName(name), VirDomainXMLFlags.INACTIVE);
    const diskXml = /<disk type='[a-z]+' device='disk'>[\s\S]*?<\/disk>/.exec(xml)?.[0] ?? '';
    assert.match(diskXml, /<driver name='qemu' type='qcow2'/, `the disk is read as qcow2: ${diskXml}`);
    const volPath = /<path>([^<]+)<\/path>/.exec(await conn.storageVolGetXmlDesc(vol, 0))?.[1] ?? '';
    assert.ok((volPath !== '' && diskXml.includes(`file='${volPath}'`)) || diskXml.includes(`volume='guest.qcow2'`), `the uploaded volume is the disk: ${diskXml}`);
  });

  it('probes install trees: a .treeinfo tree, a Debian installer directory, a URL that is neither, size limits', async () => {
    const tree = await serve(
      new Map<string, string>([
        ['/fedora/.treeinfo', '[general]\nfamily = Fedora\nversion = 39\narch = x86_64\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n'],
        ['/big', 'x'.repeat(5000)],
      ]),
    );
    try {
      const catalog = (await new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined).installFacts())?.all ?? [];
      const fedora = await probeInstallTree(`${tree.url}/fedora`, catalog);
      assert.equal(fedora.kind, 'treeinfo');
      assert.equal(fedora.kernelUrl, `${tree.url}/fedora/images/pxeboot/vmlinuz`);
      assert.equal(fedora.installArgs, `inst.repo=${tree.url}/fedora/`);
      const deb = await probeInstallTree(`${tree.url}/debian/dists/bullseye/main/installer-amd64/`, catalog);
      assert.equal(deb.osId, 'http://debian.org/debian/11');
      assert.equal(deb.initrdUrl, `${tree.url}/debian/dists/bullseye/main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz`);
      await assert.rejects(probeInstallTree(`${tree.url}/nothing/`, catalog), /is not an install tree: it has no \.treeinfo/);
      await assert.rejects(probeInstallTree('gopher://example.org/pub/', catalog), /'gopher:' URLs are not supported: use http:\/\/, https:\/\/ or ftp:\/\//);
      await assert.rejects(probeInstallTree('ftp://user:secret@example.org/pub/', catalog), /with a user name or password is not accepted/);
      await assert.rejects(fetchBytes(`${tree.url}/big`, { maxBytes: 1000 }), (e: unknown) => FetchError.is(e) && /more than the limit of 1000/.test(e.message));
      await assert.rejects(probeInstallTree('http://127.0.0.1:1/', catalog), FetchError);
    } finally {
      await tree.close();
    }
  });

  it('probes an anonymous FTP tree (vsftpd): .treeinfo, a missing file, the size limit, Cancel, a server that is not there', async () => {
    const ftp = await startFtpServer(
      new Map<string, string | Buffer>([
        ['/pub/fedora/.treeinfo', '[general]\nfamily = Fedora\nversion = 39\narch = x86_64\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n'],
        ['/pub/big', 'x'.repeat(5000)],
        ['/pub/large', crypto.randomBytes(16 * 1024 * 1024)],
      ]),
    );
    try {
      const catalog = (await new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined).installFacts())?.all ?? [];
      const fedora = await probeInstallTree(`${ftp.url}/pub/fedora`, catalog);
      assert.equal(fedora.kind, 'treeinfo');
      assert.equal(fedora.kernelUrl, `${ftp.url}/pub/fedora/images/pxeboot/vmlinuz`);
      assert.equal(fedora.installArgs, `inst.repo=${ftp.url}/pub/fedora/`);
      await assert.rejects(probeInstallTree(`${ftp.url}/pub/`, catalog), /is not an install tree: it has no \.treeinfo/);
      const progress: number[] = [];
      const big = await fetchBytes(`${ftp.url}/pub/big`, { maxBytes: 10_000, onProgress: (p) => progress.push(p.bytes, p.total) });
      assert.equal(big?.toString(), 'x'.repeat(5000));
      assert.deepEqual(progress.slice(-2), [5000, 5000], 'the last progress is the whole file, its size known from SIZE');
      assert.equal(await fetchBytes(`${ftp.url}/pub/none`, { maxBytes: 1000 }), undefined, 'a missing file (550) is no file');
      await assert.rejects(fetchBytes(`${ftp.url}/pub/big`, { maxBytes: 1000 }), (e: unknown) => FetchError.is(e) && /is 5000 bytes, more than the limit of 1000/.test(e.message));
      // Cancel before the start, and during a transfer (at its first progress report).
      const before = new AbortController();
      before.abort();
      await assert.rejects(fetchBytes(`${ftp.url}/pub/big`, { maxBytes: 10_000, signal: before.signal }), (e: unknown) => (e as { name?: string }).name === 'AbortError');
      const during = new AbortController();
      let reported = 0;
      const cancel = fetchBytes(`${ftp.url}/pub/large`, { maxBytes: 32 * 1024 * 1024, signal: during.signal, onProgress: (p) => ((reported = p.bytes), during.abort()) });
      await assert.rejects(cancel, (e: unknown) => (e as { name?: string }).name === 'AbortError');
      assert.ok(reported > 0 && reported < 16 * 1024 * 1024, `cancelled after ${reported} bytes`);
      const port = Number(new URL(ftp.url).port);
      await ftp.close();
      await assert.rejects(fetchBytes(`ftp://127.0.0.1:${port}/pub/big`, { maxBytes: 10_000 }), (e: unknown) => FetchError.is(e) && /ECONNREFUSED/.test(e.message));
    } finally {
      await ftp.close();
    }
  });

  it("network install: boots Debian's real netboot installer from a tree on 127.0.0.1; the final definition boots the disk and the kernel and initrd volumes are gone", async function () {
    this.timeout(360_000);
    const images = execFileSync('bash', ['scripts/guest-image.sh', 'netboot'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const installer = '/debian/dists/bookworm/main/installer-amd64/';
    const kernel = path.join(images, 'text/debian-installer/amd64/linux');
    const initrd = path.join(images, 'text/debian-installer/amd64/initrd.gz');
    const tree = await serve(
      new Map([
        [`${installer}current/images/netboot/debian-installer/amd64/linux`, kernel],
        [`${installer}current/images/netboot/debian-installer/amd64/initrd.gz`, initrd],
      ]),
    );
    const name = `${PREFIX}${process.pid}-url-${crypto.randomBytes(2).toString('hex')}`;
    domains.push(name);
    let serial: ReturnType<typeof watchSerial> | undefined;
    try {
      const c = await controller(true);
      await c.handle({ type: 'edit', field: 'method', value: 'url' });
      await c.handle({ type: 'edit', field: 'url', value: `${tree.url}/debian/dists/bookwo` });
      await c.handle({ type: 'edit', field: 'url', value: `${tree.url}${installer}` });
      await c.settled();
      assert.deepEqual(last().problems.filter((p) => p.severity === 'error' && p.section === 'method'), []);
      await c.handle({ type: 'edit', field: 'extraArgs', value: 'console=ttyS0,115200n8' });
      await c.handle({ type: 'edit', field: 'memory', value: 1024 });
      await c.handle({ type: 'edit', field: 'diskPool', value: pool.name });
      await c.handle({ type: 'edit', field: 'diskSizeGiB', value: 1 });
      await c.handle({ type: 'edit', field: 'firmware', value: 'bios' });
      await c.handle({ type: 'edit', field: 'name', value: name });
      await c.handle({ type: 'create', requestId: 1 });
      const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 1)?.result as CreateResult;
      assert.equal(result.ok, true, result.ok ? '' : result.message);
      assert.ok(posted.some((m) => m.type === 'state' && /Downloading the installer initrd: \d+%/.test(m.state.busy ?? '')), 'download progress was shown');
      const made = createdVms.find((x) => x.name === name);
      assert.ok(made?.vm.started);
      const dom = await conn.domainLookupByName(name);
      serial = watchSerial(name);

      const live = DomainXml.parse(await conn.domainGetXmlDesc(dom, 0));
      assert.match(live.get('kernel') ?? '', new RegExp(`${name}-install-vmlinuz$`));
      assert.equal(live.get('cmdline'), 'console=ttyS0,115200n8');
      assert.equal(live.get('onReboot'), 'destroy', "the installer's closing reboot stops the VM");
      const final = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
      assert.equal(final.get('kernel'), undefined, 'the next boot is from the disk');
      assert.equal(final.get('onReboot'), 'restart');
      const vols = await volumeNames();
      assert.equal(vols.some((v) => v.includes('-install-')), false, `kernel and initrd volumes deleted: ${vols.join(', ')}`);
      assert.ok(vols.includes(`${name}.qcow2`));
      // The installer's first screen on the serial console (the kernel and initrd came from memory).
      const text = serial.text;
      // Its first screen asks for the language: about 30 s under TCG on an idle machine, minutes
      // on one shared by several test runs (a load of 20 on 2 cores was seen).
      const firstScreen = /Choose language|Select a language/;
      for (let i = 0; i < 2400 && !firstScreen.test(text()); i++) await sleep(100);
      assert.match(text(), firstScreen, `serial console: ${text().slice(-800)}`);
      assert.ok(tree.hits.includes(`${installer}current/images/netboot/debian-installer/amd64/initrd.gz`));
    } finally {
      serial?.stop();
      await tree.close();
    }
  });

  it('Customize before install, from an FTP tree: the VM is defined, not started, the installer kept as fetched; Begin Installation starts it, makes the final definition and removes the kernel and initrd', async () => {
    const images = execFileSync('bash', ['scripts/guest-image.sh', 'netboot'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const installer = '/debian/dists/bookworm/main/installer-amd64/';
    const kernelFile = path.join(images, 'text/debian-installer/amd64/linux');
    // The same Debian tree over anonymous FTP (vsftpd); the HTTP path boots in the test above.
    const tree = await startFtpServer(
      new Map([
        [`${installer}current/images/netboot/debian-installer/amd64/linux`, path.join(images, 'text/debian-installer/amd64/linux')],
        [`${installer}current/images/netboot/debian-installer/amd64/initrd.gz`, path.join(images, 'text/debian-installer/amd64/initrd.gz')],
      ]),
    );
    const name = `${PREFIX}${process.pid}-cust-${crypto.randomBytes(2).toString('hex')}`;
    domains.push(name);
    try {
      const c = await controller(true);
      await c.handle({ type: 'edit', field: 'method', value: 'url' });
      await c.handle({ type: 'edit', field: 'url', value: `${tree.url}${installer}` });
      await c.settled();
      for (const [field, value] of [['memory', 512], ['diskPool', pool.name], ['diskSizeGiB', 1], ['firmware', 'bios'], ['name', name], ['customize', true]] as const) await c.handle({ type: 'edit', field, value });
      const summary = c.state().steps.find((x) => x.id === 'summary')!;
      assert.ok(summary.fields.some((f) => f.id === 'customize' && f.widget === 'checkbox'));
      await c.handle({ type: 'create', requestId: 2 });
      const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 2)?.result as CreateResult;
      assert.equal(result.ok, true, result.ok ? '' : result.message);
      const made = createdVms.find((x) => x.name === name);
      assert.ok(made?.customize && made.vm.pendingInstall, 'handed over for customizing');
      assert.equal(made.vm.started, false);
      const dom = await conn.domainLookupByName(name);
      assert.equal(await conn.domainIsActive(dom), false, 'not started');
      const before = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
      assert.match(before.get('kernel') ?? '', /-install-vmlinuz$/, 'defined to boot the installer');
      assert.deepEqual(made.vm.pendingInstall.installVolumes.map((v) => v.name).sort(), [`${name}-install-initrd`, `${name}-install-vmlinuz`]);
      assert.ok((await volumeNames()).includes(`${name}-install-initrd`), 'kept until the install begins');
      // The kernel volume holds the file as the FTP server has it, byte for byte.
      const kernelVol = made.vm.pendingInstall.installVolumes.find((v) => v.name.endsWith('-vmlinuz'))!;
      const expected = fs.readFileSync(kernelFile);
      assert.equal((await conn.storageVolGetInfo(kernelVol)).capacity, expected.length);
      for (let at = 0; at < expected.length; at += 4 * 1024 * 1024) {
        const n = Math.min(4 * 1024 * 1024, expected.length - at);
        assert.ok((await readVolumeRange(conn, kernelVol, at, n)).equals(expected.subarray(at, at + n)), `kernel bytes ${at}…${at + n}`);
      }
      // A change made while customizing survives into the final definition.
      before.set('description', 'customized before install');
      await conn.domainDefineXml(before.toString(), 0);

      const { leftBehind } = await beginInstallation(conn, made.vm.pendingInstall);
      assert.deepEqual(leftBehind, []);
      assert.equal(await conn.domainIsActive(dom), true);
      const final = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
      assert.equal(final.get('kernel'), undefined);
      assert.equal(final.get('description'), 'customized before install');
      assert.equal((await volumeNames()).some((v) => v.startsWith(`${name}-install-`)), false);
      await conn.domainDestroy(dom);
    } finally {
      await tree.close();
    }
  });

  it('Customize with an ISO: defined with its CD-ROM first, started only by Begin Installation', async () => {
    const name = `${PREFIX}${process.pid}-custiso-${crypto.randomBytes(2).toString('hex')}`;
    domains.push(name);
    const c = await controller(true);
    for (const [field, value] of [['media', `${pool.name}/debian-11-netinst.iso`], ['memory', 256], ['diskPool', pool.name], ['diskSizeGiB', 1], ['firmware', 'bios'], ['name', name], ['customize', true]] as const) await c.handle({ type: 'edit', field, value });
    await c.handle({ type: 'create', requestId: 3 });
    const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 3)?.result as CreateResult;
    assert.equal(result.ok, true, result.ok ? '' : result.message);
    assert.match(result.ok ? result.summary : '', /Begin Installation/);
    const made = createdVms.find((x) => x.name === name);
    assert.ok(made?.vm.pendingInstall);
    const dom = await conn.domainLookupByName(name);
    assert.equal(await conn.domainIsActive(dom), false);
    await beginInstallation(conn, made.vm.pendingInstall);
    assert.equal(await conn.domainIsActive(dom), true);
    await conn.domainDestroy(dom);
  });
});
