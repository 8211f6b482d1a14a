// Take Snapshot…: on one VM or several selected ones (through the bulk runner). Offers only the
// kinds libvirt takes of every chosen VM, and explains the others (snapshotSupport.ts); asks a
// name (from the time by default), a description, and whether to quiesce the guest's file
// systems when its guest agent answers a ping.

import * as vscode from 'vscode';
import { VirDomainState } from '../../libvirt/generated/libvirtConstants';
import { defaultSnapshotName, pingGuestAgent, snapshotNameProblem, takeSnapshot, type SnapshotKind } from '../../libvirt/snapshots/snapshotPlan';
import { UserCancelledError } from '../../ui/cancel';
import { runVmAction, type BulkReport } from '../bulk/runVmAction';
import type { PickItem } from '../prompts';
import type { CommandDeps } from '../registry';
import { resolveTargets, type VmTarget } from '../vmTargets';
import { memoryFilePath, snapshotSupport, type SnapshotKindOption, type SnapshotSupport } from './snapshotSupport';
import { refreshSnapshotsNode, vmArgOf } from './snapshotTargets';

const TITLE = 'Take Snapshot';

export interface TakeSnapshotReport extends BulkReport {
  readonly name: string;
  readonly kind: SnapshotKind;
  /** VMs whose file systems were frozen through the guest agent. */
  readonly quiesced: readonly string[];
}

interface Prepared {
  readonly target: VmTarget;
  readonly active: boolean;
  readonly support: SnapshotSupport;
  readonly existing: ReadonlySet<string>;
  /** Undefined for a shut-off VM (no agent to ask). */
  readonly agent: { readonly answers: boolean; readonly reason?: string } | undefined;
}

async function prepare(t: VmTarget): Promise<Prepared> {
  const [xml, state, snaps] = await Promise.all([t.conn.domainGetXmlDesc(t.dom, 0), t.conn.domainGetState(t.dom), t.conn.domainListAllSnapshots(t.dom)]);
  const active = state.state !== VirDomainState.SHUTOFF && state.state !== VirDomainState.NOSTATE;
  const agent = state.state === VirDomainState.RUNNING ? await pingGuestAgent(t.conn, t.dom) : undefined;
  return { target: t, active, support: snapshotSupport(xml, active), existing: new Set(snaps.map((s) => s.name)), agent };
}

function optionOf(p: Prepared, kind: SnapshotKind): SnapshotKindOption {
  const o = p.support.options.find((x) => x.kind === kind);
  if (!o) throw new Error(`unknown snapshot kind ${kind}`);
  return o;
}

/** The kind pick: offered kinds first, then the others with the reason (picking one explains again). */
function kindItems(prepared: readonly Prepared[]): PickItem<SnapshotKind | undefined>[] {
  const kinds: readonly SnapshotKind[] = ['internal', 'externalDisk', 'externalMemory'];
  const offered: PickItem<SnapshotKind | undefined>[] = [];
  const refused: PickItem<SnapshotKind | undefined>[] = [];
  for (const kind of kinds) {
    const opts = prepared.map((p) => ({ p, o: optionOf(p, kind) }));
    const why = opts.filter((x) => x.o.unavailable !== undefined).map((x) => (prepared.length === 1 ? x.o.unavailable ?? '' : `${x.p.target.dom.name}: ${x.o.unavailable ?? ''}`));
    const first = opts[0].o;
    // With VMs in different states the running VMs' label ("with memory") is the informative one.
    const label = opts.find((x) => x.p.active)?.o.label ?? first.label;
    if (why.length === 0) offered.push({ label, detail: first.detail, value: kind });
    else refused.push({ label: `$(circle-slash) ${label}`, description: 'not offered', detail: `Not offered: ${why.join(' ')}`, value: undefined });
  }
  if (offered.length > 0) offered[0] = { ...offered[0], description: 'recommended' };
  return [...offered, ...refused];
}

async function pickKind(deps: CommandDeps, prepared: readonly Prepared[], subject: string): Promise<SnapshotKind> {
  const items = kindItems(prepared);
  if (!items.some((i) => i.value !== undefined)) {
    throw new Error(`No kind of snapshot can be taken of ${subject}. ${items.map((i) => `${i.label.replace('$(circle-slash) ', '')}: ${i.detail ?? ''}`).join(' ')}`);
  }
  for (;;) {
    const chosen = await deps.prompts.pickOne({ title: `${TITLE}: ${subject}`, placeHolder: 'What should the snapshot hold?', items });
    if (!chosen) throw new UserCancelledError(TITLE);
    if (chosen.value !== undefined) return chosen.value;
    // A refused kind was picked: say why, then ask again.
    const again = await deps.prompts.confirm({ message: `${chosen.label.replace('$(circle-slash) ', '')} is not offered`, detail: chosen.detail ?? '', button: 'Choose Another' });
    if (!again) throw new UserCancelledError(TITLE);
  }
}

async function askQuiesce(deps: CommandDeps, prepared: readonly Prepared[]): Promise<boolean> {
  const running = prepared.filter((p) => p.agent !== undefined);
  const answering = running.filter((p) => p.agent?.answers === true);
  for (const p of running.filter((x) => x.agent?.answers !== true)) {
    deps.log.info(`${TITLE}: no quiesce for ${p.target.dom.name}: the guest agent does not answer (${p.agent?.reason ?? 'no reason given'})`);
  }
  // Nothing to ask when no guest agent answers: quiesce is not offered.
  if (answering.length === 0) return false;
  const names = answering.map((p) => p.target.dom.name).join(', ');
  const chosen = await deps.prompts.pickOne({
    title: `${TITLE}: file systems`,
    placeHolder: 'Freeze the guest file systems while the overlays are made?',
    items: [
      { label: 'Quiesce', description: 'recommended', detail: `The guest agent of ${names} flushes and freezes the file systems (fsfreeze), so the snapshot is consistent.`, value: true },
      { label: 'Do not quiesce', detail: 'Crash-consistent: as if the power had been cut at that moment.', value: false },
    ],
  });
  if (!chosen) throw new UserCancelledError(TITLE);
  return chosen.value;
}

export async function takeSnapshotCmd(deps: CommandDeps, node?: unknown, selected?: unknown): Promise<TakeSnapshotReport> {
  const vmNode = vmArgOf(node);
  const vmSelection = Array.isArray(selected) ? selected.map(vmArgOf).filter((a) => a !== undefined) : undefined;
  const targets = await resolveTargets(deps, vmNode, vmSelection, { title: TITLE, states: 'any', many: true, none: 'No VMs to snapshot.' });
  const subject = targets.length === 1 ? targets[0].dom.name : `${targets.length} VMs`;
  const prepared = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${subject}…` }, () => Promise.all(targets.map(prepare)));
  const kind = await pickKind(deps, prepared, subject);
  const name = await deps.prompts.input({
    title: `${TITLE}: name`,
    prompt: targets.length === 1 ? 'Snapshot name' : 'Snapshot name (the same for every VM)',
    value: defaultSnapshotName(new Date()),
    validate: (v) => {
      for (const p of prepared) {
        const problem = snapshotNameProblem(v, p.existing);
        if (problem) return targets.length === 1 ? problem : `${p.target.dom.name}: ${problem}`;
      }
      return undefined;
    },
  });
  if (name === undefined) throw new UserCancelledError(TITLE);
  const description = await deps.prompts.input({ title: `${TITLE}: description`, prompt: 'Description (optional)', value: '' });
  if (description === undefined) throw new UserCancelledError(TITLE);
  const quiesce = kind === 'externalDisk' ? await askQuiesce(deps, prepared) : false;
  const quiesced: string[] = [];
  const byUuid = new Map(prepared.map((p) => [p.target.dom.uuid, p]));
  const report = await runVmAction(deps, targets, { progressVerb: 'Taking a snapshot of', pastVerb: 'Took a snapshot of' }, async (t) => {
    const p = byUuid.get(t.dom.uuid);
    if (!p) throw new Error(`${t.dom.name} was not checked`);
    const q = quiesce && p.agent?.answers === true;
    const memoryDir = p.support.memoryDir;
    await takeSnapshot(t.conn, t.dom, {
      name,
      ...(description.trim() ? { description: description.trim() } : {}),
      kind,
      externalDisks: p.support.externalDisks,
      skippedDisks: p.support.skippedDisks,
      ...(kind === 'externalMemory' && memoryDir !== undefined ? { memoryFile: memoryFilePath(memoryDir, t.dom.name, name) } : {}),
      quiesce: q,
    });
    if (q) quiesced.push(t.dom.name);
  }).finally(() => {
    for (const t of targets) refreshSnapshotsNode(deps, t);
  });
  return { ...report, name, kind, quiesced };
}
