// The command run on the SSH server to reach the libvirt daemon, equivalent to what libvirt's
// remote driver runs (src/rpc/virnetsocket.c, virNetSocketNewConnectSSH): virt-ssh-helper
// (which picks the right daemon socket on the remote side) if installed, else netcat on the
// daemon's unix socket. The script is fixed text; the only variable parts are single-quoted.

import type { DaemonMode, SshProxy } from '../uri';
import { TransportError } from './transportErrors';

/** Quotes a string as one POSIX sh word. */
export function shQuote(s: string): string {
  if (s.includes('\0')) throw new TransportError('a shell argument cannot contain a NUL byte');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The only daemon URIs handed to virt-ssh-helper. */
const DAEMON_URI_RE = /^[a-z][a-z0-9]*:\/\/\/(system|session)$/;

export interface RemoteCommandOptions {
  /** driver:///system or driver:///session (ParsedUri.daemonUri()). */
  readonly daemonUri: string;
  readonly readOnly: boolean;
  readonly proxy: SshProxy;
  readonly mode: DaemonMode;
  /** socket= from the URI: the daemon socket on the remote host, for netcat. */
  readonly socket?: string;
  /** netcat= from the URI: the netcat binary on the remote host. */
  readonly netcat?: string;
}

export function remoteDaemonCommand(o: RemoteCommandOptions): string {
  const m = DAEMON_URI_RE.exec(o.daemonUri);
  if (!m) throw new TransportError(`refusing to pass '${o.daemonUri}' to the remote host: not a driver:///system or ///session URI`);
  const helper = `virt-ssh-helper${o.readOnly ? ' -r' : ''} ${shQuote(o.daemonUri)}`;
  const netcat =
    `nc=${shQuote(o.netcat ?? 'nc')}; sock=${socketWord(o, m[1] === 'session')}; ` +
    `if "$nc" -q 2>&1 | grep -q 'requires an argument'; then exec "$nc" -q0 -U "$sock"; else exec "$nc" -U "$sock"; fi`;
  let script: string;
  switch (o.proxy) {
    case 'native':
      script = `exec ${helper}`;
      break;
    case 'netcat':
      script = netcat;
      break;
    case 'auto':
      script = `if command -v virt-ssh-helper >/dev/null 2>&1; then exec ${helper}; fi; ${netcat}`;
      break;
  }
  return `sh -c ${shQuote(script)}`;
}

/** The remote socket for netcat: socket= if given, else libvirt's default path (a fixed word). */
function socketWord(o: RemoteCommandOptions, session: boolean): string {
  if (o.socket !== undefined) return shQuote(o.socket);
  const name = o.mode === 'direct' ? `virt${o.daemonUri.split(':')[0]}d-sock` : 'libvirt-sock';
  if (session) return `"\${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/libvirt/${name}"`;
  return shQuote(`/var/run/libvirt/${name}${o.readOnly ? '-ro' : ''}`);
}
