// The host's view of a SPICE channel link (src/console/spiceLink.ts) from the bytes of the link
// as spice-protocol lays them out: the phases, the channel type, refusals, VNC told apart, the
// same answers whatever the chunking, and the display init it sends for a viewer that is gone.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { RelayStreams, type StreamMessage } from '../../../src/console/relayStreams';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { SpiceLinkWatch, type SpiceLinkPhase } from '../../../src/console/spiceLink';
import { SPICE_CAPS_AUTH_MINI, spiceLink } from '../../spiceWire';

/** SpiceLinkHeader + SpiceLinkReply: `error`, a (zero) public key, one common capability word. */
function linkReply(error = 0, commonCaps = SPICE_CAPS_AUTH_MINI): Buffer {
  const reply = Buffer.alloc(4 + 162 + 12 + 4);
  reply.writeUInt32LE(error, 0);
  reply.writeUInt32LE(1, 166); // num_common_caps
  reply.writeUInt32LE(0, 170); // num_channel_caps
  reply.writeUInt32LE(178, 174); // caps_offset
  reply.writeUInt32LE(commonCaps, 178);
  const head = Buffer.alloc(16);
  head.write('REDQ', 0, 'latin1');
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(2, 8);
  head.writeUInt32LE(reply.length, 12);
  return Buffer.concat([head, reply]);
}

const TICKET = Buffer.alloc(4 + 128, 7);
const result = (code: number): Buffer => Buffer.from([code, 0, 0, 0]);

/** Feeds `bytes` in chunks of `size` (0: at once). */
function feed(to: (b: Uint8Array) => void, bytes: Buffer, size: number): void {
  if (size === 0) return to(bytes);
  for (let at = 0; at < bytes.length; at += size) to(bytes.subarray(at, at + size));
}

/** A link up to the link result, each side fed in chunks of `size`; the phases on the way. */
function linkTo(channelType: number, size: number, opts: { caps?: number; serverCaps?: number; result?: number } = {}): { w: SpiceLinkWatch; phases: SpiceLinkPhase[] } {
  const w = new SpiceLinkWatch();
  const phases: SpiceLinkPhase[] = [w.phase];
  feed((b) => w.clientBytes(b), spiceLink(channelType, 5, opts.caps ?? SPICE_CAPS_AUTH_MINI), size);
  phases.push(w.phase);
  feed((b) => w.serverBytes(b), linkReply(0, opts.serverCaps ?? SPICE_CAPS_AUTH_MINI), size);
  phases.push(w.phase);
  feed((b) => w.clientBytes(b), TICKET, size);
  phases.push(w.phase);
  if (opts.result !== undefined) {
    feed((b) => w.serverBytes(b), result(opts.result), size);
    phases.push(w.phase);
  }
  return { w, phases };
}

describe('SPICE link watch (unit)', () => {
  for (const size of [0, 1, 5, 17]) {
    it(`follows a display channel's link to attached, fed ${size === 0 ? 'whole' : `in ${size}-byte chunks`}`, () => {
      const { w, phases } = linkTo(2, size, { result: 0 });
      assert.deepEqual(phases, ['unknown', 'linking', 'linking', 'attaching', 'attaching']);
      assert.equal(w.channelType, 2);
      assert.equal(w.attachingInWorker, true);
      w.serverBytes(Buffer.from([1]));
      assert.equal(w.phase, 'attached');
      assert.equal(w.attachingInWorker, false);
    });
  }

  it('sends the display init once, after the link result, with a mini header when both sides have it', () => {
    const w = new SpiceLinkWatch();
    w.clientBytes(spiceLink(2, 5, SPICE_CAPS_AUTH_MINI));
    w.serverBytes(linkReply());
    w.clientBytes(TICKET);
    assert.equal(w.takeDisplayInit(), undefined, 'before the link result');
    w.serverBytes(result(0));
    const init = Buffer.from(w.takeDisplayInit()!);
    assert.equal(init.length, 6 + 14);
    assert.equal(init.readUInt16LE(0), 101, 'SPICE_MSGC_DISPLAY_INIT');
    assert.equal(init.readUInt32LE(2), 14);
    assert.equal(init.readUInt8(6), 1, 'pixmap_cache_id');
    assert.equal(init.readBigInt64LE(7), 10n * 1024n * 1024n, 'pixmap_cache_size');
    assert.equal(w.takeDisplayInit(), undefined, 'a second time');
  });

  it('uses the full data header when the server has no mini header', () => {
    const { w } = linkTo(2, 0, { serverCaps: 0b11, result: 0 });
    const init = Buffer.from(w.takeDisplayInit()!);
    assert.equal(init.length, 18 + 14);
    assert.equal(init.readBigUInt64LE(0), 1n, 'serial');
    assert.equal(init.readUInt16LE(8), 101);
    assert.equal(init.readUInt32LE(10), 14);
    assert.equal(init.readUInt32LE(14), 0, 'sub_list');
  });

  it('sends no init when the viewer sent its own, or for other channels', () => {
    const { w } = linkTo(2, 0, { result: 0 });
    w.clientBytes(Buffer.alloc(20)); // the viewer's own init
    assert.equal(w.takeDisplayInit(), undefined);
    assert.equal(w.attachingInWorker, true, 'still waiting for the server to answer it');
    const cursor = linkTo(4, 0, { result: 0 }).w;
    assert.equal(cursor.attachingInWorker, true);
    assert.equal(cursor.takeDisplayInit(), undefined);
    const inputs = linkTo(3, 0, { result: 0 }).w;
    assert.equal(inputs.phase, 'attaching');
    assert.equal(inputs.attachingInWorker, false, 'the inputs channel is not made in the worker');
  });

  it('says refused for a refused link or ticket, or a socket closed before the channel spoke', () => {
    const link = new SpiceLinkWatch();
    link.clientBytes(spiceLink(2));
    link.serverBytes(linkReply(3));
    assert.equal(link.phase, 'refused');
    const ticket = linkTo(2, 3, { result: 7 }).w;
    assert.equal(ticket.phase, 'refused');
    assert.equal(ticket.takeDisplayInit(), undefined);
    const closed = linkTo(2, 0).w;
    closed.ended();
    assert.equal(closed.phase, 'refused');
    assert.equal(closed.attachingInWorker, false);
  });

  it('tells a VNC stream apart from either side', () => {
    const server = new SpiceLinkWatch();
    server.serverBytes(Buffer.from('RFB 003.008\n', 'latin1'));
    assert.equal(server.phase, 'notSpice');
    const client = new SpiceLinkWatch();
    client.clientBytes(Buffer.from('RFB 003.008\n', 'latin1'));
    assert.equal(client.phase, 'notSpice');
    assert.equal(client.channelType, undefined);
  });

  it('calls its listeners on changes until removed', () => {
    const w = new SpiceLinkWatch();
    let calls = 0;
    const off = w.onChange(() => calls++);
    w.clientBytes(spiceLink(1));
    assert.ok(calls > 0);
    off();
    const before = calls;
    w.serverBytes(linkReply());
    assert.equal(calls, before);
  });
});

/**
 * A stand-in SPICE server at the transport seam: links every channel with any ticket; the main
 * channel then speaks; a display channel answers its init only when `answerInit`.
 */
async function fakeSpiceServer(answerInit: boolean): Promise<{ port: number; server: net.Server; channels: Map<number, { afterTicket: Buffer; closedAt?: number }> }> {
  const channels = new Map<number, { afterTicket: Buffer; closedAt?: number }>();
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let type: number | undefined;
    let linked = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (type === undefined && buf.length >= 16 + 5) {
        const end = 16 + buf.readUInt32LE(12);
        if (buf.length < end) return;
        type = buf[20]!;
        channels.set(type, { afterTicket: Buffer.alloc(0) });
        buf = buf.subarray(end);
        s.write(linkReply());
      }
      if (type !== undefined && !linked && buf.length >= TICKET.length) {
        linked = true;
        buf = buf.subarray(TICKET.length);
        s.write(result(0));
        if (type === 1) s.write(Buffer.from([103, 0, 4, 0, 0, 0, 1, 2, 3, 4]));
      }
      if (linked && buf.length > 0) {
        const ch = channels.get(type!)!;
        ch.afterTicket = Buffer.concat([ch.afterTicket, buf]);
        buf = Buffer.alloc(0);
        if (type === 2 && answerInit) s.write(Buffer.from([1, 0, 0, 0, 0, 0]));
      }
    });
    s.on('close', () => {
      const ch = type !== undefined ? channels.get(type) : undefined;
      if (ch) ch.closedAt = Date.now();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, server, channels };
}

async function until(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A RelayStreams session to `port` whose main (stream 0) and display (stream 1) channels linked. */
async function linkedSession(port: number, channels: Map<number, { afterTicket: Buffer; closedAt?: number }>): Promise<{ streams: RelayStreams; posts: StreamMessage[] }> {
  const posts: StreamMessage[] = [];
  const received = new Map<number, number>();
  const streams = new RelayStreams(
    1,
    () => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' }),
    (m) => {
      posts.push(m);
      if (m.type === 'streamData') received.set(m.stream, (received.get(m.stream) ?? 0) + (m.data as Uint8Array).length);
    },
    { attachWaitMs: 400 },
  );
  for (const [stream, type] of [[0, 1], [1, 2]] as const) {
    await streams.connect(stream);
    streams.write(stream, spiceLink(type, 0, SPICE_CAPS_AUTH_MINI));
    await until('the link reply', () => (received.get(stream) ?? 0) >= linkReply().length);
    streams.write(stream, TICKET);
    await until('the link result', () => (received.get(stream) ?? 0) >= linkReply().length + 4 + (type === 1 ? 10 : 0));
  }
  assert.ok(channels.has(1) && channels.has(2));
  return { streams, posts };
}

describe('closing relayed SPICE streams while a display channel attaches (unit)', () => {
  for (const answerInit of [true, false]) {
    it(answerInit ? 'sends the display init for the gone viewer and closes once the server answers' : 'closes after attachWaitMs when the server never answers', async () => {
      const { port, server, channels } = await fakeSpiceServer(answerInit);
      const { streams, posts } = await linkedSession(port, channels);
      try {
        const postsBefore = posts.length;
        const t0 = Date.now();
        const closed = streams.close();
        assert.deepEqual(streams.openStreams, []);
        await until('the display init at the server', () => channels.get(2)!.afterTicket.length >= 20);
        const init = channels.get(2)!.afterTicket;
        assert.equal(init.readUInt16LE(0), 101, 'SPICE_MSGC_DISPLAY_INIT');
        if (!answerInit) {
          await new Promise((r) => setTimeout(r, 150));
          assert.equal(channels.get(1)!.closedAt, undefined, 'the main channel closed while the display attached');
        }
        await closed;
        const waited = Date.now() - t0;
        if (answerInit) assert.ok(waited < 300, `waited ${waited} ms for an answered init`);
        else assert.ok(waited >= 380, `gave up after ${waited} ms, before attachWaitMs`);
        await until('both sockets closed at the server', () => channels.get(1)!.closedAt !== undefined && channels.get(2)!.closedAt !== undefined);
        assert.equal(posts.length, postsBefore, 'posted to the webview after close()');
      } finally {
        await streams.close();
        server.close();
      }
    });
  }

  it('keeps a display channel the viewer closed while it attached until the server answered its init', async () => {
    const { port, server, channels } = await fakeSpiceServer(true);
    const { streams } = await linkedSession(port, channels);
    try {
      streams.closeStream(1);
      assert.deepEqual(streams.openStreams, [0]);
      await until('the display channel closed', () => channels.get(2)!.closedAt !== undefined);
      assert.equal(channels.get(2)!.afterTicket.readUInt16LE(0), 101, 'the display init went first');
      assert.equal(channels.get(1)!.closedAt, undefined, 'the main channel stays');
    } finally {
      await streams.close();
      server.close();
    }
  });
});
