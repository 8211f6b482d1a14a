// The shape shared by the lifecycle commands (Start, Shutdown, Pause...): resolve the VMs (node,
// selection or a multi-select quick pick filtered by state), confirm when destructive, then run
// the action over all of them with progress and one summary.

import { UserCancelledError } from '../../ui/cancel';
import type { VmStateName } from '../../views/vmState';
import { runVmAction, type BulkReport, type VmActionWords } from '../bulk/runVmAction';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import type { ConfirmRequest } from '../prompts';
import { resolveTargets, type VmTarget } from '../vmTargets';

export interface LifecycleSpec extends VmActionWords {
  /** Quick pick title, e.g. "Start VMs". */
  readonly title: string;
  /** States offered in the quick pick. */
  readonly states: readonly VmStateName[] | 'any';
  /** Shown when no VM is in one of those states. */
  readonly none: string;
  /** For destructive actions: the modal to confirm first. */
  readonly confirm?: (targets: readonly VmTarget[]) => ConfirmRequest;
  readonly run: (t: VmTarget) => Promise<unknown>;
  /** Follow-up on each VM the action succeeded on (not awaited: it must not hold the progress). */
  readonly after?: (deps: CommandDeps, t: VmTarget) => Promise<void>;
}

export function lifecycleCommand(spec: LifecycleSpec): CommandHandler {
  return async (deps, node, selected): Promise<BulkReport> => {
    const targets = await resolveTargets(deps, node, selected, { title: spec.title, states: spec.states, many: true, none: spec.none });
    if (spec.confirm && !(await deps.prompts.confirm(spec.confirm(targets)))) throw new UserCancelledError(spec.title);
    const after = spec.after;
    return runVmAction(deps, targets, spec, after ? async (t) => {
      const r = await spec.run(t);
      void after(deps, t).catch((e: unknown) => deps.log.warn(`${spec.title}: follow-up for ${t.dom.name} failed: ${e instanceof Error ? e.message : String(e)}`));
      return r;
    } : spec.run);
  };
}

/** "vm1", "vm1 and vm2", "vm1, vm2 and vm3". */
export function joinNames(targets: readonly VmTarget[]): string {
  const names = targets.map((t) => `"${t.dom.name}"`);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** States in which a VM has a running QEMU process. */
export const ACTIVE_STATES: readonly VmStateName[] = ['running', 'paused', 'pmsuspended', 'shuttingdown', 'crashed', 'unknown'];
