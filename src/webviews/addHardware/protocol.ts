// Messages between the Add Hardware tab (extension host, panel.ts) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports. The webview holds the form's values per kind
// and sends them whole on every edit (with the field that changed, for derived values); the host
// checks them (debounced) and answers with problems, derived values and what Finish would do.

import type { AddKindForm, FieldProblem, FormValue } from '../../forms/formSchema';
import { dictionary, finite, flag, integer, MAX_TEXT, oneOf, optional, parseMessage, text, type FieldCheck, type MessageTable } from '../shared/messageChecks';

export interface AddHardwareState {
  readonly vm: string;
  readonly kinds: readonly AddKindForm[];
  readonly selected: string;
  readonly running: boolean;
  /** Why Finish is unavailable (the connection is down), or undefined when connected. */
  readonly disconnected: string | undefined;
  /** The webview's values per kind, kept by the host so a recreated webview shows them again. */
  readonly edited: Readonly<Record<string, Readonly<Record<string, FormValue>>>>;
}

export type FinishResult = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly message: string; readonly problems: readonly FieldProblem[] };

export type ToWebview =
  | { readonly type: 'init'; readonly title: string }
  | { readonly type: 'state'; readonly state: AddHardwareState }
  /** The host's check of the values sent with `version`. */
  | { readonly type: 'checked'; readonly kind: string; readonly version: number; readonly problems: readonly FieldProblem[]; readonly derived: Readonly<Record<string, FormValue>>; readonly summary: string }
  | { readonly type: 'connection'; readonly disconnected: string | undefined }
  | { readonly type: 'result'; readonly inReplyTo: number; readonly result: FinishResult };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly kind: string }
  /** The kind's values after an edit of `changed`; `version` orders the answers. */
  | { readonly type: 'edit'; readonly kind: string; readonly values: Readonly<Record<string, FormValue>>; readonly changed?: string; readonly version: number }
  | { readonly type: 'finish'; readonly requestId: number; readonly kind: string; readonly values: Readonly<Record<string, FormValue>> }
  | { readonly type: 'cancel' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  /** The webview has drawn a kind's form (`fields` rows). */
  | { readonly type: 'shown'; readonly kind: string; readonly fields: number };

/** More than any kind has fields. */
export const MAX_FIELDS = 200;
const ID_LENGTH = 256;
const kindId = text(ID_LENGTH);
const formValue: FieldCheck<FormValue> = (v) => {
  if (typeof v === 'boolean') return flag(v);
  if (typeof v === 'number') return finite(v);
  return text(MAX_TEXT)(v);
};
const values = dictionary(formValue, MAX_FIELDS, ID_LENGTH);

const FROM_WEBVIEW: MessageTable<FromWebview> = {
  ready: {},
  select: { kind: kindId },
  edit: { kind: kindId, values, changed: optional(text(ID_LENGTH)), version: integer(0, Number.MAX_SAFE_INTEGER, 'a version') },
  finish: { requestId: integer(0, Number.MAX_SAFE_INTEGER, 'a request number'), kind: kindId, values },
  cancel: {},
  log: { level: oneOf(['info', 'warn', 'error'] as const, 'log level'), message: text() },
  shown: { kind: kindId, fields: integer(0, MAX_FIELDS, 'a number of fields') },
};

/** Checks every field of a message from the Add Hardware webview; throws WebviewMessageError. */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
}
