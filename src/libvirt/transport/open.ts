// The one place that maps a parsed libvirt URI to a connected Transport.
// SSH runs in-process (the ssh2 package, like libvirt's libssh/libssh2 transports), so the
// command= (ssh binary) and no_tty= parameters of the OpenSSH-binary transport do not apply.

import * as os from 'node:os';
import type { ParsedUri } from '../uri';
import { localSocketPath, type DiscoveryEnv } from './discovery';
import type { SshPrompts } from './sshAuth';
import type { UnknownHostKey } from './sshHostKey';
import { remoteDaemonCommand } from './sshRemoteCommand';
// ssh2 takes about 75 ms to load: the SSH modules are imported only when an SSH URI is opened.
import type { SshSessionOptions, SshSessionPool } from './sshSession';
import type { PendingTransport } from './socketConnect';
import { startTcp } from './tcpTransport';
import { connectTls } from './tlsTransport';
import type { Transport } from './transport';
import { startUnix } from './unixTransport';

export interface TransportOptions {
  readonly readOnly?: boolean;
  /** TCP/unix/TLS connect timeout; SSH uses sshReadyTimeoutMs. Default 20 s. */
  readonly connectTimeoutMs?: number;
  /** Password, passphrase and keyboard-interactive prompts for SSH. */
  readonly sshPrompts?: SshPrompts;
  /** Asked about an unknown SSH host key (known_hosts_verify=normal); true accepts and records it. */
  readonly confirmUnknownHost?: (key: UnknownHostKey) => Promise<boolean>;
  /** Time for the SSH handshake and authentication, prompts included. Default 60 s. */
  readonly sshReadyTimeoutMs?: number;
  readonly sshPool?: SshSessionPool;
  /** For tests: where local sockets are looked for. */
  readonly discoveryEnv?: DiscoveryEnv;
}

export async function transportForUri(uri: ParsedUri, opts: TransportOptions = {}): Promise<Transport> {
  const { transport, connected } = await startTransport(uri, opts);
  await connected;
  return transport;
}

/**
 * The transport for a URI, possibly still connecting (see PendingTransport): unix and tcp sockets
 * take writes at once. TLS waits for the daemon's certificate verdict and SSH for its channel
 * before anything may be sent, so those are connected when this resolves.
 */
export async function startTransport(uri: ParsedUri, opts: TransportOptions = {}): Promise<PendingTransport> {
  const readOnly = opts.readOnly ?? false;
  switch (uri.transport) {
    case 'unix':
      return startUnix(localSocketPath(uri, readOnly, opts.discoveryEnv), opts.connectTimeoutMs);
    case 'tcp':
      return startTcp(uri.host!, uri.port!, opts.connectTimeoutMs);
    case 'tls':
      return connectedAlready(
        connectTls({
          host: uri.host!,
          port: uri.port!,
          pkipath: uri.params.pkipath,
          noVerify: uri.params.noVerify,
          timeoutMs: opts.connectTimeoutMs,
        }),
      );
    case 'ssh':
      return connectedAlready(connectSsh(uri, readOnly, opts));
  }
}

async function connectedAlready(transport: Promise<Transport>): Promise<PendingTransport> {
  return { transport: await transport, connected: Promise.resolve() };
}

async function connectSsh(uri: ParsedUri, readOnly: boolean, opts: TransportOptions): Promise<Transport> {
  const command = remoteDaemonCommand({
    daemonUri: uri.daemonUri(),
    readOnly,
    proxy: uri.params.proxy,
    mode: uri.params.mode,
    socket: uri.params.socket,
    netcat: uri.params.netcat,
  });
  const [{ sharedSshSessions }, { connectSshChannel }] = await Promise.all([import('./sshSession'), import('./sshTransport')]);
  const session = await (opts.sshPool ?? sharedSshSessions).acquire(sshSessionOptionsForUri(uri, opts));
  return connectSshChannel(session, command);
}

/** The SSH session a URI's transport uses; port forwards for the same URI share it. */
export function sshSessionOptionsForUri(uri: ParsedUri, opts: TransportOptions = {}): SshSessionOptions {
  return {
    host: uri.host!,
    port: uri.port!,
    user: uri.user ?? os.userInfo().username,
    auth: uri.params.sshauth,
    keyFile: uri.params.keyfile,
    prompts: opts.sshPrompts,
    readyTimeoutMs: opts.sshReadyTimeoutMs,
    hostKey: {
      knownHostsFile: uri.params.knownHosts,
      verify: uri.params.knownHostsVerify,
      noVerify: uri.params.noVerify,
      confirmUnknownHost: opts.confirmUnknownHost,
    },
  };
}
