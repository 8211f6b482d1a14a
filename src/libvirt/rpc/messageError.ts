// Decodes the error payload of REPLY/ERROR and STREAM/ERROR packets. Its layout is
// virNetMessageError (libvirt src/rpc/virnetprotocol.x), identical to remote_error in
// remote_protocol.x. Decoded here, not with the generated codec, because every program
// (remote, qemu, keepalive) shares it and the RPC core must not depend on one program.

import { XdrReader } from './xdr';
import { LibvirtError } from './errors';

/** VIR_NET_MESSAGE_STRING_MAX */
const STRING_MAX = 4194304;

function optionalString(r: XdrReader): string | null {
  return r.bool() ? r.string(STRING_MAX) : null;
}

/** Reads an optional {name; uuid[16]; ...} object reference and returns its name. */
function optionalObjectName(r: XdrReader, hasId: boolean): string | null {
  if (!r.bool()) return null;
  const name = r.string(STRING_MAX);
  r.opaqueFixed(16);
  if (hasId) r.int();
  return name;
}

/** Throws XdrError when the payload is not a well-formed virNetMessageError. */
export function decodeMessageError(payload: Buffer): LibvirtError {
  const r = new XdrReader(payload);
  const code = r.int();
  const domain = r.int();
  const message = optionalString(r);
  const level = r.int();
  const domainName = optionalObjectName(r, true);
  const str1 = optionalString(r);
  const str2 = optionalString(r);
  const str3 = optionalString(r);
  const int1 = r.int();
  const int2 = r.int();
  const networkName = optionalObjectName(r, false);
  r.done('remote_error');
  return new LibvirtError({
    code,
    domain,
    message: message ?? `libvirt error ${code}`,
    level,
    str1,
    str2,
    str3,
    int1,
    int2,
    domainName,
    networkName,
  });
}
