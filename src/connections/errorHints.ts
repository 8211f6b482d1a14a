// Plain-words guidance added to error messages of connection failures (matched by error class).

import { UnsupportedAuthError } from '../libvirt/rpc/errors';
import { HostKeyMismatchError, HostKeyRejectedError, TlsRejectedError } from '../libvirt/transport/transportErrors';
import type { ErrorHint } from '../ui/runCommand';

export const connectionErrorHints: readonly ErrorHint[] = [
  (e) =>
    HostKeyMismatchError.is(e)
      ? `To accept the new key, run: ssh-keygen -R ${e.host} -f ${e.knownHostsFile} and connect again.`
      : undefined,
  (e) => (HostKeyRejectedError.is(e) ? 'Connect again and accept the key if its fingerprint matches the server.' : undefined),
  (e) => (TlsRejectedError.is(e) ? 'Check the client certificate in the pkipath folder.' : undefined),
  (e) => (UnsupportedAuthError.is(e) ? 'Use an SSH connection instead.' : undefined),
];
