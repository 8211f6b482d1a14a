import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import {
  REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX,
  REMOTE_DOMAIN_LIST_MAX,
  REMOTE_STRING_MAX,
  RemoteConnectGetAllDomainStatsRetCodec,
  RemoteConnectListAllDomainsRetCodec,
  type RemoteConnectGetAllDomainStatsRet,
  type RemoteTypedParam,
} from '../../../src/libvirt/generated/remoteProtocol';
import { domainFromWire } from '../../../src/libvirt/refs';
import { XdrError, XdrWriter, decodeFromBuffer, encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import { decodeTypedParams, domainStatsRetDecoder } from '../../../src/libvirt/typedParams';
import { domainListRetDecoder } from '../../../src/libvirt/bulkDecoders';

/** What the generated codec plus decodeTypedParams make of the same bytes. */
function reference(buf: Buffer): unknown {
  const r = decodeFromBuffer(RemoteConnectGetAllDomainStatsRetCodec, buf);
  return r.retStats.map((s) => ({ dom: domainFromWire(s.dom), params: decodeTypedParams(s.params) }));
}

function randomHyper(signed: boolean): bigint {
  const v = crypto.randomBytes(8).readBigUInt64BE(0);
  // Values near 2^53 and 2^64 exercise the rounding of the two-word join.
  const pick = crypto.randomInt(4);
  const x = pick === 0 ? v : pick === 1 ? (1n << 53n) + (v & 0xffn) : pick === 2 ? (1n << 64n) - 1n - (v & 0xffffn) : v >> BigInt(crypto.randomInt(64));
  return signed ? BigInt.asIntN(64, x) : x;
}

describe('bulk domain stats decoder (unit)', () => {
  const params: RemoteTypedParam[] = [
    { field: 'state.state', value: { type: 1, i: -3 } },
    { field: 'ui', value: { type: 2, ui: 4000000000 } },
    { field: 'l', value: { type: 3, l: -(1n << 63n) } },
    { field: 'ul', value: { type: 4, ul: (1n << 64n) - 1n } },
    { field: 'd', value: { type: 5, d: 0.25 } },
    { field: 'b', value: { type: 6, b: 0 } },
    { field: 's', value: { type: 7, s: 'héllo' } },
  ];
  const dom = { name: 'vm-ü', uuid: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), id: 4 };

  it('gives the same records as the generated codec and decodeTypedParams, for every value type', () => {
    const ret: RemoteConnectGetAllDomainStatsRet = { retStats: [{ dom, params }, { dom: { ...dom, id: -1 }, params: [] }] };
    const buf = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, ret);
    const got = decodeFromBuffer(domainStatsRetDecoder, buf);
    assert.deepEqual(got, reference(buf));
    assert.deepEqual(got[0]!.params, { 'state.state': -3, ui: 4000000000, l: -(2 ** 63), ul: 2 ** 64, d: 0.25, b: false, s: 'héllo' });
    assert.equal(got[0]!.dom.uuid, '00112233-4455-6677-8899-aabbccddeeff');
  });

  it('reads the field names of each record when they differ from the record before', () => {
    // The decoder reuses a name read at the same index of the previous record when the bytes
    // match: names of the same length that differ, other lengths, other orders and counts.
    const p = (field: string, i: number): RemoteTypedParam => ({ field, value: { type: 1, i } });
    const retStats = [
      [p('state.state', 1), p('state.reason', 2), p('vcpu.current', 3)],
      [p('state.state', 4), p('state.reason', 5), p('vcpu.current', 6)],
      [p('state.stata', 7), p('state.reasoN', 8), p('vcpu.maximum', 9)],
      [p('state.reason', 10), p('state.state', 11)],
      [p('state.state', 12), p('state.reason', 13), p('vcpu.current', 14), p('balloon.current', 15)],
      [],
      [p('state.state', 16), p('st', 17), p('state.reason', 18)],
    ].map((params, i) => ({ dom: { ...dom, id: i }, params }));
    const buf = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, { retStats });
    const got = decodeFromBuffer(domainStatsRetDecoder, buf);
    assert.deepEqual(got, reference(buf));
    assert.deepEqual(got[2]!.params, { 'state.stata': 7, 'state.reasoN': 8, 'vcpu.maximum': 9 });
    assert.deepEqual(got[6]!.params, { 'state.state': 16, st: 17, 'state.reason': 18 });
  });

  it('reads a reply that starts at any offset of its buffer, and names whose padding is not zero', () => {
    // A reply is a view into the bytes received (its frame), at whatever offset the frame had.
    const p = (field: string, i: number): RemoteTypedParam => ({ field, value: { type: 1, i } });
    const retStats = [0, 1, 2].map((i) => ({ dom: { ...dom, id: i }, params: [p('state.state', i), p('vcpu.1.time', 10 + i), p('d', 7)] }));
    const buf = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, { retStats });
    for (let offset = 1; offset <= 7; offset++) {
      const big = Buffer.alloc(buf.length + offset + 5, 0xee);
      buf.copy(big, offset);
      assert.deepEqual(decodeFromBuffer(domainStatsRetDecoder, big.subarray(offset, offset + buf.length)), reference(buf), `offset ${offset}`);
    }
    // 'state.state' (11 bytes) has one byte of padding in each record: a peer that fills it with
    // something other than zero still gets its name read, in every record.
    const dirty = Buffer.from(buf);
    let padded = 0;
    for (let at = dirty.indexOf('state.state'); at >= 0; at = dirty.indexOf('state.state', at + 1)) {
      dirty[at + 11] = 0x41 + padded;
      padded++;
    }
    assert.equal(padded, 3);
    const got = decodeFromBuffer(domainStatsRetDecoder, dirty);
    assert.deepEqual(
      got.map((r) => r.params),
      [0, 1, 2].map((i) => ({ 'state.state': i, 'vcpu.1.time': 10 + i, d: 7 })),
    );
  });

  it('rounds 64-bit values exactly like Number() of the bigint', () => {
    const many: RemoteTypedParam[] = [];
    for (let i = 0; i < 2000; i++) {
      many.push(i % 2 ? { field: `u${i}`, value: { type: 4, ul: randomHyper(false) } } : { field: `l${i}`, value: { type: 3, l: randomHyper(true) } });
    }
    const buf = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, { retStats: [{ dom, params: many }] });
    assert.deepEqual(decodeFromBuffer(domainStatsRetDecoder, buf), reference(buf));
  });

  it('throws XdrError on an unknown value type, a count over the maximum and truncation at every cut', () => {
    const one = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, { retStats: [{ dom, params: [params[0]!] }] });
    const badType = Buffer.from(one);
    badType.writeInt32BE(99, badType.length - 8);
    assert.throws(() => decodeFromBuffer(domainStatsRetDecoder, badType), (e: unknown) => XdrError.is(e) && /unknown discriminant 99/.test(e.message));

    const overMax = new XdrWriter();
    overMax.uint(1);
    overMax.string(dom.name);
    overMax.bytes(dom.uuid);
    overMax.int(dom.id);
    overMax.uint(REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX + 1);
    assert.throws(() => decodeFromBuffer(domainStatsRetDecoder, overMax.finish()), (e: unknown) => XdrError.is(e) && /exceeds maximum/.test(e.message));

    const full = encodeToBuffer(RemoteConnectGetAllDomainStatsRetCodec, { retStats: [{ dom, params }] });
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(() => decodeFromBuffer(domainStatsRetDecoder, full.subarray(0, cut)), XdrError, `cut at ${cut}`);
    }
    assert.throws(() => decodeFromBuffer(domainStatsRetDecoder, Buffer.concat([full, Buffer.alloc(4)])), /trailing bytes/);
    assert.throws(() => encodeToBuffer(domainStatsRetDecoder, []), XdrError);
  });

  it('decodes a domain list like the generated codec, with its bounds checks', () => {
    const domains = Array.from({ length: 40 }, (_, i) => ({ name: `vm-${i}-é`, uuid: crypto.randomBytes(16), id: i % 3 ? -1 : i }));
    const buf = encodeToBuffer(RemoteConnectListAllDomainsRetCodec, { domains, ret: domains.length });
    const got = decodeFromBuffer(domainListRetDecoder, buf);
    assert.deepEqual(got, decodeFromBuffer(RemoteConnectListAllDomainsRetCodec, buf).domains.map(domainFromWire));
    assert.equal(got[7]!.uuid, domains[7]!.uuid.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'));
    for (let cut = 0; cut < buf.length; cut++) {
      assert.throws(() => decodeFromBuffer(domainListRetDecoder, buf.subarray(0, cut)), XdrError, `cut at ${cut}`);
    }
    assert.throws(() => decodeFromBuffer(domainListRetDecoder, Buffer.concat([buf, Buffer.alloc(4)])), /trailing bytes/);
    const long = new XdrWriter();
    long.uint(1);
    long.uint(REMOTE_STRING_MAX + 1);
    assert.throws(() => decodeFromBuffer(domainListRetDecoder, long.finish()), /exceeds maximum/);
    const w = new XdrWriter();
    w.uint(REMOTE_DOMAIN_LIST_MAX + 1);
    assert.throws(() => decodeFromBuffer(domainListRetDecoder, w.finish()), /exceeds maximum/);
    assert.throws(() => encodeToBuffer(domainListRetDecoder, []), XdrError);
  });
});
