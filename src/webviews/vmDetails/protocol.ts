// Messages between the VM details panel (extension host, panel.ts) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports. The webview holds the user's edits and sends
// the whole list of pending changes on every edit; the host checks them (debounced), applies them
// on request and answers requests by their id (`requestId` -> `inReplyTo`).

import type { FieldChange, FieldProblem, FormSection, FormValue } from '../../forms/formSchema';
import type { PerfSample } from '../../libvirt/perfSample';
import { finite, flag, integer, listOf, MAX_TEXT, oneOf, optional, parseMessage, record, text, type FieldCheck, type MessageTable } from '../shared/messageChecks';

/** Everything the webview shows; sent on every `ready` and after every load. */
export interface DetailsState {
  readonly sections: readonly FormSection[];
  readonly problems: readonly FieldProblem[];
  /** The user's unapplied changes (kept by the host, so a recreated webview shows them again). */
  readonly pending: readonly FieldChange[];
  readonly selected: string | undefined;
  readonly running: boolean;
  /** Why Apply is unavailable (the connection is down), or undefined when connected. */
  readonly disconnected: string | undefined;
  /** The definition changed on the host while there were unapplied changes. */
  readonly changedOnHost: boolean;
  /** Show Diff is offered in the changed-on-host banner. */
  readonly canDiff: boolean;
}

/** The Overview's performance charts: the VM's recent samples (none while it is off). */
export interface PerfState {
  readonly active: boolean;
  readonly samples: readonly PerfSample[];
}

export type RequestResult =
  /** `value`: the new value of a field action ("Generate new MAC"). */
  | { readonly ok: true; readonly summary: string; readonly value?: FormValue }
  | { readonly ok: false; readonly message: string; readonly problems: readonly FieldProblem[] };

export type ToWebview =
  | { readonly type: 'init'; readonly title: string }
  | { readonly type: 'state'; readonly state: DetailsState }
  /** Problems of the pending changes (the checks run while typing). */
  | { readonly type: 'problems'; readonly problems: readonly FieldProblem[] }
  | { readonly type: 'select'; readonly section: string }
  | { readonly type: 'connection'; readonly disconnected: string | undefined }
  | { readonly type: 'changedOnHost' }
  | { readonly type: 'result'; readonly inReplyTo: number; readonly result: RequestResult }
  /** The whole recent history (on every `ready`, and when the VM starts or stops). */
  | { readonly type: 'perf'; readonly perf: PerfState }
  /** One new sample of a running VM, after a stats refresh. */
  | { readonly type: 'perfSample'; readonly sample: PerfSample };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly section: string }
  /** All pending changes after an edit (an empty list after Revert). */
  | { readonly type: 'edit'; readonly changes: readonly FieldChange[] }
  | { readonly type: 'apply'; readonly requestId: number; readonly changes: readonly FieldChange[] }
  | { readonly type: 'remove'; readonly requestId: number; readonly section: string }
  /** A field's action button: the host answers with the field's new value (the webview makes it an edit). */
  | { readonly type: 'fieldAction'; readonly requestId: number; readonly section: string; readonly field: string; readonly changes: readonly FieldChange[] }
  /** Drop the pending changes and show the definition as it is now. */
  | { readonly type: 'reload' }
  | { readonly type: 'showDiff' }
  | { readonly type: 'openXml'; readonly section: string }
  | { readonly type: 'addHardware' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  /** The webview has drawn a section's form (`fields` rows), after a `state` or a selection. */
  | { readonly type: 'shown'; readonly section: string; readonly fields: number; readonly timing?: PageTiming };

/** Page-side times of a form drawn, in ms since the webview document began loading. */
export interface PageTiming {
  /** The page's script started. */
  readonly scriptMs: number;
  /** The page said `ready`. */
  readonly readyMs: number;
  /** This form was drawn. */
  readonly drawnMs: number;
}

/** More than any VM has fields; bounds what one message can make the host check. */
export const MAX_CHANGES = 2000;
const ID_LENGTH = 256;

const sectionId = text(ID_LENGTH);
const requestId = integer(0, Number.MAX_SAFE_INTEGER, 'a request number');
/** A form value: text, a number, true/false, or absent ("not set"). */
const formValue: FieldCheck<FormValue> = (v) => {
  if (typeof v === 'boolean') return flag(v);
  if (typeof v === 'number') return finite(v);
  return text(MAX_TEXT)(v);
};
const change = record<FieldChange>({ section: sectionId, field: text(ID_LENGTH), value: optional(formValue) });
const changes = listOf(change, MAX_CHANGES);

const FROM_WEBVIEW: MessageTable<FromWebview> = {
  ready: {},
  select: { section: sectionId },
  edit: { changes },
  apply: { requestId, changes },
  remove: { requestId, section: sectionId },
  fieldAction: { requestId, section: sectionId, field: text(ID_LENGTH), changes },
  reload: {},
  showDiff: {},
  openXml: { section: sectionId },
  addHardware: {},
  log: { level: oneOf(['info', 'warn', 'error'] as const, 'log level'), message: text() },
  shown: { section: sectionId, fields: integer(0, MAX_CHANGES, 'a number of fields'), timing: optional(record<PageTiming>({ scriptMs: finite, readyMs: finite, drawnMs: finite })) },
};

/** Checks every field of a message from the details webview; throws WebviewMessageError. */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
}

/** The performance messages, which the webview checks field by field too (see parsePerfMessage). */
export type PerfMessage = Extract<ToWebview, { readonly type: 'perf' | 'perfSample' }>;

/** More than any history holds (PERF_HISTORY_LENGTH). */
const MAX_PERF_SAMPLES = 1000;
const metric = optional(finite);
const sample = record<PerfSample>({
  at: finite,
  cpuPercent: metric,
  memoryUsedKiB: metric,
  memoryKiB: metric,
  diskReadBps: metric,
  diskWriteBps: metric,
  netRxBps: metric,
  netTxBps: metric,
});
const PERF_MESSAGES: MessageTable<PerfMessage> = {
  perf: { perf: record<PerfState>({ active: flag, samples: listOf(sample, MAX_PERF_SAMPLES) }) },
  perfSample: { sample },
};

/** Checks a performance message from the host (the webview draws only numbers it has checked). */
export function parsePerfMessage(m: unknown): PerfMessage {
  return parseMessage(PERF_MESSAGES, m);
}
