// Feeds the alert engine from the hosts: the bulk statistics every refresh already reads (CPU,
// memory), domain events (crash, panic, stops nobody asked for here), the connection's state
// (host unreachable), one pool-info call per active pool per pool interval, and the guest agent
// (filesystems, ping) at a slow interval — only for running VMs in scope of such a rule whose
// agent channel is connected, and only while such a rule exists. Nothing here polls VMs one by
// one for CPU or memory: those figures come from the host's one bulk call per interval.

import type { Connection, DomainEvent, StoragePoolEvent } from '../connection';
import type { PerfCounters } from '../domainPerf';
import type { PerfSample } from '../perfSample';
import { VirConnectDomainEventAgentLifecycleState, VirConnectListAllStoragePoolsFlags, VirDomainEventCrashedDetailType, VirDomainEventStoppedDetailType, VirDomainEventType } from '../generated/libvirtConstants';
import type { ConnectionState } from '../managedConnection';
import type { DomainRef } from '../refs';
import type { Disposable } from '../rpc/types';
import { AlertEngine, type AlertSubject } from './engine';
import { ALERT_KINDS, type AlertKind, type AlertRule } from './rules';

/** One VM as the last bulk refresh saw it. */
export interface VmReading {
  readonly ref: DomainRef;
  readonly active: boolean;
  /** Percent of the VM's vCPUs over the last interval; undefined before two readings. */
  readonly cpuPercent?: number;
  /** Percent of the guest's memory in use (balloon statistics or the QEMU process's RSS). */
  readonly memoryPercent?: number;
  /** The VM's tags; undefined while unknown (tags live in the XML, which no bulk call returns). */
  readonly tags?: readonly string[];
}

/**
 * A VM's reading from one bulk refresh: the counters of that reply and the rates since the one
 * before (undefined for the first). Memory in use counts only when the guest's balloon statistics
 * or QEMU's RSS say it; the memory the guest merely has would always read 100 %.
 */
export function vmReading(ref: DomainRef, counters: PerfCounters | undefined, sample: PerfSample | undefined, tags: readonly string[] | undefined): VmReading {
  const active = counters?.active ?? ref.id !== -1;
  const mem = counters && counters.memoryUsedFrom !== 'current' && counters.memoryUsedKiB !== undefined && counters.memoryKiB ? (counters.memoryUsedKiB / counters.memoryKiB) * 100 : undefined;
  return { ref, active, cpuPercent: sample?.cpuPercent, memoryPercent: active ? mem : undefined, tags };
}

export interface HostSample {
  readonly at: number;
  readonly vms: readonly VmReading[];
}

/** What the monitor needs of a host (the extension adapts its HostSession; tests a bare one). */
export interface AlertHost {
  readonly id: string;
  readonly name: string;
  readonly state: ConnectionState;
  onStateChange(listener: (s: ConnectionState) => void): Disposable;
  onDomainEvent(listener: (e: DomainEvent) => void): Disposable;
  onStoragePoolEvent(listener: (e: StoragePoolEvent) => void): Disposable;
  /** Fires after each bulk statistics refresh of the host. */
  onDidSample(listener: (s: HostSample) => void): Disposable;
  /** Keeps the bulk refresh going while CPU or memory rules watch the host (the tree may be hidden). */
  holdSampling(): Disposable;
  /** Reads the tags of VMs whose tags are unknown (tag-scoped rules only). */
  loadTags?(): void;
}

export interface StopJournal {
  consumeStop(uuid: string): boolean;
}

export interface MonitorOptions {
  readonly journal: StopJournal;
  readonly clock?: () => number;
  /** Between pool usage checks. Default 60 s. */
  readonly poolIntervalMs?: number;
  /** Between guest agent checks (filesystems, ping). Default 60 s. */
  readonly agentIntervalMs?: number;
  /** Timeout of one agent command, in seconds. Default 10. */
  readonly agentTimeoutS?: number;
  /** Between re-evaluations of durations (a pending condition firing). Default 5 s. */
  readonly tickMs?: number;
  readonly log?: (message: string) => void;
}

const STOP_WORDS: Readonly<Record<number, string>> = {
  [VirDomainEventStoppedDetailType.SHUTDOWN]: 'Shut down (from inside the guest or by another client)',
  [VirDomainEventStoppedDetailType.DESTROYED]: 'Forced off by another client',
  [VirDomainEventStoppedDetailType.MIGRATED]: 'Migrated away by another client',
  [VirDomainEventStoppedDetailType.SAVED]: 'Saved by another client',
  [VirDomainEventStoppedDetailType.FAILED]: 'Stopped: the emulator failed',
  [VirDomainEventStoppedDetailType.FROM_SNAPSHOT]: 'Stopped by a snapshot revert from another client',
};

const AGENT_CHANNEL = /<channel\b[\s\S]*?<\/channel>/g;

/** The guest agent channel's state in a running VM's XML: connected, disconnected, or absent. */
export function agentChannelState(xml: string): 'connected' | 'disconnected' | 'absent' {
  for (const m of xml.match(AGENT_CHANNEL) ?? []) {
    const target = /<target\b[^>]*>/.exec(m)?.[0] ?? '';
    if (!/name=['"]org\.qemu\.guest_agent\.0['"]/.test(target)) continue;
    return /state=['"]connected['"]/.test(target) ? 'connected' : 'disconnected';
  }
  return 'absent';
}

interface FsInfo {
  readonly mountpoint: string;
  readonly 'total-bytes'?: number;
  readonly 'used-bytes'?: number;
  readonly type?: string;
}

/** Usage per mount point from guest-get-fsinfo (QEMU ≥ 5 reports used and total bytes). */
export function filesystemUsage(reply: string): Map<string, number> {
  const parsed = JSON.parse(reply) as { return?: FsInfo[] };
  const out = new Map<string, number>();
  for (const fs of parsed.return ?? []) {
    const total = fs['total-bytes'];
    const used = fs['used-bytes'];
    if (typeof total === 'number' && typeof used === 'number' && total > 0) out.set(fs.mountpoint, (used / total) * 100);
  }
  return out;
}

export class AlertMonitor implements Disposable {
  readonly engine: AlertEngine;
  private readonly hosts = new Set<HostWatch>();
  private readonly tickTimer: ReturnType<typeof setInterval>;
  readonly clock: () => number;

  constructor(readonly options: MonitorOptions) {
    this.clock = options.clock ?? Date.now;
    this.engine = new AlertEngine(this.clock);
    this.tickTimer = setInterval(() => this.engine.tick(), options.tickMs ?? 5000);
    this.tickTimer.unref?.();
  }

  setRules(rules: readonly AlertRule[]): void {
    this.engine.setRules(rules);
    for (const h of this.hosts) h.rulesChanged();
  }

  rules(): readonly AlertRule[] {
    return this.engine.getRules();
  }

  addHost(host: AlertHost): Disposable {
    const w = new HostWatch(host, this);
    this.hosts.add(w);
    return {
      dispose: () => {
        if (!this.hosts.delete(w)) return;
        w.dispose();
      },
    };
  }

  dispose(): void {
    clearInterval(this.tickTimer);
    for (const h of this.hosts) h.dispose();
    this.hosts.clear();
  }
}

class HostWatch implements Disposable {
  private readonly subs: Disposable[] = [];
  private readonly vms = new Map<string, VmReading>();
  /** Agent channel state per running VM, from agent lifecycle events or the XML. */
  private readonly agent = new Map<string, 'connected' | 'disconnected' | 'absent'>();
  private samplingHold: Disposable | undefined;
  private poolTimer: ReturnType<typeof setInterval> | undefined;
  private agentTimer: ReturnType<typeof setInterval> | undefined;
  private poolBusy = false;
  private agentBusy = false;
  private disposed = false;
  private readonly pools = new Set<string>();

  constructor(
    private readonly host: AlertHost,
    private readonly monitor: AlertMonitor,
  ) {
    this.subs.push(
      host.onStateChange((s) => this.onState(s)),
      host.onDomainEvent((e) => this.onDomainEvent(e)),
      host.onStoragePoolEvent(() => void this.checkPools()),
      host.onDidSample((s) => this.onSample(s)),
    );
    this.rulesChanged();
    this.onState(host.state);
  }

  private get engine(): AlertEngine {
    return this.monitor.engine;
  }

  private rulesFor(kinds: readonly AlertKind[]): AlertRule[] {
    return this.monitor.rules().filter((r) => kinds.includes(r.kind) && (r.connection === undefined || r.connection === this.host.name));
  }

  private connection(): Connection | undefined {
    const s = this.host.state;
    return s.kind === 'connected' ? s.conn : undefined;
  }

  rulesChanged(): void {
    if (this.disposed) return;
    // CPU and memory come from the bulk refresh; the agent checks and tag scopes need its VM list.
    const sampled = this.monitor.rules().some((r) => (r.connection === undefined || r.connection === this.host.name) && (['cpu', 'memory', 'guestFilesystem', 'agentUnresponsive'].includes(r.kind) || r.scope.kind === 'tag'));
    if (sampled && !this.samplingHold) this.samplingHold = this.host.holdSampling();
    if (!sampled) {
      this.samplingHold?.dispose();
      this.samplingHold = undefined;
    }
    if (this.monitor.rules().some((r) => ALERT_KINDS[r.kind].vm && r.scope.kind === 'tag')) this.host.loadTags?.();
    const o = this.monitor.options;
    const pools = this.rulesFor(['poolFull']).length > 0;
    if (pools && !this.poolTimer) {
      this.poolTimer = setInterval(() => void this.checkPools(), o.poolIntervalMs ?? 60_000);
      this.poolTimer.unref?.();
      void this.checkPools();
    } else if (!pools && this.poolTimer) {
      clearInterval(this.poolTimer);
      this.poolTimer = undefined;
    }
    const agent = this.rulesFor(['guestFilesystem', 'agentUnresponsive']).length > 0;
    if (agent && !this.agentTimer) {
      this.agentTimer = setInterval(() => void this.checkAgents(), o.agentIntervalMs ?? 60_000);
      this.agentTimer.unref?.();
      void this.checkAgents();
    } else if (!agent && this.agentTimer) {
      clearInterval(this.agentTimer);
      this.agentTimer = undefined;
    }
    // A new host rule sees the current state at once.
    this.onState(this.host.state);
  }

  private hostSubject(): AlertSubject {
    return { key: `${this.host.id}/host`, connectionId: this.host.id, connectionName: this.host.name, label: this.host.name };
  }

  private vmSubject(ref: DomainRef): AlertSubject {
    return { key: `${this.host.id}/vm/${ref.uuid}`, connectionId: this.host.id, connectionName: this.host.name, label: ref.name, vmUuid: ref.uuid };
  }

  private inScope(rule: AlertRule, uuid: string): boolean {
    const s = rule.scope;
    if (s.kind === 'all') return true;
    if (s.kind === 'vm') return s.uuid === uuid;
    return this.vms.get(uuid)?.tags?.includes(s.tag) ?? false;
  }

  private onState(s: ConnectionState): void {
    const value = s.kind === 'connected' ? 0 : s.kind === 'disconnected' ? 1 : s.kind === 'connecting' && s.attempt > 1 ? 1 : s.kind === 'idle' ? undefined : null;
    if (value === null) return;
    const reason = s.kind === 'disconnected' ? s.reason : undefined;
    for (const r of this.rulesFor(['hostUnreachable'])) this.engine.observe(r, this.hostSubject(), value, reason);
    if (s.kind !== 'connected') this.agent.clear();
    else {
      void this.checkPools();
      void this.checkAgents();
    }
  }

  private onDomainEvent(e: DomainEvent): void {
    if (e.kind === 'agentLifecycle') {
      this.agent.set(e.dom.uuid, e.state === VirConnectDomainEventAgentLifecycleState.CONNECTED ? 'connected' : 'disconnected');
      return;
    }
    if (e.kind !== 'lifecycle') return;
    const T = VirDomainEventType;
    const subject = this.vmSubject(e.dom);
    const uuid = e.dom.uuid;
    if (e.event === T.STARTED || e.event === T.RESUMED) {
      this.agent.delete(uuid);
      for (const r of this.rulesFor(['crashed', 'unexpectedStop'])) this.engine.clear(r.name, subject.key, 'running again');
      return;
    }
    if (e.event === T.UNDEFINED) {
      this.vms.delete(uuid);
      this.engine.forget(subject.key, 'the VM was deleted');
      return;
    }
    if (e.event === T.CRASHED) {
      const what = e.detail === VirDomainEventCrashedDetailType.PANICKED ? 'Guest kernel panicked (pvpanic)' : e.detail === VirDomainEventCrashedDetailType.CRASHLOADED ? 'Guest crashed and loaded a crash kernel' : 'Guest crashed';
      for (const r of this.rulesFor(['crashed'])) if (this.inScope(r, uuid)) this.engine.trigger(r, subject, what);
      return;
    }
    if (e.event !== T.STOPPED) return;
    this.agent.delete(uuid);
    if (e.detail === VirDomainEventStoppedDetailType.CRASHED) {
      for (const r of this.rulesFor(['crashed'])) if (this.inScope(r, uuid)) this.engine.trigger(r, subject, 'Stopped after a crash');
      return;
    }
    // A stop requested through this extension's connections is expected; the record is used up.
    if (this.monitor.options.journal.consumeStop(uuid)) return;
    const what = STOP_WORDS[e.detail] ?? 'Stopped by another client';
    for (const r of this.rulesFor(['unexpectedStop'])) if (this.inScope(r, uuid)) this.engine.trigger(r, subject, what);
  }

  private onSample(s: HostSample): void {
    const seen = new Set<string>();
    for (const vm of s.vms) {
      seen.add(vm.ref.uuid);
      this.vms.set(vm.ref.uuid, vm);
    }
    for (const uuid of [...this.vms.keys()]) {
      if (seen.has(uuid)) continue;
      const gone = this.vms.get(uuid)!;
      this.vms.delete(uuid);
      this.engine.forget(this.vmSubject(gone.ref).key, 'the VM is gone');
    }
    const metric = this.rulesFor(['cpu', 'memory']);
    const events = this.rulesFor(['crashed', 'unexpectedStop']);
    for (const vm of s.vms) {
      const subject = this.vmSubject(vm.ref);
      for (const r of metric) {
        if (!this.inScope(r, vm.ref.uuid)) continue;
        const v = vm.active ? (r.kind === 'cpu' ? vm.cpuPercent : vm.memoryPercent) : undefined;
        // The first reading of a running VM has no CPU rate yet: wait for the next.
        if (v === undefined && vm.active) continue;
        this.engine.observe(r, subject, v);
      }
      // Missed events (a reconnect): a VM seen running again clears its crash and stop alerts.
      if (vm.active) for (const r of events) this.engine.clear(r.name, subject.key, 'running again');
    }
    if (this.monitor.rules().some((r) => ALERT_KINDS[r.kind].vm && r.scope.kind === 'tag') && s.vms.some((v) => v.tags === undefined)) this.host.loadTags?.();
  }

  /** One storagePoolGetInfo per active pool a rule watches; a pool that vanished resolves. */
  private async checkPools(): Promise<void> {
    const rules = this.rulesFor(['poolFull']);
    const conn = this.connection();
    if (rules.length === 0 || !conn || this.poolBusy || this.disposed) return;
    this.poolBusy = true;
    try {
      const pools = await conn.connectListAllStoragePools(VirConnectListAllStoragePoolsFlags.ACTIVE);
      const names = new Set(pools.map((p) => p.name));
      for (const old of this.pools) {
        if (!names.has(old)) this.engine.forget(`${this.host.id}/pool/${old}`, 'the pool is inactive or gone');
      }
      this.pools.clear();
      const wanted = pools.filter((p) => rules.some((r) => r.pool === undefined || r.pool === p.name));
      const infos = await Promise.all(wanted.map((p) => conn.storagePoolGetInfo(p).then((i) => ({ p, i }), () => undefined)));
      for (const x of infos) {
        if (!x) continue;
        this.pools.add(x.p.name);
        const subject: AlertSubject = { key: `${this.host.id}/pool/${x.p.name}`, connectionId: this.host.id, connectionName: this.host.name, label: x.p.name };
        const used = x.i.capacity > 0 ? (x.i.allocation / x.i.capacity) * 100 : undefined;
        for (const r of rules) if (r.pool === undefined || r.pool === x.p.name) this.engine.observe(r, subject, used);
      }
    } catch (e) {
      this.monitor.options.log?.(`${this.host.name}: reading pool usage failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.poolBusy = false;
    }
  }

  /** The agent channel's state, from events or (once per VM start) from the live XML. */
  private async agentState(conn: Connection, ref: DomainRef): Promise<'connected' | 'disconnected' | 'absent'> {
    const known = this.agent.get(ref.uuid);
    if (known) return known;
    const state = agentChannelState(await conn.domainGetXmlDesc(ref, 0));
    // An event may have arrived meanwhile; it is newer than the XML.
    if (!this.agent.has(ref.uuid)) this.agent.set(ref.uuid, state);
    return this.agent.get(ref.uuid)!;
  }

  private async checkAgents(): Promise<void> {
    const fsRules = this.rulesFor(['guestFilesystem']);
    const pingRules = this.rulesFor(['agentUnresponsive']);
    const conn = this.connection();
    if ((fsRules.length === 0 && pingRules.length === 0) || !conn || this.agentBusy || this.disposed) return;
    this.agentBusy = true;
    try {
      const running = [...this.vms.values()].filter((v) => v.active && [...fsRules, ...pingRules].some((r) => this.inScope(r, v.ref.uuid)));
      await Promise.all(running.map((vm) => this.checkAgent(conn, vm.ref, fsRules, pingRules)));
    } finally {
      this.agentBusy = false;
    }
  }

  private async checkAgent(conn: Connection, ref: DomainRef, fsRules: readonly AlertRule[], pingRules: readonly AlertRule[]): Promise<void> {
    const subject = this.vmSubject(ref);
    const fs = fsRules.filter((r) => this.inScope(r, ref.uuid));
    const ping = pingRules.filter((r) => this.inScope(r, ref.uuid));
    let state: 'connected' | 'disconnected' | 'absent';
    try {
      state = await this.agentState(conn, ref);
    } catch (e) {
      this.monitor.options.log?.(`${this.host.name}: ${ref.name}: reading the agent channel failed: ${e instanceof Error ? e.message : String(e)}`);
      return; // The VM went away meanwhile; the next sample says so.
    }
    this.monitor.options.log?.(`${this.host.name}: ${ref.name}: agent channel ${state}`);
    if (state === 'absent') {
      for (const r of [...fs, ...ping]) this.engine.observe(r, subject, undefined);
      return;
    }
    if (state === 'disconnected') {
      for (const r of ping) this.engine.observe(r, subject, 1, 'the agent channel is not connected');
      return;
    }
    const cmd = fs.length > 0 ? 'guest-get-fsinfo' : 'guest-ping';
    let reply: string | null;
    try {
      reply = await conn.qemuDomainAgentCommand(ref, JSON.stringify({ execute: cmd }), this.monitor.options.agentTimeoutS ?? 10);
    } catch (e) {
      this.monitor.options.log?.(`${this.host.name}: ${ref.name}: ${cmd} failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const r of ping) this.engine.observe(r, subject, 1, e instanceof Error ? e.message : String(e));
      return;
    }
    for (const r of ping) this.engine.observe(r, subject, 0);
    if (fs.length === 0 || reply === null) return;
    let usage: Map<string, number>;
    try {
      usage = filesystemUsage(reply);
    } catch {
      return;
    }
    for (const r of fs) {
      // One condition per mount point: the fullest one a rule watches decides, and is named.
      let worst: [string, number] | undefined;
      for (const [mp, pct] of usage) if ((r.mountpoint === undefined || r.mountpoint === mp) && (!worst || pct > worst[1])) worst = [mp, pct];
      this.engine.observe(r, subject, worst?.[1], worst?.[0]);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subs.splice(0)) s.dispose();
    this.samplingHold?.dispose();
    if (this.poolTimer) clearInterval(this.poolTimer);
    if (this.agentTimer) clearInterval(this.agentTimer);
  }
}
