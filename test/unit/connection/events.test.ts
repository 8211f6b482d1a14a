import * as assert from 'node:assert/strict';
import { Connection, type DomainEvent, type NetworkEvent } from '../../../src/libvirt/connection';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { MessageStatus, MessageType, type Frame } from '../../../src/libvirt/rpc/frame';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import { decodeFromBuffer, encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import {
  REMOTE_PROCEDURES as P,
  REMOTE_PROGRAM,
  RemoteConnectDomainEventCallbackDeregisterAnyArgsCodec,
  RemoteConnectDomainEventCallbackRegisterAnyArgsCodec,
  RemoteConnectDomainEventCallbackRegisterAnyRetCodec,
  RemoteConnectNetworkEventRegisterAnyRetCodec,
  RemoteDomainEventCallbackLifecycleMsgCodec,
  RemoteDomainEventCallbackTunableMsgCodec,
  RemoteDomainEventCallbackPmsuspendMsgCodec,
  RemoteNetworkEventLifecycleMsgCodec,
} from '../../../src/libvirt/generated/remoteProtocol';
import { VirDomainEventID } from '../../../src/libvirt/generated/libvirtConstants';
import { FakeServer } from '../rpc/fakeServer';

const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const wireDom = { name: 'vm1', uuid, id: 3 };

function setup(): { server: FakeServer; conn: Connection } {
  const server = new FakeServer();
  const client = new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure });
  return { server, conn: new Connection(client, 'fake:///') };
}

function message(proc: number, payload: Buffer): { header: Frame; payload: Buffer } {
  return {
    header: { prog: REMOTE_PROGRAM, vers: 1, proc, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK, payload },
    payload,
  };
}

function send(server: FakeServer, proc: number, payload: Buffer): void {
  const m = message(proc, payload);
  server.send(m.header, m.payload);
}

function lifecycle(callbackID: number, event: number): Buffer {
  return encodeToBuffer(RemoteDomainEventCallbackLifecycleMsgCodec, { callbackID, msg: { dom: wireDom, event, detail: 1 } });
}

describe('Connection events (unit, fake server at the transport seam)', () => {
  it('registers one callback per event ID on the first listener and routes messages by callbackID', async () => {
    const { server, conn } = setup();
    const got: DomainEvent[] = [];
    const sub = conn.onDomainEvent((e) => got.push(e), { kinds: ['lifecycle'] });
    await server.waitFrames(1);
    const reg = server.calls()[0]!;
    assert.equal(reg.proc, P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.proc);
    assert.deepEqual(decodeFromBuffer(RemoteConnectDomainEventCallbackRegisterAnyArgsCodec, reg.payload), {
      eventID: VirDomainEventID.LIFECYCLE,
      dom: null,
    });
    server.reply(reg, encodeToBuffer(RemoteConnectDomainEventCallbackRegisterAnyRetCodec, { callbackID: 41 }));
    await sub.ready;

    send(server, P.DOMAIN_EVENT_CALLBACK_LIFECYCLE.proc, lifecycle(41, 2));
    send(server, P.DOMAIN_EVENT_CALLBACK_LIFECYCLE.proc, lifecycle(99, 5));
    assert.deepEqual(got, [{ kind: 'lifecycle', dom: { name: 'vm1', uuid: '00112233-4455-6677-8899-aabbccddeeff', id: 3 }, event: 2, detail: 1 }]);

    // A second listener for the same kind needs no new registration.
    const sub2 = conn.onDomainEvent(() => undefined, { kinds: ['lifecycle'] });
    await sub2.ready;
    assert.equal(server.calls().length, 1);
    sub2.dispose();
    sub.dispose();
    await server.waitFrames(2);
    const dereg = server.calls()[1]!;
    assert.equal(dereg.proc, P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY.proc);
    assert.deepEqual(decodeFromBuffer(RemoteConnectDomainEventCallbackDeregisterAnyArgsCodec, dereg.payload), { callbackID: 41 });
  });

  it('delivers an event that arrives in the same chunk as its registration reply', async () => {
    const { server, conn } = setup();
    const got: DomainEvent[] = [];
    const sub = conn.onDomainEvent((e) => got.push(e), { kinds: ['lifecycle'] });
    await server.waitFrames(1);
    const reg = server.calls()[0]!;
    const reply = { ...reg, type: MessageType.REPLY, status: MessageStatus.OK };
    const { encodeFrame } = await import('../../../src/libvirt/rpc/frame');
    const m = message(P.DOMAIN_EVENT_CALLBACK_LIFECYCLE.proc, lifecycle(7, 0));
    server.sendRaw(
      Buffer.concat([encodeFrame(reply, encodeToBuffer(RemoteConnectDomainEventCallbackRegisterAnyRetCodec, { callbackID: 7 })), encodeFrame(m.header, m.payload)]),
    );
    await sub.ready;
    assert.equal(got.length, 1);
    assert.equal(got[0]!.kind, 'lifecycle');
  });

  it('decodes messages with a reason, typed parameters, and network events', async () => {
    const { server, conn } = setup();
    const got: DomainEvent[] = [];
    const nets: NetworkEvent[] = [];
    const sub = conn.onDomainEvent((e) => got.push(e), { kinds: ['pmSuspend', 'tunable'] });
    const nsub = conn.onNetworkEvent((e) => nets.push(e));
    await server.waitFrames(3);
    for (const call of server.calls()) {
      if (call.proc === P.CONNECT_NETWORK_EVENT_REGISTER_ANY.proc) {
        server.reply(call, encodeToBuffer(RemoteConnectNetworkEventRegisterAnyRetCodec, { callbackID: 30 }));
      } else {
        const { eventID } = decodeFromBuffer(RemoteConnectDomainEventCallbackRegisterAnyArgsCodec, call.payload);
        server.reply(call, encodeToBuffer(RemoteConnectDomainEventCallbackRegisterAnyRetCodec, { callbackID: 100 + eventID }));
      }
    }
    await Promise.all([sub.ready, nsub.ready]);
    send(
      server,
      P.DOMAIN_EVENT_CALLBACK_PMSUSPEND.proc,
      encodeToBuffer(RemoteDomainEventCallbackPmsuspendMsgCodec, { callbackID: 100 + VirDomainEventID.PMSUSPEND, reason: 0, msg: { dom: wireDom } }),
    );
    send(
      server,
      P.DOMAIN_EVENT_CALLBACK_TUNABLE.proc,
      encodeToBuffer(RemoteDomainEventCallbackTunableMsgCodec, {
        callbackID: 100 + VirDomainEventID.TUNABLE,
        dom: wireDom,
        params: [{ field: 'cputune.vcpu_quota', value: { type: 3, l: -1n } }],
      }),
    );
    send(
      server,
      P.NETWORK_EVENT_LIFECYCLE.proc,
      encodeToBuffer(RemoteNetworkEventLifecycleMsgCodec, { callbackID: 30, net: { name: 'default', uuid }, event: 2, detail: 0 }),
    );
    assert.deepEqual(
      got.map((e) => e.kind),
      ['pmSuspend', 'tunable'],
    );
    const tunable = got[1]!;
    assert.ok(tunable.kind === 'tunable');
    assert.deepEqual(tunable.params, { 'cputune.vcpu_quota': -1 });
    assert.deepEqual(nets, [{ kind: 'lifecycle', net: { name: 'default', uuid: '00112233-4455-6677-8899-aabbccddeeff' }, event: 2, detail: 0 }]);
  });

  it('registers every domain event ID for a listener without a kind filter, tolerating unsupported IDs', async () => {
    const { server, conn } = setup();
    const sub = conn.onDomainEvent(() => undefined);
    const expected = 25;
    await server.waitFrames(5);
    // The client keeps at most 5 calls in flight: answer in rounds until all were sent.
    let answered = 0;
    while (answered < expected) {
      await server.waitFrames(answered + 1);
      const calls = server.calls();
      for (; answered < calls.length; answered++) {
        const call = calls[answered]!;
        const { eventID } = decodeFromBuffer(RemoteConnectDomainEventCallbackRegisterAnyArgsCodec, call.payload);
        if (eventID === VirDomainEventID.MEMORY_DEVICE_SIZE_CHANGE) server.replyError(call, { code: 8, message: 'unsupported event ID' });
        else server.reply(call, encodeToBuffer(RemoteConnectDomainEventCallbackRegisterAnyRetCodec, { callbackID: 200 + eventID }));
      }
    }
    await sub.ready;
    const ids = server.calls().map((c) => decodeFromBuffer(RemoteConnectDomainEventCallbackRegisterAnyArgsCodec, c.payload).eventID);
    assert.equal(new Set(ids).size, expected);
    assert.ok(!ids.includes(VirDomainEventID.IO_ERROR) && !ids.includes(VirDomainEventID.BLOCK_JOB), 'the older duplicate IDs are not used');
  });
});
