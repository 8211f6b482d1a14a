// `Connection`: libvirt's public API over one RPC connection. Method names are libvirt's C API
// names minus `vir` (so libvirt's API documentation applies), arguments are plain refs and
// values, results are plain values. Every method is one remote call (see the procedures in
// libvirt's remote_protocol.x); listing and statistics use the bulk calls.

import type { ProcedureInfo } from './rpc/program';
import type { CallOptions, Disposable, RpcCaller, RpcEvent, RpcStream } from './rpc/types';
import { RpcClient } from './rpc/client';
import { openRemote } from './rpc/handshake';
import { lookupLibvirtProcedure } from './rpc/procedureLookup';
import { finishStream } from './rpc/stream';
import { REMOTE_PROCEDURES as P, REMOTE_PROGRAM } from './generated/remoteProtocol';
import { QEMU_PROCEDURES } from './generated/qemuProtocol';
import { parseUri } from './uri';
import { startTransport, type TransportOptions } from './transport/open';
import {
  domainFromWire,
  domainToWire,
  hyperToNumber,
  InvalidArgumentError,
  namedUuidFromWire,
  namedUuidToWire,
  numberToUhyper,
  secretFromWire,
  secretToWire,
  snapshotFromWire,
  snapshotToWire,
  uuidToBytes,
  volFromWire,
  volToWire,
  type DomainRef,
  type NetworkRef,
  type NodeDeviceRef,
  type SecretRef,
  type SnapshotRef,
  type StoragePoolRef,
  type StorageVolRef,
} from './refs';
import { decodeTypedParams, domainStatsRetDecoder, type TypedParams } from './typedParams';
import type { RemoteTypedParam } from './generated/remoteProtocol';
import type { StopIntentRecorder } from './alerts/operationJournal';
import { domainListRetDecoder } from './bulkDecoders';
import {
  EventHub,
  type DomainEvent,
  type EventRegistrar,
  type EventSubscription,
  type NetworkEvent,
  type NodeDeviceEvent,
  type SecretEvent,
  type StoragePoolEvent,
  type SubscribeOptions,
} from './events';

export type { DomainRef, NetworkRef, NodeDeviceRef, SecretRef, SnapshotRef, StoragePoolRef, StorageVolRef } from './refs';
export type { DomainEvent, EventSubscription, NetworkEvent, NodeDeviceEvent, SecretEvent, StoragePoolEvent } from './events';
export type { TypedParams } from './typedParams';
export type { TransportOptions } from './transport/open';
export type { SshPrompts } from './transport/sshAuth';
export type { UnknownHostKey } from './transport/sshHostKey';

/**
 * Transport options (SSH prompts in `sshPrompts`, unknown host keys in `confirmUnknownHost`,
 * timeouts) plus what the connection itself needs.
 */
export interface ConnectOptions extends TransportOptions {
  readonly readOnly?: boolean;
  /** Timeout of each call (default: none, except the handshake's own 30 s). */
  readonly callTimeoutMs?: number;
  /**
   * Told of every stop-type call this connection makes (shut down, force off, save, migrate,
   * revert, agent shutdown), so a stop event can be matched with a request made from here.
   */
  readonly stopIntents?: StopIntentRecorder;
}

export interface NodeInfo {
  readonly model: string;
  /** KiB */
  readonly memory: number;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

export interface DomainInfo {
  /** virDomainState */
  readonly state: number;
  /** KiB */
  readonly maxMem: number;
  /** KiB */
  readonly memory: number;
  readonly nrVirtCpu: number;
  /** ns */
  readonly cpuTime: number;
}

export interface DomainStatsRecord {
  readonly dom: DomainRef;
  readonly params: TypedParams;
}

export interface DomainInterface {
  readonly name: string;
  readonly hwaddr: string | null;
  /** `type` is virIPAddrType (0 IPv4, 1 IPv6). */
  readonly addrs: readonly { readonly type: number; readonly addr: string; readonly prefix: number }[];
}

/** virDomainGetBlockInfo: bytes. */
export interface DomainBlockInfo {
  readonly capacity: number;
  readonly allocation: number;
  readonly physical: number;
}

export interface DomainJobInfo {
  /** virDomainJobType */
  readonly type: number;
  readonly timeElapsed: number;
  readonly timeRemaining: number;
  readonly dataTotal: number;
  readonly dataProcessed: number;
  readonly dataRemaining: number;
  readonly memTotal: number;
  readonly memProcessed: number;
  readonly memRemaining: number;
  readonly fileTotal: number;
  readonly fileProcessed: number;
  readonly fileRemaining: number;
}

export interface NetworkDhcpLease {
  readonly iface: string;
  /** Seconds since the epoch. */
  readonly expirytime: number;
  /** virIPAddrType */
  readonly type: number;
  readonly mac: string | null;
  readonly iaid: string | null;
  readonly ipaddr: string;
  readonly prefix: number;
  readonly hostname: string | null;
  readonly clientid: string | null;
}

export interface StoragePoolInfo {
  /** virStoragePoolState */
  readonly state: number;
  /** bytes */
  readonly capacity: number;
  readonly allocation: number;
  readonly available: number;
}

export interface StorageVolInfo {
  /** virStorageVolType */
  readonly type: number;
  /** bytes */
  readonly capacity: number;
  readonly allocation: number;
}

/** char model[32] arrives as 32 ints (rpcgen's char array): a NUL-terminated string. */
function charArrayToString(chars: readonly number[]): string {
  const end = chars.indexOf(0);
  return Buffer.from((end < 0 ? chars : chars.slice(0, end)).map((c) => c & 0xff)).toString('latin1');
}

/** CONNECT_LIST_ALL_DOMAINS whose reply decodes straight into DomainRef[]. */
const LIST_ALL_DOMAINS = { ...P.CONNECT_LIST_ALL_DOMAINS, ret: domainListRetDecoder };

/** CONNECT_GET_ALL_DOMAIN_STATS whose reply decodes straight into DomainStatsRecord[]. */
const GET_ALL_DOMAIN_STATS = { ...P.CONNECT_GET_ALL_DOMAIN_STATS, ret: domainStatsRetDecoder };

function readAll(stream: RpcStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('error', reject);
    stream.once('end', () => {
      finishStream(stream).then(() => resolve(Buffer.concat(chunks)), reject);
    });
  });
}

export class Connection {
  private readonly events: EventHub;
  private readonly callOpts: CallOptions;
  private readonly subscriptions: Disposable[] = [];
  private readonly stopIntents: StopIntentRecorder | undefined;

  /** Wraps an RPC connection whose CONNECT_OPEN has already succeeded. */
  constructor(
    private readonly rpc: RpcCaller,
    /** The URI this connection was opened with, for display. */
    readonly uri: string,
    opts: { readonly callTimeoutMs?: number; readonly stopIntents?: StopIntentRecorder } = {},
  ) {
    this.callOpts = opts.callTimeoutMs !== undefined ? { timeoutMs: opts.callTimeoutMs } : {};
    this.stopIntents = opts.stopIntents;
    const registrar = <A>(
      register: ProcedureInfo<A, { callbackID: number }>,
      args: (eventID: number) => A,
      deregister: ProcedureInfo<{ callbackID: number }, void>,
    ): EventRegistrar => ({
      register: async (eventID) => (await this.call(register, args(eventID))).callbackID,
      deregister: (callbackID) => this.call(deregister, { callbackID }),
    });
    // One registration per event ID for all objects (the object argument is null).
    this.events = new EventHub({
      domain: registrar(
        P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
        (eventID) => ({ eventID, dom: null }),
        P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
      ),
      network: registrar(P.CONNECT_NETWORK_EVENT_REGISTER_ANY, (eventID) => ({ eventID, net: null }), P.CONNECT_NETWORK_EVENT_DEREGISTER_ANY),
      storagePool: registrar(
        P.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
        (eventID) => ({ eventID, pool: null }),
        P.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY,
      ),
      nodeDevice: registrar(
        P.CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY,
        (eventID) => ({ eventID, dev: null }),
        P.CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY,
      ),
      secret: registrar(P.CONNECT_SECRET_EVENT_REGISTER_ANY, (eventID) => ({ eventID, secret: null }), P.CONNECT_SECRET_EVENT_DEREGISTER_ANY),
    });
    this.subscriptions.push(
      rpc.onEvent((e: RpcEvent) => {
        if (e.procedure.program === REMOTE_PROGRAM) this.events.handle(e.procedure.name, e.body);
      }),
      rpc.onClose(() => this.events.markDead()),
    );
  }

  /**
   * Parses the URI, opens its transport (unix, tcp, tls, ssh) and does libvirt's handshake
   * (authentication, keepalive, CONNECT_OPEN of the daemon-side URI).
   */
  static async open(uri: string, opts: ConnectOptions = {}): Promise<Connection> {
    const parsed = parseUri(uri);
    const { transport, connected } = await startTransport(parsed, opts);
    const client = new RpcClient(transport, { lookupProcedure: lookupLibvirtProcedure });
    // The handshake is queued on the socket while it connects. A failed connect is reported as
    // such (the socket's TransportError), not as the handshake's closed connection.
    const handshake = openRemote(client, { name: parsed.remoteName(), readOnly: opts.readOnly ?? false });
    try {
      await connected;
      await handshake;
    } catch (e) {
      handshake.catch(() => undefined);
      await client.close().catch(() => undefined);
      throw e;
    }
    return new Connection(client, uri, opts);
  }

  get closed(): boolean {
    return this.rpc.closed;
  }

  async close(): Promise<void> {
    await this.rpc.close();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  /** Fires once when the connection ends; `error` is undefined after close(). */
  onClose(listener: (error: Error | undefined) => void): Disposable {
    return this.rpc.onClose(listener);
  }

  /** Notes a stop request before it is sent (the stop event may arrive before the reply). */
  private intendStop(uuid: string): void {
    this.stopIntents?.recordStop(uuid);
  }

  private call<A, R>(proc: ProcedureInfo<A, R>, args: A): Promise<R> {
    return this.rpc.call(proc, args, this.callOpts);
  }

  private async stream<A, R>(proc: ProcedureInfo<A, R>, args: A): Promise<{ ret: R; stream: RpcStream }> {
    return this.rpc.callWithStream(proc, args, this.callOpts);
  }

  // ------------------------------------------------------------------------------- events

  onDomainEvent(listener: (e: DomainEvent) => void, opts?: SubscribeOptions<DomainEvent['kind']>): EventSubscription {
    return this.events.domain.subscribe(listener, opts);
  }

  onNetworkEvent(listener: (e: NetworkEvent) => void, opts?: SubscribeOptions<NetworkEvent['kind']>): EventSubscription {
    return this.events.network.subscribe(listener, opts);
  }

  onStoragePoolEvent(listener: (e: StoragePoolEvent) => void, opts?: SubscribeOptions<StoragePoolEvent['kind']>): EventSubscription {
    return this.events.storagePool.subscribe(listener, opts);
  }

  onNodeDeviceEvent(listener: (e: NodeDeviceEvent) => void, opts?: SubscribeOptions<NodeDeviceEvent['kind']>): EventSubscription {
    return this.events.nodeDevice.subscribe(listener, opts);
  }

  onSecretEvent(listener: (e: SecretEvent) => void, opts?: SubscribeOptions<SecretEvent['kind']>): EventSubscription {
    return this.events.secret.subscribe(listener, opts);
  }

  // --------------------------------------------------------------------------------- host

  async connectGetCapabilities(): Promise<string> {
    return (await this.call(P.CONNECT_GET_CAPABILITIES, undefined)).capabilities;
  }

  async connectGetDomainCapabilities(
    emulatorbin: string | null = null,
    arch: string | null = null,
    machine: string | null = null,
    virttype: string | null = null,
    flags = 0,
  ): Promise<string> {
    return (await this.call(P.CONNECT_GET_DOMAIN_CAPABILITIES, { emulatorbin, arch, machine, virttype, flags })).capabilities;
  }

  async connectGetHostname(): Promise<string> {
    return (await this.call(P.CONNECT_GET_HOSTNAME, undefined)).hostname;
  }

  /** libvirt's version as major * 1,000,000 + minor * 1,000 + release. */
  async connectGetLibVersion(): Promise<number> {
    return hyperToNumber((await this.call(P.CONNECT_GET_LIB_VERSION, undefined)).lib_ver, 'lib_ver');
  }

  /** The hypervisor's version, encoded like connectGetLibVersion(). */
  async connectGetVersion(): Promise<number> {
    return hyperToNumber((await this.call(P.CONNECT_GET_VERSION, undefined)).hv_ver, 'hv_ver');
  }

  /** The hypervisor driver's name, e.g. "QEMU". */
  async connectGetType(): Promise<string> {
    return (await this.call(P.CONNECT_GET_TYPE, undefined)).type;
  }

  async connectGetUri(): Promise<string> {
    return (await this.call(P.CONNECT_GET_URI, undefined)).uri;
  }

  async nodeGetInfo(): Promise<NodeInfo> {
    const r = await this.call(P.NODE_GET_INFO, undefined);
    return {
      model: charArrayToString(r.model),
      memory: hyperToNumber(r.memory, 'memory'),
      cpus: r.cpus,
      mhz: r.mhz,
      nodes: r.nodes,
      sockets: r.sockets,
      cores: r.cores,
      threads: r.threads,
    };
  }

  /**
   * virNodeGetCPUStats: the host's CPU time counters (ns) by field ("kernel", "user", "idle",
   * "iowait" on Linux), summed over all CPUs with `cpuNum` -1. The daemon wants `nparams` equal to
   * the driver's count (a call with 0 returns that count): pass the count once learnt, or omit it
   * and this asks first.
   */
  async nodeGetCpuStats(cpuNum = -1, nparams?: number): Promise<Record<string, number>> {
    const n = nparams ?? (await this.call(P.NODE_GET_CPU_STATS, { cpuNum, nparams: 0, flags: 0 })).nparams;
    const r = await this.call(P.NODE_GET_CPU_STATS, { cpuNum, nparams: n, flags: 0 });
    return Object.fromEntries(r.params.map((p) => [p.field, Number(p.value)]));
  }

  /** virNodeGetMemoryStats: the host's memory by field ("total", "free", "buffers", "cached"; KiB), all cells with -1. */
  async nodeGetMemoryStats(cellNum = -1, nparams?: number): Promise<Record<string, number>> {
    const n = nparams ?? (await this.call(P.NODE_GET_MEMORY_STATS, { cellNum, nparams: 0, flags: 0 })).nparams;
    const r = await this.call(P.NODE_GET_MEMORY_STATS, { cellNum, nparams: n, flags: 0 });
    return Object.fromEntries(r.params.map((p) => [p.field, Number(p.value)]));
  }

  /** Free memory of the host, in bytes. */
  async nodeGetFreeMemory(): Promise<number> {
    return hyperToNumber((await this.call(P.NODE_GET_FREE_MEMORY, undefined)).freeMem, 'freeMem');
  }

  // ------------------------------------------------------------------------------ domains

  /** All domains (flags: virConnectListAllDomainsFlags), in one call. */
  async connectListAllDomains(flags = 0): Promise<DomainRef[]> {
    return this.call(LIST_ALL_DOMAINS, { need_results: 1, flags });
  }

  /**
   * Statistics of all domains (or of `doms`) in one call. `stats` is a virDomainStatsTypes mask,
   * `flags` virConnectGetAllDomainStatsFlags (list filters only apply without `doms`).
   */
  async connectGetAllDomainStats(stats: number, flags = 0, doms: readonly DomainRef[] = []): Promise<DomainStatsRecord[]> {
    return this.call(GET_ALL_DOMAIN_STATS, { doms: doms.map(domainToWire), stats, flags });
  }

  async domainLookupByName(name: string): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_LOOKUP_BY_NAME, { name })).dom);
  }

  async domainLookupByUuid(uuid: string): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_LOOKUP_BY_UUID, { uuid: uuidToBytes(uuid) })).dom);
  }

  async domainLookupById(id: number): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_LOOKUP_BY_ID, { id })).dom);
  }

  /** virDomainState and its reason enum value. */
  async domainGetState(dom: DomainRef, flags = 0): Promise<{ state: number; reason: number }> {
    const r = await this.call(P.DOMAIN_GET_STATE, { dom: domainToWire(dom), flags });
    return { state: r.state, reason: r.reason };
  }

  async domainGetInfo(dom: DomainRef): Promise<DomainInfo> {
    const r = await this.call(P.DOMAIN_GET_INFO, { dom: domainToWire(dom) });
    return {
      state: r.state,
      maxMem: hyperToNumber(r.maxMem, 'maxMem'),
      memory: hyperToNumber(r.memory, 'memory'),
      nrVirtCpu: r.nrVirtCpu,
      cpuTime: hyperToNumber(r.cpuTime, 'cpuTime'),
    };
  }

  async domainGetXmlDesc(dom: DomainRef, flags = 0): Promise<string> {
    return (await this.call(P.DOMAIN_GET_XML_DESC, { dom: domainToWire(dom), flags })).xml;
  }

  /** flags: virDomainDefineFlags (VALIDATE = 1 checks the XML against the schema). */
  async domainDefineXml(xml: string, flags = 0): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_DEFINE_XML_FLAGS, { xml, flags })).dom);
  }

  /** flags: virDomainUndefineFlagsValues (MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, KEEP_NVRAM, TPM, ...). */
  async domainUndefine(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_UNDEFINE_FLAGS, { dom: domainToWire(dom), flags });
  }

  /** Starts a defined domain; returns its ref with the new id. */
  async domainCreate(dom: DomainRef, flags = 0): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_CREATE_WITH_FLAGS, { dom: domainToWire(dom), flags })).dom);
  }

  /** Starts a transient domain. */
  async domainCreateXml(xml: string, flags = 0): Promise<DomainRef> {
    return domainFromWire((await this.call(P.DOMAIN_CREATE_XML, { xml_desc: xml, flags })).dom);
  }

  async domainShutdown(dom: DomainRef, flags = 0): Promise<void> {
    this.intendStop(dom.uuid);
    await this.call(P.DOMAIN_SHUTDOWN_FLAGS, { dom: domainToWire(dom), flags });
  }

  async domainReboot(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_REBOOT, { dom: domainToWire(dom), flags });
  }

  async domainDestroy(dom: DomainRef, flags = 0): Promise<void> {
    this.intendStop(dom.uuid);
    await this.call(P.DOMAIN_DESTROY_FLAGS, { dom: domainToWire(dom), flags });
  }

  async domainReset(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_RESET, { dom: domainToWire(dom), flags });
  }

  async domainSuspend(dom: DomainRef): Promise<void> {
    await this.call(P.DOMAIN_SUSPEND, { dom: domainToWire(dom) });
  }

  async domainResume(dom: DomainRef): Promise<void> {
    await this.call(P.DOMAIN_RESUME, { dom: domainToWire(dom) });
  }

  async domainManagedSave(dom: DomainRef, flags = 0): Promise<void> {
    this.intendStop(dom.uuid);
    await this.call(P.DOMAIN_MANAGED_SAVE, { dom: domainToWire(dom), flags });
  }

  async domainManagedSaveRemove(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_MANAGED_SAVE_REMOVE, { dom: domainToWire(dom), flags });
  }

  async domainHasManagedSaveImage(dom: DomainRef, flags = 0): Promise<boolean> {
    return (await this.call(P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, { dom: domainToWire(dom), flags })).result !== 0;
  }

  async domainGetAutostart(dom: DomainRef): Promise<boolean> {
    return (await this.call(P.DOMAIN_GET_AUTOSTART, { dom: domainToWire(dom) })).autostart !== 0;
  }

  async domainSetAutostart(dom: DomainRef, autostart: boolean): Promise<void> {
    await this.call(P.DOMAIN_SET_AUTOSTART, { dom: domainToWire(dom), autostart: autostart ? 1 : 0 });
  }

  /** Renames an inactive domain; returns the ref under its new name (same UUID). */
  async domainRename(dom: DomainRef, newName: string, flags = 0): Promise<DomainRef> {
    if (newName.length === 0) throw new InvalidArgumentError('the new domain name is empty');
    await this.call(P.DOMAIN_RENAME, { dom: domainToWire(dom), new_name: newName, flags });
    return { ...dom, name: newName };
  }

  /** flags: virDomainVcpuFlags / virDomainModificationImpact. */
  async domainSetVcpusFlags(dom: DomainRef, nvcpus: number, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SET_VCPUS_FLAGS, { dom: domainToWire(dom), nvcpus, flags });
  }

  /** `memory` in KiB; flags: virDomainMemoryModFlags. */
  async domainSetMemoryFlags(dom: DomainRef, memory: number, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SET_MEMORY_FLAGS, { dom: domainToWire(dom), memory: numberToUhyper(memory, 'memory'), flags });
  }

  async domainAttachDeviceFlags(dom: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_ATTACH_DEVICE_FLAGS, { dom: domainToWire(dom), xml, flags });
  }

  async domainDetachDeviceFlags(dom: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_DETACH_DEVICE_FLAGS, { dom: domainToWire(dom), xml, flags });
  }

  async domainUpdateDeviceFlags(dom: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_UPDATE_DEVICE_FLAGS, { dom: domainToWire(dom), xml, flags });
  }

  /** A screenshot of `screen` (0 = primary), read whole from the stream. */
  async domainScreenshot(dom: DomainRef, screen = 0, flags = 0): Promise<{ mime: string; data: Buffer }> {
    const { ret, stream } = await this.stream(P.DOMAIN_SCREENSHOT, { dom: domainToWire(dom), screen, flags });
    const data = await readAll(stream);
    return { mime: ret.mime ?? 'application/octet-stream', data };
  }

  /** codeset: virKeycodeSet; holdtime in ms; at most 16 keycodes. */
  async domainSendKey(dom: DomainRef, codeset: number, holdtime: number, keycodes: readonly number[], flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SEND_KEY, { dom: domainToWire(dom), codeset, holdtime, keycodes: [...keycodes], flags });
  }

  /** Resizes a disk of a running domain (`disk`: target dev or source path); flags: virDomainBlockResizeFlags (BYTES = size in bytes, else KiB). */
  async domainBlockResize(dom: DomainRef, disk: string, size: number, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_BLOCK_RESIZE, { dom: domainToWire(dom), disk, size: numberToUhyper(size, 'size'), flags });
  }

  async domainInjectNmi(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_INJECT_NMI, { dom: domainToWire(dom), flags });
  }

  /** source: virDomainInterfaceAddressesSource (0 lease, 1 agent, 2 arp). */
  async domainInterfaceAddresses(dom: DomainRef, source: number, flags = 0): Promise<DomainInterface[]> {
    const r = await this.call(P.DOMAIN_INTERFACE_ADDRESSES, { dom: domainToWire(dom), source, flags });
    return r.ifaces.map((i) => ({ name: i.name, hwaddr: i.hwaddr, addrs: i.addrs.map((a) => ({ type: a.type, addr: a.addr, prefix: a.prefix })) }));
  }

  /**
   * The guest's hostname (virDomainGetHostname). flags: virDomainGetHostnameFlags (AGENT asks
   * the guest agent, LEASE the DHCP leases of libvirt networks; 0 lets libvirt choose).
   */
  async domainGetHostname(dom: DomainRef, flags = 0): Promise<string> {
    return (await this.call(P.DOMAIN_GET_HOSTNAME, { dom: domainToWire(dom), flags })).hostname;
  }


  /**
   * Facts the guest agent reports (virDomainGetGuestInfo): `types` is a virDomainGuestInfoTypes
   * mask (0 = all); the reply is typed parameters such as `hostname`, `os.name`, `fs.0.mountpoint`
   * (decoded by guestAgent.ts).
   */
  async domainGetGuestInfo(dom: DomainRef, types: number, flags = 0): Promise<TypedParams> {
    return decodeTypedParams((await this.call(P.DOMAIN_GET_GUEST_INFO, { dom: domainToWire(dom), types, flags })).params);
  }

  /** The guest's clock as its agent reads it (virDomainGetTime): seconds and nanoseconds since the epoch. */
  async domainGetTime(dom: DomainRef, flags = 0): Promise<{ seconds: number; nseconds: number }> {
    const r = await this.call(P.DOMAIN_GET_TIME, { dom: domainToWire(dom), flags });
    return { seconds: hyperToNumber(r.seconds, 'seconds'), nseconds: r.nseconds };
  }

  /**
   * Sets the guest's clock through its agent (virDomainSetTime). flags: virDomainSetTimeFlags;
   * with SYNC the guest reads its own RTC (which QEMU keeps at the host's time) and the given time is ignored.
   */
  async domainSetTime(dom: DomainRef, seconds: number, nseconds: number, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SET_TIME, { dom: domainToWire(dom), seconds: BigInt(Math.trunc(seconds)), nseconds, flags });
  }

  /** Freezes the guest's file systems (all when `mountpoints` is empty); returns how many were frozen. */
  async domainFSFreeze(dom: DomainRef, mountpoints: readonly string[] = [], flags = 0): Promise<number> {
    return (await this.call(P.DOMAIN_FSFREEZE, { dom: domainToWire(dom), mountpoints: [...mountpoints], flags })).filesystems;
  }

  /** Thaws the guest's file systems (all when `mountpoints` is empty); returns how many were thawed. */
  async domainFSThaw(dom: DomainRef, mountpoints: readonly string[] = [], flags = 0): Promise<number> {
    return (await this.call(P.DOMAIN_FSTHAW, { dom: domainToWire(dom), mountpoints: [...mountpoints], flags })).filesystems;
  }

  /**
   * Sets a guest user's password through the agent (virDomainSetUserPassword). flags:
   * virDomainSetUserPasswordFlags (ENCRYPTED: `password` is already crypt()ed). The password is
   * never logged: nothing in the RPC layer logs arguments.
   */
  async domainSetUserPassword(dom: DomainRef, user: string, password: string, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SET_USER_PASSWORD, { dom: domainToWire(dom), user, password, flags });
  }

  /** type: virDomainMetadataType; `uri` only for ELEMENT. */
  async domainGetMetadata(dom: DomainRef, type: number, uri: string | null = null, flags = 0): Promise<string> {
    return (await this.call(P.DOMAIN_GET_METADATA, { dom: domainToWire(dom), type, uri, flags })).metadata;
  }

  async domainSetMetadata(
    dom: DomainRef,
    type: number,
    metadata: string | null,
    key: string | null = null,
    uri: string | null = null,
    flags = 0,
  ): Promise<void> {
    await this.call(P.DOMAIN_SET_METADATA, { dom: domainToWire(dom), type, metadata, key, uri, flags });
  }

  /** A bidirectional byte stream to the domain's console (devName null = the first one). */
  async domainOpenConsole(dom: DomainRef, devName: string | null = null, flags = 0): Promise<RpcStream> {
    return (await this.stream(P.DOMAIN_OPEN_CONSOLE, { dom: domainToWire(dom), dev_name: devName, flags })).stream;
  }

  async domainIsActive(dom: DomainRef): Promise<boolean> {
    return (await this.call(P.DOMAIN_IS_ACTIVE, { dom: domainToWire(dom) })).active !== 0;
  }

  async domainIsPersistent(dom: DomainRef): Promise<boolean> {
    return (await this.call(P.DOMAIN_IS_PERSISTENT, { dom: domainToWire(dom) })).persistent !== 0;
  }

  /**
   * Sizes of one disk, named by its target (vda) or source path. For an inactive domain libvirt
   * opens the file, so a missing file fails with isNoSuchFile.
   */
  async domainGetBlockInfo(dom: DomainRef, disk: string, flags = 0): Promise<DomainBlockInfo> {
    const r = await this.call(P.DOMAIN_GET_BLOCK_INFO, { dom: domainToWire(dom), path: disk, flags });
    return { capacity: hyperToNumber(r.capacity, 'capacity'), allocation: hyperToNumber(r.allocation, 'allocation'), physical: hyperToNumber(r.physical, 'physical') };
  }

  async domainGetJobInfo(dom: DomainRef): Promise<DomainJobInfo> {
    const r = await this.call(P.DOMAIN_GET_JOB_INFO, { dom: domainToWire(dom) });
    const n = (v: bigint, what: string): number => hyperToNumber(v, what);
    return {
      type: r.type,
      timeElapsed: n(r.timeElapsed, 'timeElapsed'),
      timeRemaining: n(r.timeRemaining, 'timeRemaining'),
      dataTotal: n(r.dataTotal, 'dataTotal'),
      dataProcessed: n(r.dataProcessed, 'dataProcessed'),
      dataRemaining: n(r.dataRemaining, 'dataRemaining'),
      memTotal: n(r.memTotal, 'memTotal'),
      memProcessed: n(r.memProcessed, 'memProcessed'),
      memRemaining: n(r.memRemaining, 'memRemaining'),
      fileTotal: n(r.fileTotal, 'fileTotal'),
      fileProcessed: n(r.fileProcessed, 'fileProcessed'),
      fileRemaining: n(r.fileRemaining, 'fileRemaining'),
    };
  }

  /** virDomainGetJobStats: the job type (virDomainJobType) and its statistics by field name. */
  async domainGetJobStats(dom: DomainRef, flags = 0): Promise<{ type: number; params: TypedParams }> {
    const r = await this.call(P.DOMAIN_GET_JOB_STATS, { dom: domainToWire(dom), flags });
    return { type: r.type, params: decodeTypedParams(r.params) };
  }

  async domainAbortJob(dom: DomainRef): Promise<void> {
    await this.call(P.DOMAIN_ABORT_JOB, { dom: domainToWire(dom) });
  }

  // ---------------------------------------------------------------------------- migration
  // The five steps of a version-3 migration with typed parameters (virDomainMigrate3 in libvirt's
  // C library drives them across two connections; src/libvirt/migration.ts does the same here).
  // Cookies are opaque bytes handed from one step to the next.

  async domainMigrateBegin3Params(dom: DomainRef, params: readonly RemoteTypedParam[], flags: number): Promise<{ cookie: Buffer; xml: string }> {
    const r = await this.call(P.DOMAIN_MIGRATE_BEGIN3_PARAMS, { dom: domainToWire(dom), params: [...params], flags });
    return { cookie: r.cookie_out, xml: r.xml };
  }

  async domainMigratePrepare3Params(params: readonly RemoteTypedParam[], cookie: Buffer, flags: number): Promise<{ cookie: Buffer; uri: string | null }> {
    const r = await this.call(P.DOMAIN_MIGRATE_PREPARE3_PARAMS, { params: [...params], cookie_in: cookie, flags });
    return { cookie: r.cookie_out, uri: r.uri_out };
  }

  /** `dconnuri` only for peer-to-peer (the source daemon connects to it itself), else null. */
  async domainMigratePerform3Params(
    dom: DomainRef,
    dconnuri: string | null,
    params: readonly RemoteTypedParam[],
    cookie: Buffer,
    flags: number,
  ): Promise<Buffer> {
    this.intendStop(dom.uuid);
    const r = await this.call(P.DOMAIN_MIGRATE_PERFORM3_PARAMS, { dom: domainToWire(dom), dconnuri, params: [...params], cookie_in: cookie, flags });
    return r.cookie_out;
  }

  async domainMigrateFinish3Params(
    params: readonly RemoteTypedParam[],
    cookie: Buffer,
    flags: number,
    cancelled: boolean,
  ): Promise<{ dom: DomainRef; cookie: Buffer }> {
    const r = await this.call(P.DOMAIN_MIGRATE_FINISH3_PARAMS, { params: [...params], cookie_in: cookie, flags, cancelled: cancelled ? 1 : 0 });
    return { dom: domainFromWire(r.dom), cookie: r.cookie_out };
  }

  async domainMigrateConfirm3Params(dom: DomainRef, params: readonly RemoteTypedParam[], cookie: Buffer, flags: number, cancelled: boolean): Promise<void> {
    await this.call(P.DOMAIN_MIGRATE_CONFIRM3_PARAMS, { dom: domainToWire(dom), params: [...params], cookie_in: cookie, flags, cancelled: cancelled ? 1 : 0 });
  }

  async domainMigrateStartPostCopy(dom: DomainRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_MIGRATE_START_POST_COPY, { dom: domainToWire(dom), flags });
  }

  /** virConnectCompareHypervisorCPU: a virCPUCompareResult. */
  async connectCompareHypervisorCpu(
    emulator: string | null,
    arch: string | null,
    machine: string | null,
    virttype: string | null,
    xmlCpu: string,
    flags = 0,
  ): Promise<number> {
    return (await this.call(P.CONNECT_COMPARE_HYPERVISOR_CPU, { emulator, arch, machine, virttype, xmlCPU: xmlCpu, flags })).result;
  }

  // ---------------------------------------------------------------------------- snapshots

  async domainSnapshotCreateXml(dom: DomainRef, xml: string, flags = 0): Promise<SnapshotRef> {
    return snapshotFromWire((await this.call(P.DOMAIN_SNAPSHOT_CREATE_XML, { dom: domainToWire(dom), xml_desc: xml, flags })).snap);
  }

  async domainListAllSnapshots(dom: DomainRef, flags = 0): Promise<SnapshotRef[]> {
    return (await this.call(P.DOMAIN_LIST_ALL_SNAPSHOTS, { dom: domainToWire(dom), need_results: 1, flags })).snapshots.map(snapshotFromWire);
  }

  async domainSnapshotGetXmlDesc(snap: SnapshotRef, flags = 0): Promise<string> {
    return (await this.call(P.DOMAIN_SNAPSHOT_GET_XML_DESC, { snap: snapshotToWire(snap), flags })).xml;
  }

  async domainRevertToSnapshot(snap: SnapshotRef, flags = 0): Promise<void> {
    this.intendStop(snap.dom.uuid);
    await this.call(P.DOMAIN_REVERT_TO_SNAPSHOT, { snap: snapshotToWire(snap), flags });
  }

  async domainSnapshotDelete(snap: SnapshotRef, flags = 0): Promise<void> {
    await this.call(P.DOMAIN_SNAPSHOT_DELETE, { snap: snapshotToWire(snap), flags });
  }

  async domainSnapshotNum(dom: DomainRef, flags = 0): Promise<number> {
    return (await this.call(P.DOMAIN_SNAPSHOT_NUM, { dom: domainToWire(dom), flags })).num;
  }

  async domainSnapshotCurrent(dom: DomainRef, flags = 0): Promise<SnapshotRef> {
    return snapshotFromWire((await this.call(P.DOMAIN_SNAPSHOT_CURRENT, { dom: domainToWire(dom), flags })).snap);
  }

  /**
   * virDomainQemuAgentCommand (libvirt-qemu.h, the QEMU program's procedure 3): sends one guest
   * agent command as JSON and returns the agent's JSON reply. timeout: seconds, or -2 block,
   * -1 default, 0 no wait (VIR_DOMAIN_QEMU_AGENT_COMMAND_*).
   */
  async qemuDomainAgentCommand(dom: DomainRef, cmd: string, timeout: number, flags = 0): Promise<string | null> {
    if (/"guest-shutdown"/.test(cmd)) this.intendStop(dom.uuid);
    return (await this.call(QEMU_PROCEDURES.DOMAIN_AGENT_COMMAND, { dom: domainToWire(dom), cmd, timeout, flags })).result;
  }

  // ----------------------------------------------------------------------------- networks

  async connectListAllNetworks(flags = 0): Promise<NetworkRef[]> {
    return (await this.call(P.CONNECT_LIST_ALL_NETWORKS, { need_results: 1, flags })).nets.map(namedUuidFromWire);
  }

  async networkLookupByName(name: string): Promise<NetworkRef> {
    return namedUuidFromWire((await this.call(P.NETWORK_LOOKUP_BY_NAME, { name })).net);
  }

  /** flags (virNetworkDefineFlags) need libvirt >= 7.7; without flags the older call is used. */
  async networkDefineXml(xml: string, flags = 0): Promise<NetworkRef> {
    const r = flags === 0 ? await this.call(P.NETWORK_DEFINE_XML, { xml }) : await this.call(P.NETWORK_DEFINE_XML_FLAGS, { xml, flags });
    return namedUuidFromWire(r.net);
  }

  /** Creates and starts a transient network. */
  async networkCreateXml(xml: string, flags = 0): Promise<NetworkRef> {
    const r = flags === 0 ? await this.call(P.NETWORK_CREATE_XML, { xml }) : await this.call(P.NETWORK_CREATE_XML_FLAGS, { xml, flags });
    return namedUuidFromWire(r.net);
  }

  async networkCreate(net: NetworkRef): Promise<void> {
    await this.call(P.NETWORK_CREATE, { net: namedUuidToWire(net) });
  }

  async networkDestroy(net: NetworkRef): Promise<void> {
    await this.call(P.NETWORK_DESTROY, { net: namedUuidToWire(net) });
  }

  async networkUndefine(net: NetworkRef): Promise<void> {
    await this.call(P.NETWORK_UNDEFINE, { net: namedUuidToWire(net) });
  }

  async networkGetXmlDesc(net: NetworkRef, flags = 0): Promise<string> {
    return (await this.call(P.NETWORK_GET_XML_DESC, { net: namedUuidToWire(net), flags })).xml;
  }

  async networkGetAutostart(net: NetworkRef): Promise<boolean> {
    return (await this.call(P.NETWORK_GET_AUTOSTART, { net: namedUuidToWire(net) })).autostart !== 0;
  }

  async networkSetAutostart(net: NetworkRef, autostart: boolean): Promise<void> {
    await this.call(P.NETWORK_SET_AUTOSTART, { net: namedUuidToWire(net), autostart: autostart ? 1 : 0 });
  }

  async networkIsActive(net: NetworkRef): Promise<boolean> {
    return (await this.call(P.NETWORK_IS_ACTIVE, { net: namedUuidToWire(net) })).active !== 0;
  }

  async networkGetDhcpLeases(net: NetworkRef, mac: string | null = null, flags = 0): Promise<NetworkDhcpLease[]> {
    const r = await this.call(P.NETWORK_GET_DHCP_LEASES, { net: namedUuidToWire(net), mac, need_results: 1, flags });
    return r.leases.map((l) => ({
      iface: l.iface,
      expirytime: hyperToNumber(l.expirytime, 'expirytime'),
      type: l.type,
      mac: l.mac,
      iaid: l.iaid,
      ipaddr: l.ipaddr,
      prefix: l.prefix,
      hostname: l.hostname,
      clientid: l.clientid,
    }));
  }

  /** command: virNetworkUpdateCommand; section: virNetworkUpdateSection; flags: virNetworkUpdateFlags. */
  async networkUpdate(net: NetworkRef, command: number, section: number, parentIndex: number, xml: string, flags = 0): Promise<void> {
    await this.call(P.NETWORK_UPDATE, { net: namedUuidToWire(net), command, section, parentIndex, xml, flags });
  }

  // ------------------------------------------------------------------------------ storage

  async connectListAllStoragePools(flags = 0): Promise<StoragePoolRef[]> {
    return (await this.call(P.CONNECT_LIST_ALL_STORAGE_POOLS, { need_results: 1, flags })).pools.map(namedUuidFromWire);
  }

  async storagePoolLookupByName(name: string): Promise<StoragePoolRef> {
    return namedUuidFromWire((await this.call(P.STORAGE_POOL_LOOKUP_BY_NAME, { name })).pool);
  }

  async storagePoolDefineXml(xml: string, flags = 0): Promise<StoragePoolRef> {
    return namedUuidFromWire((await this.call(P.STORAGE_POOL_DEFINE_XML, { xml, flags })).pool);
  }

  /** Creates and starts a transient pool (gone once destroyed). */
  async storagePoolCreateXml(xml: string, flags = 0): Promise<StoragePoolRef> {
    return namedUuidFromWire((await this.call(P.STORAGE_POOL_CREATE_XML, { xml, flags })).pool);
  }

  async storagePoolCreate(pool: StoragePoolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_POOL_CREATE, { pool: namedUuidToWire(pool), flags });
  }

  async storagePoolBuild(pool: StoragePoolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_POOL_BUILD, { pool: namedUuidToWire(pool), flags });
  }

  async storagePoolDestroy(pool: StoragePoolRef): Promise<void> {
    await this.call(P.STORAGE_POOL_DESTROY, { pool: namedUuidToWire(pool) });
  }

  /** Deletes the pool's underlying storage (for a dir pool: its directory). */
  async storagePoolDelete(pool: StoragePoolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_POOL_DELETE, { pool: namedUuidToWire(pool), flags });
  }

  async storagePoolUndefine(pool: StoragePoolRef): Promise<void> {
    await this.call(P.STORAGE_POOL_UNDEFINE, { pool: namedUuidToWire(pool) });
  }

  async storagePoolRefresh(pool: StoragePoolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_POOL_REFRESH, { pool: namedUuidToWire(pool), flags });
  }

  async storagePoolGetInfo(pool: StoragePoolRef): Promise<StoragePoolInfo> {
    const r = await this.call(P.STORAGE_POOL_GET_INFO, { pool: namedUuidToWire(pool) });
    return {
      state: r.state,
      capacity: hyperToNumber(r.capacity, 'capacity'),
      allocation: hyperToNumber(r.allocation, 'allocation'),
      available: hyperToNumber(r.available, 'available'),
    };
  }

  async storagePoolGetXmlDesc(pool: StoragePoolRef, flags = 0): Promise<string> {
    return (await this.call(P.STORAGE_POOL_GET_XML_DESC, { pool: namedUuidToWire(pool), flags })).xml;
  }

  async storagePoolGetAutostart(pool: StoragePoolRef): Promise<boolean> {
    return (await this.call(P.STORAGE_POOL_GET_AUTOSTART, { pool: namedUuidToWire(pool) })).autostart !== 0;
  }

  async storagePoolSetAutostart(pool: StoragePoolRef, autostart: boolean): Promise<void> {
    await this.call(P.STORAGE_POOL_SET_AUTOSTART, { pool: namedUuidToWire(pool), autostart: autostart ? 1 : 0 });
  }

  async storagePoolListAllVolumes(pool: StoragePoolRef, flags = 0): Promise<StorageVolRef[]> {
    return (await this.call(P.STORAGE_POOL_LIST_ALL_VOLUMES, { pool: namedUuidToWire(pool), need_results: 1, flags })).vols.map(volFromWire);
  }

  async connectFindStoragePoolSources(type: string, srcSpec: string | null = null, flags = 0): Promise<string> {
    return (await this.call(P.CONNECT_FIND_STORAGE_POOL_SOURCES, { type, srcSpec, flags })).xml;
  }

  async connectGetStoragePoolCapabilities(flags = 0): Promise<string> {
    return (await this.call(P.CONNECT_GET_STORAGE_POOL_CAPABILITIES, { flags })).capabilities;
  }

  async storageVolCreateXml(pool: StoragePoolRef, xml: string, flags = 0): Promise<StorageVolRef> {
    return volFromWire((await this.call(P.STORAGE_VOL_CREATE_XML, { pool: namedUuidToWire(pool), xml, flags })).vol);
  }

  /** Creates a volume in `pool` as a copy of `clonevol`. */
  async storageVolCreateXmlFrom(pool: StoragePoolRef, xml: string, clonevol: StorageVolRef, flags = 0): Promise<StorageVolRef> {
    const r = await this.call(P.STORAGE_VOL_CREATE_XML_FROM, { pool: namedUuidToWire(pool), xml, clonevol: volToWire(clonevol), flags });
    return volFromWire(r.vol);
  }

  async storageVolLookupByName(pool: StoragePoolRef, name: string): Promise<StorageVolRef> {
    return volFromWire((await this.call(P.STORAGE_VOL_LOOKUP_BY_NAME, { pool: namedUuidToWire(pool), name })).vol);
  }

  async storageVolLookupByPath(path: string): Promise<StorageVolRef> {
    return volFromWire((await this.call(P.STORAGE_VOL_LOOKUP_BY_PATH, { path })).vol);
  }

  async storageVolGetInfo(vol: StorageVolRef): Promise<StorageVolInfo> {
    const r = await this.call(P.STORAGE_VOL_GET_INFO, { vol: volToWire(vol) });
    return { type: r.type, capacity: hyperToNumber(r.capacity, 'capacity'), allocation: hyperToNumber(r.allocation, 'allocation') };
  }

  async storageVolGetXmlDesc(vol: StorageVolRef, flags = 0): Promise<string> {
    return (await this.call(P.STORAGE_VOL_GET_XML_DESC, { vol: volToWire(vol), flags })).xml;
  }

  async storageVolDelete(vol: StorageVolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_VOL_DELETE, { vol: volToWire(vol), flags });
  }

  async storageVolWipe(vol: StorageVolRef, flags = 0): Promise<void> {
    await this.call(P.STORAGE_VOL_WIPE, { vol: volToWire(vol), flags });
  }

  /** `capacity` in bytes; flags: virStorageVolResizeFlags. */
  async storageVolResize(vol: StorageVolRef, capacity: number, flags = 0): Promise<void> {
    await this.call(P.STORAGE_VOL_RESIZE, { vol: volToWire(vol), capacity: numberToUhyper(capacity, 'capacity'), flags });
  }

  /** A writable stream into the volume from `offset`, `length` bytes (0 = to the end). end() it to finish. */
  async storageVolUpload(vol: StorageVolRef, offset = 0, length = 0, flags = 0): Promise<RpcStream> {
    const args = { vol: volToWire(vol), offset: numberToUhyper(offset, 'offset'), length: numberToUhyper(length, 'length'), flags };
    return (await this.stream(P.STORAGE_VOL_UPLOAD, args)).stream;
  }

  /** A readable stream of the volume's bytes from `offset`, `length` bytes (0 = to the end). */
  async storageVolDownload(vol: StorageVolRef, offset = 0, length = 0, flags = 0): Promise<RpcStream> {
    const args = { vol: volToWire(vol), offset: numberToUhyper(offset, 'offset'), length: numberToUhyper(length, 'length'), flags };
    return (await this.stream(P.STORAGE_VOL_DOWNLOAD, args)).stream;
  }

  // ------------------------------------------------------------------------- node devices

  async connectListAllNodeDevices(flags = 0): Promise<NodeDeviceRef[]> {
    return (await this.call(P.CONNECT_LIST_ALL_NODE_DEVICES, { need_results: 1, flags })).devices.map((d) => ({ name: d.name }));
  }

  async nodeDeviceGetXmlDesc(dev: NodeDeviceRef, flags = 0): Promise<string> {
    return (await this.call(P.NODE_DEVICE_GET_XML_DESC, { name: dev.name, flags })).xml;
  }

  /** Creates a transient device (a mediated device) from XML. */
  async nodeDeviceCreateXml(xml: string, flags = 0): Promise<NodeDeviceRef> {
    return { name: (await this.call(P.NODE_DEVICE_CREATE_XML, { xml_desc: xml, flags })).dev.name };
  }

  /** Defines a persistent device (a mediated device, through mdevctl on the host); start it with nodeDeviceCreate. */
  async nodeDeviceDefineXml(xml: string, flags = 0): Promise<NodeDeviceRef> {
    return { name: (await this.call(P.NODE_DEVICE_DEFINE_XML, { xml_desc: xml, flags })).dev.name };
  }

  async nodeDeviceCreate(dev: NodeDeviceRef, flags = 0): Promise<void> {
    await this.call(P.NODE_DEVICE_CREATE, { name: dev.name, flags });
  }

  async nodeDeviceDestroy(dev: NodeDeviceRef): Promise<void> {
    await this.call(P.NODE_DEVICE_DESTROY, { name: dev.name });
  }

  async nodeDeviceUndefine(dev: NodeDeviceRef, flags = 0): Promise<void> {
    await this.call(P.NODE_DEVICE_UNDEFINE, { name: dev.name, flags });
  }

  // ---------------------------------------------------------------------- host interfaces

  /** The host's interfaces as libvirt's interface driver sees them (flags: virConnectListAllInterfacesFlags). */
  async connectListAllInterfaces(flags = 0): Promise<{ name: string; mac: string }[]> {
    return (await this.call(P.CONNECT_LIST_ALL_INTERFACES, { need_results: 1, flags })).ifaces.map((i) => ({ name: i.name, mac: i.mac }));
  }

  async interfaceGetXmlDesc(iface: { name: string; mac: string }, flags = 0): Promise<string> {
    return (await this.call(P.INTERFACE_GET_XML_DESC, { iface: { name: iface.name, mac: iface.mac }, flags })).xml;
  }

  // ------------------------------------------------------------------------------ secrets

  async connectListAllSecrets(flags = 0): Promise<SecretRef[]> {
    return (await this.call(P.CONNECT_LIST_ALL_SECRETS, { need_results: 1, flags })).secrets.map(secretFromWire);
  }

  async secretGetXmlDesc(secret: SecretRef, flags = 0): Promise<string> {
    return (await this.call(P.SECRET_GET_XML_DESC, { secret: secretToWire(secret), flags })).xml;
  }

  async secretLookupByUuid(uuid: string): Promise<SecretRef> {
    return secretFromWire((await this.call(P.SECRET_LOOKUP_BY_UUID, { uuid: uuidToBytes(uuid) })).secret);
  }

  async secretDefineXml(xml: string, flags = 0): Promise<SecretRef> {
    return secretFromWire((await this.call(P.SECRET_DEFINE_XML, { xml, flags })).secret);
  }

  async secretSetValue(secret: SecretRef, value: Uint8Array, flags = 0): Promise<void> {
    await this.call(P.SECRET_SET_VALUE, { secret: secretToWire(secret), value: Buffer.from(value), flags });
  }

  async secretGetValue(secret: SecretRef, flags = 0): Promise<Buffer> {
    return (await this.call(P.SECRET_GET_VALUE, { secret: secretToWire(secret), flags })).value;
  }

  async secretUndefine(secret: SecretRef): Promise<void> {
    await this.call(P.SECRET_UNDEFINE, { secret: secretToWire(secret) });
  }
}
