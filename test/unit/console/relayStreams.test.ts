// The multi-stream relay end to end, without libvirt: the host side (RelayStreams, one real TCP
// socket per stream) and the webview side (StreamMux) talk through a worker_threads MessageChannel
// (structured clone and an asynchronous hop, as postMessage does), and every message the webview
// side sends goes through the panel's field checks (parseFromWebview). A local TCP server stands
// in for a SPICE server: each connection is one channel, which first says which channel it is.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { RelayFramingError } from '../../../src/console/relayFraming';
import { RelayStreams, RelayStreamsError, type StreamMessage } from '../../../src/console/relayStreams';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { openRelaySocketCount } from '../../../src/console/vncRelay';
import { parseFromWebview, type FromWebview, type ToWebview } from '../../../src/webviews/console/protocol';
import { StreamMux, type StreamEndpoint, type StreamPort } from '../../../src/webviews/console/streamMux';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The bytes channel `tag` sends: deterministic, different per tag, ~`size` bytes. */
function channelPayload(tag: number, size: number): Buffer {
  const parts: Buffer[] = [];
  let block = createHash('sha256').update(`channel-${tag}`).digest();
  for (let n = 0; n < size; n += block.length) {
    parts.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** A server whose connections each wait for a one-byte channel tag, then send that channel's payload. */
async function channelServer(size: number, opts: { end: boolean }): Promise<{ server: net.Server; port: number; closedByClient: Set<number>; open: Set<number> }> {
  const closedByClient = new Set<number>();
  const open = new Set<number>();
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    let tag: number | undefined;
    s.on('data', (d: Buffer) => {
      if (tag !== undefined) return;
      tag = d[0]!;
      open.add(tag);
      const payload = channelPayload(tag, size);
      for (let off = 0; off < payload.length; off += 16384) s.write(payload.subarray(off, off + 16384));
      if (opts.end) s.end();
    });
    s.on('close', () => {
      if (tag === undefined) return;
      open.delete(tag);
      if (!opts.end) closedByClient.add(tag);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port, closedByClient, open };
}

/** A viewer socket that records what the host delivers; it sends its tag once open. */
class Recorder implements StreamEndpoint {
  chunks: Buffer[] = [];
  opened = 0;
  closedReasons: string[] = [];
  constructor(
    readonly port: StreamPort,
    private readonly tag: number,
  ) {}
  hostOpened(): void {
    this.opened++;
    this.port.send(Uint8Array.of(this.tag));
  }
  hostData(bytes: Uint8Array): void {
    this.chunks.push(Buffer.from(bytes));
  }
  hostClosed(reason: string): void {
    this.closedReasons.push(reason);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

interface Wired {
  readonly streams: RelayStreams;
  readonly mux: StreamMux<Recorder>;
  readonly hostPosts: StreamMessage[];
  readonly refused: string[];
  close(): void;
}

/** Host and webview ends of one session, joined by a MessageChannel. */
function wire(session: number, port: number, opts: { maxStreams?: number } = {}): Wired {
  const { port1: hostSide, port2: webviewSide } = new MessageChannel();
  const hostPosts: StreamMessage[] = [];
  const refused: string[] = [];
  const streams = new RelayStreams(
    session,
    () => openVncStream({ kind: 'address', address: '127.0.0.1', port }, { kind: 'local' }),
    (m) => {
      hostPosts.push(m);
      hostSide.postMessage(m);
    },
    opts,
  );
  const mux = new StreamMux<Recorder>(session, (m: FromWebview) => webviewSide.postMessage(m));
  (hostSide as MessagePort).on('message', (raw: unknown) => {
    let m: FromWebview;
    try {
      m = parseFromWebview(raw);
    } catch (e) {
      refused.push(String(e));
      return;
    }
    if (m.type === 'streamConnect') streams.connect(m.stream).catch(() => undefined);
    else if (m.type === 'streamSend') streams.write(m.stream, m.data as Uint8Array);
    else if (m.type === 'streamClose') streams.closeStream(m.stream);
  });
  (webviewSide as MessagePort).on('message', (m: ToWebview) => mux.accept(m));
  return {
    streams,
    mux,
    hostPosts,
    refused,
    close: () => {
      streams.close();
      mux.close();
      hostSide.close();
      webviewSide.close();
    },
  };
}

describe('multi-stream console relay (unit)', () => {
  it('carries several channels at once, each in order and to its own viewer socket', async () => {
    const size = 512 * 1024;
    const { server, port } = await channelServer(size, { end: true });
    const before = openRelaySocketCount();
    const w = wire(7, port);
    try {
      const tags = [10, 20, 30, 40, 50];
      const viewers = tags.map((tag) => w.mux.open((p) => new Recorder(p, tag)));
      assert.deepEqual(
        viewers.map((v) => v.port.stream),
        [0, 1, 2, 3, 4],
      );
      await until('every channel to end', () => viewers.every((v) => v.closedReasons.length > 0));
      for (const [i, v] of viewers.entries()) {
        assert.equal(v.opened, 1);
        assert.ok(v.bytes.equals(channelPayload(tags[i]!, size)), `channel ${tags[i]} got ${v.bytes.length} bytes, not its own ${size}`);
        assert.deepEqual(v.closedReasons, ['closed by the display']);
      }
      // The channels' data really interleaved on the relay (they were not sent one after another).
      const order = w.hostPosts.filter((m) => m.type === 'streamData').map((m) => m.stream);
      const switches = order.filter((s, i) => i > 0 && s !== order[i - 1]).length;
      assert.ok(switches >= tags.length, `the streams did not interleave (${switches} switches)`);
      assert.deepEqual(w.streams.openStreams, []);
      assert.deepEqual(w.mux.openStreams, []);
      assert.equal(w.streams.bytes.in, size * tags.length);
      assert.equal(w.streams.bytes.out, tags.length);
      assert.deepEqual(w.refused, []);
    } finally {
      w.close();
      server.close();
    }
    assert.equal(openRelaySocketCount(), before);
  });

  it('closes only the stream the viewer closes; late data for it is dropped', async () => {
    const { server, port, closedByClient, open } = await channelServer(64 * 1024, { end: false });
    const w = wire(1, port);
    try {
      const a = w.mux.open((p) => new Recorder(p, 1));
      const b = w.mux.open((p) => new Recorder(p, 2));
      await until('both channels to deliver', () => a.bytes.length === 64 * 1024 && b.bytes.length === 64 * 1024);
      a.port.close();
      await until('the server to see channel 1 closed', () => closedByClient.has(1));
      assert.ok(open.has(2), 'closing stream 0 closed the other one too');
      assert.deepEqual(w.streams.openStreams, [1]);
      assert.deepEqual(w.mux.openStreams, [1]);
      // Sending on a closed stream posts nothing; the host ignores writes to unknown streams.
      a.port.send(Uint8Array.of(9));
      assert.equal(w.streams.write(0, Uint8Array.of(9)), false);
      assert.deepEqual(a.closedReasons, [], 'a stream closed by the viewer is not reported back to it');
      // Data for a stream the webview no longer has (the host's copy of the close was late).
      assert.equal(w.mux.accept({ type: 'streamData', session: 1, stream: 0, seq: 99, data: new Uint8Array(3) }), true);
    } finally {
      w.close();
      server.close();
    }
  });

  it('refuses a reused stream number, too many streams, and data out of order', async () => {
    const { server, port } = await channelServer(1024, { end: false });
    const w = wire(3, port, { maxStreams: 2 });
    try {
      const a = w.mux.open((p) => new Recorder(p, 1));
      await until('stream 0 open', () => a.opened === 1);
      await assert.rejects(w.streams.connect(0), (e: unknown) => RelayStreamsError.is(e) && /already used/.test(e.message));
      const b = w.mux.open((p) => new Recorder(p, 2));
      const c = w.mux.open((p) => new Recorder(p, 3));
      await until('stream 2 refused', () => c.closedReasons.length === 1);
      assert.match(c.closedReasons[0]!, /more than 2 streams open/);
      assert.equal(c.opened, 0);
      await until('stream 1 open', () => b.opened === 1);
      // Another session's messages are not this mux's; a frame out of sequence is an error.
      assert.equal(w.mux.accept({ type: 'streamOpen', session: 4, stream: 0 }), false);
      await until('stream 0 data', () => a.chunks.length > 0);
      assert.throws(() => w.mux.accept({ type: 'streamData', session: 3, stream: 0, seq: 1000, data: new Uint8Array(1) }), RelayFramingError);
    } finally {
      w.close();
      server.close();
    }
  });

  it('reports a display that refuses the connection on that stream, and stops when closed', async () => {
    const { server, port } = await channelServer(1024, { end: false });
    await new Promise<void>((r) => server.close(() => r()));
    const w = wire(5, port);
    try {
      const a = w.mux.open((p) => new Recorder(p, 1));
      await until('the refusal', () => a.closedReasons.length === 1);
      assert.match(a.closedReasons[0]!, /ECONNREFUSED|refused/i);
      w.streams.close();
      const posted = w.hostPosts.length;
      await w.streams.connect(1);
      assert.equal(w.hostPosts.length, posted, 'a closed relay posts nothing');
      w.mux.close();
      assert.throws(() => w.mux.open((p) => new Recorder(p, 2)), /closed/);
    } finally {
      w.close();
    }
  });
});
