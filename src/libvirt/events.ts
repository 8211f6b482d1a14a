// Typed libvirt events and their server-side registration.
//
// libvirt delivers events as MESSAGE packets (remote_protocol.x, the *_EVENT_CALLBACK_* and
// *_EVENT_* procedures); each carries the callbackID returned by the matching
// CONNECT_*_EVENT_*_REGISTER_ANY call. Here one registration is made per event ID (for all
// objects), lazily when the first listener needs it, and dropped when the last listener that
// needs it goes away. Incoming messages are routed by callbackID.

import type { Disposable } from './rpc/types';
import {
  domainFromWire,
  namedUuidFromWire,
  secretFromWire,
  type DomainRef,
  type NetworkRef,
  type NodeDeviceRef,
  type SecretRef,
  type StoragePoolRef,
  type WireDomain,
  type WireNamedUuid,
  type WireSecret,
} from './refs';
import { VirDomainEventID, VirNetworkEventID, VirNodeDeviceEventID, VirSecretEventID, VirStoragePoolEventID } from './generated/libvirtConstants';
import type { RemoteTypedParam } from './generated/remoteProtocol';
import { decodeTypedParams, type TypedParams } from './typedParams';

export interface GraphicsAddress {
  /** virDomainEventGraphicsAddressType */
  readonly family: number;
  readonly node: string;
  readonly service: string;
}

/** One server message, decoded. `event`/`detail`/`reason`/`action` are libvirt's enum values. */
export type DomainEvent =
  | { readonly kind: 'lifecycle'; readonly dom: DomainRef; readonly event: number; readonly detail: number }
  | { readonly kind: 'reboot'; readonly dom: DomainRef }
  | { readonly kind: 'rtcChange'; readonly dom: DomainRef; readonly offset: number }
  | { readonly kind: 'watchdog'; readonly dom: DomainRef; readonly action: number }
  | {
      readonly kind: 'ioError';
      readonly dom: DomainRef;
      readonly srcPath: string;
      readonly devAlias: string;
      readonly action: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'graphics';
      readonly dom: DomainRef;
      readonly phase: number;
      readonly local: GraphicsAddress;
      readonly remote: GraphicsAddress;
      readonly authScheme: string;
      readonly subject: readonly { readonly type: string; readonly name: string }[];
    }
  | { readonly kind: 'controlError'; readonly dom: DomainRef }
  | { readonly kind: 'blockJob'; readonly dom: DomainRef; readonly disk: string; readonly type: number; readonly status: number }
  | {
      readonly kind: 'diskChange';
      readonly dom: DomainRef;
      readonly oldSrcPath: string | null;
      readonly newSrcPath: string | null;
      readonly devAlias: string;
      readonly reason: number;
    }
  | { readonly kind: 'trayChange'; readonly dom: DomainRef; readonly devAlias: string; readonly reason: number }
  | { readonly kind: 'pmWakeup'; readonly dom: DomainRef; readonly reason: number }
  | { readonly kind: 'pmSuspend'; readonly dom: DomainRef; readonly reason: number }
  | { readonly kind: 'balloonChange'; readonly dom: DomainRef; readonly actualKiB: number }
  | { readonly kind: 'pmSuspendDisk'; readonly dom: DomainRef; readonly reason: number }
  | { readonly kind: 'deviceRemoved'; readonly dom: DomainRef; readonly devAlias: string }
  | { readonly kind: 'deviceAdded'; readonly dom: DomainRef; readonly devAlias: string }
  | { readonly kind: 'tunable'; readonly dom: DomainRef; readonly params: TypedParams }
  | { readonly kind: 'agentLifecycle'; readonly dom: DomainRef; readonly state: number; readonly reason: number }
  | { readonly kind: 'migrationIteration'; readonly dom: DomainRef; readonly iteration: number }
  | { readonly kind: 'jobCompleted'; readonly dom: DomainRef; readonly params: TypedParams }
  | { readonly kind: 'deviceRemovalFailed'; readonly dom: DomainRef; readonly devAlias: string }
  | { readonly kind: 'metadataChange'; readonly dom: DomainRef; readonly type: number; readonly nsuri: string | null }
  | {
      readonly kind: 'blockThreshold';
      readonly dom: DomainRef;
      readonly dev: string;
      readonly path: string | null;
      readonly threshold: number;
      readonly excess: number;
    }
  | { readonly kind: 'memoryFailure'; readonly dom: DomainRef; readonly recipient: number; readonly action: number; readonly flags: number }
  | { readonly kind: 'memoryDeviceSizeChange'; readonly dom: DomainRef; readonly alias: string; readonly sizeKiB: number };

export type DomainEventKind = DomainEvent['kind'];

export type NetworkEvent = { readonly kind: 'lifecycle'; readonly net: NetworkRef; readonly event: number; readonly detail: number };
export type StoragePoolEvent =
  | { readonly kind: 'lifecycle'; readonly pool: StoragePoolRef; readonly event: number; readonly detail: number }
  | { readonly kind: 'refresh'; readonly pool: StoragePoolRef };
export type NodeDeviceEvent =
  | { readonly kind: 'lifecycle'; readonly dev: NodeDeviceRef; readonly event: number; readonly detail: number }
  | { readonly kind: 'update'; readonly dev: NodeDeviceRef };
export type SecretEvent =
  | { readonly kind: 'lifecycle'; readonly secret: SecretRef; readonly event: number; readonly detail: number }
  | { readonly kind: 'valueChanged'; readonly secret: SecretRef };

/**
 * virDomainEventID for each kind (libvirt-domain.h). IO errors and block jobs use the newer IDs
 * (IO_ERROR_REASON, BLOCK_JOB_2): they carry strictly more (the reason, the disk target name).
 */
export const DOMAIN_EVENT_IDS: Readonly<Record<DomainEventKind, number>> = {
  lifecycle: VirDomainEventID.LIFECYCLE,
  reboot: VirDomainEventID.REBOOT,
  rtcChange: VirDomainEventID.RTC_CHANGE,
  watchdog: VirDomainEventID.WATCHDOG,
  graphics: VirDomainEventID.GRAPHICS,
  ioError: VirDomainEventID.IO_ERROR_REASON,
  controlError: VirDomainEventID.CONTROL_ERROR,
  diskChange: VirDomainEventID.DISK_CHANGE,
  trayChange: VirDomainEventID.TRAY_CHANGE,
  pmWakeup: VirDomainEventID.PMWAKEUP,
  pmSuspend: VirDomainEventID.PMSUSPEND,
  balloonChange: VirDomainEventID.BALLOON_CHANGE,
  pmSuspendDisk: VirDomainEventID.PMSUSPEND_DISK,
  deviceRemoved: VirDomainEventID.DEVICE_REMOVED,
  blockJob: VirDomainEventID.BLOCK_JOB_2,
  tunable: VirDomainEventID.TUNABLE,
  agentLifecycle: VirDomainEventID.AGENT_LIFECYCLE,
  deviceAdded: VirDomainEventID.DEVICE_ADDED,
  migrationIteration: VirDomainEventID.MIGRATION_ITERATION,
  jobCompleted: VirDomainEventID.JOB_COMPLETED,
  deviceRemovalFailed: VirDomainEventID.DEVICE_REMOVAL_FAILED,
  metadataChange: VirDomainEventID.METADATA_CHANGE,
  blockThreshold: VirDomainEventID.BLOCK_THRESHOLD,
  memoryFailure: VirDomainEventID.MEMORY_FAILURE,
  memoryDeviceSizeChange: VirDomainEventID.MEMORY_DEVICE_SIZE_CHANGE,
};

export const NETWORK_EVENT_IDS: Readonly<Record<NetworkEvent['kind'], number>> = { lifecycle: VirNetworkEventID.LIFECYCLE };
export const STORAGE_POOL_EVENT_IDS: Readonly<Record<StoragePoolEvent['kind'], number>> = {
  lifecycle: VirStoragePoolEventID.LIFECYCLE,
  refresh: VirStoragePoolEventID.REFRESH,
};
export const NODE_DEVICE_EVENT_IDS: Readonly<Record<NodeDeviceEvent['kind'], number>> = {
  lifecycle: VirNodeDeviceEventID.LIFECYCLE,
  update: VirNodeDeviceEventID.UPDATE,
};
export const SECRET_EVENT_IDS: Readonly<Record<SecretEvent['kind'], number>> = {
  lifecycle: VirSecretEventID.LIFECYCLE,
  valueChanged: VirSecretEventID.VALUE_CHANGED,
};

// ---------------------------------------------------------------------------------------------
// Decoding. Field names follow the *_msg structs of remote_protocol.x.

type Decoded<E> = { readonly callbackID: number; readonly event: E };
type Body = Record<string, unknown>;

function isBody(v: unknown): v is Body {
  return typeof v === 'object' && v !== null;
}

function num(b: Body, k: string): number {
  const v = b[k];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new EventDecodeError(`event field ${k} is not a number`);
}

function str(b: Body, k: string): string {
  const v = b[k];
  if (typeof v !== 'string') throw new EventDecodeError(`event field ${k} is not a string`);
  return v;
}

function optStr(b: Body, k: string): string | null {
  const v = b[k];
  if (v === null || typeof v === 'string') return v;
  throw new EventDecodeError(`event field ${k} is not an optional string`);
}

function sub(b: Body, k: string): Body {
  const v = b[k];
  if (!isBody(v)) throw new EventDecodeError(`event field ${k} is not a struct`);
  return v;
}

function dom(b: Body, k = 'dom'): DomainRef {
  return domainFromWire(sub(b, k) as unknown as WireDomain);
}

function params(b: Body, k: string): TypedParams {
  const v = b[k];
  if (!Array.isArray(v)) throw new EventDecodeError(`event field ${k} is not an array`);
  return decodeTypedParams(v as RemoteTypedParam[]);
}

function address(b: Body): GraphicsAddress {
  return { family: num(b, 'family'), node: str(b, 'node'), service: str(b, 'service') };
}

export class EventDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventDecodeError';
  }

  static is(e: unknown): e is EventDecodeError {
    return e instanceof EventDecodeError;
  }
}

/** Messages of the form {int callbackID; remote_domain_event_X_msg msg}. */
function wrapped(decode: (m: Body) => DomainEvent): (b: Body) => Decoded<DomainEvent> {
  return (b) => ({ callbackID: num(b, 'callbackID'), event: decode(sub(b, 'msg')) });
}

/** Messages of the form {int callbackID; int reason; remote_domain_event_X_msg msg}. */
function wrappedWithReason(kind: 'pmWakeup' | 'pmSuspend' | 'pmSuspendDisk'): (b: Body) => Decoded<DomainEvent> {
  return (b) => ({ callbackID: num(b, 'callbackID'), event: { kind, dom: dom(sub(b, 'msg')), reason: num(b, 'reason') } });
}

/** Messages with callbackID and the fields side by side. */
function flat(decode: (m: Body) => DomainEvent): (b: Body) => Decoded<DomainEvent> {
  return (b) => ({ callbackID: num(b, 'callbackID'), event: decode(b) });
}

const DOMAIN_DECODERS: ReadonlyMap<string, (b: Body) => Decoded<DomainEvent>> = new Map([
  ['DOMAIN_EVENT_CALLBACK_LIFECYCLE', wrapped((m) => ({ kind: 'lifecycle', dom: dom(m), event: num(m, 'event'), detail: num(m, 'detail') }))],
  ['DOMAIN_EVENT_CALLBACK_REBOOT', wrapped((m) => ({ kind: 'reboot', dom: dom(m) }))],
  ['DOMAIN_EVENT_CALLBACK_RTC_CHANGE', wrapped((m) => ({ kind: 'rtcChange', dom: dom(m), offset: num(m, 'offset') }))],
  ['DOMAIN_EVENT_CALLBACK_WATCHDOG', wrapped((m) => ({ kind: 'watchdog', dom: dom(m), action: num(m, 'action') }))],
  [
    'DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON',
    wrapped((m) => ({
      kind: 'ioError',
      dom: dom(m),
      srcPath: str(m, 'srcPath'),
      devAlias: str(m, 'devAlias'),
      action: num(m, 'action'),
      reason: str(m, 'reason'),
    })),
  ],
  [
    'DOMAIN_EVENT_CALLBACK_IO_ERROR',
    wrapped((m) => ({ kind: 'ioError', dom: dom(m), srcPath: str(m, 'srcPath'), devAlias: str(m, 'devAlias'), action: num(m, 'action'), reason: '' })),
  ],
  [
    'DOMAIN_EVENT_CALLBACK_GRAPHICS',
    wrapped((m) => {
      const subject = m['subject'];
      if (!Array.isArray(subject)) throw new EventDecodeError('graphics subject is not an array');
      return {
        kind: 'graphics',
        dom: dom(m),
        phase: num(m, 'phase'),
        local: address(sub(m, 'local')),
        remote: address(sub(m, 'remote')),
        authScheme: str(m, 'authScheme'),
        subject: subject.filter(isBody).map((s) => ({ type: str(s, 'type'), name: str(s, 'name') })),
      };
    }),
  ],
  ['DOMAIN_EVENT_CALLBACK_CONTROL_ERROR', wrapped((m) => ({ kind: 'controlError', dom: dom(m) }))],
  [
    'DOMAIN_EVENT_BLOCK_JOB_2',
    flat((m) => ({ kind: 'blockJob', dom: dom(m), disk: str(m, 'dst'), type: num(m, 'type'), status: num(m, 'status') })),
  ],
  [
    'DOMAIN_EVENT_CALLBACK_DISK_CHANGE',
    wrapped((m) => ({
      kind: 'diskChange',
      dom: dom(m),
      oldSrcPath: optStr(m, 'oldSrcPath'),
      newSrcPath: optStr(m, 'newSrcPath'),
      devAlias: str(m, 'devAlias'),
      reason: num(m, 'reason'),
    })),
  ],
  ['DOMAIN_EVENT_CALLBACK_TRAY_CHANGE', wrapped((m) => ({ kind: 'trayChange', dom: dom(m), devAlias: str(m, 'devAlias'), reason: num(m, 'reason') }))],
  ['DOMAIN_EVENT_CALLBACK_PMWAKEUP', wrappedWithReason('pmWakeup')],
  ['DOMAIN_EVENT_CALLBACK_PMSUSPEND', wrappedWithReason('pmSuspend')],
  ['DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK', wrappedWithReason('pmSuspendDisk')],
  ['DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE', wrapped((m) => ({ kind: 'balloonChange', dom: dom(m), actualKiB: num(m, 'actual') }))],
  ['DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED', wrapped((m) => ({ kind: 'deviceRemoved', dom: dom(m), devAlias: str(m, 'devAlias') }))],
  ['DOMAIN_EVENT_CALLBACK_DEVICE_ADDED', flat((m) => ({ kind: 'deviceAdded', dom: dom(m), devAlias: str(m, 'devAlias') }))],
  ['DOMAIN_EVENT_CALLBACK_TUNABLE', flat((m) => ({ kind: 'tunable', dom: dom(m), params: params(m, 'params') }))],
  ['DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE', flat((m) => ({ kind: 'agentLifecycle', dom: dom(m), state: num(m, 'state'), reason: num(m, 'reason') }))],
  ['DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION', flat((m) => ({ kind: 'migrationIteration', dom: dom(m), iteration: num(m, 'iteration') }))],
  ['DOMAIN_EVENT_CALLBACK_JOB_COMPLETED', flat((m) => ({ kind: 'jobCompleted', dom: dom(m), params: params(m, 'params') }))],
  ['DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED', flat((m) => ({ kind: 'deviceRemovalFailed', dom: dom(m), devAlias: str(m, 'devAlias') }))],
  ['DOMAIN_EVENT_CALLBACK_METADATA_CHANGE', flat((m) => ({ kind: 'metadataChange', dom: dom(m), type: num(m, 'type'), nsuri: optStr(m, 'nsuri') }))],
  [
    'DOMAIN_EVENT_BLOCK_THRESHOLD',
    flat((m) => ({
      kind: 'blockThreshold',
      dom: dom(m),
      dev: str(m, 'dev'),
      path: optStr(m, 'path'),
      threshold: num(m, 'threshold'),
      excess: num(m, 'excess'),
    })),
  ],
  [
    'DOMAIN_EVENT_MEMORY_FAILURE',
    flat((m) => ({ kind: 'memoryFailure', dom: dom(m), recipient: num(m, 'recipient'), action: num(m, 'action'), flags: num(m, 'flags') })),
  ],
  [
    'DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE',
    flat((m) => ({ kind: 'memoryDeviceSizeChange', dom: dom(m), alias: str(m, 'alias'), sizeKiB: num(m, 'size') })),
  ],
]);

function netRef(b: Body, k: string): NetworkRef & StoragePoolRef {
  return namedUuidFromWire(sub(b, k) as unknown as WireNamedUuid);
}

function secretRef(b: Body): SecretRef {
  return secretFromWire(sub(b, 'secret') as unknown as WireSecret);
}

function devRef(b: Body): NodeDeviceRef {
  return { name: str(sub(b, 'dev'), 'name') };
}

const NETWORK_DECODERS: ReadonlyMap<string, (b: Body) => Decoded<NetworkEvent>> = new Map([
  [
    'NETWORK_EVENT_LIFECYCLE',
    (b: Body) => ({ callbackID: num(b, 'callbackID'), event: { kind: 'lifecycle', net: netRef(b, 'net'), event: num(b, 'event'), detail: num(b, 'detail') } }),
  ],
]);

const POOL_DECODERS: ReadonlyMap<string, (b: Body) => Decoded<StoragePoolEvent>> = new Map([
  [
    'STORAGE_POOL_EVENT_LIFECYCLE',
    (b: Body): Decoded<StoragePoolEvent> => ({
      callbackID: num(b, 'callbackID'),
      event: { kind: 'lifecycle', pool: netRef(b, 'pool'), event: num(b, 'event'), detail: num(b, 'detail') },
    }),
  ],
  ['STORAGE_POOL_EVENT_REFRESH', (b: Body): Decoded<StoragePoolEvent> => ({ callbackID: num(b, 'callbackID'), event: { kind: 'refresh', pool: netRef(b, 'pool') } })],
]);

const NODE_DEVICE_DECODERS: ReadonlyMap<string, (b: Body) => Decoded<NodeDeviceEvent>> = new Map([
  [
    'NODE_DEVICE_EVENT_LIFECYCLE',
    (b: Body): Decoded<NodeDeviceEvent> => ({
      callbackID: num(b, 'callbackID'),
      event: { kind: 'lifecycle', dev: devRef(b), event: num(b, 'event'), detail: num(b, 'detail') },
    }),
  ],
  ['NODE_DEVICE_EVENT_UPDATE', (b: Body): Decoded<NodeDeviceEvent> => ({ callbackID: num(b, 'callbackID'), event: { kind: 'update', dev: devRef(b) } })],
]);

const SECRET_DECODERS: ReadonlyMap<string, (b: Body) => Decoded<SecretEvent>> = new Map([
  [
    'SECRET_EVENT_LIFECYCLE',
    (b: Body): Decoded<SecretEvent> => ({
      callbackID: num(b, 'callbackID'),
      event: { kind: 'lifecycle', secret: secretRef(b), event: num(b, 'event'), detail: num(b, 'detail') },
    }),
  ],
  ['SECRET_EVENT_VALUE_CHANGED', (b: Body): Decoded<SecretEvent> => ({ callbackID: num(b, 'callbackID'), event: { kind: 'valueChanged', secret: secretRef(b) } })],
]);

// ---------------------------------------------------------------------------------------------
// Registration and routing.

/** A listener subscription; `ready` settles once the server-side registrations it needs exist. */
export interface EventSubscription extends Disposable {
  readonly ready: Promise<void>;
}

export interface SubscribeOptions<K extends string> {
  /** Only these kinds (default: all kinds). Fewer kinds means fewer server registrations. */
  readonly kinds?: readonly K[];
}

/** How one family of events is registered on the server (one registration per event ID). */
export interface EventRegistrar {
  register(eventId: number): Promise<number>;
  deregister(callbackId: number): Promise<void>;
}

interface Listener<E> {
  readonly fn: (e: E) => void;
  readonly kinds: ReadonlySet<string> | undefined;
}

/** Listeners and server registrations of one event family (domain, network, pool, ...). */
export class EventFamily<E extends { readonly kind: string }> {
  private readonly listeners = new Set<Listener<E>>();
  /** eventId -> callbackID of the live server registration. */
  private readonly registered = new Map<number, number>();
  private readonly callbackToEventId = new Map<number, number>();
  /** Messages whose callbackID is not known yet (their registration reply is being processed). */
  private early: Decoded<E>[] = [];
  private inFlight = 0;
  private queue: Promise<void> = Promise.resolve();
  private dead = false;

  constructor(
    private readonly kindToEventId: Readonly<Record<E['kind'], number>>,
    private readonly registrar: EventRegistrar,
    private readonly onListenerError: (e: unknown) => void = () => undefined,
  ) {}

  subscribe(fn: (e: E) => void, opts?: SubscribeOptions<E['kind']>): EventSubscription {
    const listener: Listener<E> = { fn, kinds: opts?.kinds ? new Set<string>(opts.kinds) : undefined };
    this.listeners.add(listener);
    const explicit = opts?.kinds ? opts.kinds.map((k) => this.kindToEventId[k]) : [];
    const ready = this.reconcile().then((failed) => {
      const missing = explicit.filter((id) => failed.has(id));
      if (missing.length > 0) throw failed.get(missing[0]!);
      if (!opts?.kinds && failed.size > 0 && this.registered.size === 0) throw failed.values().next().value;
    });
    ready.catch(() => undefined);
    return {
      ready,
      dispose: () => {
        if (this.listeners.delete(listener)) void this.reconcile();
      },
    };
  }

  /** Delivers a decoded message; returns false when its callbackID is not ours. */
  dispatch(d: Decoded<E>): boolean {
    const eventId = this.callbackToEventId.get(d.callbackID);
    if (eventId === undefined) {
      if (this.inFlight > 0) {
        this.early.push(d);
        return true;
      }
      return false;
    }
    if (this.kindToEventId[d.event.kind as E['kind']] !== eventId) return false;
    for (const l of [...this.listeners]) {
      if (l.kinds && !l.kinds.has(d.event.kind)) continue;
      try {
        l.fn(d.event);
      } catch (e) {
        this.onListenerError(e);
      }
    }
    return true;
  }

  /** The connection is gone: forget server state, keep nothing queued. */
  markDead(): void {
    this.dead = true;
    this.registered.clear();
    this.callbackToEventId.clear();
    this.early = [];
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private wanted(): Set<number> {
    const ids = new Set<number>();
    const all = Object.values(this.kindToEventId) as number[];
    for (const l of this.listeners) {
      if (!l.kinds) for (const id of all) ids.add(id);
      else for (const k of l.kinds) ids.add(this.kindToEventId[k as E['kind']]);
    }
    return ids;
  }

  /** Serialized: registers what listeners need, drops what nobody needs. Returns failures by eventId. */
  private reconcile(): Promise<Map<number, unknown>> {
    const run = async (): Promise<Map<number, unknown>> => {
      const failed = new Map<number, unknown>();
      if (this.dead) return failed;
      const want = this.wanted();
      const toAdd = [...want].filter((id) => !this.registered.has(id));
      const toDrop = [...this.registered].filter(([id]) => !want.has(id));
      this.inFlight++;
      try {
        await Promise.all([
          ...toAdd.map(async (id) => {
            try {
              const cb = await this.registrar.register(id);
              if (this.dead) return;
              this.registered.set(id, cb);
              this.callbackToEventId.set(cb, id);
            } catch (e) {
              failed.set(id, e);
            }
          }),
          ...toDrop.map(async ([id, cb]) => {
            this.registered.delete(id);
            this.callbackToEventId.delete(cb);
            await this.registrar.deregister(cb).catch(() => undefined);
          }),
        ]);
      } finally {
        this.inFlight--;
      }
      this.flushEarly();
      return failed;
    };
    const p = this.queue.then(run);
    this.queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private flushEarly(): void {
    if (this.inFlight > 0 || this.early.length === 0) return;
    const early = this.early;
    this.early = [];
    for (const d of early) this.dispatch(d);
  }
}

/** The five event families of one connection and the routing of server messages to them. */
export class EventHub {
  readonly domain: EventFamily<DomainEvent>;
  readonly network: EventFamily<NetworkEvent>;
  readonly storagePool: EventFamily<StoragePoolEvent>;
  readonly nodeDevice: EventFamily<NodeDeviceEvent>;
  readonly secret: EventFamily<SecretEvent>;

  constructor(
    registrars: {
      readonly domain: EventRegistrar;
      readonly network: EventRegistrar;
      readonly storagePool: EventRegistrar;
      readonly nodeDevice: EventRegistrar;
      readonly secret: EventRegistrar;
    },
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    this.domain = new EventFamily<DomainEvent>(DOMAIN_EVENT_IDS, registrars.domain, onError);
    this.network = new EventFamily<NetworkEvent>(NETWORK_EVENT_IDS, registrars.network, onError);
    this.storagePool = new EventFamily<StoragePoolEvent>(STORAGE_POOL_EVENT_IDS, registrars.storagePool, onError);
    this.nodeDevice = new EventFamily<NodeDeviceEvent>(NODE_DEVICE_EVENT_IDS, registrars.nodeDevice, onError);
    this.secret = new EventFamily<SecretEvent>(SECRET_EVENT_IDS, registrars.secret, onError);
  }

  /** Routes one server MESSAGE by procedure name; returns false for messages that are not events we know. */
  handle(procedureName: string, body: unknown): boolean {
    if (!isBody(body)) return false;
    try {
      const d = DOMAIN_DECODERS.get(procedureName);
      if (d) return this.domain.dispatch(d(body));
      const n = NETWORK_DECODERS.get(procedureName);
      if (n) return this.network.dispatch(n(body));
      const p = POOL_DECODERS.get(procedureName);
      if (p) return this.storagePool.dispatch(p(body));
      const nd = NODE_DEVICE_DECODERS.get(procedureName);
      if (nd) return this.nodeDevice.dispatch(nd(body));
      const s = SECRET_DECODERS.get(procedureName);
      if (s) return this.secret.dispatch(s(body));
    } catch (e) {
      this.onError(e);
    }
    return false;
  }

  markDead(): void {
    for (const f of [this.domain, this.network, this.storagePool, this.nodeDevice, this.secret]) f.markDead();
  }
}
