// Connection.domainGetHostname (virDomainGetHostname): the flags choose the source, the agent's
// answer comes back as text. The real guest answering it: test/integration/guest/guestOs.test.ts.
import * as assert from 'node:assert/strict';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainGetHostnameFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { REMOTE_PROCEDURES as P, RemoteDomainGetHostnameArgsCodec, RemoteDomainGetHostnameRetCodec } from '../../../src/libvirt/generated/remoteProtocol';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import { decodeFromBuffer, encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import { FakeServer } from '../rpc/fakeServer';

const dom = { name: 'vm1', uuid: '00112233-4455-6677-8899-aabbccddeeff', id: 3 };

describe('Connection: guest hostname (unit, fake server at the transport seam)', () => {
  it('asks for the hostname from the chosen source and returns it', async () => {
    const server = new FakeServer();
    const conn = new Connection(new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure }), 'fake:///');
    const name = conn.domainGetHostname(dom, VirDomainGetHostnameFlags.AGENT);
    await server.waitFrames(1);
    const call = server.calls()[0]!;
    assert.equal(call.proc, P.DOMAIN_GET_HOSTNAME.proc);
    const args = decodeFromBuffer(RemoteDomainGetHostnameArgsCodec, call.payload);
    assert.equal(args.flags, VirDomainGetHostnameFlags.AGENT);
    assert.equal(args.dom.name, 'vm1');
    server.reply(call, encodeToBuffer(RemoteDomainGetHostnameRetCodec, { hostname: 'guest-1' }));
    assert.equal(await name, 'guest-1');
  });
});
