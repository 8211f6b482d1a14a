// Decoding of libvirt typed parameters (remote_typed_param in libvirt's remote_protocol.x:
// a field name and a union on virTypedParameterType, see libvirt-common.h) into a plain record.

import {
  REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX,
  REMOTE_DOMAIN_LIST_MAX,
  REMOTE_STRING_MAX,
  type RemoteTypedParam,
  type RemoteTypedParamValue,
} from './generated/remoteProtocol';
import { VirTypedParameterType } from './generated/libvirtConstants';
import { utf8Text, uuidText, XdrError, type XdrCodec } from './rpc/xdr';
import type { DomainRef } from './refs';

export type TypedParamValue = number | string | boolean;
export type TypedParams = Record<string, TypedParamValue>;

export class TypedParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypedParamError';
  }

  static is(e: unknown): e is TypedParamError {
    return e instanceof TypedParamError;
  }
}

/**
 * 64-bit values become numbers. The rare counter above 2^53 is rounded rather than rejected:
 * one odd counter must not make a whole bulk stats reply unreadable.
 */
export function decodeTypedParamValue(field: string, value: RemoteTypedParamValue): TypedParamValue {
  switch (value.type) {
    case VirTypedParameterType.INT:
      return value.i;
    case VirTypedParameterType.UINT:
      return value.ui;
    case VirTypedParameterType.LLONG:
      return Number(value.l);
    case VirTypedParameterType.ULLONG:
      return Number(value.ul);
    case VirTypedParameterType.DOUBLE:
      return value.d;
    case VirTypedParameterType.BOOLEAN:
      return value.b !== 0;
    case VirTypedParameterType.STRING:
      return value.s;
    default:
      throw new TypedParamError(`typed parameter ${field}: unknown type ${(value as { type: number }).type}`);
  }
}

export function decodeTypedParams(params: readonly RemoteTypedParam[]): TypedParams {
  const out: TypedParams = {};
  for (const p of params) out[p.field] = decodeTypedParamValue(p.field, p.value);
  return out;
}

/** 2^32, to join the two words of a hyper. */
const WORD = 4294967296;

// The type tags as module constants: compared against each parameter's type, where a property
// read of VirTypedParameterType per case would cost before V8 optimizes the decoder.
const T_INT = VirTypedParameterType.INT;
const T_UINT = VirTypedParameterType.UINT;
const T_LLONG = VirTypedParameterType.LLONG;
const T_ULLONG = VirTypedParameterType.ULLONG;
const T_DOUBLE = VirTypedParameterType.DOUBLE;
const T_BOOLEAN = VirTypedParameterType.BOOLEAN;
const T_STRING = VirTypedParameterType.STRING;

/** One domain's record of a bulk stats reply, decoded. */
export interface DecodedDomainStats {
  readonly dom: DomainRef;
  readonly params: TypedParams;
}

/**
 * Decoder of remote_connect_get_all_domain_stats_ret (libvirt remote_protocol.x) into the
 * connection API's records in one pass. Decode only: the client never sends this type.
 */
export const domainStatsRetDecoder: XdrCodec<DecodedDomainStats[]> = {
  name: 'remote_connect_get_all_domain_stats_ret',
  encode: () => {
    throw new XdrError('remote_connect_get_all_domain_stats_ret is decoded only');
  },
  decode: (r) => r.decodeRaw(decodeDomainStats),
};

/**
 * remote_connect_get_all_domain_stats_ret read in one function with a local offset: the records
 * (remote_nonnull_domain, then a remote_typed_param<REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX>
 * array) straight into DomainRef and a plain record per domain, without the generated codec's
 * union objects. The first replies on a connection are decoded before V8 has optimized anything,
 * where each call per field costs: this way a cold 1000-domain reply takes about a third of the
 * time of XdrReader calls (bench key client). The checks are the generated codec's: array
 * counts against their maxima and the bytes left, string lengths against REMOTE_STRING_MAX and the
 * bytes left, truncation anywhere, an unknown value type; each is an XdrError. A 64-bit value is
 * joined from its two words with one rounding, which gives the same number as Number() of the
 * bigint: the rare counter above 2^53 is rounded rather than rejected, so one odd counter cannot
 * make a whole reply unreadable.
 */
function decodeDomainStats(b: Buffer, start: number, end: number): { value: DecodedDomainStats[]; next: number } {
  let p = start;
  const truncated = (n: number, what: string): XdrError => new XdrError(`truncated data: ${what} needs ${n} bytes at offset ${p}, ${end - p} left`);
  // Words are read through a DataView, one builtin call each (big-endian, as XDR): before V8
  // optimizes this function (it runs a connection's first replies in its baseline code) that is
  // cheaper than four indexed reads and their shifts, and cheaper than a call to a function of ours
  // (a cold 1000-domain reply: 2.66-2.97 ms against 3.12-3.20 ms, medians of 30 fresh processes).
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const count = (n: number, max: number): number => {
    if (n > max) throw new XdrError(`array length ${n} exceeds maximum ${max}`);
    if (n * 4 > end - p) throw new XdrError(`array length ${n} exceeds the ${end - p} bytes left`);
    return n;
  };
  /** Where a string of `len` bytes starting at p ends, padding included; checked against the bytes left. */
  const stringEnd = (len: number): number => {
    if (len > REMOTE_STRING_MAX) throw new XdrError(`string length ${len} exceeds maximum ${REMOTE_STRING_MAX}`);
    const next = p + ((len + 3) & ~3);
    if (next > end) throw truncated(len + ((4 - (len % 4)) % 4), 'string');
    return next;
  };
  // The field names repeat in every record, mostly at the same index: the name read for index j
  // of the previous record is reused when its bytes match, which spares a string and the
  // look-up V8 makes to use a new string as a property name.
  const keyAt: number[] = [];
  const keyLen: number[] = [];
  const keyText: string[] = [];
  if (p + 4 > end) throw truncated(4, 'unsigned int');
  const n = count(dv.getInt32(p) >>> 0, REMOTE_DOMAIN_LIST_MAX);
  p += 4;
  const out = new Array<DecodedDomainStats>(n);
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw truncated(4, 'unsigned int');
    let len = dv.getInt32(p) >>> 0;
    p += 4;
    let next = stringEnd(len);
    const name = utf8Text(b, p, p + len);
    p = next;
    if (p + 24 > end) throw truncated(24, 'uuid, id and parameter count');
    const uuid = uuidText(b, p);
    const id = dv.getInt32(p + 16);
    p += 24;
    const m = count(dv.getInt32(p - 4) >>> 0, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX);
    const params: TypedParams = {};
    for (let j = 0; j < m; j++) {
      if (p + 4 > end) throw truncated(4, 'unsigned int');
      len = dv.getInt32(p) >>> 0;
      p += 4;
      next = stringEnd(len);
      let field: string;
      const at = keyAt[j];
      if (at !== undefined && keyLen[j] === len && sameWords(dv, at, p, len)) {
        field = keyText[j]!;
      } else {
        field = utf8Text(b, p, p + len);
        keyAt[j] = p;
        keyLen[j] = len;
        keyText[j] = field;
      }
      p = next;
      // The type and the value's first word.
      if (p + 8 > end) throw truncated(p + 4 > end ? 4 : 8, 'typed parameter');
      const type = dv.getInt32(p);
      const v = dv.getInt32(p + 4);
      p += 8;
      switch (type) {
        case T_INT:
          params[field] = v;
          break;
        case T_BOOLEAN:
          params[field] = v !== 0;
          break;
        case T_UINT:
          params[field] = v >>> 0;
          break;
        case T_LLONG:
        case T_ULLONG:
          if (p + 4 > end) throw truncated(4, 'hyper');
          params[field] = (type === T_LLONG ? v : v >>> 0) * WORD + (dv.getInt32(p) >>> 0);
          p += 4;
          break;
        case T_DOUBLE:
          if (p + 4 > end) throw truncated(4, 'double');
          params[field] = dv.getFloat64(p - 4);
          p += 4;
          break;
        case T_STRING: {
          const sn = stringEnd(v >>> 0);
          params[field] = utf8Text(b, p, p + (v >>> 0));
          p = sn;
          break;
        }
        default:
          throw new XdrError(`remote_typed_param_value: unknown discriminant ${type}`);
      }
    }
    out[i] = { dom: { name, uuid, id }, params };
  }
  return { value: out, next: p };
}

/**
 * Whether the strings of `len` bytes at x and y are the same, compared a word at a time with their
 * padding: both lie inside the reply (their lengths were checked), and equal words mean equal
 * bytes. Padding is zero in XDR; where a peer sends other bytes the name is only read again.
 */
function sameWords(dv: DataView, x: number, y: number, len: number): boolean {
  for (let k = 0; k < len; k += 4) if (dv.getInt32(x + k) !== dv.getInt32(y + k)) return false;
  return true;
}
