// Suggestions (optimization hints, src/forms/hints.ts) in VS Code: the question asked before a
// suggestion is applied (its XML change in the diff editor, then a modal naming what changes), and
// "Show Suggestions": a quick pick of the hints of every VM of a host, from a connection row or
// the palette. The definitions the tree already read are reused; the others are fetched together.
// Picking a suggestion with a fix previews and applies it through the details model's path;
// one without opens the VM's details at its section, where the Suggestions list says what to do.

import * as vscode from 'vscode';
import type { HintChange } from '../../forms/formSchema';
import { hintKey, type Hint } from '../../forms/hints';
import { hostHints } from '../../forms/hintHost';
import { DomainDetailsModel } from '../../forms/domainDetailsModel';
import type { DomainRef } from '../../libvirt/connection';
import { STATE_LABEL, stateName } from '../../views/vmState';
import { UserCancelledError } from '../../ui/cancel';
import { connectionIdOf } from '../args';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';

export const APPLY_SUGGESTION = 'Apply';

/** Shows the change in the diff editor (read-only documents) beside the current tab, asks, and closes the diff; true to apply. */
export async function confirmHintChange(deps: CommandDeps, vm: string, change: HintChange): Promise<boolean> {
  const close = await deps.previews.showDiff(`${vm}: ${change.fixTitle} (definition now ↔ with the suggestion)`, `${vm}.xml`, change.before, change.after);
  const detail = [
    `Expected: ${change.effect}`,
    change.consequence !== undefined ? `Note: ${change.consequence}` : undefined,
    'The diff editor shows the change to the definition. libvirt validates it; if it refuses, nothing changes. A running VM gets it at its next boot.',
  ]
    .filter((x) => x !== undefined)
    .join('\n\n');
  try {
    return await deps.prompts.confirm({ message: `${change.fixTitle} on ${vm}?`, detail, button: APPLY_SUGGESTION });
  } finally {
    // Answered: the preview has done its job (the details tab or the XML shows the result).
    await close().catch(() => undefined);
  }
}

/** The chosen suggestion (for tests and callers): what was picked and whether it was applied. */
export interface SuggestionsResult {
  readonly connectionId: string;
  /** How many suggestions were listed (the host's included). */
  readonly listed: number;
  readonly picked?: { readonly vm: string; readonly code: string };
  readonly applied: boolean;
}

interface Choice {
  readonly dom?: DomainRef;
  readonly hint?: Hint;
}

export const showSuggestions: CommandHandler = async (deps, node) => {
  let id = connectionIdOf(node);
  if (id === undefined) {
    const connected = deps.tree.sessions().filter((s) => s.connection() !== undefined);
    if (connected.length === 0) throw new Error('No connection is open: connect to a host first.');
    const pick = connected.length === 1 ? connected[0] : (await deps.prompts.pickOne({ title: 'Show Suggestions', placeHolder: 'The host whose VMs to look at', items: connected.map((s) => ({ label: s.config.name, description: s.config.uri, value: s })) }))?.value;
    if (!pick) throw new UserCancelledError();
    id = pick.id;
  }
  const session = deps.tree.session(id);
  if (!session) throw new Error(`No connection with id ${id}`);
  const conn = session.connection() ?? (await session.managed.connect());
  const install = await deps.osinfo.forHost(session.config.uri).installFacts().catch(() => undefined);
  const all = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Looking at the VMs of ${session.config.name}…` }, () =>
    hostHints(conn, {
      known: (r) => session.knownDefinition(r.uuid),
      ...(install ? { install } : {}),
      perf: (r) => session.perfSource(r.uuid).samples(),
    }),
  );
  for (const v of all.vms) if (v.error !== undefined) deps.log.warn(`Suggestions: ${v.dom.name} could not be analysed: ${v.error}`);
  const items = [
    ...all.host.map((h) => ({ label: `$(server) ${h.title}`, description: session.config.name, detail: `${h.why} ${h.apply.kind === 'manual' ? h.apply.advice : ''}`, value: {} as Choice })),
    ...all.vms.flatMap((v) =>
      v.hints.map((h) => ({
        label: `$(${h.apply.kind !== 'manual' ? 'lightbulb-autofix' : 'lightbulb'}) ${h.title}`,
        description: `${v.dom.name} · ${h.importance} impact${h.apply.kind !== 'manual' ? '' : ' · by hand'}`,
        detail: `${h.why} Expected: ${h.effect}`,
        value: { dom: v.dom, hint: h } as Choice,
      })),
    ),
  ];
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No suggestions for the VMs of ${session.config.name}.`);
    return { connectionId: id, listed: 0, applied: false } satisfies SuggestionsResult;
  }
  const chosen = await deps.prompts.pickOne({ title: `Suggestions for ${session.config.name} (${items.length})`, placeHolder: 'Pick one to see its change and apply it', items });
  if (!chosen?.value.dom || !chosen.value.hint) return { connectionId: id, listed: items.length, applied: false } satisfies SuggestionsResult;
  const { dom, hint } = chosen.value;
  const picked = { vm: dom.name, code: hint.code };
  if (hint.apply.kind === 'manual') {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId: id, uuid: dom.uuid, section: hint.target.section });
    return { connectionId: id, listed: items.length, picked, applied: false } satisfies SuggestionsResult;
  }
  const model = new DomainDetailsModel(conn, dom, { stateLabel: (st, saved) => STATE_LABEL[stateName(st, saved)], osinfo: deps.osinfo.forHost(session.config.uri), perf: () => session.perfSource(dom.uuid).samples() });
  const change = await model.previewHint(hintKey(hint));
  if (!(await confirmHintChange(deps, dom.name, change))) return { connectionId: id, listed: items.length, picked, applied: false } satisfies SuggestionsResult;
  const outcome = await model.applyHint(change);
  void vscode.window.showInformationMessage(`${dom.name}: ${change.fixTitle}${outcome.nextBoot.length > 0 ? ' (at its next boot)' : ''}.`);
  return { connectionId: id, listed: items.length, picked, applied: true } satisfies SuggestionsResult;
};
