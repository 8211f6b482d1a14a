// What each VM's guest agent last said (facts, or why it could not answer), per connection: the
// tooltip and the details tab's Guest section read it, so a hover does not ask the agent again.
// The agent's own lifecycle event (VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE) drives it: connected →
// read the facts and redraw the VM's row; disconnected → forget them. A stop forgets them too.
// Refresh (the details tab's button) reads them again.

import type { Connection, DomainEvent, DomainRef } from '../libvirt/connection';
import { VirConnectDomainEventAgentLifecycleState, VirDomainEventType } from '../libvirt/generated/libvirtConstants';
import { GuestAgent, GuestAgentError } from '../libvirt/guestAgent';
import type { GuestFacts } from '../libvirt/guestFacts';

export type GuestFactsEntry =
  | { readonly kind: 'facts'; readonly facts: GuestFacts; readonly at: number }
  | { readonly kind: 'unavailable'; readonly error: GuestAgentError; readonly at: number };

export class GuestFactsCache {
  private readonly entries = new Map<string, GuestFactsEntry>();
  private readonly loading = new Map<string, Promise<GuestFactsEntry>>();
  private readonly listeners = new Set<(uuid: string) => void>();

  constructor(private readonly connection: () => Connection | undefined) {}

  /** What is known without asking (undefined: never asked since the VM started or the agent came up). */
  peek(uuid: string): GuestFactsEntry | undefined {
    return this.entries.get(uuid);
  }

  /** The cached entry, or the agent's answer now; `fresh` asks again. Other errors (connection lost) reject. */
  get(ref: DomainRef, fresh = false): Promise<GuestFactsEntry> {
    const known = this.entries.get(ref.uuid);
    if (known && !fresh) return Promise.resolve(known);
    const inflight = this.loading.get(ref.uuid);
    if (inflight) return inflight;
    const conn = this.connection();
    if (!conn) return Promise.reject(new Error('not connected'));
    const p = new GuestAgent(conn, ref)
      .facts()
      .then(
        (facts): GuestFactsEntry => ({ kind: 'facts', facts, at: Date.now() }),
        (e: unknown): GuestFactsEntry => {
          if (GuestAgentError.is(e)) return { kind: 'unavailable', error: e, at: Date.now() };
          throw e;
        },
      )
      .then((entry) => {
        this.entries.set(ref.uuid, entry);
        this.changed(ref.uuid);
        return entry;
      })
      .finally(() => this.loading.delete(ref.uuid));
    this.loading.set(ref.uuid, p);
    return p;
  }

  /** Called with a VM's uuid whenever its entry changed. */
  onDidChange(listener: (uuid: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Feed of the connection's domain events (agent lifecycle and lifecycle). */
  handle(e: DomainEvent): void {
    if (e.kind === 'agentLifecycle') {
      this.forget(e.dom.uuid);
      if (e.state === VirConnectDomainEventAgentLifecycleState.CONNECTED) void this.get(e.dom).catch(() => undefined);
    } else if (e.kind === 'lifecycle' && (e.event === VirDomainEventType.STOPPED || e.event === VirDomainEventType.UNDEFINED || e.event === VirDomainEventType.STARTED)) {
      this.forget(e.dom.uuid);
    }
  }

  /** Drops everything (the connection closed). */
  clear(): void {
    this.entries.clear();
  }

  private forget(uuid: string): void {
    if (this.entries.delete(uuid)) this.changed(uuid);
  }

  private changed(uuid: string): void {
    for (const l of [...this.listeners]) l(uuid);
  }
}
