// Which shell a connection's schedules go through: the connection's own SSH session for
// qemu+ssh (the remote login user's crontab), this machine for local URIs (the crontab of the
// user VS Code runs as, which is the user that opened qemu:///system or ///session). TLS and TCP
// connections reach only libvirtd, which has no call that runs a program or edits a crontab,
// so schedules are refused there in plain words.

import { localHostExec } from '../transport/hostExec';
import { sshSessionOptionsForUri, type TransportOptions } from '../transport/open';
import { parseUri } from '../uri';
import { ScheduleHost, SchedulesUnavailableError } from './scheduleHost';

export interface OpenedScheduleHost {
  readonly host: ScheduleHost;
  /** Releases the SSH session reference (a no-op locally). */
  release(): void;
}

/** Undefined when schedules can work for this URI, else why not. */
export function schedulesUnsupportedReason(uri: string): string | undefined {
  const p = parseUri(uri);
  if (p.driver === 'test') return 'The test driver keeps no state between the runs of a schedule; schedules need a real hypervisor connection.';
  if (p.transport === 'tls' || p.transport === 'tcp') {
    return `Schedules run from the host's crontab, which is reached over SSH or on this machine; this connection uses ${p.transport.toUpperCase()}, which reaches only libvirtd. Add the host as a qemu+ssh:// connection to schedule its VMs.`;
  }
  return undefined;
}

export async function openScheduleHost(uri: string, opts: TransportOptions = {}): Promise<OpenedScheduleHost> {
  const reason = schedulesUnsupportedReason(uri);
  if (reason) throw new SchedulesUnavailableError(reason);
  const parsed = parseUri(uri);
  const daemonUri = parsed.daemonUri();
  if (parsed.transport === 'ssh') {
    const [{ sharedSshSessions }, { sshHostExec }] = await Promise.all([import('../transport/sshSession'), import('../transport/hostExec')]);
    const session = await (opts.sshPool ?? sharedSshSessions).acquire(sshSessionOptionsForUri(parsed, opts));
    return { host: new ScheduleHost(sshHostExec(session), daemonUri), release: () => session.release() };
  }
  return { host: new ScheduleHost(localHostExec('this machine'), daemonUri), release: () => undefined };
}
