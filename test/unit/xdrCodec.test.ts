import * as assert from 'node:assert/strict';
import {
  REMOTE_DOMAIN_LIST_MAX,
  RemoteConnectListAllDomainsRetCodec,
  RemoteDomainGetInfoRetCodec,
  RemoteErrorCodec,
  RemoteNonnullDomainCodec,
  RemoteStringCodec,
  RemoteTypedParamCodec,
  type RemoteConnectListAllDomainsRet,
  type RemoteError,
  type RemoteNonnullDomain,
  type RemoteTypedParam,
} from '../../src/libvirt/generated/remoteProtocol';
import { VirNetMessageHeaderCodec, VirNetStreamHoleCodec } from '../../src/libvirt/generated/virnetProtocol';
import { XdrError, XdrReader, XdrWriter, decodeFromBuffer, encodeToBuffer, uuidText, type XdrCodec } from '../../src/libvirt/rpc/xdr';

function roundTrip<T>(codec: XdrCodec<T>, v: T): Buffer {
  const buf = encodeToBuffer(codec, v);
  assert.deepEqual(decodeFromBuffer(codec, buf), v);
  return buf;
}

const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const dom: RemoteNonnullDomain = { name: 'vm1', uuid, id: -1 };

describe('generated XDR codecs (unit)', () => {
  it('encodes a domain with its fixed 16-byte uuid', () => {
    const buf = roundTrip(RemoteNonnullDomainCodec, dom);
    assert.equal(buf.toString('hex'), `00000003766d3100${uuid.toString('hex')}ffffffff`);
    assert.throws(() => encodeToBuffer(RemoteNonnullDomainCodec, { ...dom, uuid: Buffer.alloc(15) }), XdrError);
  });

  it('round-trips every arm of remote_typed_param', () => {
    const params: RemoteTypedParam[] = [
      { field: 'i', value: { type: 1, i: -5 } },
      { field: 'ui', value: { type: 2, ui: 4000000000 } },
      { field: 'l', value: { type: 3, l: -(1n << 62n) } },
      { field: 'ul', value: { type: 4, ul: (1n << 64n) - 1n } },
      { field: 'd', value: { type: 5, d: 1.5 } },
      { field: 'b', value: { type: 6, b: 1 } },
      { field: 's', value: { type: 7, s: 'héllo' } },
    ];
    for (const p of params) roundTrip(RemoteTypedParamCodec, p);
    const buf = encodeToBuffer(RemoteTypedParamCodec, params[3]!);
    assert.equal(buf.subarray(8).toString('hex'), '00000004ffffffffffffffff');
  });

  it('rejects an unknown union discriminant on decode and encode', () => {
    const w = new XdrWriter();
    w.string('f');
    w.int(99);
    w.int(0);
    assert.throws(() => decodeFromBuffer(RemoteTypedParamCodec, w.finish()), (e: unknown) => XdrError.is(e) && /unknown discriminant 99/.test(e.message));
    const bad = { field: 'x', value: { type: 42, i: 1 } } as unknown as RemoteTypedParam;
    assert.throws(() => encodeToBuffer(RemoteTypedParamCodec, bad), XdrError);
  });

  it('encodes optional data as a presence flag', () => {
    assert.equal(roundTrip(RemoteStringCodec, null).toString('hex'), '00000000');
    assert.equal(roundTrip(RemoteStringCodec, 'ab').toString('hex'), '000000010000000261620000');
    const err: RemoteError = {
      code: 42, domain: 12, message: 'Domain not found', level: 2, dom: { ...dom, id: 3 },
      str1: null, str2: 'x', str3: null, int1: -1, int2: 0, net: null,
    };
    roundTrip(RemoteErrorCodec, err);
  });

  it('round-trips hyper values as bigint', () => {
    const info = { state: 1, maxMem: 4194304n, memory: 2097152n, nrVirtCpu: 2, cpuTime: 123456789012345n };
    roundTrip(RemoteDomainGetInfoRetCodec, info);
    roundTrip(VirNetStreamHoleCodec, { length: -(1n << 63n), flags: 0 });
  });

  it('checks variable arrays against their maximum', () => {
    const ok: RemoteConnectListAllDomainsRet = { domains: [dom, { ...dom, name: 'vm2', id: 7 }], ret: 2 };
    roundTrip(RemoteConnectListAllDomainsRetCodec, ok);
    const tooMany = { domains: new Array<RemoteNonnullDomain>(REMOTE_DOMAIN_LIST_MAX + 1).fill(dom), ret: 0 };
    assert.throws(() => encodeToBuffer(RemoteConnectListAllDomainsRetCodec, tooMany), /exceeds maximum 16384/);
    const w = new XdrWriter();
    w.uint(REMOTE_DOMAIN_LIST_MAX + 1);
    assert.throws(() => decodeFromBuffer(RemoteConnectListAllDomainsRetCodec, w.finish()), (e: unknown) => XdrError.is(e) && /exceeds maximum/.test(e.message));
  });

  it('refuses an array count larger than the bytes left', () => {
    const w = new XdrWriter();
    w.uint(1000);
    w.int(0);
    assert.throws(() => decodeFromBuffer(RemoteConnectListAllDomainsRetCodec, w.finish()), /bytes left/);
  });

  it('throws XdrError on truncated input at every cut point', () => {
    const full = encodeToBuffer(RemoteErrorCodec, {
      code: 1, domain: 2, message: 'm', level: 2, dom: dom, str1: 'a', str2: null, str3: null, int1: 0, int2: 0, net: { name: 'n', uuid },
    });
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(() => RemoteErrorCodec.decode(new XdrReader(full.subarray(0, cut))), XdrError, `cut at ${cut}`);
    }
    assert.throws(() => decodeFromBuffer(VirNetMessageHeaderCodec, Buffer.alloc(28)), /trailing bytes/);
  });

  it('decodes strings in place: UTF-8, invalid bytes as U+FFFD, padding skipped, bounds kept', () => {
    const w = new XdrWriter();
    w.uint(7);
    w.string('héllo');
    w.uint(3);
    w.bytes(Buffer.from([0x61, 0xff, 0x62, 0]));
    w.string('');
    w.uint(9);
    const buf = w.finish();
    const r = new XdrReader(buf, 4, buf.length - 4);
    assert.equal(r.string(), 'héllo');
    assert.equal(r.string(), 'a\ufffdb');
    assert.equal(r.string(), '');
    r.done();
    assert.throws(() => new XdrReader(buf, 4, 12).string(), XdrError);
    assert.throws(() => new XdrReader(buf, 4).string(3), /exceeds maximum 3/);
  });

  it('rejects out-of-range integers and invalid bools', () => {
    assert.throws(() => encodeToBuffer(VirNetMessageHeaderCodec, { prog: -1, vers: 1, proc: 1, type: 0, serial: 0, status: 0 }), XdrError);
    const w = new XdrWriter();
    w.uint(2);
    assert.throws(() => decodeFromBuffer(RemoteStringCodec, w.finish()), /invalid bool/);
  });

  it('reads 32-bit integers at their limits, signed and unsigned, and stops at the reader end', () => {
    const values = [0, 1, -1, 0x7fffffff, -0x80000000, 0x12345678, -0x12345678];
    const unsigned = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xdeadbeef];
    const w = new XdrWriter();
    for (const v of values) w.int(v);
    for (const v of unsigned) w.uint(v);
    const buf = w.finish();
    const r = new XdrReader(buf);
    assert.deepEqual(values.map(() => r.int()), values);
    assert.deepEqual(unsigned.map(() => r.uint()), unsigned);
    r.done();
    // A reader window that ends inside the buffer: the bytes after its end are not read.
    const inner = new XdrReader(buf, 0, 6);
    inner.int();
    assert.throws(() => inner.int(), /truncated data: int needs 4 bytes at offset 4, 2 left/);
    assert.throws(() => inner.uint(), /truncated data: unsigned int needs 4 bytes/);
  });

  it('reads a 16-byte UUID as its 8-4-4-4-12 lowercase hex string, and refuses a truncated one', () => {
    const w = new XdrWriter();
    w.bytes(uuid);
    w.bytes(Buffer.from('FFFFFFFF000000000000000000000001', 'hex'));
    const buf = w.finish();
    const r = new XdrReader(buf);
    assert.equal(r.uuidString(), '00112233-4455-6677-8899-aabbccddeeff');
    assert.equal(r.uuidString(), 'ffffffff-0000-0000-0000-000000000001');
    r.done();
    assert.throws(() => new XdrReader(buf, 0, 15).uuidString(), /truncated data: fixed opaque needs 16 bytes/);
  });

  it('formats every byte value of a UUID, at any offset, and each UUID apart from the one before', () => {
    const bytes = Buffer.alloc(256 + 16 + 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
    const seen: string[] = [];
    for (let at = 0; at + 16 <= bytes.length; at++) {
      const h = bytes.toString('hex', at, at + 16);
      const expected = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      assert.equal(uuidText(bytes, at), expected, `at ${at}`);
      seen.push(expected);
    }
    const again = seen.map((_, at) => uuidText(bytes, at));
    assert.deepEqual(again, seen);
    assert.equal(new Set(seen.map((u) => u.slice(0, 2))).size, 256, 'every byte value was a first byte');
    assert.throws(() => uuidText(bytes, bytes.length - 15), RangeError);
  });
});
