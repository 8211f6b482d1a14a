// Decoding of virDomainGetGuestInfo's typed parameters (the keys and values below are what
// libvirt 9.0 returned for the Debian test guest, plus a logged-in user and a Windows-style
// entry), the agent channel's state in the domain XML, the one-line OS name, and how libvirt's
// errors become the problems the UI explains (a fake daemon at the transport seam: a real agent
// that times out cannot be arranged on demand).

import * as assert from 'node:assert/strict';
import { Connection } from '../../src/libvirt/connection';
import { VirErrorNumber } from '../../src/libvirt/generated/libvirtConstants';
import { REMOTE_PROCEDURES, RemoteDomainGetXmlDescRetCodec } from '../../src/libvirt/generated/remoteProtocol';
import { agentChannelState, GuestAgent, GuestAgentError } from '../../src/libvirt/guestAgent';
import { RpcClient } from '../../src/libvirt/rpc/client';
import { lookupLibvirtProcedure } from '../../src/libvirt/rpc/procedureLookup';
import { encodeToBuffer } from '../../src/libvirt/rpc/xdr';
import { FakeServer } from './rpc/fakeServer';
import { decodeGuestInfo, isLoopback, osLine } from '../../src/libvirt/guestFacts';
import type { TypedParams } from '../../src/libvirt/typedParams';

const DEBIAN: TypedParams = {
  'user.count': 2,
  'user.0.name': 'alice',
  'user.0.login-time': 1796259151123,
  'user.1.name': 'Administrator',
  'user.1.domain': 'CORP',
  'os.id': 'debian',
  'os.name': 'Debian GNU/Linux',
  'os.pretty-name': 'Debian GNU/Linux 12 (bookworm)',
  'os.version': '12 (bookworm)',
  'os.version-id': '12',
  'os.machine': 'x86_64',
  'os.kernel-release': '6.1.0-50-amd64',
  'os.kernel-version': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)',
  'timezone.name': 'UTC',
  'timezone.offset': 0,
  hostname: 'guest-7f7387',
  'fs.count': 2,
  'fs.0.name': 'vda',
  'fs.0.mountpoint': '/',
  'fs.0.fstype': 'ext4',
  'fs.0.total-bytes': 2916290560,
  'fs.0.used-bytes': 767569920,
  'fs.0.disk.count': 1,
  'fs.0.disk.0.alias': 'vda',
  'fs.0.disk.0.device': '/dev/vda',
  // A file system the agent could not size (e.g. a frozen or special one): no byte counts.
  'fs.1.name': 'sr0',
  'fs.1.mountpoint': '/media/cdrom',
  'fs.1.fstype': 'iso9660',
  'fs.1.disk.count': 0,
  'disk.count': 1,
  'disk.0.name': '/dev/vda',
  'if.count': 2,
  'if.0.name': 'lo',
  'if.0.hwaddr': '00:00:00:00:00:00',
  'if.0.addr.count': 2,
  'if.0.addr.0.type': 'ipv4',
  'if.0.addr.0.addr': '127.0.0.1',
  'if.0.addr.0.prefix': 8,
  'if.0.addr.1.type': 'ipv6',
  'if.0.addr.1.addr': '::1',
  'if.0.addr.1.prefix': 128,
  'if.1.name': 'eth0',
  'if.1.hwaddr': '52:54:00:74:97:b3',
  'if.1.addr.count': 2,
  'if.1.addr.0.type': 'ipv4',
  'if.1.addr.0.addr': '192.168.122.127',
  'if.1.addr.0.prefix': 24,
  'if.1.addr.1.type': 'ipv6',
  'if.1.addr.1.addr': 'fe80::5054:ff:fe74:97b3',
  'if.1.addr.1.prefix': 64,
};

describe('guest agent facts: decoding virDomainGetGuestInfo (unit)', () => {
  it('decodes every type the panel shows', () => {
    const f = decodeGuestInfo(DEBIAN);
    assert.deepEqual(f.os, {
      id: 'debian',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      version: '12 (bookworm)',
      versionId: '12',
      kernelRelease: '6.1.0-50-amd64',
      kernelVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)',
      machine: 'x86_64',
    });
    assert.equal(f.hostname, 'guest-7f7387');
    assert.deepEqual(f.timezone, { name: 'UTC', offsetSeconds: 0 });
    assert.deepEqual(f.users, [{ name: 'alice', loginTime: 1796259151123 }, { name: 'Administrator', domain: 'CORP' }]);
    assert.deepEqual(f.filesystems, [
      { mountpoint: '/', name: 'vda', fstype: 'ext4', totalBytes: 2916290560, usedBytes: 767569920, disks: ['vda'] },
      { mountpoint: '/media/cdrom', name: 'sr0', fstype: 'iso9660', disks: [] },
    ]);
    assert.deepEqual(f.interfaces?.[1], {
      name: 'eth0',
      hwaddr: '52:54:00:74:97:b3',
      addrs: [
        { type: 'ipv4', addr: '192.168.122.127', prefix: 24 },
        { type: 'ipv6', addr: 'fe80::5054:ff:fe74:97b3', prefix: 64 },
      ],
    });
    assert.equal(isLoopback(f.interfaces![0]!), true);
    assert.equal(isLoopback(f.interfaces![1]!), false);
  });

  it('leaves out the types the agent did not answer, and an empty user list stays a list', () => {
    const f = decodeGuestInfo({ hostname: 'h', 'user.count': 0 });
    assert.deepEqual(f, { hostname: 'h', users: [] });
    assert.deepEqual(decodeGuestInfo({}), {});
  });

  it('skips entries without their key fields and unknown address types; bounds a hostile count', () => {
    const f = decodeGuestInfo({
      'fs.count': 2,
      'fs.0.name': 'no-mountpoint',
      'fs.1.mountpoint': '/boot',
      'if.count': 4_000_000_000,
      'if.0.name': 'eth0',
      'if.0.addr.count': 2,
      'if.0.addr.0.type': 'ipx',
      'if.0.addr.0.addr': '1',
      'if.0.addr.1.type': 'ipv4',
      'if.0.addr.1.addr': '10.0.0.2',
    });
    assert.deepEqual(f.filesystems, [{ mountpoint: '/boot', name: '', fstype: '', disks: [] }]);
    assert.deepEqual(f.interfaces, [{ name: 'eth0', addrs: [{ type: 'ipv4', addr: '10.0.0.2', prefix: 0 }] }]);
  });

  it('says the OS in one line', () => {
    assert.equal(osLine(decodeGuestInfo(DEBIAN).os), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(osLine({ name: 'Microsoft Windows Server 2022', version: '2022' }), 'Microsoft Windows Server 2022 2022');
    assert.equal(osLine({ id: 'mswindows' }), 'mswindows');
    assert.equal(osLine({}), undefined);
    assert.equal(osLine(undefined), undefined);
  });
});

describe('guest agent channel state in the domain XML (unit)', () => {
  const dom = (devices: string): string => `<domain type='qemu'><name>x</name><devices>${devices}</devices></domain>`;
  it('tells no channel, connected, disconnected and a defined (stateless) channel apart', () => {
    assert.equal(agentChannelState(dom("<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>")), 'none');
    assert.equal(agentChannelState(dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/></channel>")), 'connected');
    assert.equal(agentChannelState(dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel>")), 'disconnected');
    assert.equal(agentChannelState(dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")), 'unknown');
    assert.equal(agentChannelState("<domain type='qemu'><name>x</name></domain>"), 'none');
  });
});

describe('guest agent errors: what the user can do about each (unit, fake server at the transport seam)', () => {
  const dom = { name: 'vm1', uuid: '00112233-4455-6677-8899-aabbccddeeff', id: 3 };
  const xml = (state: string): string =>
    `<domain type='qemu'><name>vm1</name><devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'${state}/></channel></devices></domain>`;

  /** Runs facts() against a fake daemon: the guest info call fails with `code`; the XML call (if asked) answers `liveXml`. */
  async function problemOf(code: number, liveXml?: string): Promise<{ problem: string; message: string; calls: number[] }> {
    const server = new FakeServer();
    const conn = new Connection(new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure }), 'fake:///');
    const p = new GuestAgent(conn, dom).facts().then(
      () => assert.fail('facts() resolved'),
      (e: unknown) => e,
    );
    await server.waitFrames(1);
    server.replyError(server.calls()[0]!, { code, message: `libvirt said ${code}` });
    if (liveXml !== undefined) {
      await server.waitFrames(2);
      server.reply(server.calls()[1]!, encodeToBuffer(RemoteDomainGetXmlDescRetCodec, { xml: liveXml }));
    }
    const e = await p;
    assert.ok(GuestAgentError.is(e), String(e));
    return { problem: e.problem, message: e.message, calls: server.calls().map((c) => c.proc) };
  }

  it('no channel configured (ARGUMENT_UNSUPPORTED), without asking for the XML', async () => {
    const r = await problemOf(VirErrorNumber.ARGUMENT_UNSUPPORTED);
    assert.equal(r.problem, 'noChannel');
    assert.deepEqual(r.calls, [REMOTE_PROCEDURES.DOMAIN_GET_GUEST_INFO.proc]);
    assert.match(r.message, /no guest agent channel.*libvirt said 74/);
  });

  it('AGENT_UNRESPONSIVE is "not connected" or "timed out" by the live channel state, never by the message', async () => {
    assert.equal((await problemOf(VirErrorNumber.AGENT_UNRESPONSIVE, xml(" state='disconnected'"))).problem, 'notConnected');
    assert.equal((await problemOf(VirErrorNumber.AGENT_UNRESPONSIVE, xml(" state='connected'"))).problem, 'timeout');
    assert.equal((await problemOf(VirErrorNumber.AGENT_UNRESPONSIVE, "<domain type='qemu'><name>vm1</name><devices/></domain>")).problem, 'noChannel');
  });

  it('the agent refusing, and a VM that is not running', async () => {
    assert.equal((await problemOf(VirErrorNumber.INTERNAL_ERROR)).problem, 'agentError');
    assert.equal((await problemOf(VirErrorNumber.OPERATION_INVALID)).problem, 'notRunning');
    assert.equal((await problemOf(VirErrorNumber.OPERATION_TIMEOUT)).problem, 'timeout');
  });
});
