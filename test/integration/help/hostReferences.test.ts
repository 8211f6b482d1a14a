// Existence warnings (src/libvirt/xml/hostReferences.ts) against the real daemon: a domain
// document that names a disk file, a volume, a pool, a network or a host device the host lacks
// (or has stopped) gets a warning on that value with a fix where one exists (an existing volume,
// the network started), and nothing else is flagged. libvirt agrees that each flagged reference is
// fatal at start; the inventory costs a fixed number of calls, whatever the document.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Connection, type NetworkRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { checkHostReferences, loadHostInventory, type InventoryApi, type ReferenceProblem } from '../../../src/libvirt/xml/hostReferences';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hlp-ref-';
const tag = `${PREFIX}${process.pid}`;

describe('existence warnings against the host (integration)', function () {
  this.timeout(60000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let net: NetworkRef;
  let dir: string;

  const disk = (source: string, type = 'file'): string => `<disk type='${type}' device='disk'><driver name='qemu' type='qcow2'/>${source}<target dev='vd${String.fromCharCode(97 + Math.floor(Math.random() * 20))}' bus='virtio'/></disk>`;
  const doc = (devices: string): XmlDocument =>
    XmlDocument.parse(`<domain type='qemu'>\n  <name>${tag}-doc</name>\n  <memory unit='MiB'>64</memory>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n${devices}\n  </devices>\n</domain>`);
  const flagged = (d: XmlDocument, p: ReferenceProblem): string => d.text.slice(p.start, p.end);

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(`/tmp/${tag}-`);
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${tag}-pool`, targetPath: dir });
    await createVolume(conn, pool, { name: 'present.qcow2', format: 'qcow2', capacity: 1024 ** 2 });
    net = await conn.networkDefineXml(`<network><name>${tag}-net</name><bridge name='vbr${process.pid % 100000}'/></network>`);
  });

  after(async () => {
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(tag)) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    if (net) {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
    if (pool) {
      const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
      await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('flags exactly the missing and stopped references, each on its value, with fixes', async () => {
    const inv = await loadHostInventory(conn);
    const d = doc(
      [
        disk(`<source file='${dir}/present.qcow2'/>`),
        disk(`<source file='${dir}/missing.qcow2'/>`),
        disk(`<source pool='${tag}-pool' volume='present.qcow2'/>`, 'volume'),
        disk(`<source pool='${tag}-pool' volume='gone.qcow2'/>`, 'volume'),
        disk(`<source pool='${tag}-nopool' volume='x.qcow2'/>`, 'volume'),
        disk(`<source file='/srv/elsewhere/${tag}.qcow2'/>`),
        `<interface type='network'><source network='${tag}-net'/></interface>`,
        `<interface type='network'><source network='${tag}-nonet'/></interface>`,
        `<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>`,
      ].join('\n'),
    );
    const problems = checkHostReferences(d, inv);
    const byCode = problems.map((p) => [p.code, flagged(d, p)]);
    assert.deepEqual(byCode, [
      ['missing-file', `${dir}/missing.qcow2`],
      ['missing-volume', 'gone.qcow2'],
      ['missing-pool', `${tag}-nopool`],
      ['inactive-network', `${tag}-net`],
      ['missing-network', `${tag}-nonet`],
      ['missing-hostdev', 'c2177883-f1bb-47f0-914d-32a22e3a8804'],
    ]);
    // The fixes: an existing volume of the pool, the network started.
    const file = problems[0]!;
    assert.deepEqual(file.fixes[0], { kind: 'replace', title: "Use 'present.qcow2'", start: file.start, end: file.end, newText: `${dir}/present.qcow2` });
    assert.equal(problems[1]!.fixes[0]?.kind === 'replace' && problems[1]!.fixes[0].newText, 'present.qcow2');
    assert.deepEqual(problems[3]!.fixes, [{ kind: 'start', title: `Start network '${tag}-net'`, object: 'network', name: `${tag}-net` }]);
    assert.ok(problems.every((p) => p.message.length > 20));
  });

  it('libvirt refuses to start what is flagged, and the fixed references pass', async () => {
    const inv = await loadHostInventory(conn);
    const d = doc(disk(`<source file='${dir}/missing.qcow2'/>`));
    const [p] = checkHostReferences(d, inv);
    assert.ok(p);
    const dom = await conn.domainDefineXml(d.text);
    await assert.rejects(conn.domainCreate(dom), /No such file or directory/);
    await conn.domainUndefine(dom);
    const fix = p.fixes[0]!;
    assert.equal(fix.kind, 'replace');
    const fixed = XmlDocument.parse(d.text.slice(0, fix.start) + (fix.kind === 'replace' ? fix.newText : '') + d.text.slice(fix.end));
    assert.deepEqual(checkHostReferences(fixed, inv), []);
  });

  it('the network warning goes once the network is started', async () => {
    const d = doc(`<interface type='network'><source network='${tag}-net'/></interface>`);
    assert.equal(checkHostReferences(d, await loadHostInventory(conn))[0]?.code, 'inactive-network');
    await conn.networkCreate(net);
    assert.deepEqual(checkHostReferences(d, await loadHostInventory(conn)), []);
    await conn.networkDestroy(net);
  });

  it('reads the inventory in a fixed number of calls, whatever the document', async () => {
    let calls = 0;
    const counting = new Proxy(conn, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as InventoryApi;
    await loadHostInventory(counting);
    const pools = (await conn.connectListAllStoragePools(0)).length;
    const active = (await conn.connectListAllStoragePools(2)).length;
    assert.equal(calls, 6 + pools + active, 'two network lists, two pool lists, two device lists, one XML per pool and one volume list per running pool');
  });
});
