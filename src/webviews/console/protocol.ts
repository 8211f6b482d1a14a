// Messages between the console panel (extension host) and its webview (app/main.ts).
// Shared by both sides: no `vscode` or DOM imports here. The display's bytes travel over
// numbered streams, each one TCP connection to the display: VNC uses one, SPICE one per channel
// (main, display, inputs, cursor, playback...). The webview asks for a stream (`streamConnect`),
// the host opens it (`streamOpen`) or says why not (`streamClosed`); bytes travel in `streamData`
// (host -> webview) and `streamSend` (webview -> host) as relay frames with a sequence number per
// stream (see src/console/relayFraming.ts). The host posts nothing but `init` before `ready`.

import { decodePayload } from '../../console/relayFraming';
import { flag, integer, listOf, mustBeTrue, oneOf, parseMessage, text, WebviewMessageError, type FieldCheck, type MessageTable } from '../shared/messageChecks';

/** The display protocols the console speaks (noVNC, spice-html5). */
export type DisplayProtocol = 'vnc' | 'spice';

/**
 * What protects the display's bytes between the extension host and QEMU: TLS to the display
 * itself (VNC VeNCrypt x509, SPICE's TLS port), the SSH session of a qemu+ssh:// connection (or
 * the SSH tunnel chosen for a TCP/TLS host), nothing on this machine (local: a unix socket or a
 * loopback port), or nothing over the network (clear text, which the user agreed to).
 */
export type DisplayEncryption = 'tls' | 'ssh' | 'local' | 'none';

/** What the panel shows above the display. */
export type ConsoleState =
  | { readonly kind: 'connecting'; readonly detail?: string }
  /** `heads`: the monitors the guest can have; a VNC console shows the first, a SPICE console all. */
  | { readonly kind: 'connected'; readonly protocol: DisplayProtocol; readonly encryption: DisplayEncryption; readonly heads: number }
  | { readonly kind: 'disconnected'; readonly reason: string; readonly retrying: boolean }
  /** The VM is not running: the panel offers Start. */
  | { readonly kind: 'vmOff' }
  /** The VM has no VNC or SPICE display: the panel offers "Add VNC display". */
  | { readonly kind: 'noDisplay'; readonly graphics: readonly string[]; readonly pendingRestart: boolean }
  | { readonly kind: 'error'; readonly message: string };

/** Key combinations the toolbar can send; the webview maps them to X11 keysyms for noVNC. */
export type KeyCombo =
  | 'ctrl-alt-del'
  | 'ctrl-alt-backspace'
  | 'print-screen'
  | `ctrl-alt-f${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12}`;

export type ScaleMode = 'fit' | 'native';

/**
 * The zoom levels of a display shown at a fixed size ('native' at 1 is 1:1), as a browser's
 * zoom steps. Fit scales freely to the tab instead.
 */
const ENCRYPTION_TEXT: Record<DisplayEncryption, string> = {
  tls: ' — encrypted (TLS)',
  ssh: ' — encrypted (SSH)',
  local: '',
  none: ' — not encrypted',
};

/**
 * The status line of a connected display: the protocol (VNC is the default and not named), how the
 * bytes are protected, and, for a VNC guest with several monitors, that only the first is shown
 * (QEMU's VNC server shows one head; SPICE gives each head a display channel and the console
 * shows them side by side: see docs/console.md).
 */
export function connectedText(state: Extract<ConsoleState, { kind: 'connected' }>): string {
  const heads = state.heads > 1 ? (state.protocol === 'spice' ? ` · ${state.heads} monitors` : ` · showing monitor 1 of ${state.heads}`) : '';
  return `${state.protocol === 'spice' ? 'Connected (SPICE)' : 'Connected'}${ENCRYPTION_TEXT[state.encryption]}${heads}`;
}

export const ZOOM_LEVELS: readonly number[] = [0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];

/**
 * The next zoom level up (`direction` 1) or down (-1) from `current` (any factor, e.g. the scale
 * fitting gave): the first level beyond it, so zooming in from a fitted 0.62 gives 0.67. Stays at
 * the last level at either end.
 */
export function nextZoom(current: number, direction: 1 | -1): number {
  const eps = 0.005;
  if (direction > 0) return ZOOM_LEVELS.find((z) => z > current + eps) ?? ZOOM_LEVELS[ZOOM_LEVELS.length - 1]!;
  return [...ZOOM_LEVELS].reverse().find((z) => z < current - eps) ?? ZOOM_LEVELS[0]!;
}

/** A zoom factor as the toolbar shows it ("125%"). */
export function zoomLabel(zoom: number): string {
  return `${Math.round(zoom * 100)}%`;
}

export type ToWebview =
  | { readonly type: 'init'; readonly title: string; readonly scale: ScaleMode; readonly viewOnly: boolean }
  | { readonly type: 'state'; readonly state: ConsoleState }
  /**
   * A new connection to the display (session numbers only grow): the webview starts its viewer,
   * which asks for streams. `password` is the SPICE ticket (SPICE sends it when each channel
   * links; VNC asks with `credentialsRequired` instead, and gets an empty string here).
   */
  | { readonly type: 'displayOpen'; readonly session: number; readonly protocol: DisplayProtocol; readonly password: string }
  /** The stream's socket to the display is open: the viewer may start its handshake on it. */
  | { readonly type: 'streamOpen'; readonly session: number; readonly stream: number }
  | { readonly type: 'streamData'; readonly session: number; readonly stream: number; readonly seq: number; readonly data: Uint8Array | string }
  | { readonly type: 'streamClosed'; readonly session: number; readonly stream: number; readonly reason: string }
  /** Answer to `credentialsRequired`; an empty password makes noVNC give up. */
  | { readonly type: 'credentials'; readonly password: string }
  /** Type this text as keystrokes (paste). */
  | { readonly type: 'typeText'; readonly text: string }
  /** Whether this VM shares the clipboard with its SPICE agent (the user's choice, per VM). */
  | { readonly type: 'clipboardSharing'; readonly on: boolean }
  /** The host's clipboard text, to offer to the guest (only while sharing is on). */
  | { readonly type: 'hostClipboard'; readonly text: string }
  | { readonly type: 'sendKeys'; readonly combo: KeyCombo };

export type FromWebview =
  | { readonly type: 'ready' }
  /** The viewer opens a connection to the display (stream numbers are the webview's, per session). */
  | { readonly type: 'streamConnect'; readonly session: number; readonly stream: number }
  /** Bytes from the viewer; parseFromWebview turns base64 text into a Uint8Array. */
  | { readonly type: 'streamSend'; readonly session: number; readonly stream: number; readonly data: Uint8Array | string }
  /** The viewer closed one of its connections (user disconnect or protocol error). */
  | { readonly type: 'streamClose'; readonly session: number; readonly stream: number }
  /** The viewer finished its handshake (RFB, or SPICE's main channel initialised). */
  | { readonly type: 'displayConnected'; readonly session: number; readonly width: number; readonly height: number }
  | { readonly type: 'displayDisconnected'; readonly session: number; readonly clean: boolean; readonly reason: string }
  | { readonly type: 'firstFrame'; readonly session: number; readonly blank: boolean }
  | { readonly type: 'credentialsRequired'; readonly types: readonly string[] }
  | { readonly type: 'securityFailure'; readonly reason: string }
  /** Sent from a trusted click on Paste only; the host also requires the panel to be active. */
  | { readonly type: 'requestPaste'; readonly userAction: true }
  /** Share Clipboard toggled (a trusted click; the host also requires the panel to be active). */
  | { readonly type: 'setClipboardSharing'; readonly on: boolean; readonly userAction: true }
  /** The guest copied this text; the host writes it to its clipboard only while sharing is on. */
  | { readonly type: 'guestClipboard'; readonly text: string }
  /**
   * The guest could take the host's clipboard now: its agent just became ready ('agent': the host
   * offers its text even if it offered it before), or the console got the keyboard focus
   * ('focus': offered if it changed, e.g. copied in the terminal). The host answers with
   * hostClipboard while sharing is on and the console is the active tab.
   */
  | { readonly type: 'requestHostClipboard'; readonly reason: 'agent' | 'focus' }
  | { readonly type: 'screenshot' }
  | { readonly type: 'reconnect' }
  | { readonly type: 'startVm' }
  | { readonly type: 'addVnc' }
  /** Full screen / maximise (webviews may not enter browser fullscreen): toolbar or Ctrl+Alt+F. */
  | { readonly type: 'fullscreen' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

export { WebviewMessageError };

/** The viewers send small client messages; a batch of them stays far below this. */
const MAX_SEND_BYTES = 1024 * 1024;
/** The longest clipboard text shared with a guest, in characters here and in UTF-8 bytes in the viewer. */
export const MAX_CLIPBOARD_TEXT = 1024 * 1024;
/** Larger than any framebuffer QEMU's VNC or SPICE server offers. */
const MAX_DIMENSION = 16384;

const sessionId = integer(0, Number.MAX_SAFE_INTEGER, 'a session number');
/** SPICE opens one stream per channel; a viewer reconnecting a channel takes a new number. */
export const MAX_STREAM_ID = 1023;
const streamId = integer(0, MAX_STREAM_ID, 'a stream number');
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
  streamConnect: { session: sessionId, stream: streamId },
  streamSend: { session: sessionId, stream: streamId, data: relayBytes },
  streamClose: { session: sessionId, stream: streamId },
  displayConnected: { session: sessionId, width: dimension, height: dimension },
  displayDisconnected: { session: sessionId, clean: flag, reason: text(1024) },
  firstFrame: { session: sessionId, blank: flag },
  credentialsRequired: { types: securityTypes },
  securityFailure: { reason: text() },
  requestPaste: { userAction: mustBeTrue },
  setClipboardSharing: { on: flag, userAction: mustBeTrue },
  guestClipboard: { text: text(MAX_CLIPBOARD_TEXT) },
  requestHostClipboard: { reason: oneOf(['agent', 'focus'] as const, 'reason') },
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

/**
 * One key of a combination: its X11 keysym (X11/keysymdef.h, what noVNC sends), its
 * KeyboardEvent.code, and its legacy KeyboardEvent.keyCode (what spice-html5 maps to scancodes).
 */
export interface ComboKey {
  readonly keysym: number;
  readonly code: string;
  readonly keyCode: number;
}

/** The keys of a combination, pressed in order and released in reverse. */
export function comboKeys(combo: KeyCombo): ComboKey[] {
  const ctrl = { keysym: 0xffe3, code: 'ControlLeft', keyCode: 17 };
  const alt = { keysym: 0xffe9, code: 'AltLeft', keyCode: 18 };
  switch (combo) {
    case 'ctrl-alt-del':
      return [ctrl, alt, { keysym: 0xffff, code: 'Delete', keyCode: 46 }];
    case 'ctrl-alt-backspace':
      return [ctrl, alt, { keysym: 0xff08, code: 'Backspace', keyCode: 8 }];
    case 'print-screen':
      return [{ keysym: 0xff61, code: 'PrintScreen', keyCode: 44 }];
    default: {
      const n = Number(combo.slice('ctrl-alt-f'.length));
      return [ctrl, alt, { keysym: 0xffbe + n - 1, code: `F${n}`, keyCode: 111 + n }]; // XK_F1 = 0xffbe, VK_F1 = 112
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

const US_SHIFTED_DIGITS = ')!@#$%^&*(';
/** Punctuation of a US keyboard: [unshifted, shifted, KeyboardEvent.keyCode]. */
const US_PUNCTUATION: readonly (readonly [string, string, number])[] = [
  ['-', '_', 189],
  ['=', '+', 187],
  [';', ':', 186],
  ["'", '"', 222],
  [',', '<', 188],
  ['.', '>', 190],
  ['/', '?', 191],
  ['\\', '|', 220],
  ['`', '~', 192],
  ['[', '{', 219],
  [']', '}', 221],
];

/**
 * The key (legacy KeyboardEvent.keyCode) and Shift state that type one character on a US
 * layout, for viewers that send scancodes (SPICE); undefined for characters it cannot type.
 */
export function charKeyCode(ch: string): { readonly keyCode: number; readonly shift: boolean } | undefined {
  if (ch === '\n' || ch === '\r') return { keyCode: 13, shift: false };
  if (ch === '\t') return { keyCode: 9, shift: false };
  if (ch === ' ') return { keyCode: 32, shift: false };
  if (/^[a-z]$/.test(ch)) return { keyCode: ch.toUpperCase().charCodeAt(0), shift: false };
  if (/^[A-Z]$/.test(ch)) return { keyCode: ch.charCodeAt(0), shift: true };
  if (/^[0-9]$/.test(ch)) return { keyCode: ch.charCodeAt(0), shift: false };
  const shiftedDigit = US_SHIFTED_DIGITS.indexOf(ch);
  if (ch.length === 1 && shiftedDigit >= 0) return { keyCode: 48 + shiftedDigit, shift: true };
  for (const [plain, shifted, keyCode] of US_PUNCTUATION) {
    if (ch === plain) return { keyCode, shift: false };
    if (ch === shifted) return { keyCode, shift: true };
  }
  return undefined;
}
