// The live state of one connection as the tree shows it: VM snapshots from one bulk stats call,
// domain XML digests fetched lazily, and event-driven refreshes coalesced per connection.

import type * as vscode from 'vscode';
import type { ConnectionConfig } from '../connections/connectionConfig';
import { VirConnectListAllDomainsFlags, VirDomainEventStoppedDetailType, VirDomainEventType, VirDomainMetadataType, VirDomainState } from '../libvirt/generated/libvirtConstants';
import { APP_METADATA_NS } from '../libvirt/xml/domainXml';
import { readTagsBulk } from '../libvirt/tags';
import { applyFilter } from './filter';
import { groupsByTag } from './grouping';
import { GroupNodeCache } from './nodes/vmGroupNode';
import { PERF_STATS, TREE_STATS } from './statsGroups';
import type { DomainRef } from '../libvirt/refs';
import type { TypedParams } from '../libvirt/typedParams';
import { perfCounters, PerfTracker, type PerfCounters, type PerfSample, type PerfSource, type PerfUpdate } from '../libvirt/domainPerf';
import { vmReading, type HostSample } from '../libvirt/alerts/monitor';
import { errorMessage } from '../ui/log';
import { Coalescer } from './coalescer';
import { summarizeDomainXml, type DomainSummary } from '../libvirt/xml/summary';
import type { Connection, DomainEvent } from '../libvirt/connection';
import { readHostDetails, type HostDetails } from '../libvirt/hostDetails';
import { hostSample, type HostCounters, type SampleBatch, type VmReading } from '../libvirt/history/samples';
import type { ConnectionState, ManagedConnection } from '../libvirt/managedConnection';
import type { Disposable } from '../libvirt/rpc/types';
import { ConnectionNode } from './nodes/connectionNode';
import { GroupNode, type GroupKind } from './nodes/groupNode';
import { VmNode } from './nodes/vmNode';
import { GuestFactsCache } from './guestFactsCache';
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
  /** Shown from the state listings alone, before the first bulk statistics (no vCPUs, memory). */
  readonly partial?: true;
}

type DomainEventKind = DomainEvent['kind'];

/** The longest VMs' first tag reads wait for the tree's other connections to load (hostLoads.ts). */
const TAG_READ_WAIT_MS = 2000;

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
  /** VM rows by UUID, then by parent row id (a VM shows under each of its tags when grouped by tag). */
  private readonly vmNodes = new Map<string, Map<string, VmNode>>();
  /** The tag / state rows under this connection's row. */
  readonly vmGroups = new GroupNodeCache();
  /** VMs whose tags are being read now (so a burst of loads reads each once). */
  private readonly tagReads = new Set<string>();
  private readonly summaries = new Map<string, Promise<DomainSummary>>();
  /** The XML a summary was read from, when it was the persistent definition (the VM was shut off); gone with its summary. */
  private readonly definitions = new WeakMap<Promise<DomainSummary>, string>();
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
  private readonly batchListeners = new Set<(batch: SampleBatch) => void>();
  private lastHostCounters: HostCounters | undefined;
  /** virNodeGetCPUStats / virNodeGetMemoryStats want the driver's exact parameter count: learnt once per connection. */
  private nodeStatCounts: { conn: Connection; cpu: number; memory: number } | undefined;
  /** What each VM's guest agent last said (tooltip, details tab); follows the agent's lifecycle events. */
  readonly guestFacts = new GuestFactsCache(() => this.connection());
  private readonly sampleListeners = new Set<(s: HostSample) => void>();
  private samplingHolds = 0;

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
      interfaces: new GroupNode(this, 'interfaces'),
      secrets: new GroupNode(this, 'secrets'),
    };
    this.coalescer = new Coalescer<Work>((items) => void this.flush(items), 150, 1000);
    this.disposables.push(
      managed.onStateChange(() => this.onState()),
      managed.onDomainEvent((e) => this.onDomainEvent(e), { kinds: STATE_EVENTS }),
      managed.onNetworkEvent(() => this.coalescer.add('networks')),
      managed.onStoragePoolEvent(() => this.coalescer.add('pools')),
      managed.onSecretEvent(() => this.coalescer.add('secrets')),
      managed.onDomainEvent((e) => this.guestFacts.handle(e), { kinds: ['agentLifecycle', 'lifecycle'] }),
      this.guestFacts.onDidChange((uuid) => {
        const nodes = this.vmNodesOf(uuid);
        if (nodes.length > 0) this.ctx.fire(nodes);
      }),
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

  /** The VM's row directly under the connection (as the tree shows it when grouped by connection). */
  vmNode(uuid: string): VmNode | undefined {
    return this.vmNodeUnder(this.node, uuid);
  }

  /** The VM's row under `parent` (the connection row, or a tag / state row), one object per place. */
  vmNodeUnder(parent: TreeNode, uuid: string): VmNode | undefined {
    if (!this.vms.has(uuid)) return undefined;
    let places = this.vmNodes.get(uuid);
    if (!places) this.vmNodes.set(uuid, (places = new Map()));
    let node = places.get(parent.id);
    if (!node) {
      node = new VmNode(this, uuid, parent);
      places.set(parent.id, node);
    }
    return node;
  }

  /** Every row object showing this VM (one per group it appears in). */
  vmNodesOf(uuid: string): VmNode[] {
    return [...(this.vmNodes.get(uuid)?.values() ?? [])];
  }

  /** The grouping changed: rows are placed anew. */
  resetPlacement(): void {
    this.vmNodes.clear();
    this.vmGroups.clear();
  }

  /** The VMs the tree's filter lets through. */
  shownVms(): VmSnapshot[] {
    return applyFilter(this.ctx.filter, this.snapshots(), (v) => ({ name: v.ref.name, state: v.state, tags: v.tags }));
  }

  /** Every tag on this connection's VMs (as far as read), with how many VMs carry it. */
  knownTags(): Map<string, number> {
    const out = new Map<string, number>();
    for (const v of this.vms.values()) for (const t of v.tags) out.set(t, (out.get(t) ?? 0) + 1);
    return out;
  }

  /** Whether a details panel shows the performance of one of this connection's VMs. */
  get perfWatched(): boolean {
    return this.perfWatchers.size > 0;
  }

  /** Whether anyone (the history) listens to every refresh's full batch. */
  get sampled(): boolean {
    return this.batchListeners.size > 0;
  }

  /**
   * Every stats refresh's samples: a rate sample per running VM and the host's CPU and memory.
   * While anyone listens, the one bulk call per interval also reads disk and network counters,
   * the host's node statistics are read along with it, and the poller refreshes this host even
   * with the tree hidden (see StatsPoller). Listeners must not throw; an error is logged.
   */
  onDidSampleBatch(listener: (batch: SampleBatch) => void): Disposable {
    this.batchListeners.add(listener);
    this.ctx.statsDemandChanged();
    return {
      dispose: () => {
        if (this.batchListeners.delete(listener)) this.ctx.statsDemandChanged();
      },
    };
  }

  /** Whether the bulk refresh must go on while the tree is hidden (a performance chart or an alert rule). */
  get samplingWanted(): boolean {
    return this.perfWatched || this.samplingHolds > 0 || this.sampled;
  }

  /**
   * Fires after each bulk stats refresh with every VM's reading (CPU and memory percentages);
   * the alert monitor listens. Comes from the same one bulk call, never a call of its own.
   */
  onDidSample(listener: (s: HostSample) => void): Disposable {
    this.sampleListeners.add(listener);
    return { dispose: () => this.sampleListeners.delete(listener) };
  }

  /** Keeps the stats poller refreshing this host while the tree is hidden, until disposed. */
  holdSampling(): Disposable {
    this.samplingHolds++;
    this.ctx.statsDemandChanged();
    let held = true;
    return {
      dispose: () => {
        if (!held) return;
        held = false;
        this.samplingHolds--;
        this.ctx.statsDemandChanged();
      },
    };
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
      const off = (this.vms.get(ref.uuid)?.ref.id ?? ref.id) === -1;
      const q: Promise<DomainSummary> = conn.domainGetXmlDesc(ref, 0).then((xml) => {
        const s = summarizeDomainXml(xml);
        this.rememberTags(ref.uuid, s.tags);
        if (off) this.definitions.set(q, xml);
        return s;
      });
      p = q;
      p.catch(() => this.summaries.delete(ref.uuid));
      this.summaries.set(ref.uuid, p);
    }
    return p;
  }

  /**
   * The persistent definition the session already read for a VM's summary (for a VM that was shut
   * off then: its XML is the definition), without a call; undefined when it has none.
   */
  knownDefinition(uuid: string): string | undefined {
    const p = this.summaries.get(uuid);
    return p ? this.definitions.get(p) : undefined;
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
    this.ctx.fireStructure(this);
  }

  dispose(): void {
    this.disposed = true;
    this.ctx.hostLoads.end(this.id);
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
      // The listings first: the client sends five calls at a time in order, and the VM rows wait
      // for them, while the host details only fill in the connection row's tooltip.
      const listed = this.refresh();
      const loadedOrFailed = (): void => {
        if (this.connection() === conn) this.ctx.hostLoads.end(this.id);
      };
      listed.then(loadedOrFailed, loadedOrFailed);
      const details = readHostDetails(conn).then((d) => {
        if (this.connection() === conn) this.details = d;
      });
      void Promise.all([listed, details]).then(() => this.ctx.fireStructure(this));
    } else {
      if (state.kind === 'connecting') this.ctx.hostLoads.begin(this.id);
      else this.ctx.hostLoads.end(this.id);
      this.details = undefined;
      this.loaded = false;
      this.loadError = undefined;
      this.vms = new Map();
      this.vmNodes.clear();
      this.vmGroups.clear();
      this.summaries.clear();
      this.tags.clear();
      this.guestFacts.clear();
    }
    if (!unchanged) this.ctx.fireStructure(this);
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
    // Tags change through SetMetadata on our element (from any client) or through a new definition.
    const ourMetadata = e.kind === 'metadataChange' && e.type === VirDomainMetadataType.ELEMENT && (e.nsuri === null || e.nsuri === APP_METADATA_NS);
    if (ourMetadata || (e.kind === 'lifecycle' && e.event === VirDomainEventType.DEFINED)) void this.readTags([e.dom], true);
    if (e.kind === 'lifecycle') this.applyLifecycle(e);
    if (STATE_EVENTS.includes(e.kind)) this.coalescer.add('domains');
  }

  /**
   * Shows the state a lifecycle event announces at once, before the (coalesced) bulk refresh
   * confirms it and reads the rest: a start, stop, pause or resume reaches the tree item without
   * waiting for a listing of every VM. Events that do not name a state (defined, shutdown
   * requested…) wait for the refresh.
   */
  private applyLifecycle(e: Extract<DomainEvent, { kind: 'lifecycle' }>): void {
    const old = this.vms.get(e.dom.uuid);
    if (!old) return;
    const E = VirDomainEventType;
    const code =
      e.event === E.STARTED || e.event === E.RESUMED
        ? VirDomainState.RUNNING
        : e.event === E.SUSPENDED
          ? VirDomainState.PAUSED
          : e.event === E.STOPPED
            ? VirDomainState.SHUTOFF
            : e.event === E.PMSUSPENDED
              ? VirDomainState.PMSUSPENDED
              : e.event === E.CRASHED
                ? VirDomainState.CRASHED
                : undefined;
    if (code === undefined || code === old.stateCode) return;
    const saved = e.event === E.STOPPED && e.detail === VirDomainEventStoppedDetailType.SAVED;
    const running = code !== VirDomainState.SHUTOFF;
    const next: VmSnapshot = { ...old, ref: { ...old.ref, id: running ? (e.dom.id !== -1 ? e.dom.id : old.ref.id) : -1 }, state: stateName(code, saved), stateCode: code, reason: e.detail };
    const prev = this.vms;
    this.vms = new Map(prev);
    this.vms.set(e.dom.uuid, next);
    // As loadDomains: the connection row counts running VMs, and a state filter may move the VM.
    if (this.filterDependsOnState(prev, this.vms)) this.ctx.fireStructure(this);
    else if (runningCount(prev.values()) !== runningCount(this.vms.values())) this.ctx.fire([this.node, ...this.vmNodesOf(e.dom.uuid)]);
    else {
      const nodes = this.vmNodesOf(e.dom.uuid);
      if (nodes.length > 0) this.ctx.fire(nodes);
    }
  }

  private async flush(items: ReadonlySet<Work>): Promise<void> {
    if (this.disposed) return;
    const changed: TreeNode[] = [];
    if (items.has('domains')) {
      const dirty = [...this.xmlDirty];
      this.xmlDirty.clear();
      const fired = await this.refresh();
      for (const uuid of dirty) if (!fired.has(uuid)) changed.push(...this.vmNodesOf(uuid));
    }
    for (const g of ['networks', 'pools', 'devices', 'interfaces', 'secrets'] as const) if (items.has(g)) changed.push(this.groups[g]);
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
    const sampled = this.sampled;
    let host: HostCounters | undefined;
    try {
      const savedCall = conn.connectListAllDomains(VirConnectListAllDomainsFlags.MANAGEDSAVE);
      const autostartCall = conn.connectListAllDomains(VirConnectListAllDomainsFlags.AUTOSTART);
      if (!this.loaded) void this.showListedStates(conn, savedCall, autostartCall);
      const [stats, saved, autostart, node] = await Promise.all([
        conn.connectGetAllDomainStats(TREE_STATS | (this.perfWatched || sampled ? PERF_STATS : 0), 0),
        savedCall,
        autostartCall,
        sampled ? this.readNodeStats(conn) : undefined,
      ]);
      host = node;
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
      if (wasError !== this.loadError) this.ctx.fireStructure(this);
      return fired;
    }
    if (this.connection() !== conn || this.disposed) return fired;
    const prev = this.vms;
    const firstLoad = !this.loaded || this.loadError !== undefined || [...prev.values()].some((v) => v.partial);
    this.vms = next;
    this.loaded = true;
    this.loadError = undefined;
    const added = this.updatePerf(readings);
    if (sampled) this.emitSamples(next, readings, added, host);
    const structural = firstLoad || prev.size !== next.size || [...next.keys()].some((k) => !prev.has(k));
    for (const uuid of prev.keys()) if (!next.has(uuid)) this.vmNodes.delete(uuid);
    // Tags are read once per VM (when it first shows up), then kept current by events.
    const unread = [...next.values()].filter((v) => !this.tags.has(v.ref.uuid)).map((v) => v.ref);
    if (unread.length > 0) void this.readTags(unread, false, true);
    // The connection row shows the running count (tooltip) and the filtered count (description).
    if (structural || this.filterDependsOnState(prev, next)) {
      this.ctx.fireStructure(this);
      for (const uuid of next.keys()) fired.add(uuid);
      return fired;
    }
    const changed: TreeNode[] = [];
    if (runningCount(prev.values()) !== runningCount(next.values())) changed.push(this.node);
    for (const [uuid, snap] of next) {
      const old = prev.get(uuid);
      const nodes = this.vmNodesOf(uuid);
      if (old && nodes.length > 0 && !sameSnapshot(old, snap)) {
        changed.push(...nodes);
        fired.add(uuid);
      }
    }
    if (changed.length > 0) this.ctx.fire(changed);
    return fired;
  }

  /**
   * First load only: every VM's state from four filtered listings (running, paused, shut off, other;
   * virConnectListAllDomainsFlags in libvirt-domain.h), which libvirtd answers in milliseconds, shown
   * before the bulk statistics add vCPUs and memory (for 1000 VMs the daemon takes about 100 ms to
   * gather them). A VM in another state (crashed, suspended to memory…) needs the statistics' exact
   * state: then nothing is shown early. The full load replaces this list as a whole.
   */
  private async showListedStates(conn: Connection, savedCall: Promise<DomainRef[]>, autostartCall: Promise<DomainRef[]>): Promise<void> {
    const F = VirConnectListAllDomainsFlags;
    const listed = await Promise.all([
      conn.connectListAllDomains(F.RUNNING),
      conn.connectListAllDomains(F.PAUSED),
      conn.connectListAllDomains(F.INACTIVE),
      conn.connectListAllDomains(F.OTHER),
      savedCall,
      autostartCall,
    ]).catch(() => undefined);
    if (!listed || this.loaded || this.disposed || this.connection() !== conn) return;
    const [running, paused, inactive, other, saved, autostart] = listed;
    if (other.length > 0) return;
    const savedSet = new Set(saved.map((d) => d.uuid));
    const autostartSet = new Set(autostart.map((d) => d.uuid));
    const next = new Map<string, VmSnapshot>();
    const add = (refs: readonly DomainRef[], code: number): void => {
      for (const ref of refs) {
        next.set(ref.uuid, { ref, state: stateName(code, savedSet.has(ref.uuid)), stateCode: code, reason: 0, tags: this.tags.get(ref.uuid) ?? [], autostart: autostartSet.has(ref.uuid), partial: true });
      }
    };
    add(running, VirDomainState.RUNNING);
    add(paused, VirDomainState.PAUSED);
    add(inactive, VirDomainState.SHUTOFF);
    this.vms = next;
    this.loaded = true;
    this.loadError = undefined;
    this.ctx.fireStructure(this);
    // The tags are asked for now; readTags starts once the tree's connections have loaded.
    const unread = [...next.values()].filter((v) => !this.tags.has(v.ref.uuid)).map((v) => v.ref);
    if (unread.length > 0) void this.readTags(unread, false, true);
  }

  private updatePerf(readings: ReadonlyMap<string, PerfCounters>): Map<string, PerfSample> {
    const added = this.perf.update(readings);
    if (this.sampleListeners.size > 0) {
      const vms = [...this.vms.values()].map((v) => vmReading(v.ref, readings.get(v.ref.uuid), added.get(v.ref.uuid), this.tags.has(v.ref.uuid) ? v.tags : undefined));
      const sample: HostSample = { at: Date.now(), vms };
      for (const l of [...this.sampleListeners]) l(sample);
    }
    for (const [uuid, listeners] of this.perfWatchers) {
      const update: PerfUpdate = { active: readings.get(uuid)?.active ?? false, sample: added.get(uuid) };
      for (const l of [...listeners]) l(update);
    }
    return added;
  }

  /** The host's CPU and memory counters; a host that refuses them (read-only, other drivers) gives undefined parts. */
  private async readNodeStats(conn: Connection): Promise<HostCounters> {
    let counts = this.nodeStatCounts?.conn === conn ? this.nodeStatCounts : undefined;
    const [cpu, memory] = await Promise.all([
      conn.nodeGetCpuStats(-1, counts?.cpu).catch(() => undefined),
      conn.nodeGetMemoryStats(-1, counts?.memory).catch(() => undefined),
    ]);
    if (!counts && cpu && memory) this.nodeStatCounts = counts = { conn, cpu: Object.keys(cpu).length, memory: Object.keys(memory).length };
    return { at: Date.now(), cpu, memory };
  }

  private emitSamples(vms: ReadonlyMap<string, VmSnapshot>, readings: ReadonlyMap<string, PerfCounters>, added: ReadonlyMap<string, PerfSample>, node: HostCounters | undefined): void {
    const list: VmReading[] = [];
    for (const [uuid, snap] of vms) list.push({ uuid, name: snap.ref.name, stateCode: snap.stateCode, active: readings.get(uuid)?.active ?? false, sample: added.get(uuid) });
    const host = node ? hostSample(this.lastHostCounters, node) : undefined;
    this.lastHostCounters = node;
    const batch: SampleBatch = { connectionId: this.config.id, at: node?.at ?? Date.now(), vms: list, host };
    for (const l of [...this.batchListeners]) {
      try {
        l(batch);
      } catch (err) {
        this.ctx.log.error(`${this.config.name}: a sample listener failed: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * With a state, tag or name filter, a change can move a VM in or out of the list; grouped by
   * state or tag, a state or tag change moves it between groups.
   */
  private filterDependsOnState(prev: Map<string, VmSnapshot>, next: Map<string, VmSnapshot>): boolean {
    const f = this.ctx.filter;
    const g = this.ctx.grouping;
    const byState = g === 'state';
    const byTag = groupsByTag(g);
    if (f.states.length === 0 && f.tags.length === 0 && f.names.length === 0 && !byState && !byTag) return false;
    for (const [uuid, snap] of next) {
      const old = prev.get(uuid);
      if (!old) continue;
      const tagsChanged = old.tags.join('\0') !== snap.tags.join('\0');
      if (byState && old.state !== snap.state) return true;
      if (byTag && tagsChanged) return true;
      if ((f.states.length > 0 || f.tags.length > 0 || f.names.length > 0) && (old.state !== snap.state || old.ref.name !== snap.ref.name || tagsChanged)) return true;
    }
    return false;
  }

  /**
   * Tags live in each VM's metadata, which no bulk call returns. Each VM's tags are read once, when
   * it first shows up (one small virDomainGetMetadata per VM, pipelined by
   * the client, never one after another), and again only when an event says they changed
   * (METADATA_CHANGE on our namespace, or a new definition). About 1000 VMs take a fraction of a
   * second (bench/tagFilterBench.ts), so grouping and the `tag:` filter always have them. The reads
   * of VMs just `listed` wait until the tree's other connections have loaded (at most
   * TAG_READ_WAIT_MS), unless rows are grouped by tag or filtered by one: the tree shows nothing
   * else that needs them. A caller that asks for tags (loadTagsForFilter) does not wait.
   */
  async readTags(refs: readonly DomainRef[], again: boolean, listed = false): Promise<void> {
    // VMs just listed wait for the tree's other connections to finish loading (hostLoads.ts), up
    // to TAG_READ_WAIT_MS, unless what the tree shows needs their tags now.
    if (listed && !this.tagsNeeded()) await this.ctx.hostLoads.idle(TAG_READ_WAIT_MS);
    const conn = this.connection();
    if (!conn || this.disposed) return;
    // Another read (a tag: filter's) may have read some of them in the meantime.
    const todo = again ? refs : refs.filter((r) => !this.tagReads.has(r.uuid) && !this.tags.has(r.uuid));
    if (todo.length === 0) return;
    for (const r of todo) this.tagReads.add(r.uuid);
    let read: Map<string, string[]>;
    try {
      read = await readTagsBulk(conn, todo);
    } finally {
      for (const r of todo) this.tagReads.delete(r.uuid);
    }
    if (this.connection() !== conn || this.disposed) return;
    // A VM whose read failed (it went away, or the call was refused) counts as read, without tags
    // unless some were known, so the tree never waits for it; an event reads it again.
    for (const r of todo) if (!read.has(r.uuid)) read.set(r.uuid, [...(this.tags.get(r.uuid) ?? [])]);
    this.applyTags(read);
  }

  /** Tags written by this window (Edit Tags): shown at once, before the event confirms them. */
  tagsChanged(uuid: string, tags: readonly string[]): void {
    this.applyTags(new Map([[uuid, [...tags]]]));
  }

  private applyTags(read: ReadonlyMap<string, readonly string[]>): void {
    const wasPending = this.tagsPending();
    const prev = this.vms;
    const next = new Map(prev);
    const changed: string[] = [];
    for (const [uuid, tags] of read) {
      this.tags.set(uuid, tags);
      const snap = next.get(uuid);
      if (snap && snap.tags.join('\0') !== tags.join('\0')) {
        next.set(uuid, { ...snap, tags });
        changed.push(uuid);
      }
    }
    // Grouped by tag, the rows wait for the first reads ("Reading tags…"): their end regroups.
    if (changed.length === 0) {
      if (wasPending && !this.tagsPending() && groupsByTag(this.ctx.grouping)) this.ctx.fireStructure(this);
      return;
    }
    this.vms = next;
    if (this.filterDependsOnState(prev, next) || (wasPending && !this.tagsPending() && groupsByTag(this.ctx.grouping))) this.ctx.fireStructure(this);
    else this.ctx.fire(changed.flatMap((u) => this.vmNodesOf(u)));
  }

  /** Whether the tree shows something that depends on tags: rows grouped by tag, or a `tag:` filter. */
  private tagsNeeded(): boolean {
    return groupsByTag(this.ctx.grouping) || this.ctx.filter.tags.length > 0;
  }

  /** Whether some listed VM's tags have not been read yet (just after a connect). */
  tagsPending(): boolean {
    for (const uuid of this.vms.keys()) if (!this.tags.has(uuid)) return true;
    return false;
  }

  /** Kept for callers that wait for a `tag:` filter: resolves once every listed VM's tags are read. */
  async loadTagsForFilter(): Promise<void> {
    const missing = [...this.vms.values()].filter((v) => !this.tags.has(v.ref.uuid)).map((v) => v.ref);
    if (missing.length > 0) await this.readTags(missing, false);
  }

  private rememberTags(uuid: string, tags: readonly string[]): void {
    const old = this.tags.get(uuid);
    if (old === undefined || old.join('\0') !== tags.join('\0')) this.applyTags(new Map([[uuid, tags]]));
  }
}
