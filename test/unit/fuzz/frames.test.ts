// Feeds >= 100,000 random and mutated server frames to the frame parser and to a live client
// (pending calls, an open stream, event decoding). Only typed errors may come out: no uncaught
// exception, no untyped rejection, no hang. Seeded, so a failure is reproducible.

import * as assert from 'node:assert/strict';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { encodeFrame, FrameParser, MessageStatus, MessageType } from '../../../src/libvirt/rpc/frame';
import { CancelledError, ConnectionClosedError, LibvirtError, ProtocolError, TimeoutError } from '../../../src/libvirt/rpc/errors';
import { lookupLibvirtProcedure } from '../../../src/libvirt/rpc/procedureLookup';
import { encodeToBuffer, XdrError, XdrWriter } from '../../../src/libvirt/rpc/xdr';
import {
  REMOTE_PROCEDURES,
  REMOTE_PROGRAM,
  RemoteConnectGetHostnameRetCodec,
  RemoteConnectListAllDomainsRetCodec,
  RemoteDomainEventCallbackLifecycleMsgCodec,
  RemoteErrorCodec,
} from '../../../src/libvirt/generated/remoteProtocol';
import { KEEPALIVE_PROGRAM } from '../../../src/libvirt/generated/keepaliveProtocol';
import { FakeServer, remoteError } from '../rpc/fakeServer';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed1e);
const ITERATIONS = 100_000;

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isTyped(e: unknown): boolean {
  if (ConnectionClosedError.is(e)) return e.cause === undefined || isTyped(e.cause);
  return ProtocolError.is(e) || XdrError.is(e) || LibvirtError.is(e) || CancelledError.is(e) || TimeoutError.is(e);
}

// Serials the client will use in each fresh connection: 1 hostname, 2 domain list, 3 stream.
const H = (serial: number, type: number, status: number, proc: number, prog = REMOTE_PROGRAM) => ({ prog, vers: 1, proc, type, serial, status });
const hole = new XdrWriter();
hole.hyper(4096n);
hole.uint(0);
const domains = {
  domains: [0, 1, 2].map((i) => ({ name: `vm${i}`, uuid: Buffer.alloc(16, i), id: i - 1 })),
  ret: 3,
};
const VALID: Buffer[] = [
  encodeFrame(H(1, MessageType.REPLY, MessageStatus.OK, 59), encodeToBuffer(RemoteConnectGetHostnameRetCodec, { hostname: 'fuzz-host' })),
  encodeFrame(H(1, MessageType.REPLY, MessageStatus.ERROR, 59), encodeToBuffer(RemoteErrorCodec, remoteError({ code: 42, message: 'no', dom: { name: 'd', uuid: Buffer.alloc(16), id: 1 } }))),
  encodeFrame(H(2, MessageType.REPLY, MessageStatus.OK, 273), encodeToBuffer(RemoteConnectListAllDomainsRetCodec, domains)),
  encodeFrame(H(3, MessageType.STREAM, MessageStatus.CONTINUE, 209), Buffer.from('stream data!')),
  encodeFrame(H(3, MessageType.STREAM, MessageStatus.OK, 209)),
  encodeFrame(H(3, MessageType.STREAM, MessageStatus.ERROR, 209), encodeToBuffer(RemoteErrorCodec, remoteError({ code: 1, message: 'x' }))),
  encodeFrame(H(3, MessageType.STREAM_HOLE, MessageStatus.CONTINUE, 209), hole.finish()),
  encodeFrame(
    H(0, MessageType.MESSAGE, MessageStatus.OK, 318),
    encodeToBuffer(RemoteDomainEventCallbackLifecycleMsgCodec, { callbackID: 1, msg: { dom: { name: 'vm', uuid: Buffer.alloc(16), id: 1 }, event: 0, detail: 0 } }),
  ),
  encodeFrame(H(0, MessageType.MESSAGE, MessageStatus.OK, 1, KEEPALIVE_PROGRAM)),
];

function mutate(rand: () => number, frame: Buffer): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const out = Buffer.from(frame);
  switch (int(7)) {
    case 0: // bit flips anywhere
      for (let i = 0, n = 1 + int(8); i < n; i++) out[int(out.length)]! ^= 1 << int(8);
      return out;
    case 1: // truncation, with the length word left as it was
      return out.subarray(0, int(out.length));
    case 2: // truncation with a consistent length word
    {
      const len = 28 + int(Math.max(1, out.length - 28));
      const t = Buffer.from(out.subarray(0, len));
      t.writeUInt32BE(len, 0);
      return t;
    }
    case 3: // a random length word
      out.writeUInt32BE(rand() < 0.5 ? int(64) : (rand() * 0x100000000) >>> 0, 0);
      return out;
    case 4: // a random header field (prog, vers, proc, type, serial, status)
      out.writeUInt32BE(rand() < 0.5 ? int(8) : (rand() * 0x100000000) >>> 0, 4 + 4 * int(6));
      return out;
    case 5: // garbage appended inside the frame
    {
      const extra = Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256)));
      const g = Buffer.concat([out, extra]);
      g.writeUInt32BE(g.length, 0);
      return g;
    }
    default: // payload words replaced by extreme values (lengths, counts, discriminants)
    {
      for (let i = 0, n = 1 + int(3); i < n && out.length >= 32; i++) {
        const at = 28 + 4 * int(Math.floor((out.length - 28) / 4));
        out.writeUInt32BE([0, 1, 2, 0x7fffffff, 0xffffffff, 0x80000000, 16384, 16385][int(8)]!, at);
      }
      return out;
    }
  }
}

function randomBytes(rand: () => number): Buffer {
  const len = Math.floor(rand() * 80);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
  if (len >= 4 && rand() < 0.5) b.writeUInt32BE(len, 0);
  return b;
}

describe('frame and dispatch fuzzing (unit)', function () {
  this.timeout(60_000);

  it(`survives ${ITERATIONS} random and mutated frames with only typed errors (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const untyped: unknown[] = [];
    const seen = new Map<string, number>();
    const record = (e: unknown): void => {
      if (!isTyped(e)) untyped.push(e);
      const name = e instanceof Error ? e.name : typeof e;
      seen.set(name, (seen.get(name) ?? 0) + 1);
    };
    const unhandled = (e: unknown): void => {
      untyped.push(e);
    };
    process.on('unhandledRejection', unhandled);
    const started = Date.now();
    let parserErrors = 0;
    let closedByFuzz = 0;
    try {
      for (let i = 0; i < ITERATIONS; i++) {
        const input = rand() < 0.15 ? randomBytes(rand) : mutate(rand, VALID[Math.floor(rand() * VALID.length)]!);

        // 1. The frame parser alone, fed in random splits.
        const parser = new FrameParser();
        try {
          for (let off = 0; off < input.length; ) {
            const n = 1 + Math.floor(rand() * input.length);
            parser.push(input.subarray(off, off + n));
            off += n;
          }
        } catch (e) {
          parserErrors++;
          assert.ok(ProtocolError.is(e), `parser threw ${String(e)}`);
        }

        // 2. A live client with two calls pending and an open stream.
        const server = new FakeServer();
        const client = new RpcClient(server, { keepaliveIntervalMs: 0, lookupProcedure: lookupLibvirtProcedure });
        client.onEvent(() => undefined);
        client.onClose((e) => {
          if (e) {
            closedByFuzz++;
            record(e);
          }
        });
        client.call(REMOTE_PROCEDURES.CONNECT_GET_HOSTNAME, undefined).catch(record);
        client.call(REMOTE_PROCEDURES.CONNECT_LIST_ALL_DOMAINS, { need_results: 10, flags: 0 }).catch(record);
        const vol = { pool: 'p', name: 'v', key: 'k' };
        client
          .callWithStream(REMOTE_PROCEDURES.STORAGE_VOL_DOWNLOAD, { vol, offset: 0n, length: 0n, flags: 0 })
          .then(({ stream }) => {
            stream.on('error', record);
            stream.resume();
          }, record);
        server.reply(server.received[2]!); // opens the stream on serial 3
        server.sendRaw(input);
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    assert.deepEqual(untyped.map(String), [], 'only typed errors');
    assert.ok(parserErrors > 1000, `the parser rejected only ${parserErrors} inputs: mutations too weak`);
    assert.ok(closedByFuzz > 1000, `only ${closedByFuzz} connections closed on bad input`);
    for (const kind of ['XdrError', 'LibvirtError', 'ProtocolError', 'ConnectionClosedError']) {
      assert.ok((seen.get(kind) ?? 0) > 100, `too few ${kind}s (${seen.get(kind) ?? 0}): the fuzzer does not reach that path`);
    }
    assert.ok(Date.now() - started < 60_000);
  });
});
