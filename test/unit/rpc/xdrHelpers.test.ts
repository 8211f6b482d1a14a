import * as assert from 'node:assert/strict';
import { XdrReader, XdrWriter, decodeFromBuffer, encodeToBuffer, type XdrCodec } from '../../../src/libvirt/rpc/xdr';
import { xAlias, xArray, xInt, xLazy, xString, xStruct, xUnion, type UnionArm } from '../../../src/libvirt/rpc/xdrHelpers';
import { RemoteDomainGetXmlDescArgsCodec, RemoteTypedParamValueCodec } from '../../../src/libvirt/generated/remoteProtocol';

interface Pair {
  a: number;
  b: string;
}

describe('xdrHelpers: codecs built on first use (unit)', () => {
  it('builds a lazy codec once, on the first encode or decode, and keeps its name from the start', () => {
    let builds = 0;
    const c = xLazy('counted', () => {
      builds++;
      return xInt;
    });
    assert.equal(c.name, 'counted');
    assert.equal(builds, 0);
    const buf = encodeToBuffer(c, -7);
    assert.equal(builds, 1);
    assert.equal(decodeFromBuffer(c, buf), -7);
    assert.equal(decodeFromBuffer(c, encodeToBuffer(c, 42)), 42);
    assert.equal(builds, 1);
  });

  it('does not call a struct, union or typedef part function until the codec is used', () => {
    const calls: string[] = [];
    const s: XdrCodec<Pair> = xStruct('pair', () => {
      calls.push('struct');
      return { a: xInt, b: xString(16) };
    });
    const u: XdrCodec<{ d: 0; v: number } | { d: number }> = xUnion(
      'u',
      'd',
      xInt,
      () => {
        calls.push('union');
        return new Map<number, UnionArm>([[0, ['v', xInt]]]);
      },
      () => {
        calls.push('default');
        return null;
      },
    );
    const t = xAlias('pairs', () => {
      calls.push('typedef');
      return xArray(s, 4);
    });
    assert.deepEqual(calls, []);
    assert.equal(s.name, 'pair');
    assert.equal(u.name, 'u');
    assert.equal(t.name, 'pairs');
    assert.deepEqual(decodeFromBuffer(t, encodeToBuffer(t, [{ a: 1, b: 'x' }, { a: -2, b: 'yz' }])), [{ a: 1, b: 'x' }, { a: -2, b: 'yz' }]);
    assert.deepEqual(calls, ['typedef', 'struct']);
    assert.deepEqual(decodeFromBuffer(u, encodeToBuffer(u, { d: 0, v: 9 })), { d: 0, v: 9 });
    assert.deepEqual(decodeFromBuffer(u, encodeToBuffer(u, { d: 5 })), { d: 5 });
    assert.deepEqual(calls, ['typedef', 'struct', 'union', 'default']);
  });

  it('still rejects bad input after building: unknown union discriminant, string over its maximum', () => {
    const u: XdrCodec<{ d: 1; v: number }> = xUnion('strict', 'd', xInt, () => new Map<number, UnionArm>([[1, ['v', xInt]]]));
    const w = new XdrWriter();
    w.int(2);
    assert.throws(() => u.decode(new XdrReader(w.finish())), /strict: unknown discriminant 2/);
    const s: XdrCodec<Pair> = xStruct('pair', () => ({ a: xInt, b: xString(2) }));
    assert.throws(() => encodeToBuffer(s, { a: 1, b: 'abc' }));
  });

  it('round-trips generated codecs, whose names are known before first use', () => {
    assert.equal(RemoteTypedParamValueCodec.name, 'remote_typed_param_value');
    const v = { type: 3 as const, l: 5_000_000_000n };
    assert.deepEqual(decodeFromBuffer(RemoteTypedParamValueCodec, encodeToBuffer(RemoteTypedParamValueCodec, v)), v);
    const args = { dom: { name: 'vm', uuid: Buffer.alloc(16, 1), id: -1 }, flags: 2 };
    assert.deepEqual(decodeFromBuffer(RemoteDomainGetXmlDescArgsCodec, encodeToBuffer(RemoteDomainGetXmlDescArgsCodec, args)), args);
  });
});
