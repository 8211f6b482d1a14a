import * as assert from 'node:assert/strict';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { encodeFrame, MessageStatus, MessageType } from '../../../src/libvirt/rpc/frame';
import { CancelledError, ConnectionClosedError, isNoDomain, LibvirtError, ProtocolError, TimeoutError } from '../../../src/libvirt/rpc/errors';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import type { RpcEvent } from '../../../src/libvirt/rpc/types';
import { encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import {
  REMOTE_PROCEDURES,
  REMOTE_PROGRAM,
  RemoteConnectGetHostnameRetCodec,
  RemoteDomainEventCallbackLifecycleMsgCodec,
} from '../../../src/libvirt/generated/remoteProtocol';
import { KEEPALIVE_PROGRAM } from '../../../src/libvirt/generated/keepaliveProtocol';
import { FakeServer, sleep } from './fakeServer';

const HOSTNAME = REMOTE_PROCEDURES.CONNECT_GET_HOSTNAME;
const hostnameRet = (hostname: string): Buffer => encodeToBuffer(RemoteConnectGetHostnameRetCodec, { hostname });

function setup(opts: ConstructorParameters<typeof RpcClient>[1] = {}): { server: FakeServer; client: RpcClient } {
  const server = new FakeServer();
  const client = new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure, ...opts });
  return { server, client };
}

describe('RpcClient (unit)', () => {
  it('sends a CALL with the procedure header and resolves with the decoded reply', async () => {
    const { server, client } = setup();
    const p = client.call(HOSTNAME, undefined);
    await server.waitFrames(1);
    const call = server.received[0]!;
    assert.deepEqual(
      { prog: call.prog, vers: call.vers, proc: call.proc, type: call.type, status: call.status, len: call.payload.length },
      { prog: REMOTE_PROGRAM, vers: 1, proc: 59, type: MessageType.CALL, status: MessageStatus.OK, len: 0 },
    );
    server.reply(call, hostnameRet('host-a'));
    assert.deepEqual(await p, { hostname: 'host-a' });
  });

  it('matches out-of-order replies to their callers by serial', async () => {
    const { server, client } = setup();
    const ps = [0, 1, 2].map(() => client.call(HOSTNAME, undefined));
    await server.waitFrames(3);
    const serials = server.received.map((f) => f.serial);
    assert.equal(new Set(serials).size, 3);
    for (const i of [2, 0, 1]) server.reply(server.received[i]!, hostnameRet(`h${i}`));
    assert.deepEqual((await Promise.all(ps)).map((r) => r.hostname), ['h0', 'h1', 'h2']);
  });

  it('keeps at most 5 calls in flight and sends the rest in FIFO order as replies arrive', async () => {
    const { server, client } = setup();
    const ps = Array.from({ length: 7 }, () => client.call(HOSTNAME, undefined));
    await sleep(5);
    assert.equal(server.calls().length, 5, 'the 6th call must wait');
    assert.equal(client.inFlightCount, 5);
    server.reply(server.received[3]!, hostnameRet('x'));
    await sleep(1);
    assert.equal(server.calls().length, 6);
    const serials = server.calls().map((f) => f.serial);
    assert.deepEqual(serials, [...serials].sort((a, b) => a - b), 'calls go out in the order they were made');
    for (const f of server.calls()) if (f !== server.received[3]) server.reply(f, hostnameRet('y'));
    await sleep(1);
    assert.equal(server.calls().length, 7);
    server.reply(server.calls()[6]!, hostnameRet('z'));
    assert.equal((await Promise.all(ps)).length, 7);
  });

  it('rejects a timed-out call with TimeoutError, drops its late reply and frees the slot then', async () => {
    const { server, client } = setup({ maxInFlight: 1 });
    const slow = client.call(HOSTNAME, undefined, { timeoutMs: 15 });
    const next = client.call(HOSTNAME, undefined);
    await assert.rejects(slow, (e: unknown) => TimeoutError.is(e) && e.timeoutMs === 15);
    assert.equal(server.calls().length, 1, 'the slot stays taken until the server answers');
    server.reply(server.received[0]!, hostnameRet('late'));
    await server.waitFrames(2);
    server.reply(server.received[1]!, hostnameRet('next'));
    assert.equal((await next).hostname, 'next');
    assert.equal(client.closed, false);
  });

  it('cancels in-flight and queued calls through an AbortSignal', async () => {
    const { server, client } = setup({ maxInFlight: 1 });
    const ac = new AbortController();
    const first = client.call(HOSTNAME, undefined, { signal: ac.signal });
    const queued = client.call(HOSTNAME, undefined, { signal: ac.signal });
    await server.waitFrames(1);
    ac.abort();
    await assert.rejects(first, CancelledError.is);
    await assert.rejects(queued, CancelledError.is);
    server.reply(server.received[0]!, hostnameRet('late'));
    await sleep(2);
    assert.equal(server.calls().length, 1, 'a cancelled queued call is never sent');
    await assert.rejects(client.call(HOSTNAME, undefined, { signal: ac.signal }), CancelledError.is);
  });

  it('turns an ERROR reply into a LibvirtError with every remote_error field', async () => {
    const { server, client } = setup();
    const p = client.call(HOSTNAME, undefined);
    await server.waitFrames(1);
    server.replyError(server.received[0]!, {
      code: 42,
      domain: 12,
      message: "Domain not found: no domain with matching name 'vm1'",
      level: 2,
      dom: { name: 'vm1', uuid: Buffer.alloc(16, 7), id: -1 },
      str1: 'a',
      str2: null,
      str3: 'c',
      int1: 3,
      int2: -4,
      net: { name: 'default', uuid: Buffer.alloc(16, 1) },
    });
    const err = await p.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(LibvirtError.is(err));
    assert.ok(isNoDomain(err));
    assert.deepEqual(
      [err.code, err.domain, err.message, err.level, err.str1, err.str2, err.str3, err.int1, err.int2, err.domainName, err.networkName],
      [42, 12, "Domain not found: no domain with matching name 'vm1'", 2, 'a', null, 'c', 3, -4, 'vm1', 'default'],
    );
  });

  it('answers a server PING with a PONG at once', async () => {
    const { server } = setup();
    server.send({ prog: KEEPALIVE_PROGRAM, vers: 1, proc: 1, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK });
    assert.equal(server.received.length, 1, 'answered synchronously');
    const pong = server.received[0]!;
    assert.deepEqual([pong.prog, pong.proc, pong.type, pong.serial, pong.status], [KEEPALIVE_PROGRAM, 2, MessageType.MESSAGE, 0, 0]);
  });

  it('answers PINGs and accepts replies fed one byte at a time while the call cap is full', async () => {
    const { server, client } = setup();
    const ps = Array.from({ length: 6 }, () => client.call(HOSTNAME, undefined));
    await server.waitFrames(5);
    server.send({ prog: KEEPALIVE_PROGRAM, vers: 1, proc: 1, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK });
    assert.equal(server.received.length, 6, 'the PONG does not wait for a call slot');
    assert.equal(server.received[5]!.prog, KEEPALIVE_PROGRAM);
    const calls = server.calls();
    const bytes = Buffer.concat(calls.map((c, i) => encodeFrame({ ...c, type: MessageType.REPLY }, hostnameRet(`h${i}`))));
    for (let i = 0; i < bytes.length; i++) server.sendRaw(bytes.subarray(i, i + 1));
    await server.waitFrames(7);
    server.reply(server.calls()[5]!, hostnameRet('h5'));
    assert.deepEqual((await Promise.all(ps)).map((r) => r.hostname), ['h0', 'h1', 'h2', 'h3', 'h4', 'h5']);
  });

  it('pings on silence and declares the peer dead after keepaliveCount unanswered pings', async () => {
    const { server, client } = setup({ keepaliveIntervalMs: 10, keepaliveCount: 3 });
    const closes: (Error | undefined)[] = [];
    client.onClose((e) => closes.push(e));
    const pending = client.call(HOSTNAME, undefined);
    await assert.rejects(pending, (e: unknown) => ConnectionClosedError.is(e) && e.reason === 'keepalive timeout');
    const pings = server.received.filter((f) => f.prog === KEEPALIVE_PROGRAM && f.proc === 1);
    assert.equal(pings.length, 3);
    assert.equal(closes.length, 1);
    assert.ok(ConnectionClosedError.is(closes[0]) && closes[0].reason === 'keepalive timeout');
    assert.ok(server.closed);
  });

  it('stays alive while the server keeps sending packets', async () => {
    const { server, client } = setup({ keepaliveIntervalMs: 20, keepaliveCount: 1 });
    for (let i = 0; i < 12; i++) {
      server.send({ prog: KEEPALIVE_PROGRAM, vers: 1, proc: 2, type: MessageType.MESSAGE, serial: 0, status: 0 });
      await sleep(8);
    }
    assert.equal(client.closed, false);
    await client.close();
  });

  it('rejects pending and queued calls on connection loss and fires onClose once', async () => {
    const { server, client } = setup({ maxInFlight: 2 });
    let fired = 0;
    let closeError: Error | undefined;
    client.onClose((e) => {
      fired++;
      closeError = e;
    });
    const ps = Array.from({ length: 4 }, () => client.call(HOSTNAME, undefined));
    await server.waitFrames(2);
    server.end();
    server.emit('error', new Error('late socket error'));
    for (const p of ps) await assert.rejects(p, (e: unknown) => ConnectionClosedError.is(e) && e.reason === 'eof');
    assert.equal(fired, 1);
    assert.ok(ConnectionClosedError.is(closeError));
    assert.ok(client.closed);
    await assert.rejects(client.call(HOSTNAME, undefined), ConnectionClosedError.is);
  });

  it('reports a socket error as the cause of the close', async () => {
    const { server, client } = setup();
    const p = client.call(HOSTNAME, undefined);
    const cause = new Error('ECONNRESET');
    server.emit('error', cause);
    await assert.rejects(p, (e: unknown) => ConnectionClosedError.is(e) && e.reason === 'socket error' && e.cause === cause);
  });

  it('closes with a protocol error when the server sends an invalid length', async () => {
    const { server, client } = setup();
    const p = client.call(HOSTNAME, undefined);
    const bad = Buffer.alloc(28);
    bad.writeUInt32BE(12, 0);
    server.sendRaw(bad);
    await assert.rejects(p, (e: unknown) => ConnectionClosedError.is(e) && e.reason === 'protocol error' && ProtocolError.is(e.cause));
  });

  it('delivers server MESSAGEs decoded with their event procedure', async () => {
    const { server, client } = setup();
    const events: RpcEvent[] = [];
    const sub = client.onEvent((e) => events.push(e));
    const body = { callbackID: 7, msg: { dom: { name: 'vm1', uuid: Buffer.alloc(16, 2), id: 3 }, event: 2, detail: 0 } };
    const header = { prog: REMOTE_PROGRAM, vers: 1, proc: 318, type: MessageType.MESSAGE, serial: 0, status: 0 };
    server.send(header, encodeToBuffer(RemoteDomainEventCallbackLifecycleMsgCodec, body));
    server.send({ ...header, proc: 99999 }, Buffer.alloc(8)); // unknown event: dropped
    server.send(header, Buffer.alloc(3)); // malformed event: dropped
    assert.equal(events.length, 1);
    assert.equal(events[0]!.procedure.name, 'DOMAIN_EVENT_CALLBACK_LIFECYCLE');
    assert.deepEqual(events[0]!.body, body);
    sub.dispose();
    server.send(header, encodeToBuffer(RemoteDomainEventCallbackLifecycleMsgCodec, body));
    assert.equal(events.length, 1, 'a disposed listener gets nothing');
    assert.equal(client.closed, false);
  });

  it('close() sends the goodbye call, then closes and fires onClose(undefined)', async () => {
    const { server, client } = setup();
    client.setGoodbye(async () => {
      await client.call(REMOTE_PROCEDURES.CONNECT_CLOSE, undefined);
    });
    const closes: (Error | undefined)[] = [];
    client.onClose((e) => closes.push(e));
    const done = client.close();
    await server.waitFrames(1);
    assert.equal(server.received[0]!.proc, 2);
    server.reply(server.received[0]!);
    await done;
    assert.deepEqual(closes, [undefined]);
    assert.ok(server.closed);
  });
});
