import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { MessageStatus, MessageType, STREAM_PACKET_MAX, type Frame } from '../../../src/libvirt/rpc/frame';
import { CancelledError, ConnectionClosedError, LibvirtError } from '../../../src/libvirt/rpc/errors';
import type { RpcStream } from '../../../src/libvirt/rpc/types';
import { finishStream } from '../../../src/libvirt/rpc/stream';
import { encodeToBuffer, XdrWriter } from '../../../src/libvirt/rpc/xdr';
import { REMOTE_PROCEDURES, RemoteErrorCodec } from '../../../src/libvirt/generated/remoteProtocol';
import { FakeServer, remoteError, sleep } from './fakeServer';
import { KEEPALIVE_PROGRAM } from '../../../src/libvirt/generated/keepaliveProtocol';

const vol = { pool: 'p', name: 'v', key: '/k' };

async function openStream(server: FakeServer, client: RpcClient, upload: boolean): Promise<{ call: Frame; stream: RpcStream }> {
  const p = upload
    ? client.callWithStream(REMOTE_PROCEDURES.STORAGE_VOL_UPLOAD, { vol, offset: 0n, length: 0n, flags: 0 })
    : client.callWithStream(REMOTE_PROCEDURES.STORAGE_VOL_DOWNLOAD, { vol, offset: 0n, length: 0n, flags: 0 });
  await server.waitFrames(1);
  const call = server.received[0]!;
  server.reply(call);
  const { stream } = await p;
  return { call, stream };
}

const streamFrames = (server: FakeServer, call: Frame): Frame[] =>
  server.received.filter((f) => f.type === MessageType.STREAM && f.serial === call.serial);

function setup(): { server: FakeServer; client: RpcClient } {
  const server = new FakeServer();
  return { server, client: new RpcClient(server, { keepaliveIntervalMs: 0 }) };
}

describe('RpcClient streams (unit)', () => {
  it('reads server data until its STREAM/OK, and finishes with a confirmed STREAM/OK', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('hello '));
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('world'));
    server.stream(call, MessageStatus.OK);
    await once(stream, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'hello world');
    let finished = false;
    stream.on('finish', () => (finished = true));
    stream.end();
    await sleep(2);
    const ours = streamFrames(server, call);
    assert.deepEqual(ours.map((f) => [f.status, f.payload.length, f.proc]), [[MessageStatus.OK, 0, 209]]);
    assert.equal(finished, false, 'finish waits for the server confirmation');
    server.stream(call, MessageStatus.OK);
    await once(stream, 'finish');
    assert.equal(client.inFlightCount, 0, 'a stream does not hold a call slot');
  });

  it('splits writes into packets of at most STREAM_PACKET_MAX bytes', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, true);
    const data = Buffer.alloc(STREAM_PACKET_MAX * 2 + 1000);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    stream.write(data);
    stream.end();
    await sleep(5);
    const packets = streamFrames(server, call);
    assert.deepEqual(packets.map((f) => f.status), [2, 2, 2, 0]);
    assert.ok(packets.every((f) => f.payload.length <= STREAM_PACKET_MAX));
    assert.ok(Buffer.concat(packets.slice(0, 3).map((f) => f.payload)).equals(data));
    server.stream(call, MessageStatus.OK);
    await once(stream, 'finish');
  });

  it('waits for the transport to drain before sending more packets', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, true);
    server.writeReturns = false;
    let written = false;
    stream.write(Buffer.alloc(STREAM_PACKET_MAX * 3), () => (written = true));
    await sleep(5);
    assert.equal(streamFrames(server, call).length, 1, 'one packet, then wait for drain');
    server.drain();
    await sleep(5);
    assert.equal(streamFrames(server, call).length, 3);
    assert.ok(written);
  });

  it('destroys the stream with the LibvirtError of a server STREAM/ERROR', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, true);
    const errored = once(stream, 'error');
    server.stream(call, MessageStatus.ERROR, encodeToBuffer(RemoteErrorCodec, remoteError({ code: 1, message: 'disk full' })));
    const [err] = (await errored) as [unknown];
    assert.ok(LibvirtError.is(err) && err.message === 'disk full');
    assert.equal(streamFrames(server, call).length, 0, 'no abort is sent back after a server error');
  });

  it('aborts with an empty STREAM/ERROR on destroy() and ignores later packets', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    stream.destroy();
    await once(stream, 'close');
    const ours = streamFrames(server, call);
    assert.deepEqual(ours.map((f) => [f.status, f.payload.length]), [[MessageStatus.ERROR, 0]]);
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('late'));
    assert.equal(client.closed, false);
  });

  it("emits a STREAM_HOLE as 'hole' with its length", async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    const w = new XdrWriter();
    w.hyper(1n << 40n);
    w.uint(0);
    const hole = once(stream, 'hole');
    server.send({ ...call, type: MessageType.STREAM_HOLE, status: MessageStatus.CONTINUE }, w.finish());
    assert.deepEqual(await hole, [1n << 40n]);
  });

  it('destroys open streams when the connection is lost', async () => {
    const { server, client } = setup();
    const { stream } = await openStream(server, client, false);
    const errored = once(stream, 'error');
    server.end();
    const [err] = (await errored) as [unknown];
    assert.ok(ConnectionClosedError.is(err));
  });

  it('aborts a stream whose call was cancelled before the server accepted it', async () => {
    const { server, client } = setup();
    const ac = new AbortController();
    const p = client.callWithStream(REMOTE_PROCEDURES.STORAGE_VOL_DOWNLOAD, { vol, offset: 0n, length: 0n, flags: 0 }, { signal: ac.signal });
    await server.waitFrames(1);
    ac.abort();
    await assert.rejects(p, CancelledError.is);
    const call = server.received[0]!;
    server.reply(call);
    assert.deepEqual(streamFrames(server, call).map((f) => [f.status, f.payload.length]), [[MessageStatus.ERROR, 0]]);
  });

  it('ends the readable side on an empty STREAM/CONTINUE (libvirtd 9.0) and finishes only on STREAM/OK', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.end(); // finish requested before the data is over
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('abc'));
    server.stream(call, MessageStatus.CONTINUE);
    await once(stream, 'end');
    let finished = false;
    stream.on('finish', () => (finished = true));
    await sleep(2);
    assert.equal(finished, false, 'the empty CONTINUE is not the finish confirmation');
    server.stream(call, MessageStatus.OK);
    await once(stream, 'finish');
    assert.equal(Buffer.concat(chunks).toString(), 'abc');
  });

  it('finishStream() confirms a fully read stream so the daemon can release it', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('png'));
    server.stream(call, MessageStatus.CONTINUE);
    await once(stream, 'end');
    const done = finishStream(stream);
    await sleep(2);
    assert.deepEqual(streamFrames(server, call).map((f) => [f.status, f.payload.length]), [[MessageStatus.OK, 0]]);
    server.stream(call, MessageStatus.OK);
    await done;
    assert.equal(Buffer.concat(chunks).toString(), 'png');
  });

  it('accepts stream data that arrives before the REPLY', async () => {
    const { server, client } = setup();
    const p = client.callWithStream(REMOTE_PROCEDURES.STORAGE_VOL_DOWNLOAD, { vol, offset: 0n, length: 0n, flags: 0 });
    await server.waitFrames(1);
    const call = server.received[0]!;
    server.stream(call, MessageStatus.CONTINUE, Buffer.from('early'));
    server.reply(call);
    server.stream(call, MessageStatus.CONTINUE);
    const { stream } = await p;
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await once(stream, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'early');
  });

  it('rejects callWithStream for a procedure without a stream', async () => {
    const { client } = setup();
    await assert.rejects(client.callWithStream(REMOTE_PROCEDURES.CONNECT_GET_HOSTNAME, undefined), TypeError);
  });
});

describe('RpcClient stream read-side flow control (unit)', () => {
  const packet = (byte: number): Buffer => Buffer.alloc(STREAM_PACKET_MAX, byte);

  it('pauses the transport while a reader is behind and resumes when it reads', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    server.stream(call, MessageStatus.CONTINUE, packet(1));
    assert.equal(server.paused, true, 'a full buffer pauses reading');
    server.stream(call, MessageStatus.CONTINUE, packet(2)); // already on its way when we paused
    assert.equal(stream.readableLength, 2 * STREAM_PACKET_MAX);
    while (stream.read() !== null);
    await sleep(1);
    assert.equal(server.paused, false, 'reading resumes once the reader has taken the data');
    assert.deepEqual(server.flowCalls, ['pause', 'resume']);
    const got: Buffer[] = [];
    stream.on('data', (c: Buffer) => got.push(c));
    server.stream(call, MessageStatus.CONTINUE, packet(3));
    server.stream(call, MessageStatus.CONTINUE);
    await once(stream, 'end');
    assert.equal(Buffer.concat(got).length, STREAM_PACKET_MAX);
    assert.equal(server.paused, false, 'a flowing reader never pauses');
  });

  it('stays paused until every stream that is behind has caught up', async () => {
    const { server, client } = setup();
    const a = await openStream(server, client, false);
    server.received.length = 0;
    const b = await openStream(server, client, false);
    server.stream(a.call, MessageStatus.CONTINUE, packet(1));
    server.stream(b.call, MessageStatus.CONTINUE, packet(2));
    assert.deepEqual(server.flowCalls, ['pause']);
    while (a.stream.read() !== null);
    await sleep(1);
    assert.equal(server.paused, true, 'the other stream is still behind');
    b.stream.destroy();
    await once(b.stream, 'close');
    assert.equal(server.paused, false, 'a destroyed stream no longer holds reading');
  });

  it('resumes when the server ends the data, even before the reader has taken it', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    server.stream(call, MessageStatus.CONTINUE, packet(1));
    assert.equal(server.paused, true);
    server.stream(call, MessageStatus.CONTINUE);
    assert.equal(server.paused, false);
    assert.equal(stream.readableLength, STREAM_PACKET_MAX);
  });

  it('keeps pinging but does not declare the peer dead while reading is paused on purpose', async () => {
    const server = new FakeServer();
    const client = new RpcClient(server, { keepaliveIntervalMs: 10, keepaliveCount: 2 });
    const { call, stream } = await openStream(server, client, false);
    const failed = once(stream, 'error');
    server.stream(call, MessageStatus.CONTINUE, packet(1));
    assert.equal(server.paused, true);
    const pings = (): number => server.received.filter((f) => f.prog === KEEPALIVE_PROGRAM).length;
    const before = pings();
    await sleep(120);
    assert.equal(client.closed, false, 'unanswered pings while paused are not counted');
    assert.ok(pings() - before >= 4, `pinged ${pings() - before} times while paused`);
    while (stream.read() !== null);
    await sleep(120);
    assert.equal(client.closed, true, 'after resuming, unanswered pings count again');
    assert.ok(ConnectionClosedError.is((await failed)[0]));
  });

  it('close() lifts the pause so that the goodbye reply can be read', async () => {
    const { server, client } = setup();
    const { call, stream } = await openStream(server, client, false);
    stream.on('error', () => undefined); // the stream fails with the closed connection
    server.stream(call, MessageStatus.CONTINUE, packet(1));
    assert.equal(server.paused, true);
    let goodbyeSent = false;
    client.setGoodbye(async () => {
      goodbyeSent = true;
      assert.equal(server.paused, false, 'paused during the goodbye');
    });
    await client.close();
    assert.ok(goodbyeSent);
  });
});
