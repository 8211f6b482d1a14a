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
import { XdrError, type XdrCodec, type XdrReader } from './rpc/xdr';
import type { DomainRef } from './refs';
import { readDomainRef } from './bulkDecoders';

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

/**
 * Reads a `remote_typed_param<max>` array straight into a record, without the intermediate
 * union objects of the generated codec (the bulk stats reply carries thousands of them). The
 * wire checks are the generated codec's: count against `max` and the bytes left, string
 * lengths, an unknown value type is an XdrError. A 64-bit value is joined from its two words
 * with one rounding, which gives the same number as Number() of the bigint.
 */
export function readTypedParams(r: XdrReader, max: number): TypedParams {
  const n = r.arrayLength(max);
  const out: TypedParams = {};
  for (let i = 0; i < n; i++) {
    const field = r.string(REMOTE_STRING_MAX);
    const type = r.int();
    switch (type) {
      case VirTypedParameterType.INT:
        out[field] = r.int();
        break;
      case VirTypedParameterType.UINT:
        out[field] = r.uint();
        break;
      case VirTypedParameterType.LLONG: {
        const hi = r.int();
        out[field] = hi * WORD + r.uint();
        break;
      }
      case VirTypedParameterType.ULLONG: {
        const hi = r.uint();
        out[field] = hi * WORD + r.uint();
        break;
      }
      case VirTypedParameterType.DOUBLE:
        out[field] = r.double();
        break;
      case VirTypedParameterType.BOOLEAN:
        out[field] = r.int() !== 0;
        break;
      case VirTypedParameterType.STRING:
        out[field] = r.string(REMOTE_STRING_MAX);
        break;
      default:
        throw new XdrError(`remote_typed_param_value: unknown discriminant ${type}`);
    }
  }
  return out;
}

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
  decode: (r) => {
    const n = r.arrayLength(REMOTE_DOMAIN_LIST_MAX);
    const out = new Array<DecodedDomainStats>(n);
    for (let i = 0; i < n; i++) {
      const dom = readDomainRef(r);
      out[i] = { dom, params: readTypedParams(r, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX) };
    }
    return out;
  },
};
