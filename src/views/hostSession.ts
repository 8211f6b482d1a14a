// The live state of one connection as the tree shows it: VM snapshots from one bulk stats call,
// domain XML digests fetched lazily, and event-driven refreshes coalesced per connection.

import type * as vscode from 'vscode';
import type { ConnectionConfig } from '../connections/connectionConfig';
import { VirConnectListAllDomainsFlags, VirDomainEventType } from '../libvirt/generated/libvirtConstants';
import { PERF_STATS, TREE_STATS } from './statsGroups';
import type { DomainRef } from '../libvirt/refs';
import type { TypedParams } from '../libvirt/typedParams';
import { perfCounters, PerfTracker, type PerfCounters, type PerfSource, type PerfUpdate } from '../libvirt/domainPerf';
import { errorMessage } from '../ui/log';
import { Coalescer } from './coalescer';
import { summarizeDomainXml, type DomainSummary } from '../libvirt/xml/summary';
import type { Connection, DomainEvent } from '../libvirt/connection';
import { readHostDetails, type HostDetails } from '../libvirt/hostDetails';
import type { ConnectionState, ManagedConnection } from '../libvirt/managedConnection';
import type { Disposable } from '../libvirt/rpc/types';
import { ConnectionNode } from './nodes/connectionNode';
import { GroupNode, type GroupKind } from './nodes/groupNode';
import { VmNode } from './nodes/vmNode';
import type { TreeContext, TreeNode } from './treeNode';
import { runningCount, stateName, type VmStateName } from './vmState';

export interface VmSnapshot {
  readonly ref: DomainRef;
  readonly state: VmStateName;
  readonly stateCode: number;
  readonly reason: number;
  readonly vcpus?: number;
  readonly memoryKiB?: number;
  readonly maxMemoryKiB?: number;
  readonly cpuTimeNs?: number;
  readonly tags: readonly string[];
  /** Whether libvirtd starts the VM when it starts (from the bulk AUTOSTART listing). */
  readonly autostart: boolean;
}

type DomainEventKind = DomainEvent['kind'];
/** Event kinds that change the domain XML (so the hardware list and tooltip must reload). */
const XML_EVENTS: readonly DomainEventKind[] = ['lifecycle', 'deviceAdded', 'deviceRemoved', 'metadataChange', 'tunable', 'diskChange', 'trayChange', 'memoryDeviceSizeChange'];
/** Event kinds after which state, vCPUs or memory may differ; the only ones the tree registers for. */
const STATE_EVENTS: readonly DomainEventKind[] = [...XML_EVENTS, 'pmSuspend', 'pmWakeup', 'pmSuspendDisk', 'balloonChange', 'controlError'];

function num(params: TypedParams, key: string): number | undefined {
  const v = params[key];
  return typeof v === 'number' ? v : undefined;
}

function sameSnapshot(a: VmSnapshot, b: VmSnapshot): boolean {
  return (
    a.ref.name === b.ref.name &&
    a.ref.id === b.ref.id &&
    a.state === b.state &&
    a.vcpus === b.vcpus &&
    a.memoryKiB === b.memoryKiB &&
    a.autostart === b.autostart &&
    a.tags.join('\0') === b.tags.join('\0')
  );
}

type Work = 'domains' | GroupKind;

export class HostSession implements Disposable {
  readonly node: ConnectionNode;
  readonly groups: Readonly<Record<GroupKind, GroupNode>>;
  private vms = new Map<string, VmSnapshot>();
  private readonly vmNodes = new Map<string, VmNode>();
  private readonly summaries = new Map<string, Promise<DomainSummary>>();
  private readonly tags = new Map<string, readonly string[]>();
  private readonly xmlDirty = new Set<string>();
  private readonly startedAt = new Map<string, number>();
  private readonly disposables: Disposable[] = [];
  private readonly coalescer: Coalescer<Work>;
  private loaded = false;
  private loadError: string | undefined;
  private refreshing: Promise<Set<string>> | undefined;
  private refreshAgain = false;
  private started = false;
  private disposed = false;
  private lastFailure: Extract<ConnectionState, { kind: 'disconnected' }> | undefined;
  private shownKey: string | undefined;
  private details: HostDetails | undefined;
  private readonly perf = new PerfTracker();
  private readonly perfWatchers = new Map<string, Set<(u: PerfUpdate) => void>>();

  constructor(
    readonly config: ConnectionConfig,
    readonly managed: ManagedConnection,
    private readonly ctx: TreeContext,
  ) {
    this.node = new ConnectionNode(this);
    this.groups = {
      networks: new GroupNode(this, 'networks'),
      pools: new GroupNode(this, 'pools'),
      devices: new GroupNode(this, 'devices'),
    };
    this.coalescer = new Coalescer<Work>((items) => void this.flush(items), 150, 1000);
    this.disposables.push(
      managed.onStateChange(() => this.onState()),
      managed.onDomainEvent((e) => this.onDomainEvent(e), { kinds: STATE_EVENTS }),
      managed.onNetworkEvent(() => this.coalescer.add('networks')),
      managed.onStoragePoolEvent(() => this.coalescer.add('pools')),
    );
  }

  get id(): string {
    return this.config.id;
  }

  get log(): vscode.LogOutputChannel {
    return this.ctx.log;
  }

  get treeContext(): TreeContext {
    return this.ctx;
  }

  /** The open connection, if any. */
  connection(): Connection | undefined {
    const s = this.managed.state;
    return s.kind === 'connected' ? s.conn : undefined;
  }

  /** Connects an autoconnect connection the first time the tree shows it. */
  ensureStarted(): void {
    if (this.started) return;
    this.started = true;
    if (this.config.autoconnect && this.managed.state.kind === 'idle') {
      this.managed.connect().catch((err: unknown) => this.ctx.log.warn(`${this.config.name}: ${errorMessage(err)}`));
    } else if (this.managed.state.kind === 'connected') {
      void this.refresh();
    }
  }

  /** Host name, versions, CPU and memory: read once per connect (undefined until then). */
  get hostDetails(): HostDetails | undefined {
    return this.details;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  get error(): string | undefined {
    return this.loadError;
  }

  snapshots(): VmSnapshot[] {
    return [...this.vms.values()];
  }

  snapshot(uuid: string): VmSnapshot | undefined {
    return this.vms.get(uuid);
  }

  vmNode(uuid: string): VmNode | undefined {
    if (!this.vms.has(uuid)) return undefined;
    let node = this.vmNodes.get(uuid);
    if (!node) {
      node = new VmNode(this, uuid);
      this.vmNodes.set(uuid, node);
    }
    return node;
  }

  /** Whether a details panel shows the performance of one of this connection's VMs. */
  get perfWatched(): boolean {
    return this.perfWatchers.size > 0;
  }

  /** The performance of one VM, fed by this session's bulk stats refreshes (never a call of its own). */
  perfSource(uuid: string): PerfSource {
    return {
      samples: () => this.perf.samples(uuid),
      active: () => (this.vms.get(uuid)?.ref.id ?? -1) !== -1,
      watch: (listener) => {
        const first = !this.perfWatched;
        let set = this.perfWatchers.get(uuid);
        if (!set) this.perfWatchers.set(uuid, (set = new Set()));
        set.add(listener);
        this.ctx.statsDemandChanged();
        // Read the disk and network counters now, so the first rates come one interval later.
        if (first) void this.refresh();
        return {
          dispose: () => {
            const s = this.perfWatchers.get(uuid);
            if (!s?.delete(listener)) return;
            if (s.size === 0) this.perfWatchers.delete(uuid);
            this.ctx.statsDemandChanged();
          },
        };
      },
    };
  }

  /** When this window saw the VM start (libvirt reports no uptime). */
  startedSince(uuid: string): number | undefined {
    return this.startedAt.get(uuid);
  }

  /** The XML digest of a VM, fetched once and kept until an event changes the XML. */
  summary(ref: DomainRef): Promise<DomainSummary> {
    let p = this.summaries.get(ref.uuid);
    if (!p) {
      const conn = this.connection();
      if (!conn) return Promise.reject(new Error('not connected'));
      p = conn.domainGetXmlDesc(ref, 0).then((xml) => {
        const s = summarizeDomainXml(xml);
        this.rememberTags(ref.uuid, s.tags);
        return s;
      });
      p.catch(() => this.summaries.delete(ref.uuid));
      this.summaries.set(ref.uuid, p);
    }
    return p;
  }

  /**
   * Reloads the VM list (events, Refresh, poller). One load at a time: a request during a load
   * runs one more load after it, so an older reply never overwrites a newer one. Resolves with
   * the VMs whose nodes were refreshed.
   */
  refresh(): Promise<Set<string>> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async (): Promise<Set<string>> => {
      const fired = new Set<string>();
      do {
        this.refreshAgain = false;
        for (const uuid of await this.loadDomains()) fired.add(uuid);
      } while (this.refreshAgain && !this.disposed);
      return fired;
    };
    const p = run().finally(() => {
      if (this.refreshing === p) this.refreshing = undefined;
    });
    this.refreshing = p;
    return p;
  }

  /** Reloads the group lists and XML digests too (explicit Refresh). */
  async refreshAll(): Promise<void> {
    this.summaries.clear();
    await this.refresh();
    this.ctx.fire([this.node]);
  }

  dispose(): void {
    this.disposed = true;
    this.coalescer.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /**
   * The state the connection row shows. While ManagedConnection retries by itself after a failure,
   * the row keeps showing that failure (its tooltip says a retry is under way) instead of flipping
   * to "connecting" and back at every attempt: each flip re-renders the row, which also closes a
   * context menu the user has open on it. A new failure reason, a success, or a disconnect shows.
   */
  get displayState(): ConnectionState {
    const s = this.managed.state;
    if (s.kind === 'connecting' && s.attempt > 1 && this.lastFailure) return this.lastFailure;
    return s;
  }

  private onState(): void {
    const state = this.managed.state;
    this.ctx.log.info(`${this.config.name}: ${state.kind}${state.kind === 'disconnected' ? ` (${state.reason})` : ''}`);
    if (state.kind === 'disconnected') this.lastFailure = state;
    else if (state.kind !== 'connecting') this.lastFailure = undefined;
    const shown = this.displayState;
    const key = shown.kind === 'disconnected' ? `disconnected\0${shown.reason}` : shown.kind;
    const unchanged = key === this.shownKey && state.kind !== 'connected';
    this.shownKey = key;
    if (state.kind === 'connected') {
      this.started = true;
      this.summaries.clear();
      const conn = state.conn;
      const details = readHostDetails(conn).then((d) => {
        if (this.connection() === conn) this.details = d;
      });
      void Promise.all([this.refresh(), details]).then(() => this.ctx.fire([this.node]));
    } else {
      this.details = undefined;
      this.loaded = false;
      this.loadError = undefined;
      this.vms = new Map();
      this.vmNodes.clear();
      this.summaries.clear();
    }
    if (!unchanged) this.ctx.fire([this.node]);
  }

  private onDomainEvent(e: DomainEvent): void {
    this.ctx.log.trace(`${this.config.name}: event ${e.kind} ${e.dom.name}`);
    if (e.kind === 'lifecycle') {
      const t = e.event;
      if (t === VirDomainEventType.STARTED || t === VirDomainEventType.RESUMED) {
        if (t === VirDomainEventType.STARTED || !this.startedAt.has(e.dom.uuid)) this.startedAt.set(e.dom.uuid, Date.now());
      } else if (t === VirDomainEventType.STOPPED || t === VirDomainEventType.UNDEFINED) {
        this.startedAt.delete(e.dom.uuid);
      }
    }
    if (XML_EVENTS.includes(e.kind)) {
      this.summaries.delete(e.dom.uuid);
      this.xmlDirty.add(e.dom.uuid);
    }
    if (STATE_EVENTS.includes(e.kind)) this.coalescer.add('domains');
  }

  private async flush(items: ReadonlySet<Work>): Promise<void> {
    if (this.disposed) return;
    const changed: TreeNode[] = [];
    if (items.has('domains')) {
      const dirty = [...this.xmlDirty];
      this.xmlDirty.clear();
      const fired = await this.refresh();
      for (const uuid of dirty) {
        const node = this.vmNodes.get(uuid);
        if (node && !fired.has(uuid)) changed.push(node);
      }
    }
    for (const g of ['networks', 'pools', 'devices'] as const) if (items.has(g)) changed.push(this.groups[g]);
    if (changed.length > 0) this.ctx.fire(changed);
  }

  /**
   * One bulk stats call plus two filtered listings (managed save, autostart; see
   * virConnectListAllDomainsFlags in libvirt-domain.h), never a call per VM; fires the smallest set
   * of changed nodes. Autostart changes emit no domain event, so the autostart commands call
   * refresh() themselves and the stats poller picks up changes made elsewhere.
   */
  private async loadDomains(): Promise<Set<string>> {
    const fired = new Set<string>();
    const conn = this.connection();
    if (!conn) return fired;
    let next: Map<string, VmSnapshot>;
    const readings = new Map<string, PerfCounters>();
    try {
      const [stats, saved, autostart] = await Promise.all([
        conn.connectGetAllDomainStats(TREE_STATS | (this.perfWatched ? PERF_STATS : 0), 0),
        conn.connectListAllDomains(VirConnectListAllDomainsFlags.MANAGEDSAVE),
        conn.connectListAllDomains(VirConnectListAllDomainsFlags.AUTOSTART),
      ]);
      const savedSet = new Set(saved.map((d) => d.uuid));
      const autostartSet = new Set(autostart.map((d) => d.uuid));
      next = new Map();
      for (const { dom, params } of stats) {
        const code = num(params, 'state.state') ?? 0;
        next.set(dom.uuid, {
          ref: dom,
          state: stateName(code, savedSet.has(dom.uuid)),
          stateCode: code,
          reason: num(params, 'state.reason') ?? 0,
          vcpus: num(params, 'vcpu.current'),
          memoryKiB: num(params, 'balloon.current'),
          maxMemoryKiB: num(params, 'balloon.maximum'),
          cpuTimeNs: num(params, 'cpu.time'),
          tags: this.tags.get(dom.uuid) ?? [],
          autostart: autostartSet.has(dom.uuid),
        });
        readings.set(dom.uuid, perfCounters(params, Date.now(), dom.id !== -1));
      }
    } catch (err) {
      if (this.connection() !== conn || this.disposed) return fired;
      const wasError = this.loadError;
      this.loadError = errorMessage(err);
      this.ctx.log.error(`${this.config.name}: listing VMs failed: ${this.loadError}`);
      if (wasError !== this.loadError) this.ctx.fire([this.node]);
      return fired;
    }
    if (this.connection() !== conn || this.disposed) return fired;
    const firstLoad = !this.loaded || this.loadError !== undefined;
    const prev = this.vms;
    this.vms = next;
    this.loaded = true;
    this.loadError = undefined;
    this.updatePerf(readings);
    const structural = firstLoad || prev.size !== next.size || [...next.keys()].some((k) => !prev.has(k));
    for (const uuid of prev.keys()) if (!next.has(uuid)) this.vmNodes.delete(uuid);
    if (structural && this.ctx.filter.tags.length > 0) void this.loadTagsForFilter();
    // The connection row shows the running count (tooltip) and the filtered count (description).
    if (structural || this.filterDependsOnState(prev, next) || runningCount(prev.values()) !== runningCount(next.values())) {
      this.ctx.fire([this.node]);
      for (const uuid of next.keys()) fired.add(uuid);
      return fired;
    }
    const changed: TreeNode[] = [];
    for (const [uuid, snap] of next) {
      const old = prev.get(uuid);
      const node = this.vmNodes.get(uuid);
      if (old && node && !sameSnapshot(old, snap)) {
        changed.push(node);
        fired.add(uuid);
      }
    }
    if (changed.length > 0) this.ctx.fire(changed);
    return fired;
  }

  private updatePerf(readings: ReadonlyMap<string, PerfCounters>): void {
    const added = this.perf.update(readings);
    for (const [uuid, listeners] of this.perfWatchers) {
      const update: PerfUpdate = { active: readings.get(uuid)?.active ?? false, sample: added.get(uuid) };
      for (const l of [...listeners]) l(update);
    }
  }

  /** With a state, tag or name filter, a change can move a VM in or out of the list. */
  private filterDependsOnState(prev: Map<string, VmSnapshot>, next: Map<string, VmSnapshot>): boolean {
    const f = this.ctx.filter;
    if (f.states.length === 0 && f.tags.length === 0 && f.names.length === 0) return false;
    for (const [uuid, snap] of next) {
      const old = prev.get(uuid);
      if (old && (old.state !== snap.state || old.ref.name !== snap.ref.name || old.tags.join('\0') !== snap.tags.join('\0'))) return true;
    }
    return false;
  }

  /**
   * Tags live in each VM's metadata, which no bulk call returns. While a `tag:` filter is active
   * the XML of every VM whose tags are unknown is fetched once (pipelined through the client's
   * in-flight cap, cached like any summary and dropped on XML-changing events), then the list is
   * filtered again. Without a tag filter nothing is fetched.
   */
  async loadTagsForFilter(): Promise<void> {
    if (this.ctx.filter.tags.length === 0 || !this.connection()) return;
    const missing = [...this.vms.values()].filter((v) => !this.tags.has(v.ref.uuid)).map((v) => v.ref);
    if (missing.length === 0) return;
    await Promise.allSettled(missing.map((ref) => this.summary(ref)));
    if (!this.disposed) this.ctx.fire([this.node]);
  }

  /** True when the VM's tags have been read from its XML. */
  tagsKnown(uuid: string): boolean {
    return this.tags.has(uuid);
  }

  private rememberTags(uuid: string, tags: readonly string[]): void {
    const old = this.tags.get(uuid) ?? [];
    this.tags.set(uuid, tags);
    const snap = this.vms.get(uuid);
    if (snap && old.join('\0') !== tags.join('\0')) this.vms.set(uuid, { ...snap, tags });
  }
}
