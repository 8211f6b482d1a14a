// A real Debian 12 guest (test/guestVm.ts, booted once and shared): what needs an operating
// system that answers. The guest agent through the product's RPC client; cloud-init's hostname
// and runcmd from the NoCloud seed; the guest's address as the agent, the DHCP lease and the
// VM details panel report it; a virtio disk (a new volume) and a NIC hot-plugged through Add
// Hardware's Finish and hot-unplugged through the details panel's Remove on the running guest, both
// through the panels' own code paths (the unplug completes only because the guest releases the
// device), checked in libvirt's live XML, the definition and inside the guest. ACPI shutdown through the Shut Down command and Copy IP Address are
// in test/vscode/hostSuites/guestOs.test.ts.
import * as assert from 'node:assert/strict';
import { readHostInfo, withHostInfo, GUEST_ADDRESSES } from '../../../src/forms/hostInfo';
import { AddHardwareModel } from '../../../src/forms/addHardware';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { usableAddresses } from '../../../src/commands/vm/interfaceAddresses';
import {
  VirDomainGetHostnameFlags,
  VirDomainInterfaceAddressesSource,
  VirDomainXMLFlags,
} from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainEvent } from '../../../src/libvirt/events';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { findDevice } from '../../../src/libvirt/xml/kinds/registry';
import { sharedGuest, type Guest } from '../../guestVm';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Polls `probe` until it returns a value other than undefined; the error says what was last seen. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown = 'nothing yet';
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = 'no match yet';
    } catch (e) {
      last = e;
    }
    await sleep(1000);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
}

describe('A real guest OS: agent, cloud-init, addresses, disk and NIC hot-plug (integration)', function () {
  this.timeout(600_000);
  let guest: Guest;

  const liveXml = async (): Promise<DomainXml> => DomainXml.parse(await guest.conn.domainGetXmlDesc(guest.dom, 0));
  const diskTargets = (d: DomainXml): string[] =>
    (d.devicesElement?.elements() ?? []).filter((e) => e.name === 'disk').map((e) => e.find(['target'])?.attr('dev') ?? '?');
  const guestDisks = async (): Promise<Map<string, number>> => {
    const r = await guest.exec('/bin/lsblk', ['--json', '--bytes', '--nodeps', '--output', 'NAME,SIZE,TYPE']);
    assert.equal(r.exitCode, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as { blockdevices: { name: string; size: number | string; type: string }[] };
    return new Map(parsed.blockdevices.filter((b) => b.type === 'disk').map((b) => [b.name, Number(b.size)]));
  };

  before(async function () {
    guest = await sharedGuest();
    const s = (ms: number): string => (ms / 1000).toFixed(1);
    console.log(`      guest ${guest.name}: start to guest agent in ${s(guest.bootToAgentMs)} s, to cloud-init done in ${s(guest.bootToReadyMs)} s`);
  });

  // libvirtd is shared and another suite may restart it: a closed connection is opened again.
  beforeEach(() => guest.connection());

  it('answers guest agent commands through the RPC client', async () => {
    const info = await guest.agent<{ version: string; supported_commands: { name: string; enabled: boolean }[] }>('guest-info');
    assert.match(info.version, /^\d+\.\d+/);
    assert.ok(info.supported_commands.some((c) => c.name === 'guest-exec' && c.enabled), 'guest-exec is enabled');
    const os = await guest.agent<{ id: string; 'version-id': string }>('guest-get-osinfo');
    assert.equal(os.id, 'debian');
    assert.equal(os['version-id'], '12');
    // An agent error comes back as an error, not as a result.
    await assert.rejects(guest.agent('guest-no-such-command'), /guest-no-such-command|not found|command/i);
  });

  it('has the hostname cloud-init set from the NoCloud seed, as the agent reports it, and ran its runcmd', async () => {
    const name = await eventually(`hostname ${guest.hostname}`, async () => {
      const h = await guest.conn.domainGetHostname(guest.dom, VirDomainGetHostnameFlags.AGENT);
      return h === guest.hostname ? h : undefined;
    });
    assert.equal(name, guest.hostname);
    const ran = await eventually('the runcmd marker', async () => {
      const r = await guest.exec('/bin/cat', ['/var/tmp/runcmd-done']);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    assert.equal(ran.trim(), 'cloud-init ran runcmd');
  });

  it('reports the same IPv4 address through the agent, the DHCP lease and the details panel', async () => {
    const mac = guest.mac.toLowerCase();
    const fromAgent = await eventually('an IPv4 address from the guest agent', async () => {
      const ifaces = await guest.conn.domainInterfaceAddresses(guest.dom, VirDomainInterfaceAddressesSource.AGENT);
      return usableAddresses(ifaces, 'guest agent').find((a) => a.hwaddr?.toLowerCase() === mac && /^\d+\.\d+\.\d+\.\d+$/.test(a.addr));
    });
    assert.equal(fromAgent.iface, 'eth0', 'cloud-init named the NIC from the seed');
    assert.match(fromAgent.addr, /^192\.168\.122\./, 'an address of the default network');
    // The details panel's NIC section shows the lease libvirt's dnsmasq handed out.
    const host = await eventually('the DHCP lease of the address the agent reports', async () => {
      const h = await readHostInfo(guest.conn, guest.dom, true);
      const found = typeof h.addresses === 'object' ? h.addresses.get(mac) : undefined;
      return found?.includes(`${fromAgent.addr}/${fromAgent.prefix}`) ? h : undefined;
    });
    const model = new DomainDetailsModel(guest.conn, guest.dom, { stateLabel: (s) => String(s) });
    const nic = withHostInfo((await model.load()).sections, host).find((s) => s.id === `interface:${mac}`);
    assert.ok(nic, 'the NIC has a section');
    assert.equal(nic.values[GUEST_ADDRESSES], `${fromAgent.addr}/${fromAgent.prefix}`);
  });

  describe('a virtio disk on the running guest', () => {
    const target = 'vdb';
    const sizeBytes = 64 * 1024 * 1024;

    it('hot-plugs through Add Hardware: a new volume, plugged in, in the live XML and the definition, and the guest sees it', async () => {
      // The details panel's Add Hardware path as the webview drives it: the form prefilled for
      // this VM, the user's choices over it, Finish (new volume, hot-plug, define VALIDATE).
      const model = new AddHardwareModel(guest.conn, guest.dom, {
        confirmNextBoot: async (q) => assert.fail(`asked about the next boot: ${q}`),
      });
      const snapshot = await model.load();
      assert.equal(snapshot.running, true);
      const form = snapshot.kinds.find((k) => k.id === 'disk');
      assert.ok(form, 'Add Hardware offers storage');
      const values = { ...form.values, create: 'new', pool: guest.pool.name, volumeName: 'hotplug', capacity: sizeBytes / 1024 ** 3, driverType: 'qcow2', bus: 'virtio', target };
      const check = await model.check('disk', values);
      assert.deepEqual(check.problems.filter((p) => p.severity === 'error'), [], JSON.stringify(check.problems));
      const out = await model.finish('disk', values);
      assert.equal(out.live, true, out.summary);
      assert.equal(out.device, `disk:${target}`);
      assert.match(out.summary, /plugged into the running VM/);
      assert.ok(diskTargets(await liveXml()).includes(target), 'in the live XML');
      const inactive = DomainXml.parse(await guest.conn.domainGetXmlDesc(guest.dom, VirDomainXMLFlags.INACTIVE));
      assert.ok(diskTargets(inactive).includes(target), 'in the definition');
      const source = findDevice(inactive, `disk:${target}`)?.values.sourceFile;
      assert.equal(source, `${guest.poolDir}/hotplug.qcow2`, 'on the new volume of the guest\'s pool');
      const seen = await eventually(`${target} in the guest's lsblk`, async () => (await guestDisks()).get(target), 30_000);
      assert.equal(seen, sizeBytes);
    });

    it('hot-unplugs through the details model: the guest releases it, gone from the live XML and the guest', async () => {
      const removed: DomainEvent[] = [];
      const sub = guest.conn.onDomainEvent((e) => removed.push(e), { kinds: ['deviceRemoved'] });
      await sub.ready;
      try {
        const model = new DomainDetailsModel(guest.conn, guest.dom, { stateLabel: (s) => String(s) });
        await model.load();
        const r = await model.remove(`disk:${target}`);
        assert.deepEqual(r.nextBoot, [], JSON.stringify(r));
        assert.equal(r.appliedLive.length, 1, JSON.stringify(r));
        // libvirt returns once QEMU asked the guest; the device leaves when the guest lets go.
        await eventually(`${target} to leave the live XML`, async () => (diskTargets(await liveXml()).includes(target) ? undefined : true), 60_000);
        assert.ok(
          removed.some((e) => e.kind === 'deviceRemoved' && e.dom.uuid === guest.dom.uuid),
          `a device-removed event: ${JSON.stringify(removed.map((e) => e.kind))}`,
        );
        assert.equal((await guestDisks()).has(target), false, 'the guest no longer has it');
        const inactive = DomainXml.parse(await guest.conn.domainGetXmlDesc(guest.dom, VirDomainXMLFlags.INACTIVE));
        assert.equal(diskTargets(inactive).includes(target), false, 'gone from the definition');
        assert.ok((await guestDisks()).has('vda'), 'the root disk stays');
      } finally {
        sub.dispose();
      }
    });
  });
  describe('a NIC on the running guest', () => {
    let mac = '';
    const liveMacs = async (): Promise<string[]> => (await liveXml()).devicesOf('interface').map((i) => String(i.get('mac')).toLowerCase());
    const guestMacs = async (): Promise<string[]> => {
      const r = await guest.exec('/bin/cat', (await guestNics()).map((n) => `/sys/class/net/${n}/address`));
      return r.stdout.split('\n').map((l) => l.trim().toLowerCase()).filter((l) => l !== '');
    };
    const guestNics = async (): Promise<string[]> => {
      const r = await guest.exec('/bin/ls', ['/sys/class/net']);
      assert.equal(r.exitCode, 0, r.stderr);
      return r.stdout.split(/\s+/).filter((n) => n !== '' && n !== 'lo');
    };

    it("hot-plugs through Add Hardware's Finish: in the live XML, and the guest sees the MAC", async () => {
      const hw = new AddHardwareModel(guest.conn, guest.dom, { confirmNextBoot: async () => false });
      const form = (await hw.load()).kinds.find((k) => k.id === 'interface')!;
      mac = String(form.values.mac).toLowerCase();
      const out = await hw.finish('interface', { ...form.values, sourceNetwork: 'default' });
      assert.equal(out.live, true, out.summary);
      assert.ok((await liveMacs()).includes(mac), 'in the live XML');
      await eventually(`${mac} in the guest`, async () => ((await guestMacs()).includes(mac) ? true : undefined), 60_000);
    });

    it('hot-unplugs through the details model: the guest releases it, gone from the live XML and the guest', async () => {
      const model = new DomainDetailsModel(guest.conn, guest.dom, { stateLabel: (st) => String(st) });
      await model.load();
      const r = await model.remove(`interface:${mac}`);
      assert.equal(r.appliedLive.length, 1, JSON.stringify(r));
      await eventually(`${mac} to leave the live XML`, async () => ((await liveMacs()).includes(mac) ? undefined : true), 60_000);
      await eventually(`${mac} to leave the guest`, async () => ((await guestMacs()).includes(mac) ? undefined : true), 30_000);
      const inactive = DomainXml.parse(await guest.conn.domainGetXmlDesc(guest.dom, VirDomainXMLFlags.INACTIVE));
      assert.ok(!inactive.devicesOf('interface').some((i) => String(i.get('mac')).toLowerCase() === mac), 'gone from the definition');
      assert.ok((await liveMacs()).includes(guest.mac.toLowerCase()), "the guest's own NIC stays");
    });
  });
});
