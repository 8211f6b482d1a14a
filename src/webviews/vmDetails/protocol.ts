// Messages between the VM details panel (extension host, panel.ts) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports. The webview holds the user's edits and sends
// the whole list of pending changes on every edit; the host checks them (debounced), applies them
// on request and answers requests by their id (`requestId` -> `inReplyTo`).

import type { FieldChange, FieldProblem, FormSection, FormValue, HintView } from '../../forms/formSchema';
import type { AgentProblem } from '../../libvirt/guestAgent';
import type { GuestFacts } from '../../libvirt/guestFacts';
import type { PerfSample } from '../../libvirt/perfSample';
import { HISTORY_RANGES, type HistoryRange } from '../../libvirt/history/ranges';
import { finite, flag, integer, listOf, MAX_TEXT, oneOf, optional, parseMessage, record, text, type FieldCheck, type MessageTable } from '../shared/messageChecks';
import { parseFromWebview as parseHardwareMessage, type FromWebview as HardwareFromWebview, type ToWebview as HardwareToWebview } from '../addHardware/protocol';

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
  /** Optimization hints for the definition as loaded (the Suggestions list). */
  readonly hints: readonly HintView[];
  /** A VM made by the New VM wizard with "Customize configuration before install": Begin Installation is offered. */
  readonly beginInstall: boolean;
}

/** Points per chart of a recorded range: a 480-pixel wide chart draws one per pixel column. */
export const PERF_HISTORY_POINTS = 480;

/** A recorded range (never 'live', which is the host's recent samples). */
export type RecordedRange = Exclude<HistoryRange, 'live'>;

/** The charts over a recorded range (perfHistory.ts builds it from the host's history). */
export interface PerfHistoryState {
  readonly range: RecordedRange;
  /** Start and end of the range (ms since the epoch). */
  readonly from: number;
  readonly to: number;
  /** Length of one point (ms): a whole number of the tier's slots. */
  readonly pointMs: number;
  /** Per point: `at` its start, each metric the average over the point (undefined: a gap). */
  readonly avg: readonly PerfSample[];
  /** Per point: each metric's largest value in the point. */
  readonly max: readonly PerfSample[];
}

/** The Overview's performance charts: the VM's recent samples (none while it is off). */
export interface PerfState {
  readonly active: boolean;
  readonly samples: readonly PerfSample[];
  /** The host records this VM's history: the range picker is offered. */
  readonly history?: boolean;
}

/** The Guest section: what the guest agent said, or why it said nothing. */
export interface GuestState {
  /** off: the VM is not running; loading: asking the agent; facts: it answered; unavailable: see `problem`. */
  readonly status: 'off' | 'loading' | 'facts' | 'unavailable';
  readonly facts?: GuestFacts;
  readonly problem?: AgentProblem;
  readonly message?: string;
  /** When the agent answered (ms since the epoch). */
  readonly at?: number;
  /** The running VM lacks the channel, but its definition has it: it comes with the next boot. */
  readonly channelAtNextBoot?: boolean;
}

/** The Guest section's buttons (the same commands as the VM's Guest Agent menu). */
export const GUEST_ACTIONS = ['setUserPassword', 'freezeFilesystems', 'thawFilesystems', 'syncClock', 'shutdown', 'addChannel'] as const;
export type GuestAction = (typeof GUEST_ACTIONS)[number];

/** The id of the Guest section in the section list (not a form: it shows the agent's facts). */
export const GUEST_SECTION = 'guest';

export type RequestResult =
  /** `value`: the new value of a field action ("Generate new MAC"). */
  | { readonly ok: true; readonly summary: string; readonly value?: FormValue }
  | { readonly ok: false; readonly message: string; readonly problems: readonly FieldProblem[] };

export type ToWebview =
  | { readonly type: 'init'; readonly title: string }
  /**
   * The whole state. `version` only on the state embedded in the page (the first one it draws,
   * before it said `ready`): the page says it back in `ready`, and the host sends no second state
   * while nothing changed since.
   */
  | { readonly type: 'state'; readonly state: DetailsState; readonly version?: number }
  /** Problems of the pending changes (the checks run while typing). */
  | { readonly type: 'problems'; readonly problems: readonly FieldProblem[] }
  | { readonly type: 'select'; readonly section: string }
  | { readonly type: 'connection'; readonly disconnected: string | undefined }
  | { readonly type: 'changedOnHost' }
  | { readonly type: 'result'; readonly inReplyTo: number; readonly result: RequestResult }
  /** The whole recent history (on every `ready`, and when the VM starts or stops). */
  | { readonly type: 'perf'; readonly perf: PerfState }
  /** One new sample of a running VM, after a stats refresh. */
  | { readonly type: 'perfSample'; readonly sample: PerfSample }
  /** The charts over a recorded range (after `perfRange`, and again as the history records); no `history`: nothing recorded. */
  | { readonly type: 'perfHistory'; readonly range: RecordedRange; readonly history?: PerfHistoryState }
  /** The Guest section's content (on `ready`, after a refresh or action, when the agent comes or goes). */
  | { readonly type: 'guest'; readonly guest: GuestState }
  /**
   * A message of the Add Hardware form shown in this tab (after `addHardware`): the Add Hardware
   * tab's own protocol, wrapped. Its first `state` shows the form in place of the sections.
   */
  | { readonly type: 'hardware'; readonly message: HardwareToWebview }
  /** The Add Hardware form closed (Cancel, or a device added: `summary` says what was done); the sections come back. */
  | { readonly type: 'hardwareClosed'; readonly summary?: string };

export type FromWebview =
  /** `stateVersion`: the version of the embedded state the page drew, if it drew one. */
  | { readonly type: 'ready'; readonly stateVersion?: number }
  | { readonly type: 'select'; readonly section: string }
  /** All pending changes after an edit (an empty list after Revert). */
  | { readonly type: 'edit'; readonly changes: readonly FieldChange[] }
  | { readonly type: 'apply'; readonly requestId: number; readonly changes: readonly FieldChange[] }
  | { readonly type: 'remove'; readonly requestId: number; readonly section: string }
  /** Apply a suggestion: the host shows its change as a diff and asks, then defines it. */
  | { readonly type: 'applyHint'; readonly requestId: number; readonly key: string }
  /** A field's action button: the host answers with the field's new value (the webview makes it an edit). */
  | { readonly type: 'fieldAction'; readonly requestId: number; readonly section: string; readonly field: string; readonly changes: readonly FieldChange[] }
  /** Drop the pending changes and show the definition as it is now. */
  | { readonly type: 'reload' }
  | { readonly type: 'showDiff' }
  | { readonly type: 'openXml'; readonly section: string }
  /** Show the Add Hardware form in this tab (or open the Add Hardware tab where the panel has no form of its own). */
  | { readonly type: 'addHardware' }
  /** A message of the Add Hardware form shown in this tab, checked field by field as the Add Hardware tab checks it. */
  | { readonly type: 'hardware'; readonly message: HardwareFromWebview }
  /** The Performance charts' time range: the recent samples ('live') or a recorded range. */
  | { readonly type: 'perfRange'; readonly range: HistoryRange }
  /** Ask the guest agent again. */
  | { readonly type: 'guestRefresh' }
  | { readonly type: 'guestAction'; readonly requestId: number; readonly action: GuestAction }
  /** Start the install of a VM defined with "Customize configuration before install". */
  | { readonly type: 'beginInstall'; readonly requestId: number }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  /** The webview has drawn a section's form (`fields` rows), after a `state` or a selection. */
  | { readonly type: 'shown'; readonly section: string; readonly fields: number; readonly timing?: PageTiming };

/** Page-side times of a form drawn, in ms since the webview document began loading. */
export interface PageTiming {
  /** The page's script started. */
  readonly scriptMs: number;
  /** VS Code's empty page that ours is written into had loaded (navigation timing), where recorded. */
  readonly frameLoadedMs?: number;
  /** The script's fetch began and its last byte arrived (resource timing), where recorded. */
  readonly scriptFetchStartMs?: number;
  readonly scriptFetchEndMs?: number;
  /** The page said `ready`. */
  readonly readyMs: number;
  /** The first state arrived (in answer to `ready`). */
  readonly stateMs?: number;
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
  ready: { stateVersion: optional(integer(0, Number.MAX_SAFE_INTEGER, 'a state version')) },
  select: { section: sectionId },
  edit: { changes },
  apply: { requestId, changes },
  remove: { requestId, section: sectionId },
  applyHint: { requestId, key: text(ID_LENGTH) },
  fieldAction: { requestId, section: sectionId, field: text(ID_LENGTH), changes },
  reload: {},
  showDiff: {},
  openXml: { section: sectionId },
  addHardware: {},
  hardware: { message: parseHardwareMessage },
  perfRange: { range: oneOf(HISTORY_RANGES, 'time range') },
  guestRefresh: {},
  guestAction: { requestId, action: oneOf(GUEST_ACTIONS, 'guest agent action') },
  beginInstall: { requestId },
  log: { level: oneOf(['info', 'warn', 'error'] as const, 'log level'), message: text() },
  shown: { section: sectionId, fields: integer(0, MAX_CHANGES, 'a number of fields'), timing: optional(record<PageTiming>({ scriptMs: finite, frameLoadedMs: optional(finite), scriptFetchStartMs: optional(finite), scriptFetchEndMs: optional(finite), readyMs: finite, stateMs: optional(finite), drawnMs: finite })) },
};

/** Checks every field of a message from the details webview; throws WebviewMessageError. */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
}

/** The performance messages, which the webview checks field by field too (see parsePerfMessage). */
export type PerfMessage = Extract<ToWebview, { readonly type: 'perf' | 'perfSample' | 'perfHistory' }>;

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
  diskReadIops: metric,
  diskWriteIops: metric,
  netRxBps: metric,
  netTxBps: metric,
});
const recordedRange = oneOf(HISTORY_RANGES.filter((r): r is RecordedRange => r !== 'live'), 'recorded time range');
const PERF_MESSAGES: MessageTable<PerfMessage> = {
  perf: { perf: record<PerfState>({ active: flag, samples: listOf(sample, MAX_PERF_SAMPLES), history: optional(flag) }) },
  perfSample: { sample },
  perfHistory: {
    range: recordedRange,
    history: optional(
      record<PerfHistoryState>({
        range: recordedRange,
        from: finite,
        to: finite,
        pointMs: finite,
        avg: listOf(sample, PERF_HISTORY_POINTS),
        max: listOf(sample, PERF_HISTORY_POINTS),
      }),
    ),
  },
};

/** Checks a performance message from the host (the webview draws only numbers it has checked). */
export function parsePerfMessage(m: unknown): PerfMessage {
  return parseMessage(PERF_MESSAGES, m);
}
