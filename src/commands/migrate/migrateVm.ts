// Migrate…: moves a VM to another saved connection. Questions (migrateOptions.ts), pre-flight
// checks before anything starts (preflight.ts: errors refuse, warnings ask), then the migration
// with progress from the source's job statistics, Cancel (abort job) and, when post-copy is
// allowed, a "Switch to Post-Copy" action. The client drives a client-driven migration itself
// (src/libvirt/migration.ts); peer-to-peer hands it to the source daemon. Both hosts' trees follow
// through their lifecycle events; a refresh afterwards covers a host whose events were missed.

import * as vscode from 'vscode';
import type { ConnectionEntry } from '../../connections/connectionRegistry';
import type { Connection, DomainRef, StorageVolRef } from '../../libvirt/connection';
import { VirDomainState } from '../../libvirt/generated/libvirtConstants';
import {
  migrateClientDriven,
  migratePeerToPeer,
  readMigrationProgress,
  type MigrationOptions,
  type MigrationStep,
} from '../../libvirt/migration';
import { isNoStorageVol } from '../../libvirt/rpc/errors';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import type { CommandHandler } from '../commandHandler';
import { diskHasSource, domainDisks } from '../domainXmlFacts';
import type { CommandDeps } from '../registry';
import { resolveTarget, type VmTarget } from '../vmTargets';
import { askMigration } from './migrateOptions';
import { createTopImages, planIncrementalTargets, removeTopImages, type PlannedTopImage } from './incrementalTargets';
import { migrationPreflight, type PreflightProblem } from './preflight';
import { describeProgress } from './progressText';

export const SWITCH_POST_COPY_COMMAND = 'libvirtVms.vm.migrateStartPostCopy';

export class MigrationPreflightError extends Error {
  constructor(
    readonly vmName: string,
    readonly destination: string,
    readonly problems: readonly PreflightProblem[],
  ) {
    super(`"${vmName}" cannot be migrated to ${destination}: ${problems.map((p) => p.message).join(' ')}`);
    this.name = 'MigrationPreflightError';
  }

  static is(e: unknown): e is MigrationPreflightError {
    return e instanceof MigrationPreflightError;
  }
}

export class NoDestinationError extends Error {
  constructor() {
    super('Migration needs a second saved connection: add the destination host with "Add Connection" first.');
    this.name = 'NoDestinationError';
  }

  static is(e: unknown): e is NoDestinationError {
    return e instanceof NoDestinationError;
  }
}

export interface MigrateResult {
  readonly outcome: 'migrated' | 'cancelled';
  readonly destinationId: string;
  /** The VM on the destination (migrated only). */
  readonly dom?: DomainRef;
}

const STEP_TEXT: Readonly<Record<MigrationStep, string>> = {
  begin: 'preparing on the source…',
  prepare: 'preparing the destination…',
  perform: 'copying…',
  finish: 'starting on the destination…',
  confirm: 'finishing on the source…',
};

/** True when some disk file is not visible on the destination (so copying is the likely choice). */
async function destinationLacksDisks(src: Connection, dom: DomainRef, dst: Connection): Promise<boolean> {
  const disks = domainDisks(await src.domainGetXmlDesc(dom)).filter((d) => diskHasSource(d) && d.device === 'disk' && !d.readonly && !d.shareable);
  for (const d of disks) {
    if (d.path === undefined) continue;
    const seen = await dst.storageVolLookupByPath(d.path).then(
      () => true,
      (e: unknown) => (isNoStorageVol(e) ? false : Promise.reject(e)),
    );
    if (!seen) return true;
  }
  return false;
}

function destinations(deps: CommandDeps, t: VmTarget): ConnectionEntry[] {
  return deps.connections.list().filter((e) => e.config.id !== t.host.id);
}

export const migrateVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, {
    title: 'Migrate VM',
    states: ['running', 'paused', 'shutoff'],
    none: 'No running, paused or shut-off VMs to migrate.',
  });
  const others = destinations(deps, t);
  if (others.length === 0) throw new NoDestinationError();
  const state = (await t.conn.domainGetState(t.dom)).state;
  const live = state === VirDomainState.RUNNING || state === VirDomainState.PAUSED;
  const choice = await askMigration({
    prompts: deps.prompts,
    vmName: t.dom.name,
    sourceName: t.host.config.name,
    live,
    destinations: others,
    suggestCopy: async (e) => destinationLacksDisks(t.conn, t.dom, await e.managed.connect()).catch(() => false),
  });
  const dstName = choice.destination.config.name;
  const dst = await choice.destination.managed.connect();

  const { problems, images } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${dstName} for "${t.dom.name}"…` }, async () => {
    // An incremental copy: the top images the destination lacks are created there first.
    const plan = choice.options.copyStorage === 'incremental' ? await planIncrementalTargets(t.conn, dst, t.dom, dstName) : { images: [], problems: [] };
    const checks = await migrationPreflight({ src: t.conn, dst, dom: t.dom, dstName, options: choice.options, precreated: new Set(plan.images.map((i) => i.path)) });
    return { problems: [...plan.problems, ...checks], images: plan.images };
  });
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    for (const p of errors) deps.log.warn(`Migrate ${t.dom.name} to ${dstName}: ${p.check}: ${p.message}`);
    throw new MigrationPreflightError(t.dom.name, dstName, errors);
  }
  const warnings = problems.filter((p) => p.severity === 'warning');
  if (warnings.length > 0 || images.length > 0) {
    const parts = [
      ...(images.length > 0 ? [`For the incremental copy, this creates on ${dstName}:\n${images.map((i) => `• ${i.path} (over ${i.backingPath})`).join('\n')}`] : []),
      ...(warnings.length > 0 ? [`These could not be checked:\n${warnings.map((w) => `• ${w.message}`).join('\n')}`] : []),
    ];
    const ok = await deps.prompts.confirm({ message: `Migrate "${t.dom.name}" to ${dstName}?`, detail: parts.join('\n\n'), button: 'Migrate' });
    if (!ok) throw new UserCancelledError('Migrate VM');
  }
  const created = await createTopImages(dst, images);
  for (const v of created) deps.log.info(`Migrate ${t.dom.name}: created ${v.key} on ${dstName} for the incremental copy`);
  let result: MigrateResult | undefined;
  try {
    result = await runMigration(deps, t, choice.destination, dst, choice.options, choice.destinationUri);
    return result;
  } finally {
    if (created.length > 0 && result?.outcome !== 'migrated') await removeCreated(deps, t.dom.name, dstName, dst, created, images);
  }
};

/** After a failed or cancelled incremental copy: the images made for it go again (exactly those). */
async function removeCreated(deps: CommandDeps, vmName: string, dstName: string, dst: Connection, created: readonly StorageVolRef[], images: readonly PlannedTopImage[]): Promise<void> {
  const left = await removeTopImages(dst, created);
  deps.log.info(`Migrate ${vmName}: removed ${images.length - left.length} image(s) created on ${dstName} for the copy`);
  for (const p of left) deps.log.warn(`Migrate ${vmName}: could not remove ${p} on ${dstName}; delete it there by hand`);
}

async function runMigration(deps: CommandDeps, t: VmTarget, dest: ConnectionEntry, dst: Connection, options: MigrationOptions, destinationUri: string): Promise<MigrateResult> {
  const dstName = dest.config.name;
  const how = options.peerToPeer ? 'peer-to-peer' : 'client-driven';
  deps.log.info(`Migrate ${t.dom.name}: ${t.host.config.name} -> ${dstName} (${options.mode}, ${how}, storage ${options.copyStorage})`);
  let userCancelled = false;
  const started = Date.now();
  try {
    const ddom = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Migrating ${t.dom.name} to ${dstName}`, cancellable: true },
      async (progress, token) => {
        let step = 'starting…';
        let last = 0;
        const cancel = token.onCancellationRequested(() => {
          userCancelled = true;
          t.conn.domainAbortJob(t.dom).catch((e: unknown) => deps.log.warn(`Migrate ${t.dom.name}: abort: ${errorMessage(e)}`));
        });
        const poll = setInterval(() => {
          readMigrationProgress(t.conn, t.dom).then(
            (p) => {
              if (!p.active) return;
              const pct = p.percent ?? last;
              progress.report({ message: describeProgress(p), increment: Math.max(0, pct - last) });
              last = Math.max(last, pct);
            },
            () => undefined,
          );
        }, 500);
        if (options.postCopy && options.mode === 'live') offerPostCopySwitch(t, dstName);
        try {
          progress.report({ message: step });
          if (options.peerToPeer) {
            await migratePeerToPeer(t.conn, t.dom, destinationUri, options);
            return dst.domainLookupByName(t.dom.name);
          }
          return await migrateClientDriven(t.conn, dst, t.dom, options, {
            cancelled: () => userCancelled,
            step: (s) => {
              step = STEP_TEXT[s];
              progress.report({ message: step });
            },
          });
        } finally {
          clearInterval(poll);
          cancel.dispose();
        }
      },
    );
    deps.log.info(`Migrated ${t.dom.name} to ${dstName} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    vscode.window.setStatusBarMessage(`Migrated ${t.dom.name} to ${dstName}`, 5000);
    return { outcome: 'migrated', destinationId: dest.config.id, dom: ddom };
  } catch (err) {
    if (!userCancelled) throw err;
    deps.log.info(`Migrate ${t.dom.name}: cancelled (${errorMessage(err)})`);
    void vscode.window.showInformationMessage(`Migration of ${t.dom.name} cancelled: it keeps running on ${t.host.config.name}.`);
    return { outcome: 'cancelled', destinationId: dest.config.id };
  } finally {
    void t.host.refresh();
    void deps.tree.session(dest.config.id)?.refresh();
  }
}

/** A notification with the switch while the migration runs (it does nothing once the job is over). */
function offerPostCopySwitch(t: VmTarget, dstName: string): void {
  const action = 'Switch to Post-Copy';
  void vscode.window
    .showInformationMessage(`"${t.dom.name}" is migrating to ${dstName}. Switch to post-copy to finish now: the VM runs there at once and fetches the rest of its memory.`, action)
    .then((a) => (a === action ? vscode.commands.executeCommand(SWITCH_POST_COPY_COMMAND, { connectionId: t.host.id, uuid: t.dom.uuid }) : undefined));
}

/** Switch to Post-Copy: for a VM whose live migration (with post-copy allowed) is running. */
export const switchToPostCopyVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Switch Migration to Post-Copy', states: ['running', 'paused'], none: 'No running VMs.' });
  await t.conn.domainMigrateStartPostCopy(t.dom);
  deps.log.info(`Migrate ${t.dom.name}: switched to post-copy`);
  return true;
};
