// Messages between the console panel (extension host) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports here. Bytes of the VNC connection travel in
// `vncData` (host -> webview) and `vncSend` (webview -> host) as relay frames (see
// src/console/relayFraming.ts); the host posts nothing but `init` before the webview's `ready`.

import { decodePayload } from '../../console/relayFraming';

/** What the panel shows above the display. */
export type ConsoleState =
  | { readonly kind: 'connecting'; readonly detail?: string }
  | { readonly kind: 'connected' }
  | { readonly kind: 'disconnected'; readonly reason: string; readonly retrying: boolean }
  /** The VM is not running: the panel offers Start. */
  | { readonly kind: 'vmOff' }
  /** The VM has no VNC display (SPICE only, or none): the panel offers "Add VNC display". */
  | { readonly kind: 'noVnc'; readonly graphics: readonly string[]; readonly pendingRestart: boolean }
  | { readonly kind: 'error'; readonly message: string };

/** Key combinations the toolbar can send; the webview maps them to X11 keysyms for noVNC. */
export type KeyCombo =
  | 'ctrl-alt-del'
  | 'ctrl-alt-backspace'
  | 'print-screen'
  | `ctrl-alt-f${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12}`;

export type ScaleMode = 'fit' | 'native';

export type ToWebview =
  | { readonly type: 'init'; readonly title: string; readonly scale: ScaleMode; readonly viewOnly: boolean }
  | { readonly type: 'state'; readonly state: ConsoleState }
  /** The relay's socket to the VNC server is open: noVNC may start the RFB handshake. */
  | { readonly type: 'vncOpen'; readonly session: number }
  | { readonly type: 'vncData'; readonly session: number; readonly seq: number; readonly data: Uint8Array | string }
  | { readonly type: 'vncClosed'; readonly session: number; readonly reason: string }
  /** Answer to `credentialsRequired`; an empty password makes noVNC give up. */
  | { readonly type: 'credentials'; readonly password: string }
  /** Type this text as keystrokes (paste). */
  | { readonly type: 'typeText'; readonly text: string }
  | { readonly type: 'sendKeys'; readonly combo: KeyCombo };

export type FromWebview =
  | { readonly type: 'ready' }
  /** Bytes from noVNC; parseFromWebview turns base64 text into a Uint8Array. */
  | { readonly type: 'vncSend'; readonly session: number; readonly data: Uint8Array | string }
  /** noVNC closed its channel (user disconnect or protocol error). */
  | { readonly type: 'vncClose'; readonly session: number }
  | { readonly type: 'rfbConnected'; readonly session: number; readonly width: number; readonly height: number }
  | { readonly type: 'rfbDisconnected'; readonly session: number; readonly clean: boolean }
  | { readonly type: 'firstFrame'; readonly session: number; readonly blank: boolean }
  | { readonly type: 'credentialsRequired'; readonly types: readonly string[] }
  | { readonly type: 'securityFailure'; readonly reason: string }
  /** Sent from a trusted click on Paste only; the host also requires the panel to be active. */
  | { readonly type: 'requestPaste'; readonly userAction: true }
  | { readonly type: 'screenshot' }
  | { readonly type: 'reconnect' }
  | { readonly type: 'startVm' }
  | { readonly type: 'addVnc' }
  /** Maximise the editor group (webviews may not enter browser fullscreen). */
  | { readonly type: 'fullscreen' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

/** Why a message from the webview was refused (logged by the panel, never acted on). */
export class WebviewMessageError extends Error {
  override readonly name = 'WebviewMessageError';
  static is(e: unknown): e is WebviewMessageError {
    return e instanceof WebviewMessageError;
  }
}

/** Checks one field; returns the value to use (bytes are decoded here) or throws with the reason. */
type FieldCheck = (v: unknown) => unknown;

const MAX_TEXT = 16 * 1024;
/** noVNC sends small client messages; a batch of them stays far below this. */
const MAX_SEND_BYTES = 1024 * 1024;
/** Larger than any framebuffer QEMU's VNC server offers. */
const MAX_DIMENSION = 16384;

const sessionId: FieldCheck = (v) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new WebviewMessageError('session is not a non-negative integer');
  return v;
};
const flag: FieldCheck = (v) => {
  if (typeof v !== 'boolean') throw new WebviewMessageError('expected true or false');
  return v;
};
const dimension: FieldCheck = (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_DIMENSION) throw new WebviewMessageError(`not a size from 0 to ${MAX_DIMENSION}`);
  return v;
};
const text: FieldCheck = (v) => {
  if (typeof v !== 'string' || v.length > MAX_TEXT) throw new WebviewMessageError(`not a text of at most ${MAX_TEXT} characters`);
  return v;
};
const logLevel: FieldCheck = (v) => {
  if (v !== 'info' && v !== 'warn' && v !== 'error') throw new WebviewMessageError('unknown log level');
  return v;
};
const securityTypes: FieldCheck = (v) => {
  if (!Array.isArray(v) || v.length > 16 || !v.every((t) => typeof t === 'string' && t.length <= 64)) throw new WebviewMessageError('not a short list of credential types');
  return v;
};
/** The relay bytes (typed array, ArrayBuffer or base64 text), decoded and size-checked here. */
const relayBytes: FieldCheck = (v) => {
  if (typeof v === 'string' && v.length > Math.ceil(MAX_SEND_BYTES / 3) * 4) throw new WebviewMessageError(`payload larger than ${MAX_SEND_BYTES} bytes`);
  if (Array.isArray(v) && v.length > MAX_SEND_BYTES) throw new WebviewMessageError(`payload larger than ${MAX_SEND_BYTES} bytes`);
  let bytes: Uint8Array;
  try {
    bytes = decodePayload(v);
  } catch (e) {
    throw new WebviewMessageError(`malformed byte payload (${e instanceof Error ? e.message : String(e)})`);
  }
  if (bytes.length > MAX_SEND_BYTES) throw new WebviewMessageError(`payload larger than ${MAX_SEND_BYTES} bytes`);
  return bytes;
};
const mustBeTrue: FieldCheck = (v) => {
  if (v !== true) throw new WebviewMessageError('not started by a user action');
  return v;
};

/** Every message the webview may send, with a check for each of its fields (and no others). */
const FROM_WEBVIEW_FIELDS: { readonly [K in FromWebview['type']]: Readonly<Record<Exclude<keyof Extract<FromWebview, { type: K }>, 'type'>, FieldCheck>> } = {
  ready: {},
  vncSend: { session: sessionId, data: relayBytes },
  vncClose: { session: sessionId },
  rfbConnected: { session: sessionId, width: dimension, height: dimension },
  rfbDisconnected: { session: sessionId, clean: flag },
  firstFrame: { session: sessionId, blank: flag },
  credentialsRequired: { types: securityTypes },
  securityFailure: { reason: text },
  requestPaste: { userAction: mustBeTrue },
  screenshot: {},
  reconnect: {},
  startVm: {},
  addVnc: {},
  fullscreen: {},
  log: { level: logLevel, message: text },
};

/**
 * Checks every field of a message from the webview, which is untrusted input: the type must be
 * known, each of its fields present and valid, no other field present. Returns the message with
 * its byte payload decoded to a Uint8Array; throws WebviewMessageError saying what is wrong.
 */
export function parseFromWebview(m: unknown): FromWebview {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new WebviewMessageError('not an object');
  const record = m as Record<string, unknown>;
  const type = record['type'];
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(FROM_WEBVIEW_FIELDS, type)) throw new WebviewMessageError(`unknown message type ${JSON.stringify(type)?.slice(0, 40)}`);
  const fields = FROM_WEBVIEW_FIELDS[type as FromWebview['type']] as Readonly<Record<string, FieldCheck>>;
  const out: Record<string, unknown> = { type };
  for (const key of Object.keys(record)) {
    if (key !== 'type' && !Object.prototype.hasOwnProperty.call(fields, key)) throw new WebviewMessageError(`${type}: unexpected field ${JSON.stringify(key.slice(0, 40))}`);
  }
  for (const [key, check] of Object.entries(fields)) {
    if (!(key in record)) throw new WebviewMessageError(`${type}: missing field ${key}`);
    try {
      out[key] = check(record[key]);
    } catch (e) {
      throw new WebviewMessageError(`${type}.${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out as FromWebview;
}

export const KEY_COMBOS: readonly KeyCombo[] = [
  'ctrl-alt-del',
  'ctrl-alt-backspace',
  'print-screen',
  ...([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const).map((n) => `ctrl-alt-f${n}` as const),
];

export function isKeyCombo(v: unknown): v is KeyCombo {
  return typeof v === 'string' && (KEY_COMBOS as readonly string[]).includes(v);
}

/** One key of a combination: its X11 keysym (X11/keysymdef.h) and its KeyboardEvent.code. */
export interface ComboKey {
  readonly keysym: number;
  readonly code: string;
}

/** The keys of a combination, pressed in order and released in reverse. */
export function comboKeys(combo: KeyCombo): ComboKey[] {
  const ctrl = { keysym: 0xffe3, code: 'ControlLeft' };
  const alt = { keysym: 0xffe9, code: 'AltLeft' };
  switch (combo) {
    case 'ctrl-alt-del':
      return [ctrl, alt, { keysym: 0xffff, code: 'Delete' }];
    case 'ctrl-alt-backspace':
      return [ctrl, alt, { keysym: 0xff08, code: 'Backspace' }];
    case 'print-screen':
      return [{ keysym: 0xff61, code: 'PrintScreen' }];
    default: {
      const n = Number(combo.slice('ctrl-alt-f'.length));
      return [ctrl, alt, { keysym: 0xffbe + n - 1, code: `F${n}` }]; // XK_F1 = 0xffbe
    }
  }
}

export function comboLabel(combo: KeyCombo): string {
  switch (combo) {
    case 'ctrl-alt-del':
      return 'Ctrl+Alt+Del';
    case 'ctrl-alt-backspace':
      return 'Ctrl+Alt+Backspace';
    case 'print-screen':
      return 'PrintScreen';
    default:
      return `Ctrl+Alt+F${combo.slice('ctrl-alt-f'.length)}`;
  }
}

/** The keysym that types one character (Latin-1 maps directly, the rest via 0x01000000 + code point). */
export function charKeysym(ch: string): number | undefined {
  const cp = ch.codePointAt(0);
  if (cp === undefined) return undefined;
  if (ch === '\n' || ch === '\r') return 0xff0d; // Return
  if (ch === '\t') return 0xff09; // Tab
  if (cp < 0x20 || cp === 0x7f) return undefined;
  if (cp <= 0xff) return cp;
  return 0x01000000 + cp;
}
