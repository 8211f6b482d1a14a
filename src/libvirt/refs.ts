// Plain references to libvirt objects as the connection API hands them out, and their conversion
// to and from the wire structs (remote_nonnull_* in libvirt's remote_protocol.x). The wire shapes
// are declared structurally here so that this file depends only on the protocol's field names.

/** A domain. `uuid` is 8-4-4-4-12 lowercase hex; `id` is -1 when the domain is not running. */
export interface DomainRef {
  readonly name: string;
  readonly uuid: string;
  readonly id: number;
}

export interface NetworkRef {
  readonly name: string;
  readonly uuid: string;
}

export interface StoragePoolRef {
  readonly name: string;
  readonly uuid: string;
}

export interface StorageVolRef {
  readonly pool: string;
  readonly name: string;
  readonly key: string;
}

export interface NodeDeviceRef {
  readonly name: string;
}

export interface SecretRef {
  readonly uuid: string;
  /** virSecretUsageType (libvirt-secret.h). */
  readonly usageType: number;
  readonly usageId: string;
}

export interface SnapshotRef {
  readonly dom: DomainRef;
  readonly name: string;
}

/** remote_nonnull_domain */
export interface WireDomain {
  name: string;
  uuid: Buffer;
  id: number;
}

/** remote_nonnull_network, remote_nonnull_storage_pool */
export interface WireNamedUuid {
  name: string;
  uuid: Buffer;
}

/** remote_nonnull_storage_vol */
export interface WireStorageVol {
  pool: string;
  name: string;
  key: string;
}

/** remote_nonnull_secret */
export interface WireSecret {
  uuid: Buffer;
  usageType: number;
  usageID: string;
}

/** remote_nonnull_domain_snapshot */
export interface WireSnapshot {
  name: string;
  dom: WireDomain;
}

/** Thrown for a malformed UUID or another argument the server would reject before any call. */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }

  static is(e: unknown): e is InvalidArgumentError {
    return e instanceof InvalidArgumentError;
  }
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Two lowercase hex digits for each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 16 bytes -> 8-4-4-4-12 lowercase hex. */
export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new InvalidArgumentError(`a UUID has 16 bytes, got ${bytes.length}`);
  // A table lookup per byte: no Buffer copy and no intermediate hex string to slice (this runs
  // once per domain of every bulk reply).
  const b = bytes;
  const h = HEX;
  return (
    h[b[0]!]! + h[b[1]!]! + h[b[2]!]! + h[b[3]!]! + '-' + h[b[4]!]! + h[b[5]!]! + '-' + h[b[6]!]! + h[b[7]!]! + '-' +
    h[b[8]!]! + h[b[9]!]! + '-' + h[b[10]!]! + h[b[11]!]! + h[b[12]!]! + h[b[13]!]! + h[b[14]!]! + h[b[15]!]!
  );
}

/** A UUID string (with or without dashes, any case) -> 16 bytes. */
export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw new InvalidArgumentError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function domainFromWire(d: WireDomain): DomainRef {
  return { name: d.name, uuid: uuidToString(d.uuid), id: d.id };
}

export function domainToWire(d: DomainRef): WireDomain {
  return { name: d.name, uuid: uuidToBytes(d.uuid), id: d.id };
}

export function namedUuidFromWire(n: WireNamedUuid): NetworkRef & StoragePoolRef {
  return { name: n.name, uuid: uuidToString(n.uuid) };
}

export function namedUuidToWire(n: NetworkRef | StoragePoolRef): WireNamedUuid {
  return { name: n.name, uuid: uuidToBytes(n.uuid) };
}

export function volFromWire(v: WireStorageVol): StorageVolRef {
  return { pool: v.pool, name: v.name, key: v.key };
}

export function volToWire(v: StorageVolRef): WireStorageVol {
  return { pool: v.pool, name: v.name, key: v.key };
}

export function secretFromWire(s: WireSecret): SecretRef {
  return { uuid: uuidToString(s.uuid), usageType: s.usageType, usageId: s.usageID };
}

export function secretToWire(s: SecretRef): WireSecret {
  return { uuid: uuidToBytes(s.uuid), usageType: s.usageType, usageID: s.usageId };
}

export function snapshotFromWire(s: WireSnapshot): SnapshotRef {
  return { dom: domainFromWire(s.dom), name: s.name };
}

export function snapshotToWire(s: SnapshotRef): WireSnapshot {
  return { name: s.name, dom: domainToWire(s.dom) };
}

/** An unsigned hyper that counts bytes, KiB or ns, as a number; throws when precision would be lost. */
export function hyperToNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${what} = ${v} does not fit in a JavaScript number`);
  }
  return Number(v);
}

/** A number that goes into an (unsigned) hyper field; must be a non-negative safe integer. */
export function numberToUhyper(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${v}`);
  return BigInt(v);
}
