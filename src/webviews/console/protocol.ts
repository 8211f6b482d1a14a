// Messages between the console panel (extension host) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports here. Bytes of the VNC connection travel in
// `vncData` (host -> webview) and `vncSend` (webview -> host) as relay frames (see
// src/console/relayFraming.ts); the host posts nothing but `init` before the webview's `ready`.

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
  | { readonly type: 'vncSend'; readonly session: number; readonly data: Uint8Array | string }
  /** noVNC closed its channel (user disconnect or protocol error). */
  | { readonly type: 'vncClose'; readonly session: number }
  | { readonly type: 'rfbConnected'; readonly session: number; readonly width: number; readonly height: number }
  | { readonly type: 'rfbDisconnected'; readonly session: number; readonly clean: boolean }
  | { readonly type: 'firstFrame'; readonly session: number; readonly blank: boolean }
  | { readonly type: 'credentialsRequired'; readonly types: readonly string[] }
  | { readonly type: 'securityFailure'; readonly reason: string }
  | { readonly type: 'requestPaste' }
  | { readonly type: 'screenshot' }
  | { readonly type: 'reconnect' }
  | { readonly type: 'startVm' }
  | { readonly type: 'addVnc' }
  /** Maximise the editor group (webviews may not enter browser fullscreen). */
  | { readonly type: 'fullscreen' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

const FROM_WEBVIEW_TYPES: ReadonlySet<string> = new Set<FromWebview['type']>([
  'ready',
  'vncSend',
  'vncClose',
  'rfbConnected',
  'rfbDisconnected',
  'firstFrame',
  'credentialsRequired',
  'securityFailure',
  'requestPaste',
  'screenshot',
  'reconnect',
  'startVm',
  'addVnc',
  'fullscreen',
  'log',
]);

/**
 * A shallow check of a message from the webview: the discriminant must be known. Field-level
 * checks happen where each field is used (the host treats the webview as untrusted input).
 */
export function isFromWebview(m: unknown): m is FromWebview {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && FROM_WEBVIEW_TYPES.has((m as { type: string }).type);
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
