import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  base64ToBytes,
  bytesToBase64,
  ChunkBatcher,
  decodePayload,
  FrameReceiver,
  RelayFramingError,
  type RelayFrame,
} from '../../../src/console/relayFraming';

/** A scheduler the test drives by hand: run() is the end of the event-loop turn. */
function manualScheduler(): { schedule: (fn: () => void) => void; run: () => void } {
  let queue: (() => void)[] = [];
  return {
    schedule: (fn) => queue.push(fn),
    run: () => {
      const q = queue;
      queue = [];
      q.forEach((f) => f());
    },
  };
}

describe('console relay framing (unit)', () => {
  it('base64 matches Node for every length 0..64 and random data', () => {
    for (let n = 0; n <= 64; n++) {
      const b = randomBytes(n);
      const text = bytesToBase64(b);
      assert.equal(text, b.toString('base64'));
      assert.deepEqual(Buffer.from(base64ToBytes(text)), b);
    }
    const big = randomBytes(100_003);
    assert.deepEqual(Buffer.from(base64ToBytes(bytesToBase64(big))), big);
  });

  it('rejects malformed base64', () => {
    assert.throws(() => base64ToBytes('ab$d'), RelayFramingError);
    assert.throws(() => base64ToBytes('abcde'), /length/);
  });

  it('merges chunks of one turn into one frame and numbers frames in order', () => {
    const s = manualScheduler();
    const frames: RelayFrame[] = [];
    const b = new ChunkBatcher((f) => frames.push(f), { maxBatchBytes: 1000, encoding: 'binary', schedule: s.schedule });
    b.push(Uint8Array.of(1, 2));
    b.push(Uint8Array.of(3));
    b.push(new Uint8Array(0));
    assert.equal(frames.length, 0);
    s.run();
    b.push(Uint8Array.of(4));
    s.run();
    assert.deepEqual(frames.map((f) => f.seq), [0, 1]);
    assert.deepEqual([...(frames[0]!.data as Uint8Array)], [1, 2, 3]);
    assert.deepEqual([...(frames[1]!.data as Uint8Array)], [4]);
  });

  it('flushes immediately when a batch reaches maxBatchBytes', () => {
    const s = manualScheduler();
    const frames: RelayFrame[] = [];
    const b = new ChunkBatcher((f) => frames.push(f), { maxBatchBytes: 4, encoding: 'base64', schedule: s.schedule });
    b.push(Uint8Array.of(1, 2, 3));
    b.push(Uint8Array.of(4, 5));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.data, Buffer.from([1, 2, 3, 4, 5]).toString('base64'));
    b.push(Uint8Array.of(6));
    b.close();
    b.push(Uint8Array.of(7));
    s.run();
    assert.equal(frames.length, 2);
    assert.deepEqual([...decodePayload(frames[1]!.data)], [6]);
  });

  it('the receiver restores the byte stream and refuses gaps', () => {
    const s = manualScheduler();
    const rx = new FrameReceiver();
    const out: number[] = [];
    const src = randomBytes(10_000);
    const b = new ChunkBatcher((f) => out.push(...rx.accept(f)), { maxBatchBytes: 777, encoding: 'base64', schedule: s.schedule });
    for (let off = 0; off < src.length; off += 100) b.push(src.subarray(off, off + 100));
    s.run();
    assert.deepEqual(Buffer.from(out), src);
    assert.throws(() => rx.accept({ seq: 99, data: '' }), /out of order/);
  });

  it('decodes the shapes postMessage may deliver', () => {
    assert.deepEqual([...decodePayload([1, 2, 255])], [1, 2, 255]);
    assert.deepEqual([...decodePayload({ 0: 9, 1: 8 })], [9, 8]);
    assert.deepEqual([...decodePayload(Uint8Array.of(5).buffer)], [5]);
    assert.deepEqual([...decodePayload(new DataView(Uint8Array.of(0, 7).buffer, 1))], [7]);
    assert.throws(() => decodePayload(42), RelayFramingError);
    assert.throws(() => decodePayload([300]), RelayFramingError);
  });
});
