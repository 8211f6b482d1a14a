// Key combinations typed by the user ("ctrl+alt+f2", "alt+sysrq+h", "super+l") as Linux input
// keycodes (linux/input-event-codes.h), which libvirt's DOMAIN_SEND_KEY takes with codeset
// VIR_KEYCODE_SET_LINUX and which reach the guest whatever its display (VNC, SPICE or none).

export class KeyCombinationError extends Error {
  override readonly name = 'KeyCombinationError';
  static is(e: unknown): e is KeyCombinationError {
    return e instanceof KeyCombinationError;
  }
}

/** libvirt refuses more keycodes in one DOMAIN_SEND_KEY (VIR_DOMAIN_SEND_KEY_MAX_KEYS). */
export const MAX_KEYS = 16;

const NAMED: Readonly<Record<string, number>> = {
  ctrl: 29, control: 29, lctrl: 29, rctrl: 97,
  alt: 56, lalt: 56, ralt: 100, altgr: 100,
  shift: 42, lshift: 42, rshift: 54,
  super: 125, meta: 125, win: 125, windows: 125, cmd: 125,
  esc: 1, escape: 1, minus: 12, '-': 12, equal: 13, '=': 13, backspace: 14, tab: 15, enter: 28, return: 28,
  space: 57, capslock: 58, sysrq: 99, print: 99, printscreen: 99, prtsc: 99,
  home: 102, up: 103, pageup: 104, pgup: 104, left: 105, right: 106, end: 107, down: 108, pagedown: 109, pgdn: 109,
  insert: 110, ins: 110, delete: 111, del: 111, pause: 119, break: 119, menu: 139,
  '[': 26, ']': 27, ';': 39, "'": 40, '`': 41, '\\': 43, ',': 51, '.': 52, '/': 53,
};

const ROWS: readonly (readonly [string, number])[] = [
  ['1234567890', 2],
  ['qwertyuiop', 16],
  ['asdfghjkl', 30],
  ['zxcvbnm', 44],
];

function keycode(name: string): number | undefined {
  const k = name.toLowerCase();
  const named = NAMED[k];
  if (named !== undefined) return named;
  if (k.length === 1) {
    for (const [row, first] of ROWS) {
      const i = row.indexOf(k);
      if (i >= 0) return first + i;
    }
  }
  const f = /^f([1-9]|1[0-2])$/.exec(k);
  if (f) {
    const n = Number(f[1]);
    return n <= 10 ? 58 + n : n === 11 ? 87 : 88;
  }
  return undefined;
}

/** Parses "ctrl+alt+f2" (keys joined by "+", pressed in order); throws KeyCombinationError. */
export function parseKeyCombination(text: string): { readonly label: string; readonly keycodes: readonly number[] } {
  const trimmed = text.trim();
  if (trimmed === '') throw new KeyCombinationError('type keys joined by "+", e.g. ctrl+alt+f2');
  // "ctrl++" would mean the plus key: not on every layout, so not offered.
  const names = trimmed.split(/\s*\+\s*/);
  if (names.some((n) => n === '')) throw new KeyCombinationError(`"${trimmed}" has an empty key name`);
  if (names.length > MAX_KEYS) throw new KeyCombinationError(`at most ${MAX_KEYS} keys at once`);
  const keycodes: number[] = [];
  for (const n of names) {
    const code = keycode(n);
    if (code === undefined) throw new KeyCombinationError(`unknown key "${n}" (known: ctrl, alt, shift, super, a-z, 0-9, f1-f12, del, backspace, tab, enter, esc, space, arrows, home, end, pageup, pagedown, insert, sysrq, pause)`);
    if (keycodes.includes(code)) throw new KeyCombinationError(`"${n}" is pressed twice`);
    keycodes.push(code);
  }
  const label = names.map((n) => (n.length === 1 ? n.toUpperCase() : n[0]!.toUpperCase() + n.slice(1).toLowerCase())).join('+');
  return { label, keycodes };
}
