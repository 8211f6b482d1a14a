// Messages between the console panel (extension host) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports here. Bytes of the VNC connection travel in
// `vncData` (host -> webview) and `vncSend` (webview -> host) as relay frames (see
// src/console/relayFraming.ts); the host posts nothing but `init` before the webview's `ready`.

import { decodePayload } from '../../console/relayFraming';
import { flag, integer, listOf, mustBeTrue, oneOf, parseMessage, text, WebviewMessageError, type FieldCheck, type MessageTable } from '../shared/messageChecks';

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

export { WebviewMessageError };

/** noVNC sends small client messages; a batch of them stays far below this. */
const MAX_SEND_BYTES = 1024 * 1024;
/** Larger than any framebuffer QEMU's VNC server offers. */
const MAX_DIMENSION = 16384;

const sessionId = integer(0, Number.MAX_SAFE_INTEGER, 'a session number');
const dimension = integer(0, MAX_DIMENSION, 'a size');
const logLevel = oneOf(['info', 'warn', 'error'] as const, 'log level');
const securityTypes = listOf(text(64), 16);
/** The relay bytes (typed array, ArrayBuffer or base64 text), decoded and size-checked here. */
const relayBytes: FieldCheck<Uint8Array> = (v) => {
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

/** Every message the webview may send, with a check for each of its fields (and no others). */
const FROM_WEBVIEW: MessageTable<FromWebview> = {
  ready: {},
  vncSend: { session: sessionId, data: relayBytes },
  vncClose: { session: sessionId },
  rfbConnected: { session: sessionId, width: dimension, height: dimension },
  rfbDisconnected: { session: sessionId, clean: flag },
  firstFrame: { session: sessionId, blank: flag },
  credentialsRequired: { types: securityTypes },
  securityFailure: { reason: text() },
  requestPaste: { userAction: mustBeTrue },
  screenshot: {},
  reconnect: {},
  startVm: {},
  addVnc: {},
  fullscreen: {},
  log: { level: logLevel, message: text() },
};

/**
 * Checks every field of a message from the webview (see parseMessage). Returns the message with
 * its byte payload decoded to a Uint8Array; throws WebviewMessageError saying what is wrong.
 */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
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
