// Decoding of libvirt typed parameters (remote_typed_param in libvirt's remote_protocol.x:
// a field name and a union on virTypedParameterType, see libvirt-common.h) into a plain record.

import type { RemoteTypedParam, RemoteTypedParamValue } from './generated/remoteProtocol';
import { VirTypedParameterType } from './generated/libvirtConstants';

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
