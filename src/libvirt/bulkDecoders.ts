// Decoders for the replies that carry one record per domain (list all, bulk stats): they read
// straight into the connection API's DomainRef instead of the generated wire structs, which are
// then converted again. Same checks as the generated codecs (remote_protocol.x maxima, bytes
// left, string lengths).

import { REMOTE_DOMAIN_LIST_MAX, REMOTE_STRING_MAX } from './generated/remoteProtocol';
import type { DomainRef } from './refs';
import { XdrError, type XdrCodec, type XdrReader } from './rpc/xdr';

/** remote_nonnull_domain as a DomainRef; the UUID is formatted from the reply's bytes, never copied. */
export function readDomainRef(r: XdrReader): DomainRef {
  const name = r.string(REMOTE_STRING_MAX);
  const uuid = r.uuidString();
  return { name, uuid, id: r.int() };
}

/** remote_connect_list_all_domains_ret: the domains (the trailing count is read and dropped). */
export const domainListRetDecoder: XdrCodec<DomainRef[]> = {
  name: 'remote_connect_list_all_domains_ret',
  encode: () => {
    throw new XdrError('remote_connect_list_all_domains_ret is decoded only');
  },
  decode: (r) => {
    const n = r.arrayLength(REMOTE_DOMAIN_LIST_MAX);
    const out = new Array<DomainRef>(n);
    for (let i = 0; i < n; i++) out[i] = readDomainRef(r);
    r.uint();
    return out;
  },
};
