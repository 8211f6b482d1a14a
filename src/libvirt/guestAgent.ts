// The QEMU guest agent through libvirt's own APIs: facts (virDomainGetGuestInfo with the OS,
// timezone, hostname, users, file systems and interfaces types; interfaces through
// virDomainInterfaceAddresses(AGENT) when libvirt predates the INTERFACES type, 7.10), the clock
// (virDomainGetTime/SetTime), fsfreeze/fsthaw, user passwords and shutdown through the agent.
// The facts themselves (types, decoding) are plain data in guestFacts.ts. Raw agent JSON (virDomainQemuAgentCommand) only for guest-ping and guest-fsfreeze-status, which
// libvirt has no API for.
//
// Every failure becomes a GuestAgentError whose `problem` says what the user can do about it:
// the VM has no agent channel (add one), the channel is there but nothing answers on it (install
// or start qemu-guest-agent in the guest), the agent answered too late, or the agent refused.
// libvirt reports "not connected" and "timed out" with one error code (AGENT_UNRESPONSIVE), so the
// two are told apart by the live XML's channel state (`<target … state='connected'/>`), never by
// the message text.

import type { Connection, DomainRef } from './connection';
import { VirDomainGuestInfoTypes as T, VirDomainInterfaceAddressesSource, VirDomainSetTimeFlags, VirDomainShutdownFlagValues, VirErrorNumber } from './generated/libvirtConstants';
import { LibvirtError } from './rpc/errors';
import type { TypedParams } from './typedParams';
import { decodeGuestInfo, type GuestFacts } from './guestFacts';
import { XmlDocument } from './xml/xmlDocument';

/** The virtio-serial port name the QEMU guest agent opens in the guest. */
export const AGENT_CHANNEL_NAME = 'org.qemu.guest_agent.0';

export type AgentProblem = 'notRunning' | 'noChannel' | 'notConnected' | 'timeout' | 'agentError';

/** A guest agent call failed; `problem` says why in terms a user can act on. */
export class GuestAgentError extends Error {
  constructor(
    readonly problem: AgentProblem,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'GuestAgentError';
  }

  static is(e: unknown): e is GuestAgentError {
    return e instanceof GuestAgentError;
  }
}

/** What each problem means for the user (the details panel and the commands show it). */
export const AGENT_PROBLEM_TEXT: Readonly<Record<AgentProblem, string>> = {
  notRunning: 'The VM is not running.',
  noChannel: `The VM has no guest agent channel (${AGENT_CHANNEL_NAME}).`,
  notConnected: 'The guest agent is not connected: qemu-guest-agent is not installed or not running in the guest (or the guest is still booting).',
  timeout: 'The guest agent did not answer in time.',
  agentError: 'The guest agent refused the request.',
};

// ------------------------------------------------------------------------------ channel

export type AgentChannelState = 'none' | 'connected' | 'disconnected' | 'unknown';

/**
 * The agent channel as the domain XML shows it: absent, or its live state (libvirt writes
 * `state='connected'|'disconnected'` on the target of a running VM's channel).
 */
export function agentChannelState(domainXml: string): AgentChannelState {
  const devices = XmlDocument.parse(domainXml).root.child('devices');
  for (const ch of devices?.elements('channel') ?? []) {
    const target = ch.child('target');
    if (target?.attr('name') !== AGENT_CHANNEL_NAME) continue;
    const state = target.attr('state');
    return state === 'connected' || state === 'disconnected' ? state : 'unknown';
  }
  return 'none';
}

// ------------------------------------------------------------------------------ calls

export type AgentConnection = Pick<
  Connection,
  | 'domainGetGuestInfo'
  | 'domainInterfaceAddresses'
  | 'domainGetTime'
  | 'domainSetTime'
  | 'domainFSFreeze'
  | 'domainFSThaw'
  | 'domainSetUserPassword'
  | 'domainShutdown'
  | 'qemuDomainAgentCommand'
  | 'domainGetXmlDesc'
>;

/** The facts the details panel and the tooltip show. */
const FACT_TYPES = T.OS | T.TIMEZONE | T.HOSTNAME | T.FILESYSTEM | T.USERS | T.INTERFACES;
/** Seconds a guest-ping may take (the agent answers in milliseconds when it runs). */
const PING_TIMEOUT_S = 5;

/** The guest agent of one VM. */
export class GuestAgent {
  constructor(
    private readonly conn: AgentConnection,
    readonly dom: DomainRef,
  ) {}

  /** OS, hostname, timezone, users, file systems with usage and addresses, in one call where libvirt allows. */
  async facts(): Promise<GuestFacts> {
    return this.run(async () => {
      let params: TypedParams;
      try {
        params = await this.conn.domainGetGuestInfo(this.dom, FACT_TYPES);
      } catch (e) {
        // libvirt before 7.10 knows no INTERFACES type: ask without it and read the addresses apart.
        if (!(LibvirtError.is(e) && e.code === VirErrorNumber.INVALID_ARG)) throw e;
        params = await this.conn.domainGetGuestInfo(this.dom, FACT_TYPES & ~T.INTERFACES);
        const facts = decodeGuestInfo(params);
        const ifaces = await this.conn.domainInterfaceAddresses(this.dom, VirDomainInterfaceAddressesSource.AGENT);
        return {
          ...facts,
          interfaces: ifaces.map((i) => ({
            name: i.name,
            ...(i.hwaddr ? { hwaddr: i.hwaddr } : {}),
            addrs: i.addrs.map((a) => ({ type: a.type === 1 ? ('ipv6' as const) : ('ipv4' as const), addr: a.addr, prefix: a.prefix })),
          })),
        };
      }
      return decodeGuestInfo(params);
    });
  }

  /** Resolves when the agent answers guest-ping. */
  async ping(timeoutSec = PING_TIMEOUT_S): Promise<void> {
    await this.run(() => this.conn.qemuDomainAgentCommand(this.dom, JSON.stringify({ execute: 'guest-ping' }), timeoutSec));
  }

  /** The guest's clock, ms since the epoch. */
  async time(): Promise<number> {
    const t = await this.run(() => this.conn.domainGetTime(this.dom));
    return t.seconds * 1000 + Math.floor(t.nseconds / 1e6);
  }

  /** Sets the guest's clock from its RTC, which QEMU keeps at the host's time (after a resume or restore it lags). */
  async syncTime(): Promise<void> {
    await this.run(() => this.conn.domainSetTime(this.dom, 0, 0, VirDomainSetTimeFlags.SYNC));
  }

  /** Freezes every file system the agent can freeze; returns how many it froze. */
  async freeze(): Promise<number> {
    return this.run(() => this.conn.domainFSFreeze(this.dom));
  }

  /** Thaws the frozen file systems; returns how many it thawed. */
  async thaw(): Promise<number> {
    return this.run(() => this.conn.domainFSThaw(this.dom));
  }

  /** 'frozen' or 'thawed' (guest-fsfreeze-status; libvirt has no API for it). */
  async freezeStatus(): Promise<'frozen' | 'thawed'> {
    const reply = await this.run(() => this.conn.qemuDomainAgentCommand(this.dom, JSON.stringify({ execute: 'guest-fsfreeze-status' }), PING_TIMEOUT_S));
    const parsed: unknown = reply === null ? undefined : JSON.parse(reply);
    const status = typeof parsed === 'object' && parsed !== null ? (parsed as { return?: unknown }).return : undefined;
    if (status !== 'frozen' && status !== 'thawed') throw new GuestAgentError('agentError', `guest-fsfreeze-status answered ${String(reply)}`);
    return status;
  }

  /** Sets `user`'s password in the guest (plain text; the agent hashes it). */
  async setUserPassword(user: string, password: string): Promise<void> {
    await this.run(() => this.conn.domainSetUserPassword(this.dom, user, password));
  }

  /** Asks the agent to power the guest off (no ACPI involved). */
  async shutdown(): Promise<void> {
    await this.run(() => this.conn.domainShutdown(this.dom, VirDomainShutdownFlagValues.GUEST_AGENT));
  }

  /** Runs one call and turns libvirt's agent errors into GuestAgentError. */
  private async run<R>(f: () => Promise<R>): Promise<R> {
    try {
      return await f();
    } catch (e) {
      throw await this.classify(e);
    }
  }

  private async classify(e: unknown): Promise<unknown> {
    if (!LibvirtError.is(e)) return e;
    const why = (problem: AgentProblem): GuestAgentError => new GuestAgentError(problem, `${AGENT_PROBLEM_TEXT[problem]} (${e.message})`, e);
    if (e.code === VirErrorNumber.ARGUMENT_UNSUPPORTED) return why('noChannel');
    if (e.code === VirErrorNumber.OPERATION_TIMEOUT) return why('timeout');
    if (e.code === VirErrorNumber.OPERATION_INVALID) return why('notRunning');
    if (e.code === VirErrorNumber.AGENT_UNRESPONSIVE || e.code === VirErrorNumber.AGENT_UNSYNCED) {
      const state = await this.conn.domainGetXmlDesc(this.dom, 0).then(agentChannelState, () => 'unknown' as const);
      if (state === 'none') return why('noChannel');
      if (state === 'disconnected') return why('notConnected');
      return why('timeout');
    }
    if (e.code === VirErrorNumber.INTERNAL_ERROR || e.code === VirErrorNumber.OPERATION_FAILED || e.code === VirErrorNumber.OPERATION_UNSUPPORTED || e.code === VirErrorNumber.NO_SUPPORT) return why('agentError');
    return e;
  }
}
