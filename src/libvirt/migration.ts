// Migration of a domain between two connections, driven by this client the way libvirt's C
// library drives virDomainMigrate3 (the version-3 protocol with typed parameters):
//
//   source  Begin3Params    -> cookie, domain XML for the destination
//   dest    Prepare3Params  <- that XML and cookie; -> cookie, the URI QEMU listens on
//   source  Perform3Params  <- that cookie and URI (the memory/disk transfer happens here)
//   dest    Finish3Params   <- cancelled or not; -> the domain on the destination
//   source  Confirm3Params  <- cancelled or not (kills or resumes the source side)
//
// Each step's output cookie is the next step's input. A failure after Prepare still runs Finish
// and Confirm with `cancelled`, so both sides clean up and the VM keeps running on the source.
// Peer-to-peer migration is a single Perform3Params on the source with VIR_MIGRATE_PEER2PEER and
// the destination URI: the source daemon then talks to the destination itself.
// Procedure and parameter names: remote_protocol.x (REMOTE_PROC_DOMAIN_MIGRATE_*3_PARAMS) and
// libvirt-domain.h (VIR_MIGRATE_*, VIR_MIGRATE_PARAM_*).

import type { Connection, DomainRef } from './connection';
import type { RemoteTypedParam } from './generated/remoteProtocol';
import {
  VIR_DOMAIN_JOB_DATA_PROCESSED,
  VIR_DOMAIN_JOB_DATA_REMAINING,
  VIR_DOMAIN_JOB_DATA_TOTAL,
  VIR_DOMAIN_JOB_DISK_BPS,
  VIR_DOMAIN_JOB_DOWNTIME,
  VIR_DOMAIN_JOB_MEMORY_BPS,
  VIR_DOMAIN_JOB_MEMORY_ITERATION,
  VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS,
  VIR_DOMAIN_JOB_TIME_ELAPSED,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_MIGRATE_DISKS,
  VIR_MIGRATE_PARAM_URI,
  VirDomainJobType,
  VirDomainMigrateFlags as F,
  VirDomainState,
  VirTypedParameterType,
} from './generated/libvirtConstants';

/** What the user chose; turned into flags and typed parameters by `migrationFlags`/`migrationParams`. */
export interface MigrationOptions {
  /** Live (running or paused VM keeps running) or offline (only the definition moves). */
  readonly mode: 'live' | 'offline';
  /** Define the VM on the destination (VIR_MIGRATE_PERSIST_DEST). */
  readonly persistent: boolean;
  /** Remove the definition from the source afterwards (VIR_MIGRATE_UNDEFINE_SOURCE). */
  readonly undefineSource: boolean;
  /** Copy the disks: 'none' for shared storage, 'full' or 'incremental' (destination has the backing images). */
  readonly copyStorage: 'none' | 'full' | 'incremental';
  /** The source daemon connects to the destination itself (needs `destinationUri` reachable from it). */
  readonly peerToPeer: boolean;
  /** Memory goes through the libvirt connection instead of a direct QEMU stream (peer-to-peer only). */
  readonly tunnelled: boolean;
  /** MiB/s; 0 or undefined: no limit. */
  readonly bandwidthMiBs?: number;
  readonly autoConverge: boolean;
  readonly compressed: boolean;
  /** Allow switching to post-copy during the run (VIR_MIGRATE_POSTCOPY); the switch is `domainMigrateStartPostCopy`. */
  readonly postCopy: boolean;
  /** Skip libvirt's safety checks (e.g. disks cached on a storage libvirt does not know to be shared). */
  readonly unsafe: boolean;
  /** Where QEMU's migration stream connects, e.g. tcp://10.0.0.2 (default: the destination's host name). */
  readonly migrateUri?: string;
  /** Disk targets to copy (default: every writable disk). */
  readonly migrateDisks?: readonly string[];
}

export class MigrationOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationOptionError';
  }

  static is(e: unknown): e is MigrationOptionError {
    return e instanceof MigrationOptionError;
  }
}

/** Problems with a combination of options, in words (libvirt would refuse them later, less clearly). */
export function optionProblems(o: MigrationOptions): string[] {
  const out: string[] = [];
  if (o.mode === 'offline') {
    if (!o.persistent) out.push('An offline migration moves only the definition: "Persistent on destination" must be on.');
    if (o.copyStorage !== 'none') out.push('An offline migration cannot copy storage (libvirt copies disks only from a running VM).');
    if (o.postCopy) out.push('Post-copy needs a live migration.');
    if (o.autoConverge || o.compressed) out.push('Auto-converge and compression apply to a live migration only.');
  }
  if (o.tunnelled && !o.peerToPeer) out.push('A tunnelled migration is peer-to-peer: the source daemon carries the data over its own connection.');
  if (o.tunnelled && o.copyStorage !== 'none') out.push('libvirt cannot copy storage through a tunnelled migration.');
  if (o.bandwidthMiBs !== undefined && (!Number.isInteger(o.bandwidthMiBs) || o.bandwidthMiBs < 0)) out.push('The bandwidth limit must be a whole number of MiB/s.');
  return out;
}

export function migrationFlags(o: MigrationOptions): number {
  let f = 0;
  if (o.mode === 'live') f |= F.LIVE;
  else f |= F.OFFLINE;
  if (o.persistent) f |= F.PERSIST_DEST;
  if (o.undefineSource) f |= F.UNDEFINE_SOURCE;
  if (o.copyStorage === 'full') f |= F.NON_SHARED_DISK;
  if (o.copyStorage === 'incremental') f |= F.NON_SHARED_INC;
  if (o.peerToPeer) f |= F.PEER2PEER;
  if (o.tunnelled) f |= F.TUNNELLED;
  if (o.autoConverge) f |= F.AUTO_CONVERGE;
  if (o.compressed) f |= F.COMPRESSED;
  if (o.postCopy) f |= F.POSTCOPY;
  if (o.unsafe) f |= F.UNSAFE;
  // A migration that hits an I/O error on a disk stops instead of leaving a half-copied VM.
  if (o.mode === 'live') f |= F.ABORT_ON_ERROR;
  return f;
}

function str(field: string, s: string): RemoteTypedParam {
  return { field, value: { type: VirTypedParameterType.STRING, s } };
}

/** The typed parameters every step receives (libvirt-domain.h VIR_MIGRATE_PARAM_*). */
export function migrationParams(o: MigrationOptions, domName: string): RemoteTypedParam[] {
  const out: RemoteTypedParam[] = [str(VIR_MIGRATE_PARAM_DEST_NAME, domName)];
  if (o.bandwidthMiBs) out.push({ field: VIR_MIGRATE_PARAM_BANDWIDTH, value: { type: VirTypedParameterType.ULLONG, ul: BigInt(o.bandwidthMiBs) } });
  if (o.migrateUri) out.push(str(VIR_MIGRATE_PARAM_URI, o.migrateUri));
  for (const d of o.migrateDisks ?? []) out.push(str(VIR_MIGRATE_PARAM_MIGRATE_DISKS, d));
  return out;
}

function replaceString(params: readonly RemoteTypedParam[], field: string, value: string): RemoteTypedParam[] {
  return [...params.filter((p) => p.field !== field), str(field, value)];
}

/** Which step a client-driven migration failed in (the error itself is libvirt's). */
export type MigrationStep = 'begin' | 'prepare' | 'perform' | 'finish' | 'confirm';

export class MigrationStepError extends Error {
  constructor(
    readonly step: MigrationStep,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'MigrationStepError';
  }

  static is(e: unknown): e is MigrationStepError {
    return e instanceof MigrationStepError;
  }
}

export interface MigrationTrace {
  /** Called as each step starts (progress messages, tests). */
  step?(step: MigrationStep): void;
  /**
   * True once the user cancelled. Before Perform there is no job to abort on the source: the
   * migration then skips Perform and cancels Finish and Confirm, as a failed Perform would.
   */
  cancelled?(): boolean;
}

/**
 * Client-driven migration of `dom` from `src` to `dst`. Returns the domain on the destination.
 * On failure it throws the first step's error (libvirt's message), after cancelling the
 * migration on both sides as the C library does.
 */
export async function migrateClientDriven(
  src: Connection,
  dst: Connection,
  dom: DomainRef,
  options: MigrationOptions,
  trace: MigrationTrace = {},
): Promise<DomainRef> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new MigrationOptionError(problems.join(' '));
  if (options.peerToPeer) throw new MigrationOptionError('Peer-to-peer migration is run by the source daemon: use migratePeerToPeer.');
  // The qemu driver supports change protection (VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION): the
  // source VM cannot be changed between Begin and Confirm.
  let flags = migrationFlags(options) | F.CHANGE_PROTECTION;
  let params = migrationParams(options, dom.name);

  trace.step?.('begin');
  let begin: { cookie: Buffer; xml: string };
  try {
    begin = await src.domainMigrateBegin3Params(dom, params, flags);
  } catch (e) {
    throw new MigrationStepError('begin', e);
  }
  if (options.mode === 'live' && (await src.domainGetState(dom)).state === VirDomainState.PAUSED) flags |= F.PAUSED;
  // The destination neither throttles nor aborts on a source-side error: those flags are the source's.
  const destFlags = (flags & ~(F.ABORT_ON_ERROR | F.AUTO_CONVERGE | F.CHANGE_PROTECTION)) >>> 0;

  trace.step?.('prepare');
  params = replaceString(params, VIR_MIGRATE_PARAM_DEST_XML, begin.xml);
  let prepared: { cookie: Buffer; uri: string | null };
  try {
    prepared = await dst.domainMigratePrepare3Params(params, begin.cookie, destFlags);
  } catch (e) {
    // Nothing runs on the destination: tell the source to give up its migration job.
    await confirmQuietly(src, dom, params, Buffer.alloc(0), flags, true);
    throw new MigrationStepError('prepare', e);
  }
  if (prepared.uri) params = replaceString(params, VIR_MIGRATE_PARAM_URI, prepared.uri);

  // An offline migration has no Perform step, and Finish then gets no cookie (the C library's
  // order too: handing the destination its own Prepare cookie makes it see "the same host").
  let cookie = options.mode === 'live' ? prepared.cookie : Buffer.alloc(0);
  let failure: MigrationStepError | undefined;
  let notifySource = true;
  if (options.mode === 'live' && trace.cancelled?.()) {
    failure = new MigrationStepError('perform', new Error('migration cancelled by the user before the copy started'));
    cookie = Buffer.alloc(0);
  } else if (options.mode === 'live') {
    trace.step?.('perform');
    try {
      cookie = await src.domainMigratePerform3Params(dom, null, params, cookie, flags);
    } catch (e) {
      failure = new MigrationStepError('perform', e);
      cookie = Buffer.alloc(0);
      // A failed Perform has already cleaned up the source side (libvirt skips Confirm then).
      notifySource = false;
    }
  }

  trace.step?.('finish');
  let ddom: DomainRef | undefined;
  try {
    const fin = await dst.domainMigrateFinish3Params(params, cookie, destFlags, failure !== undefined);
    ddom = fin.dom;
    cookie = fin.cookie;
  } catch (e) {
    // With cancelled=1 libvirt reports "migration was cancelled" here: keep Perform's error.
    failure ??= new MigrationStepError('finish', e);
    cookie = Buffer.alloc(0);
  }

  if (notifySource) {
    trace.step?.('confirm');
    try {
      await src.domainMigrateConfirm3Params(dom, params, cookie, flags, ddom === undefined);
    } catch (e) {
      failure ??= new MigrationStepError('confirm', e);
    }
  }
  if (failure) throw failure;
  if (!ddom) throw new MigrationStepError('finish', new Error('the destination did not return the migrated domain'));
  return ddom;
}

async function confirmQuietly(src: Connection, dom: DomainRef, params: readonly RemoteTypedParam[], cookie: Buffer, flags: number, cancelled: boolean): Promise<void> {
  try {
    await src.domainMigrateConfirm3Params(dom, params, cookie, flags, cancelled);
  } catch {
    // The original error is the one to show; this only releases the source's job.
  }
}

/**
 * Peer-to-peer migration: the source daemon opens `destinationUri` itself (as the source host
 * sees it) and runs the other steps there. Only the source connection is used.
 */
export async function migratePeerToPeer(src: Connection, dom: DomainRef, destinationUri: string, options: MigrationOptions): Promise<void> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new MigrationOptionError(problems.join(' '));
  const flags = migrationFlags({ ...options, peerToPeer: true });
  try {
    await src.domainMigratePerform3Params(dom, destinationUri, migrationParams(options, dom.name), Buffer.alloc(0), flags);
  } catch (e) {
    throw new MigrationStepError('perform', e);
  }
}

/** One reading of the source's migration job (virDomainGetJobStats). */
export interface MigrationProgress {
  /** False when no job runs (not started yet, or already over). */
  readonly active: boolean;
  /** 0-100 from data processed/total, when libvirt reports a total. */
  readonly percent?: number;
  readonly dataTotal?: number;
  readonly dataRemaining?: number;
  /** Bytes per second (memory plus disks). */
  readonly bytesPerSecond?: number;
  /** Expected downtime, ms. */
  readonly expectedDowntimeMs?: number;
  readonly elapsedMs?: number;
  readonly iteration?: number;
  /** Pages the destination requested after the switch to post-copy: post-copy is running. */
  readonly postCopyRequests?: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function progressFromJobStats(type: number, p: Readonly<Record<string, unknown>>): MigrationProgress {
  if (type !== VirDomainJobType.BOUNDED && type !== VirDomainJobType.UNBOUNDED) return { active: false };
  const total = num(p[VIR_DOMAIN_JOB_DATA_TOTAL]);
  const processed = num(p[VIR_DOMAIN_JOB_DATA_PROCESSED]);
  const remaining = num(p[VIR_DOMAIN_JOB_DATA_REMAINING]);
  const memBps = num(p[VIR_DOMAIN_JOB_MEMORY_BPS]);
  const diskBps = num(p[VIR_DOMAIN_JOB_DISK_BPS]);
  const out: { -readonly [K in keyof MigrationProgress]: MigrationProgress[K] } = { active: true };
  if (total !== undefined && total > 0 && processed !== undefined) out.percent = Math.min(100, Math.max(0, (100 * processed) / total));
  if (total !== undefined) out.dataTotal = total;
  if (remaining !== undefined) out.dataRemaining = remaining;
  if (memBps !== undefined || diskBps !== undefined) out.bytesPerSecond = (memBps ?? 0) + (diskBps ?? 0);
  const downtime = num(p[VIR_DOMAIN_JOB_DOWNTIME]);
  if (downtime !== undefined) out.expectedDowntimeMs = downtime;
  const elapsed = num(p[VIR_DOMAIN_JOB_TIME_ELAPSED]);
  if (elapsed !== undefined) out.elapsedMs = elapsed;
  const iteration = num(p[VIR_DOMAIN_JOB_MEMORY_ITERATION]);
  if (iteration !== undefined) out.iteration = iteration;
  const reqs = num(p[VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS]);
  if (reqs !== undefined) out.postCopyRequests = reqs;
  return out;
}

export async function readMigrationProgress(src: Connection, dom: DomainRef): Promise<MigrationProgress> {
  const r = await src.domainGetJobStats(dom);
  return progressFromJobStats(r.type, r.params);
}
