// Recognising an OS from its install media with the real osinfo-db of this machine: ISO images
// made by xorriso (the identifiers real install discs carry), .treeinfo files of the productmd
// format and Debian/Ubuntu mirror layouts; inherited drivers and resources.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLocalOsinfoFiles } from '../../src/libvirt/osinfo';
import { detectFromDebianUrl, detectFromIso, detectFromTreeinfo, OsinstallCatalog, parseIsoDescriptors, parseOsinstallXml, parseTreeinfo, type OsinstallFacts } from '../../src/libvirt/osinfoMedia';
import { isoIdentifiersOfFile } from '../../src/libvirt/resources/installMedia';
import { makeIso } from '../isoImage';

describe('OS detection from install media (unit, real osinfo-db)', () => {
  let all: OsinstallFacts[];
  let catalog: OsinstallCatalog;
  let dir: string;

  before(async () => {
    const files = await readLocalOsinfoFiles();
    assert.ok(files, 'osinfo-db is installed (scripts/testenv.sh installs it)');
    all = files.flatMap(parseOsinstallXml);
    catalog = new OsinstallCatalog(all);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osinfo-media-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the media, trees, resources, drivers and lineage osinfo-db gives an OS', () => {
    const deb = catalog.get('http://debian.org/debian/11');
    assert.ok(deb);
    assert.equal(deb.family, 'linux');
    assert.equal(deb.codename, 'bullseye');
    const netinst = deb.media.find((m) => m.arch === 'x86_64' && m.volumeId?.endsWith(' n'));
    assert.ok(netinst, 'the amd64 netinst disc');
    assert.equal(netinst.kernel, 'install.amd/vmlinuz');
    assert.ok(deb.trees.some((t) => t.arch === 'x86_64' && t.kernel === 'current/images/netboot/debian-installer/amd64/linux'));
    assert.ok(deb.parents.includes('http://debian.org/debian/10'));
    assert.deepEqual(catalog.resources('http://debian.org/debian/11', 'recommended', 'x86_64'), { ramBytes: 1073741824, storageBytes: 21474836480, cpus: undefined });
    assert.equal(catalog.resources('http://microsoft.com/win/11', 'minimum', 'x86_64')?.ramBytes, 4 * 1024 ** 3);
  });

  it('knows which OSes have VirtIO drivers, through the OSes they derive from', () => {
    assert.equal(catalog.supportsVirtio('http://debian.org/debian/11'), true, 'Debian 11 lists only newer VirtIO devices itself; the drivers come from its ancestors');
    assert.equal(catalog.supportsVirtio('http://fedoraproject.org/fedora/36'), true);
    assert.equal(catalog.supportsVirtio('http://microsoft.com/win/10'), false, 'Windows installers have no VirtIO drivers');
    assert.ok(catalog.lineage('http://debian.org/debian/11').length > 3);
  });

  it('recognises a Debian netinst ISO by its volume id, read from a real ISO image', async () => {
    const iso = makeIso(dir, { volumeId: 'Debian 11.6.0 amd64 n', systemId: 'LINUX' });
    const ids = await isoIdentifiersOfFile(iso);
    assert.deepEqual(ids && { v: ids.volumeId, s: ids.systemId }, { v: 'Debian 11.6.0 amd64 n', s: 'LINUX' });
    const found = detectFromIso(all, ids!, 'x86_64');
    assert.equal(found[0]?.os.id, 'http://debian.org/debian/11');
    assert.equal(found[0]?.media?.kernel, 'install.amd/vmlinuz');
    // The same disc for another arch is not offered for an x86_64 VM.
    assert.equal(detectFromIso(all, { ...ids!, volumeId: 'Debian 11.6.0 arm64 n' }, 'x86_64').length, 0);
  });

  it('needs every identifier osinfo-db gives: a Windows disc matches only with its publisher', async () => {
    const iso = makeIso(dir, { volumeId: 'CCCOMA_X64FRE_EN-US_DV9', publisher: 'MICROSOFT CORPORATION' });
    const ids = (await isoIdentifiersOfFile(iso))!;
    assert.equal(ids.publisherId, 'MICROSOFT CORPORATION');
    const found = detectFromIso(all, ids, 'x86_64').map((d) => d.os.id);
    assert.ok(found[0]?.startsWith('http://microsoft.com/win/'), found.join(', '));
    assert.equal(detectFromIso(all, { ...ids, publisherId: 'SOMEONE ELSE' }, 'x86_64').filter((d) => d.os.id.startsWith('http://microsoft.com/')).length, 0);
  });

  it('says "not an ISO" for other data and finds nothing for an unknown disc', async () => {
    const raw = path.join(dir, 'zeros.img');
    fs.writeFileSync(raw, Buffer.alloc(64 * 1024));
    assert.equal(await isoIdentifiersOfFile(raw), undefined);
    assert.equal(parseIsoDescriptors(new Uint8Array(10)), undefined);
    const unknown = (await isoIdentifiersOfFile(makeIso(dir, { volumeId: 'MY_OWN_DISC' })))!;
    assert.deepEqual(detectFromIso(all, unknown), []);
  });

  it('recognises an install tree by its .treeinfo (old [general] and productmd [release]/[tree] forms)', () => {
    const old = parseTreeinfo('[general]\nfamily = Fedora\nversion = 36\narch = x86_64\nvariant = Server\n\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n');
    assert.deepEqual(old.images.get('x86_64'), { kernel: 'images/pxeboot/vmlinuz', initrd: 'images/pxeboot/initrd.img' });
    assert.equal(detectFromTreeinfo(all, old)[0]?.os.id, 'http://fedoraproject.org/fedora/36');
    const productmd = parseTreeinfo('[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n[release]\nname = Fedora\nshort = Fedora\nversion = 36\n\n[tree]\narch = x86_64\nvariants = Server\n\n[variant-Server]\nid = Server\nname = Server\n\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n');
    assert.equal(productmd.family, 'Fedora');
    assert.equal(productmd.variant, 'Server');
    assert.equal(detectFromTreeinfo(all, productmd)[0]?.os.id, 'http://fedoraproject.org/fedora/36');
  });

  it('recognises Debian and Ubuntu mirror URLs by their layout', () => {
    const deb = detectFromDebianUrl(all, 'http://deb.debian.org/debian/dists/bullseye/main/installer-amd64/');
    assert.equal(deb[0]?.os.id, 'http://debian.org/debian/11');
    assert.equal(deb[0]?.tree?.initrd, 'current/images/netboot/debian-installer/amd64/initrd.gz');
    assert.equal(detectFromDebianUrl(all, 'http://archive.ubuntu.com/ubuntu/dists/jammy/main/installer-amd64/')[0]?.os.id, 'http://ubuntu.com/ubuntu/22.04');
    assert.deepEqual(detectFromDebianUrl(all, 'https://example.org/some/other/path/'), []);
  });
});
