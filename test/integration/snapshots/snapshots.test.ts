// Snapshots against the real libvirtd 9.0 with TCG guests: what the Take Snapshot offer says is
// checked against what libvirt actually does, the tree is read back, reverts restore state, disk
// contents and definition, every delete mode deletes exactly its set, and libvirt's refusals
// (external revert, external delete with children, quiesce without an agent) change nothing.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { pingGuestAgent, takeSnapshot, type SnapshotRequest } from '../../../src/libvirt/snapshots/snapshotPlan';
import { loadSnapshotTree, planStillHolds, snapshotDeletePlan, type SnapshotTree } from '../../../src/libvirt/snapshots/snapshotTree';
import { snapshotLocation } from '../../../src/libvirt/snapshots/snapshotXml';
import { snapshotSupport } from '../../../src/commands/snapshots/snapshotSupport';
import { leftoverOfDeadRun } from '../../leftovers';
import { UNDEFINE_ALL } from '../connection/testEnv';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'itest-snap';
const RUN = `${PREFIX}${process.pid}-`;

describe('Snapshots (integration, real libvirtd)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let dir: string;
  const doms: DomainRef[] = [];
  let n = 0;

  const disk = (name: string, format: 'qcow2' | 'raw'): string => {
    const file = path.join(dir, `${name}.${format}`);
    execFileSync('qemu-img', ['create', '-q', '-f', format, file, '16M']);
    fs.chmodSync(file, 0o666);
    return file;
  };

  /** Defines a tiny TCG VM with one disk (and a guest agent channel, which nothing answers). */
  const define = async (opts: { format?: 'qcow2' | 'raw'; efi?: boolean; memory?: number } = {}): Promise<{ dom: DomainRef; file: string; xml: string }> => {
    const name = `${RUN}${n++}`;
    const format = opts.format ?? 'qcow2';
    const file = disk(name, format);
    const os_ = opts.efi
      ? `<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type><firmware><feature enabled='no' name='secure-boot'/></firmware></os><features><acpi/></features>`
      : `<os><type arch='x86_64' machine='pc'>hvm</type></os>`;
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${opts.memory ?? 128}</memory><vcpu>1</vcpu>${os_}
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='${format}'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices></domain>`;
    const dom = await conn.domainDefineXml(xml);
    doms.push(dom);
    return { dom, file, xml };
  };

  const state = async (dom: DomainRef): Promise<number> => (await conn.domainGetState(dom)).state;
  const shape = (t: SnapshotTree): string[] => {
    const out: string[] = [];
    const walk = (e: (typeof t.roots)[number], depth: number): void => {
      out.push(`${'  '.repeat(depth)}${e.info.name}${e.current ? '*' : ''}`);
      for (const c of e.children) walk(c, depth + 1);
    };
    for (const r of t.roots) walk(r, 0);
    return out;
  };
  const take = async (dom: DomainRef, name: string, kind: SnapshotRequest['kind'] = 'internal', extra: Partial<SnapshotRequest> = {}): Promise<void> => {
    const xml = await conn.domainGetXmlDesc(dom, 0);
    const s = snapshotSupport(xml, (await state(dom)) !== VirDomainState.SHUTOFF);
    await takeSnapshot(conn, dom, { name, kind, externalDisks: s.externalDisks, skippedDisks: s.skippedDisks, ...extra });
  };
  const diskSource = async (dom: DomainRef): Promise<string | undefined> => /<source file='([^']+)'/.exec(await conn.domainGetXmlDesc(dom, 0))?.[1];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-snap-'));
    fs.chmodSync(dir, 0o755);
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes internal snapshots running (with memory), paused and shut off; reads the tree and the current one; reverts restore each state', async () => {
    const { dom } = await define();
    await conn.domainCreate(dom);
    await take(dom, 'run', 'internal', { description: 'while running' });
    await conn.domainSuspend(dom);
    await take(dom, 'pause');
    await conn.domainDestroy(dom);
    await take(dom, 'off');
    const t = await loadSnapshotTree(conn, dom);
    assert.deepEqual(shape(t), ['run', '  pause', '    off*']);
    const run = t.byName.get('run');
    assert.equal(run?.info.state, 'running');
    assert.equal(run?.info.memory, 'internal');
    assert.equal(run?.info.description, 'while running');
    assert.equal(t.byName.get('pause')?.info.state, 'paused');
    assert.equal(t.byName.get('off')?.info.state, 'shutoff');
    assert.equal(t.byName.get('off')?.info.memory, 'no');
    assert.ok((run?.info.creationTime ?? 0) > 1_600_000_000);
    await conn.domainRevertToSnapshot({ dom, name: 'run' });
    assert.equal(await state(dom), VirDomainState.RUNNING);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), ['run*', '  pause', '    off']);
    await conn.domainRevertToSnapshot({ dom, name: 'pause' });
    assert.equal(await state(dom), VirDomainState.PAUSED);
    await conn.domainRevertToSnapshot({ dom, name: 'off' });
    assert.equal(await state(dom), VirDomainState.SHUTOFF);
  });

  it('a revert restores the disk contents and the definition', async () => {
    const { dom, file, xml } = await define();
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xaa 0 64k', file]);
    await take(dom, 'before');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xbb 0 64k', file]);
    await conn.domainDefineXml(xml.replace("<memory unit='MiB'>128</memory>", `<uuid>${dom.uuid}</uuid><memory unit='MiB'>192</memory>`));
    assert.match(await conn.domainGetXmlDesc(dom, 0), /<memory unit='KiB'>196608<\/memory>/);
    await conn.domainRevertToSnapshot({ dom, name: 'before' });
    // qemu-io exits non-zero when the pattern does not match.
    execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0xaa 0 64k', file]);
    assert.throws(() => execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0xbb 0 64k', file], { stdio: 'pipe' }));
    assert.match(await conn.domainGetXmlDesc(dom, 0), /<memory unit='KiB'>131072<\/memory>/);
  });

  it('external disk-only snapshot of a running VM; no agent answers, so quiesce is refused by libvirt and not offered; revert and delete-with-children are refused and change nothing', async () => {
    const { dom, file } = await define();
    await conn.domainCreate(dom);
    const ping = await pingGuestAgent(conn, dom, 1);
    assert.equal(ping.answers, false);
    assert.ok(!ping.answers && /agent/i.test(ping.reason), JSON.stringify(ping));
    // The quiesce flag reaches libvirt: without an answering agent it refuses and takes nothing.
    await assert.rejects(take(dom, 'q', 'externalDisk', { quiesce: true }), /agent/i);
    assert.equal((await conn.domainListAllSnapshots(dom)).length, 0);
    assert.equal(await diskSource(dom), file);

    await take(dom, 'ext1', 'externalDisk');
    await take(dom, 'ext2', 'externalDisk');
    const t = await loadSnapshotTree(conn, dom);
    assert.deepEqual(shape(t), ['ext1', '  ext2*']);
    const e1 = t.byName.get('ext1');
    assert.equal(e1?.info.state, 'disk-snapshot');
    assert.equal(e1 && snapshotLocation(e1.info), 'external');
    assert.deepEqual(e1?.info.disks.map((d) => `${d.name}:${d.snapshot}`), ['vda:external', 'sda:no']);
    const overlay = await diskSource(dom);
    assert.notEqual(overlay, file);
    assert.ok(overlay && fs.existsSync(overlay));

    await assert.rejects(conn.domainRevertToSnapshot({ dom, name: 'ext1' }), /external snapshot not supported/);
    assert.equal(await state(dom), VirDomainState.RUNNING);
    assert.equal(await diskSource(dom), overlay);
    const plan = snapshotDeletePlan(t.byName.get('ext1')!, 'withChildren');
    await assert.rejects(conn.domainSnapshotDelete({ dom, name: 'ext1' }, plan.flags), /not supported/);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), ['ext1', '  ext2*']);
    assert.equal(await diskSource(dom), overlay);
  });

  it('external snapshot with memory of a running VM writes the memory file', async () => {
    const { dom } = await define();
    await conn.domainCreate(dom);
    const memoryFile = path.join(dir, `${dom.name}.mem`);
    await take(dom, 'mem', 'externalMemory', { memoryFile });
    const info = (await loadSnapshotTree(conn, dom)).byName.get('mem')?.info;
    assert.equal(info?.memory, 'external');
    assert.equal(info?.memoryFile, memoryFile);
    assert.equal(info?.state, 'running');
    assert.ok(fs.statSync(memoryFile).size > 0);
  });

  it('each delete mode deletes exactly its set; a changed tree voids a plan', async () => {
    const { dom, file } = await define();
    for (const s of ['a', 'b', 'c']) await take(dom, s);
    await conn.domainRevertToSnapshot({ dom, name: 'a' });
    await take(dom, 'd');
    let t = await loadSnapshotTree(conn, dom);
    assert.deepEqual(shape(t), ['a', '  b', '    c', '  d*']);

    const childrenOnly = snapshotDeletePlan(t.byName.get('b')!, 'childrenOnly');
    assert.deepEqual(childrenOnly.deleted, ['c']);
    await take(dom, 'e'); // d -> e: a plan made before this no longer holds for a
    const stale = snapshotDeletePlan(t.byName.get('a')!, 'withChildren');
    assert.equal(planStillHolds(stale, t.byName.get('a'), await loadSnapshotTree(conn, dom)), false);
    t = await loadSnapshotTree(conn, dom);
    assert.equal(planStillHolds(childrenOnly, t.byName.get('b'), t), true);
    await conn.domainSnapshotDelete({ dom, name: 'b' }, childrenOnly.flags);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), ['a', '  b', '  d', '    e*']);

    t = await loadSnapshotTree(conn, dom);
    const one = snapshotDeletePlan(t.byName.get('a')!, 'one');
    assert.deepEqual([one.deleted, one.reparented], [['a'], ['b', 'd']]);
    await conn.domainSnapshotDelete({ dom, name: 'a' }, one.flags);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), ['b', 'd', '  e*']);

    t = await loadSnapshotTree(conn, dom);
    const meta = snapshotDeletePlan(t.byName.get('b')!, 'metadataOnly');
    await conn.domainSnapshotDelete({ dom, name: 'b' }, meta.flags);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), ['d', '  e*']);
    // Metadata only: the data stays inside the image.
    const inImage = execFileSync('qemu-img', ['snapshot', '-l', '-U', file], { encoding: 'utf8' });
    assert.match(inImage, /\bb\b/);
    assert.doesNotMatch(inImage, /\ba\b|\bc\b/);

    t = await loadSnapshotTree(conn, dom);
    const all = snapshotDeletePlan(t.byName.get('d')!, 'withChildren');
    assert.deepEqual(all.deleted, ['d', 'e']);
    await conn.domainSnapshotDelete({ dom, name: 'd' }, all.flags);
    assert.deepEqual(shape(await loadSnapshotTree(conn, dom)), []);
  });

  it('offers internal snapshots exactly where libvirt takes them (raw disk, UEFI running, UEFI shut off), and external ones of a running UEFI VM', async () => {
    const raw = await define({ format: 'raw' });
    const rawSupport = snapshotSupport(raw.xml, false);
    assert.match(rawSupport.options.find((o) => o.kind === 'internal')?.unavailable ?? '', /vda is raw/);
    await assert.rejects(take(raw.dom, 'x'), /raw/);
    assert.equal(rawSupport.options.find((o) => o.kind === 'externalDisk')?.unavailable, undefined);
    await take(raw.dom, 'ext', 'externalDisk');

    const efi = await define({ efi: true });
    assert.equal(snapshotSupport(efi.xml, false).options.find((o) => o.kind === 'internal')?.unavailable, undefined);
    await take(efi.dom, 'off');
    await conn.domainCreate(efi.dom);
    const live = snapshotSupport(await conn.domainGetXmlDesc(efi.dom, 0), true);
    assert.match(live.options.find((o) => o.kind === 'internal')?.unavailable ?? '', /UEFI/);
    await assert.rejects(take(efi.dom, 'on'), /pflash/);
    assert.deepEqual(shape(await loadSnapshotTree(conn, efi.dom)), ['off*']);
    // What is offered instead works: external, disks only and with memory.
    assert.equal(live.options.find((o) => o.kind === 'externalDisk')?.unavailable, undefined);
    assert.equal(live.options.find((o) => o.kind === 'externalMemory')?.unavailable, undefined);
    await take(efi.dom, 'ext-on', 'externalDisk');
    await take(efi.dom, 'mem-on', 'externalMemory', { memoryFile: path.join(dir, `${efi.dom.name}.mem`) });
    const t = await loadSnapshotTree(conn, efi.dom);
    assert.deepEqual(shape(t), ['off', '  ext-on', '    mem-on*']);
    assert.equal(t.byName.get('mem-on')?.info.memory, 'external');
  });
});
