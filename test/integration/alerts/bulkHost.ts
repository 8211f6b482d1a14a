// An AlertHost over a real ManagedConnection that makes the bulk statistics call itself every
// interval (in the extension the tree's HostSession makes it and feeds the monitor). The readings
// go through the product's own perfCounters/PerfTracker/vmReading.

import type { DomainEvent, StoragePoolEvent } from '../../../src/libvirt/connection';
import { perfCounters, PerfTracker, type PerfCounters } from '../../../src/libvirt/domainPerf';
import type { AlertHost, HostSample } from '../../../src/libvirt/alerts/monitor';
import { vmReading } from '../../../src/libvirt/alerts/monitor';
import type { ConnectionState, ManagedConnection } from '../../../src/libvirt/managedConnection';
import type { Disposable } from '../../../src/libvirt/rpc/types';
import { TREE_STATS } from '../../../src/views/statsGroups';

export class BulkHost implements AlertHost {
  private readonly listeners = new Set<(s: HostSample) => void>();
  private readonly tracker = new PerfTracker();
  private timer: ReturnType<typeof setInterval> | undefined;
  private holds = 0;
  private busy = false;
  /** Bulk calls made (the monitor never asks for more than one per interval). */
  calls = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly managed: ManagedConnection,
    private readonly intervalMs = 1000,
  ) {}

  get state(): ConnectionState {
    return this.managed.state;
  }

  onStateChange(l: (s: ConnectionState) => void): Disposable {
    return this.managed.onStateChange(l);
  }

  onDomainEvent(l: (e: DomainEvent) => void): Disposable {
    return this.managed.onDomainEvent(l);
  }

  onStoragePoolEvent(l: (e: StoragePoolEvent) => void): Disposable {
    return this.managed.onStoragePoolEvent(l);
  }

  onDidSample(l: (s: HostSample) => void): Disposable {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  holdSampling(): Disposable {
    if (this.holds++ === 0) this.timer = setInterval(() => void this.sample(), this.intervalMs);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        if (--this.holds === 0 && this.timer) clearInterval(this.timer);
      },
    };
  }

  /** One bulk call; also used directly by tests that need the VM list without CPU rules. */
  async sample(): Promise<void> {
    const conn = this.managed.current();
    if (!conn || this.busy) return;
    this.busy = true;
    try {
      this.calls++;
      const stats = await conn.connectGetAllDomainStats(TREE_STATS, 0);
      const at = Date.now();
      const counters = new Map<string, PerfCounters>(stats.map(({ dom, params }) => [dom.uuid, perfCounters(params, at, dom.id !== -1)]));
      const added = this.tracker.update(counters);
      const sample: HostSample = { at, vms: stats.map(({ dom }) => vmReading(dom, counters.get(dom.uuid), added.get(dom.uuid), [])) };
      for (const l of [...this.listeners]) l(sample);
    } catch {
      // Disconnected meanwhile: the state listener reports it.
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
