// Messages between the New VM wizard (extension host, controller.ts) and its webview
// (app/main.ts). Shared by both sides: no `vscode` or DOM imports. The host holds the values:
// every edit goes to it, and it answers with the whole state (steps, values with the suggestions
// the chosen OS makes, problems), so a recreated webview shows the wizard as it was.

import type { FieldProblem, FormSection, FormValue } from '../../forms/formSchema';
import { finite, flag, integer, oneOf, optional, parseMessage, text, MAX_TEXT, type FieldCheck, type MessageTable } from '../shared/messageChecks';

export interface WizardState {
  readonly steps: readonly FormSection[];
  readonly values: Readonly<Record<string, FormValue>>;
  readonly problems: readonly FieldProblem[];
  readonly step: string;
  /** Work in progress ("Reading the ISO…", "Creating the disk…"); the buttons wait meanwhile. */
  readonly busy: string | undefined;
  /** The busy work (an upload, a download) stops on Cancel; otherwise Cancel closes the wizard. */
  readonly cancellable: boolean;
  /** Why nothing can be created (the connection is down). */
  readonly disconnected: string | undefined;
  /** The template the wizard started from, and what of it this host could not take. */
  readonly template?: { readonly name: string; readonly notes: readonly string[] };
  /** Whether Save as Template… is offered. */
  readonly canSaveTemplate: boolean;
}

export type CreateResult = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly message: string };

export type ToWebview =
  | { readonly type: 'init'; readonly title: string }
  | { readonly type: 'state'; readonly state: WizardState }
  | { readonly type: 'result'; readonly inReplyTo: number; readonly result: CreateResult }
  /** The outcome of work not tied to Create (an upload that failed or was cancelled). */
  | { readonly type: 'notice'; readonly level: 'error' | 'info'; readonly message: string };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'edit'; readonly field: string; readonly value: FormValue }
  | { readonly type: 'step'; readonly step: string }
  /** A field's action button ("Browse local ISO…"). */
  | { readonly type: 'action'; readonly field: string; readonly action: string }
  | { readonly type: 'create'; readonly requestId: number }
  /** Save as Template…: the current answers become a template (its name is asked for). */
  | { readonly type: 'saveTemplate' }
  | { readonly type: 'cancel' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

const formValue: FieldCheck<FormValue> = (v) => {
  if (typeof v === 'boolean') return flag(v);
  if (typeof v === 'number') return finite(v);
  return text(MAX_TEXT)(v);
};
const id = text(64);

const FROM_WEBVIEW: MessageTable<FromWebview> = {
  ready: {},
  edit: { field: id, value: optional(formValue) },
  step: { step: id },
  action: { field: id, action: id },
  create: { requestId: integer(0, Number.MAX_SAFE_INTEGER, 'a request number') },
  saveTemplate: {},
  cancel: {},
  log: { level: oneOf(['info', 'warn', 'error'] as const, 'log level'), message: text() },
};

/** Checks every field of a message from the wizard's webview; throws WebviewMessageError. */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
}
