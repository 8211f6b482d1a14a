import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { addDevice } from '../../../src/forms/apply';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { fixture, lineDiff } from '../../unit/xml/helpers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'xmlit-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA;

/** Lines libvirt may add on its own for a new device: its address and the controller it needs. */
const LIBVIRT_ADDED = /^\s*<(address|controller|\/controller|model name|target chassis|alias)\b|^\s*<\/controller>$/;

/** Normalises quote style: libvirt rewrites <metadata> foreign elements with double quotes. */
const q = (l: string): string => l.replace(/"/g, "'");

describe('domain XML typed edits against libvirtd (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  const defined: DomainRef[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) {
      if (d.name.startsWith(PREFIX)) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
  });
  after(async () => {
    if (!conn) return;
    for (const d of defined) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    await conn.close();
  });

  /** Defines the fixture under a unique name and returns libvirt's inactive XML of it. */
  async function defineFixture(name: string): Promise<{ dom: DomainRef; xml: string }> {
    const d = DomainXml.parse(fixture(name));
    d.set('name', `${PREFIX}${name}-${crypto.randomBytes(3).toString('hex')}`);
    d.set('uuid', undefined);
    const dom = await conn.domainDefineXml(d.toString(), VirDomainDefineFlags.VALIDATE);
    defined.push(dom);
    return { dom, xml: await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE) };
  }

  /** Applies `edit` to libvirt's XML, defines it, and checks that libvirt kept exactly our change. */
  async function editAndCheck(name: string, edit: (d: DomainXml) => void, check: (back: DomainXml) => void): Promise<void> {
    const { dom, xml } = await defineFixture(name);
    const d = DomainXml.parse(xml);
    edit(d);
    const edited = d.toString();
    assert.notEqual(edited, xml);
    await conn.domainDefineXml(edited, VirDomainDefineFlags.VALIDATE);
    const back = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    check(DomainXml.parse(back));
    // Whatever libvirt changed relative to our edited text may only be addresses and implied controllers.
    const extra = lineDiff(edited.split('\n').map(q).join('\n'), back.split('\n').map(q).join('\n'));
    assert.deepEqual(extra.removed, [], `libvirt dropped lines of ${name}`);
    assert.deepEqual(extra.added.filter((l) => !LIBVIRT_ADDED.test(l)), [], `libvirt added lines to ${name}`);
    // And our edit touched nothing else: the diff between the two dumps is the diff we made.
    const norm = (t: string): string => t.split('\n').map(q).join('\n');
    const ours = lineDiff(norm(xml), norm(edited));
    const theirs = lineDiff(norm(xml), norm(back));
    // (address lines may move: libvirt reuses a freed PCI slot for the added device)
    const keep = (ls: string[]): string[] => ls.filter((l) => !LIBVIRT_ADDED.test(l)).sort();
    assert.deepEqual(keep(theirs.removed), keep(ours.removed));
  }

  it('general, memory and CPU fields read back as set', async () => {
    await editAndCheck(
      'minimal',
      (d) => {
        d.set('vcpus', 2);
        d.memoryKiB = 524288;
        d.currentMemoryKiB = 393216;
        d.set('title', 'typed <edit> & title');
        d.set('description', 'line one');
        d.set('onCrash', 'restart');
        d.set('bootMenu', true);
      },
      (b) => {
        assert.equal(b.get('vcpus'), 2);
        assert.equal(b.memoryKiB, 524288);
        assert.equal(b.currentMemoryKiB, 393216);
        assert.equal(b.get('title'), 'typed <edit> & title');
        assert.equal(b.get('description'), 'line one');
        assert.equal(b.get('onCrash'), 'restart');
        assert.equal(b.get('bootMenu'), true);
      },
    );
  });

  it('firmware, features, topology and metadata read back as set', async () => {
    await editAndCheck(
      'efi-win11',
      (d) => {
        d.set('topologyThreads', 1);
        d.set('vcpus', 2);
        d.set('vcpuCurrent', 1);
        d.setHypervFeature('vpindex', true);
        d.set('clockOffset', 'utc');
        d.setCpuFeature('svm', undefined);
        d.setAppMetadata('<vmm:group name="lab"/>');
      },
      (b) => {
        assert.equal(b.get('topologyThreads'), 1);
        assert.equal(b.get('vcpus'), 2);
        assert.equal(b.get('vcpuCurrent'), 1);
        assert.equal(b.hypervFeatures.vpindex, true);
        assert.equal(b.get('clockOffset'), 'utc');
        assert.deepEqual(b.cpuFeatures, []);
        assert.match(b.appMetadataInner() ?? '', /<vmm:group name=["']lab["']\/>/);
        assert.equal(b.osinfoId, 'http://microsoft.com/win/11');
      },
    );
  });

  it('device edits, an added disk and a removed device read back as set', async () => {
    await editAndCheck(
      'every-device',
      (d) => {
        const disk = d.devicesOf('disk')[0]!;
        disk.set('cache', 'writeback');
        disk.set('serial', 'TYPED01');
        const nic = d.devicesOf('interface')[0]!;
        nic.set('linkState', 'up');
        nic.set('inboundAverage', 2000);
        d.devicesOf('watchdog')[0]!.remove();
        d.devicesOf('video')[0]!.set('heads', 1);
        addDevice(d, 'disk', { sourceFile: '/var/lib/libvirt/images/xmlit-added.qcow2' });
      },
      (b) => {
        const disk = b.devicesOf('disk')[0]!;
        assert.equal(disk.get('cache'), 'writeback');
        assert.equal(disk.get('serial'), 'TYPED01');
        assert.equal(b.devicesOf('interface')[0]!.get('linkState'), 'up');
        assert.equal(b.devicesOf('interface')[0]!.get('inboundAverage'), 2000);
        assert.equal(b.devicesOf('watchdog').length, 0);
        assert.equal(b.devicesOf('video')[0]!.get('heads'), 1);
        assert.ok(b.devicesOf('disk').some((x) => x.get('target') === 'vdc' && x.get('driverType') === 'qcow2'));
      },
    );
  });

  it('a TPM added through its description and a filesystem change read back as set', async () => {
    await editAndCheck(
      'kernel-boot',
      (d) => {
        addDevice(d, 'tpm', { model: 'tpm-crb', version: '2.0' });
        d.devicesOf('filesystem')[0]!.set('target', 'renamed');
        d.set('cmdline', 'console=ttyS0');
      },
      (b) => {
        assert.equal(b.devicesOf('tpm')[0]!.get('version'), '2.0');
        assert.equal(b.devicesOf('filesystem')[0]!.get('target'), 'renamed');
        assert.equal(b.get('cmdline'), 'console=ttyS0');
      },
    );
  });
});
