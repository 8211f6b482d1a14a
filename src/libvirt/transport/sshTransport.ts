// The ssh transport: an exec channel on a shared SshSession running the remote daemon command
// (virt-ssh-helper or netcat, see sshRemoteCommand.ts). The channel's stderr is kept so that a
// failing remote command ("nc: command not found") surfaces as the error.

import type { ClientChannel } from 'ssh2';
import { DuplexTransport } from './duplexTransport';
import type { SshSession } from './sshSession';
import type { Transport } from './transport';
import { TransportError } from './transportErrors';

const STDERR_KEEP = 4096;

/** Opens the RPC channel on a retained session; the transport releases the session when closed. */
export async function connectSshChannel(session: SshSession, command: string): Promise<Transport> {
  let channel: ClientChannel;
  try {
    channel = await session.exec(command);
  } catch (err) {
    session.release();
    throw err;
  }
  let stderr = '';
  let exitError: Error | undefined;
  channel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += chunk.toString('utf8');
  });
  channel.on('exit', (code: number | null) => {
    if (code !== 0 && code !== null) {
      const detail = stderr.trim() || 'no error output';
      exitError = new TransportError(`The remote libvirt proxy command on ${session.label} exited with status ${code}: ${detail}`);
    }
  });
  return new DuplexTransport(channel, `ssh:${session.label}`, {
    release: () => session.release(),
    closeError: () => exitError,
  });
}
