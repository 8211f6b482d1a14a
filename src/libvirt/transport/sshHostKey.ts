// Host key verification for SSH connections against an OpenSSH known_hosts file.
//   known key            accept
//   changed key          refuse with HostKeyMismatchError (never asks)
//   revoked key          refuse
//   unknown key          known_hosts_verify=normal: ask the injected callback, record if accepted
//                        known_hosts_verify=auto:   accept and record
//                        no_verify=1:               accept, record nothing (known keys still checked)
//                        known_hosts_verify=ignore: accept anything, check nothing

import * as os from 'node:os';
import * as path from 'node:path';
import type { KnownHostsVerify } from '../uri';
import { appendKnownHost, checkHostKey, keyTypeOf, knownHostsName, readKnownHosts, sha256Fingerprint } from './knownHosts';
import { HostKeyMismatchError, HostKeyRejectedError, TransportError } from './transportErrors';

export interface UnknownHostKey {
  readonly host: string;
  readonly port: number;
  readonly keyType: string;
  /** OpenSSH format, e.g. SHA256:abc... */
  readonly fingerprint: string;
  /** Key types already recorded for this host (a different type is offered now). */
  readonly otherKeyTypes: readonly string[];
}

export interface HostKeyPolicy {
  /** known_hosts= from the URI, default ~/.ssh/known_hosts. */
  readonly knownHostsFile?: string;
  readonly verify: KnownHostsVerify;
  readonly noVerify: boolean;
  /** Asks the user about an unknown host key; true accepts it (and records it). */
  readonly confirmUnknownHost?: (key: UnknownHostKey) => Promise<boolean>;
}

export function defaultKnownHostsFile(): string {
  return path.join(os.homedir(), '.ssh', 'known_hosts');
}

/** Resolves when the key is acceptable; rejects with a TransportError subclass otherwise. */
export async function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, key: Buffer): Promise<void> {
  if (policy.verify === 'ignore') return;
  const file = policy.knownHostsFile ?? defaultKnownHostsFile();
  const fingerprint = sha256Fingerprint(key);
  const name = knownHostsName(host, port);
  let status;
  try {
    status = checkHostKey(readKnownHosts(file), host, port, key);
  } catch (err) {
    throw new TransportError(`Cannot read the known hosts file ${file}`, { cause: err });
  }
  switch (status.kind) {
    case 'known':
      return;
    case 'changed':
      throw new HostKeyMismatchError(name, fingerprint, file);
    case 'revoked':
      throw new TransportError(`The SSH host key of ${name} (${fingerprint}) is marked @revoked in ${file}`);
    case 'unknown':
      break;
  }
  if (policy.noVerify) return;
  if (policy.verify === 'normal') {
    const ask = policy.confirmUnknownHost;
    const accepted = ask
      ? await ask({ host, port, keyType: keyTypeOf(key), fingerprint, otherKeyTypes: status.otherKeyTypes })
      : false;
    if (!accepted) throw new HostKeyRejectedError(name, fingerprint);
  }
  appendKnownHost(file, host, port, key);
}
