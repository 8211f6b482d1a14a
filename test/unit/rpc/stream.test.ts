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
