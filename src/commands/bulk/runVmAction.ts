// One lifecycle action over one or many VMs: a cancellable progress notification ("Starting 3
// VMs…") with increments, at most BULK_CONCURRENCY calls at once (the RPC client caps in-flight
// calls per connection as well), one failure never stops the others, and one summary at the end
// ("Started 2 of 3 VMs" plus each error) with "Show Log".

import * as vscode from 'vscode';
import { errorMessage } from '../../ui/log';
import { showWithHelp } from '../../ui/runCommand';
import type { CommandDeps } from '../registry';
import type { VmTarget } from '../vmTargets';
import { countNoun, runBulk, summarize, summaryLine } from './bulkRunner';

export const BULK_CONCURRENCY = 4;

export interface VmActionWords {
  /** "Starting" */
  readonly progressVerb: string;
  /** "Started" */
  readonly pastVerb: string;
}

/** What a bulk command returns (also to `vscode.commands.executeCommand` callers such as tests). */
export interface BulkReport {
  readonly ok: readonly string[];
  readonly failed: readonly { readonly name: string; readonly message: string }[];
  readonly skipped: readonly string[];
  readonly summary: string;
}

/** Runs `action` on every target; a single target's failure is thrown so the command wrapper shows it. */
export async function runVmAction(
  deps: CommandDeps,
  targets: readonly VmTarget[],
  words: VmActionWords,
  action: (t: VmTarget) => Promise<unknown>,
): Promise<BulkReport> {
  const title = targets.length === 1 ? `${words.progressVerb} ${targets[0].dom.name}…` : `${words.progressVerb} ${countNoun(targets.length, 'VM')}…`;
  const outcomes = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: targets.length > 1 },
    (progress, token) =>
      runBulk(targets, action, {
        concurrency: BULK_CONCURRENCY,
        isCancelled: () => token.isCancellationRequested,
        onSettled: (o, n) => progress.report({ increment: 100 / targets.length, message: `${n} of ${targets.length}: ${o.item.dom.name}` }),
      }),
  );
  const summary = summarize(outcomes);
  const name = (t: VmTarget): string => t.dom.name;
  const report: BulkReport = {
    ok: summary.ok.map(name),
    failed: summary.failed.map((f) => ({ name: name(f.item), message: errorMessage(f.error) })),
    skipped: summary.skipped.map(name),
    summary: summaryLine(words.pastVerb, summary, name),
  };
  for (const f of summary.failed) {
    deps.log.error(`${words.progressVerb} ${f.item.dom.name} failed:`, f.error instanceof Error ? (f.error.stack ?? f.error.message) : errorMessage(f.error));
  }
  deps.log.info(report.summary);

  if (targets.length === 1 && summary.failed.length === 1) throw summary.failed[0].error;
  if (summary.failed.length === 0) {
    if (targets.length === 1) vscode.window.setStatusBarMessage(report.summary, 5000);
    else void vscode.window.showInformationMessage(report.summary);
    return report;
  }
  const errors = report.failed.map((f) => `${f.name}: ${f.message}`).join('; ');
  showWithHelp('warning', `${report.summary}. ${errors}`, summary.failed[0]?.error, { log: deps.log, openHelp: deps.runner.openHelp });
  return report;
}
