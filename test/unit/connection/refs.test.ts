import * as assert from 'node:assert/strict';
import {
  domainFromWire,
  domainToWire,
  hyperToNumber,
  InvalidArgumentError,
  numberToUhyper,
  secretFromWire,
  secretToWire,
  uuidToBytes,
  uuidToString,
} from '../../../src/libvirt/refs';
import { decodeTypedParams, TypedParamError } from '../../../src/libvirt/typedParams';
import type { RemoteTypedParam } from '../../../src/libvirt/generated/remoteProtocol';
import { backoffDelay } from '../../../src/libvirt/managedConnection';

describe('connection refs and conversions (unit)', () => {
  const bytes = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');

  it('formats UUID bytes as 8-4-4-4-12 lowercase hex and parses them back', () => {
    assert.equal(uuidToString(bytes), '01234567-89ab-cdef-0123-456789abcdef');
    assert.ok(uuidToBytes('01234567-89AB-CDEF-0123-456789ABCDEF').equals(bytes));
    assert.ok(uuidToBytes('0123456789abcdef0123456789abcdef').equals(bytes));
  });

  it('formats every byte value, from a view into a larger buffer', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (let off = 0; off + 16 <= 256; off += 16) {
      const view = all.subarray(off, off + 16);
      const s = uuidToString(view);
      const h = view.toString('hex');
      assert.equal(s, `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
      assert.ok(uuidToBytes(s).equals(view));
    }
    assert.equal(uuidToString(new Uint8Array(16).fill(0xff)), 'ffffffff-ffff-ffff-ffff-ffffffffffff');
  });

  it('rejects malformed UUIDs with a typed error', () => {
    assert.throws(() => uuidToBytes('not-a-uuid'), InvalidArgumentError.is);
    assert.throws(() => uuidToBytes('01234567-89ab-cdef-0123-456789abcde'), InvalidArgumentError.is);
    assert.throws(() => uuidToString(Buffer.alloc(15)), InvalidArgumentError.is);
  });

  it('round-trips domain and secret refs through their wire shapes', () => {
    const wire = { name: 'vm1', uuid: bytes, id: 7 };
    const ref = domainFromWire(wire);
    assert.deepEqual(ref, { name: 'vm1', uuid: '01234567-89ab-cdef-0123-456789abcdef', id: 7 });
    assert.deepEqual(domainToWire(ref), wire);
    const secret = secretFromWire({ uuid: bytes, usageType: 2, usageID: 'vol' });
    assert.deepEqual(secret, { uuid: '01234567-89ab-cdef-0123-456789abcdef', usageType: 2, usageId: 'vol' });
    assert.deepEqual(secretToWire(secret), { uuid: bytes, usageType: 2, usageID: 'vol' });
  });

  it('converts hypers to numbers only when no precision is lost', () => {
    assert.equal(hyperToNumber(123n, 'x'), 123);
    assert.equal(hyperToNumber(BigInt(Number.MAX_SAFE_INTEGER), 'x'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => hyperToNumber(1n << 60n, 'memory'), /memory/);
    assert.equal(numberToUhyper(5, 'x'), 5n);
    assert.throws(() => numberToUhyper(-1, 'capacity'), InvalidArgumentError.is);
    assert.throws(() => numberToUhyper(1.5, 'capacity'), InvalidArgumentError.is);
  });

  it('decodes every typed parameter type into a plain record', () => {
    const params: RemoteTypedParam[] = [
      { field: 'i', value: { type: 1, i: -3 } },
      { field: 'ui', value: { type: 2, ui: 4000000000 } },
      { field: 'l', value: { type: 3, l: -5n } },
      { field: 'ul', value: { type: 4, ul: 1n << 40n } },
      { field: 'd', value: { type: 5, d: 0.25 } },
      { field: 'b', value: { type: 6, b: 1 } },
      { field: 's', value: { type: 7, s: 'running' } },
    ];
    assert.deepEqual(decodeTypedParams(params), { i: -3, ui: 4000000000, l: -5, ul: 2 ** 40, d: 0.25, b: true, s: 'running' });
    const bad = [{ field: 'x', value: { type: 9 } }] as unknown as RemoteTypedParam[];
    assert.throws(() => decodeTypedParams(bad), TypedParamError.is);
  });

  it('backs off exponentially up to the maximum, with jitter between half and all of the delay', () => {
    const b = { initialMs: 100, maxMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, b, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(n, b, () => 0)),
      [50, 100, 200],
    );
  });
});
