import * as assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, FRAME_HEADER_LEN, FRAME_MAX, FrameParser, writeFrameHeader, type Frame } from '../../../src/libvirt/rpc/frame';
import { XdrWriter } from '../../../src/libvirt/rpc/xdr';
import { ProtocolError } from '../../../src/libvirt/rpc/errors';

const header = (serial: number): Parameters<typeof encodeFrame>[0] => ({
  prog: 0x20008086,
  vers: 1,
  proc: 59,
  type: 1,
  serial,
  status: 0,
});

describe('frame parser (unit)', () => {
  it('round-trips a frame through encodeFrame and decodeFrame', () => {
    const f = decodeFrame(encodeFrame({ ...header(9), proc: -1, status: 2 }, Buffer.from('abcd')));
    assert.deepEqual({ ...f, payload: f.payload.toString() }, { ...header(9), proc: -1, status: 2, payload: 'abcd' });
  });

  it('writes the header words big-endian at their extremes (unsigned serial and program, signed procedure and status)', () => {
    const f = encodeFrame({ prog: 0xffffffff, vers: 0x01020304, proc: -2, type: 6, serial: 0xfffffffe, status: -1 }, Buffer.from([9]));
    assert.equal(f.toString('hex'), '0000001d' + 'ffffffff' + '01020304' + 'fffffffe' + '00000006' + 'fffffffe' + 'ffffffff' + '09');
    assert.deepEqual({ ...decodeFrame(f), payload: undefined }, { prog: 0xffffffff, vers: 0x01020304, proc: -2, type: 6, serial: 0xfffffffe, status: -1, payload: undefined });
  });

  it('writes a header in place before a payload encoded after reserved room, as encodeFrame does', () => {
    const w = new XdrWriter(8);
    w.reserve(FRAME_HEADER_LEN);
    w.string('qemu:///system');
    w.uint(0xdeadbeef);
    w.int(-5);
    const frame = w.finish();
    writeFrameHeader(frame, header(7));
    const payload = new XdrWriter();
    payload.string('qemu:///system');
    payload.uint(0xdeadbeef);
    payload.int(-5);
    assert.deepEqual(frame, encodeFrame(header(7), payload.finish()));
    assert.throws(() => writeFrameHeader(Buffer.alloc(FRAME_HEADER_LEN - 1), header(1)), ProtocolError);
  });

  it('reassembles frames fed one byte at a time', () => {
    const bytes = Buffer.concat([
      encodeFrame(header(1), Buffer.from('hello world!')),
      encodeFrame(header(2)),
      encodeFrame(header(3), Buffer.alloc(1000, 5)),
    ]);
    const parser = new FrameParser();
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...parser.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(frames.map((f) => f.serial), [1, 2, 3]);
    assert.equal(frames[0]!.payload.toString(), 'hello world!');
    assert.equal(frames[1]!.payload.length, 0);
    assert.ok(frames[2]!.payload.equals(Buffer.alloc(1000, 5)));
    assert.equal(parser.pending, 0);
  });

  it('returns several frames from one chunk and keeps a partial tail', () => {
    const a = encodeFrame(header(1), Buffer.from('x'));
    const b = encodeFrame(header(2), Buffer.from('yy'));
    const parser = new FrameParser();
    const out = parser.push(Buffer.concat([a, b, b.subarray(0, 10)]));
    assert.deepEqual(out.map((f) => f.serial), [1, 2]);
    assert.equal(parser.pending, 10);
    assert.deepEqual(parser.push(b.subarray(10)).map((f) => f.serial), [2]);
  });

  for (const len of [0, 4, 27, FRAME_MAX + 1, 0xffffffff]) {
    it(`rejects a length word of ${len} as soon as it is read, and stays failed`, () => {
      const parser = new FrameParser();
      const word = Buffer.alloc(4);
      word.writeUInt32BE(len, 0);
      assert.throws(() => parser.push(word), ProtocolError.is);
      assert.throws(() => parser.push(encodeFrame(header(1))), ProtocolError.is);
    });
  }

  it('accepts the largest legal length without waiting for more than it declares', () => {
    const parser = new FrameParser();
    const word = Buffer.alloc(4);
    word.writeUInt32BE(FRAME_MAX, 0);
    assert.deepEqual(parser.push(word), []);
    assert.equal(parser.pending, 4);
  });

  it('refuses to encode a payload beyond the message limit', () => {
    assert.throws(() => encodeFrame(header(1), Buffer.alloc(FRAME_MAX)), ProtocolError.is);
  });
});
