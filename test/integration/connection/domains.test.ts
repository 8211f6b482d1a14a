import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainEvent } from '../../../src/libvirt/events';
import { isNoDomain, LibvirtError } from '../../../src/libvirt/rpc/errors';
import { VirDomainEventType, VirDomainState, VirDomainStatsTypes } from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, lifecycleOf, removeLeftovers, tinyDomainXml, UNDEFINE_ALL, uniqueName } from './testEnv';

describe('Connection: domains over qemu:///system (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  const created: string[] = [];

  before(async () => {
    conn = await Connection.open(env.uri);
    await removeLeftovers(conn);
  });

  after(async () => {
    if (!conn) return;
    for (const name of created) {
      const d = await conn.domainLookupByName(name).catch(() => undefined);
      if (!d) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await conn.close();
  });

  it('answers host calls', async () => {
    assert.match(await conn.connectGetCapabilities(), /<capabilities>/);
    assert.ok((await conn.connectGetLibVersion()) >= 9000000);
    assert.ok((await conn.connectGetVersion()) > 0);
    assert.ok((await conn.connectGetHostname()).length > 0);
    assert.equal(await conn.connectGetUri(), 'qemu:///system');
    const info = await conn.nodeGetInfo();
    assert.ok(info.cpus >= 1 && info.memory > 0, JSON.stringify(info));
    assert.ok((await conn.nodeGetFreeMemory()) > 0);
    assert.match(await conn.connectGetDomainCapabilities(null, 'x86_64', null, 'qemu'), /<domainCapabilities>/);
  });

  it('rejects a missing domain with a typed error', async () => {
    await assert.rejects(conn.domainLookupByName(uniqueName('missing')), (e: unknown) => isNoDomain(e) && LibvirtError.is(e));
  });

  it('runs a TCG guest through its lifecycle, with events, bulk stats and a screenshot', async () => {
    const events = new EventLog<DomainEvent>();
    const sub = conn.onDomainEvent(events.push, { kinds: ['lifecycle'] });
    await sub.ready;
    try {
      const name = uniqueName('vm');
      created.push(name);
      const defined = await conn.domainDefineXml(tinyDomainXml(name), 1);
      assert.equal(defined.name, name);
      assert.match(defined.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(defined.id, -1);
      await events.waitFor(lifecycleOf(name, VirDomainEventType.DEFINED), 'DEFINED');
      assert.deepEqual(await conn.domainLookupByUuid(defined.uuid), defined);

      const running = await conn.domainCreate(defined);
      assert.ok(running.id > 0, 'a running domain has an id');
      await events.waitFor(lifecycleOf(name, VirDomainEventType.STARTED), 'STARTED');
      assert.equal((await conn.domainGetState(running)).state, VirDomainState.RUNNING);
      assert.equal(await conn.domainIsActive(running), true);
      assert.equal(await conn.domainIsPersistent(running), true);
      const info = await conn.domainGetInfo(running);
      assert.equal(info.maxMem, 128 * 1024);
      assert.equal(info.nrVirtCpu, 1);

      const all = await conn.connectListAllDomains();
      assert.ok(all.some((d) => d.uuid === defined.uuid && d.id === running.id));

      const stats = await conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE | VirDomainStatsTypes.BALLOON | VirDomainStatsTypes.VCPU);
      const mine = stats.find((s) => s.dom.uuid === defined.uuid);
      assert.ok(mine, 'bulk stats include the new domain');
      assert.equal(mine.params['state.state'], VirDomainState.RUNNING);
      assert.equal(mine.params['balloon.maximum'], 128 * 1024);
      assert.equal(mine.params['vcpu.current'], 1);
      const only = await conn.connectGetAllDomainStats(VirDomainStatsTypes.STATE, 0, [running]);
      assert.equal(only.length, 1);
      assert.equal(only[0]!.dom.name, name);

      const shot = await conn.domainScreenshot(running, 0);
      const magic = shot.data.subarray(0, 2).toString('latin1');
      const png = shot.data.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      assert.ok(magic === 'P6' || png, `screenshot starts with a PPM or PNG magic (mime ${shot.mime})`);
      // A PNG of a still black screen (just after start, under load) compresses to a few hundred
      // bytes: check the picture's size instead. A PPM carries every pixel.
      if (png) assert.ok(shot.data.readUInt32BE(16) >= 320 && shot.data.readUInt32BE(20) >= 200, `PNG ${shot.data.readUInt32BE(16)}x${shot.data.readUInt32BE(20)}`);
      else assert.ok(shot.data.length > 320 * 200 * 3, `PPM of ${shot.data.length} bytes`);

      await conn.domainSuspend(running);
      await events.waitFor(lifecycleOf(name, VirDomainEventType.SUSPENDED), 'SUSPENDED');
      assert.equal((await conn.domainGetState(running)).state, VirDomainState.PAUSED);
      await conn.domainResume(running);
      await events.waitFor(lifecycleOf(name, VirDomainEventType.RESUMED), 'RESUMED');

      await conn.domainDestroy(running);
      await events.waitFor(lifecycleOf(name, VirDomainEventType.STOPPED), 'STOPPED');
      assert.equal((await conn.domainGetState(defined)).state, VirDomainState.SHUTOFF);

      const xml = await conn.domainGetXmlDesc(defined);
      assert.match(xml, new RegExp(`<name>${name}</name>`));
      await conn.domainUndefine(defined);
      await events.waitFor(lifecycleOf(name, VirDomainEventType.UNDEFINED), 'UNDEFINED');
      await assert.rejects(conn.domainLookupByName(name), isNoDomain);

      // libvirt may add RESUMED (the CPUs start after QEMU launched paused) and SHUTDOWN
      // (QEMU reports its exit) around these: check the required ones appear in this order.
      const order = events.seen.filter((e) => e.kind === 'lifecycle' && e.dom.name === name).map((e) => (e.kind === 'lifecycle' ? e.event : -1));
      const required = [
        VirDomainEventType.DEFINED,
        VirDomainEventType.STARTED,
        VirDomainEventType.SUSPENDED,
        VirDomainEventType.RESUMED,
        VirDomainEventType.STOPPED,
        VirDomainEventType.UNDEFINED,
      ];
      let at = 0;
      for (const ev of order) if (ev === required[at]) at++;
      assert.equal(at, required.length, `lifecycle events in order ${JSON.stringify(order)}`);
    } finally {
      sub.dispose();
    }
  });

  it('defines, starts and undefines a UEFI guest with a TPM, removing NVRAM and TPM state', async () => {
    const name = uniqueName('efi');
    created.push(name);
    const xml = `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>
    <firmware><feature enabled='no' name='secure-boot'/></firmware>
  </os>
  <features><acpi/></features>
  <devices>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>`;
    const dom = await conn.domainDefineXml(xml);
    const running = await conn.domainCreate(dom);
    assert.equal((await conn.domainGetState(running)).state, VirDomainState.RUNNING);
    const live = await conn.domainGetXmlDesc(running);
    const nvram = /<nvram[^>]*>([^<]+)<\/nvram>/.exec(live)?.[1];
    assert.ok(nvram, 'the live XML names an NVRAM file');
    assert.ok(fs.existsSync(nvram), `${nvram} exists while the guest runs`);
    assert.match(live, /<tpm model='tpm-crb'>/);
    await conn.domainDestroy(running);
    await conn.domainUndefine(dom, UNDEFINE_ALL);
    await assert.rejects(conn.domainLookupByName(name), isNoDomain);
    assert.equal(fs.existsSync(nvram), false, 'NVRAM removed with the NVRAM flag');
    assert.equal(fs.existsSync(`/var/lib/libvirt/swtpm/${dom.uuid}`), false, 'TPM state removed with the TPM flag');
  });

  it('lists the test driver domain over test+unix:///default', async () => {
    const test = await Connection.open('test+unix:///default');
    try {
      const doms = await test.connectListAllDomains();
      assert.ok(
        doms.some((d) => d.name === 'test'),
        JSON.stringify(doms),
      );
      const stats = await test.connectGetAllDomainStats(VirDomainStatsTypes.STATE);
      assert.ok(stats.some((s) => s.dom.name === 'test' && typeof s.params['state.state'] === 'number'));
    } finally {
      await test.close();
    }
  });
});
