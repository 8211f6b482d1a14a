// The guest agent ping goes through the QEMU program (0x20008087, procedure 3
// QEMU_PROC_DOMAIN_AGENT_COMMAND of qemu_protocol.x). No guest OS runs in the test environment, so
// the answering agent is played by a fake server at the transport seam (the not-answering case is
// tested against the real libvirtd in test/integration/snapshots).
import * as assert from 'node:assert/strict';
import { Connection } from '../../../src/libvirt/connection';
import { VirErrorNumber } from '../../../src/libvirt/generated/libvirtConstants';
import { QEMU_PROCEDURES, QEMU_PROGRAM, QemuDomainAgentCommandArgsCodec, QemuDomainAgentCommandRetCodec } from '../../../src/libvirt/generated/qemuProtocol';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import { decodeFromBuffer, encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import { pingGuestAgent } from '../../../src/libvirt/snapshots/snapshotPlan';
import { AGENT_PROBLEM_TEXT } from '../../../src/libvirt/guestAgent';
import { REMOTE_PROCEDURES, RemoteDomainGetXmlDescRetCodec } from '../../../src/libvirt/generated/remoteProtocol';
import { FakeServer } from '../rpc/fakeServer';

const dom = { name: 'vm1', uuid: '00112233-4455-6677-8899-aabbccddeeff', id: 3 };

function setup(): { server: FakeServer; conn: Connection } {
  const server = new FakeServer();
  const client = new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure });
  return { server, conn: new Connection(client, 'fake:///') };
}

describe('guest agent ping (unit, fake server at the transport seam)', () => {
  it('sends guest-ping through the QEMU program with the timeout, and an answer means the agent answers', async () => {
    const { server, conn } = setup();
    const ping = pingGuestAgent(conn, dom, 2);
    await server.waitFrames(1);
    const call = server.calls()[0]!;
    assert.equal(call.prog, QEMU_PROGRAM);
    assert.equal(call.proc, QEMU_PROCEDURES.DOMAIN_AGENT_COMMAND.proc);
    const args = decodeFromBuffer(QemuDomainAgentCommandArgsCodec, call.payload);
    assert.equal(args.dom.name, 'vm1');
    assert.deepEqual(JSON.parse(args.cmd), { execute: 'guest-ping' });
    assert.equal(args.timeout, 2);
    server.reply(call, encodeToBuffer(QemuDomainAgentCommandRetCodec, { result: '{"return":{}}' }));
    assert.deepEqual(await ping, { answers: true });
  });

  it("says why the agent does not answer (the live channel state tells not connected from late), with libvirt's words", async () => {
    const { server, conn } = setup();
    const ping = pingGuestAgent(conn, dom, 1);
    await server.waitFrames(1);
    server.replyError(server.calls()[0]!, { code: VirErrorNumber.AGENT_UNRESPONSIVE, message: 'Guest agent is not responding: QEMU guest agent is not connected' });
    await server.waitFrames(2);
    assert.equal(server.calls()[1]!.proc, REMOTE_PROCEDURES.DOMAIN_GET_XML_DESC.proc);
    server.reply(
      server.calls()[1]!,
      encodeToBuffer(RemoteDomainGetXmlDescRetCodec, { xml: "<domain type='qemu'><name>vm1</name><devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel></devices></domain>" }),
    );
    assert.deepEqual(await ping, { answers: false, reason: `${AGENT_PROBLEM_TEXT.notConnected} (Guest agent is not responding: QEMU guest agent is not connected)` });
  });
});
