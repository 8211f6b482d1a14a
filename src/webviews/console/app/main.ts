// The console webview: noVNC drawing into #screen, a toolbar, and a status line. Bytes of the
// VNC connection come from the extension host (see ../protocol.ts); nothing here opens a
// network connection, so it works the same when the extension host is remote.

import RFB from '@novnc/novnc';
import { decodePayload } from '../../../console/relayFraming';
import {
  charKeysym,
  comboKeys,
  comboLabel,
  KEY_COMBOS,
  type ConsoleState,
  type FromWebview,
  type KeyCombo,
  type ScaleMode,
  type ToWebview,
} from '../protocol';
import { PostMessageChannel } from './postMessageChannel';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview): void => vscode.postMessage(m);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string; title?: string; id?: string } = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title) e.title = props.title;
  if (props.id) e.id = props.id;
  return e;
}

function button(label: string, title: string, onClick: (e: MouseEvent) => void, id?: string): HTMLButtonElement {
  const b = el('button', { text: label, title, className: 'tb-button', ...(id ? { id } : {}) });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

// ------------------------------------------------------------------ layout
const root = document.getElementById('root')!;
const toolbar = el('div', { className: 'toolbar', id: 'toolbar' });
const statusLine = el('div', { className: 'status', id: 'status' });
const overlay = el('div', { className: 'overlay hidden', id: 'overlay' });
const overlayText = el('p', { className: 'overlay-text' });
const overlayButton = el('button', { className: 'primary', id: 'overlay-action' });
overlayButton.type = 'button';
overlay.append(overlayText, overlayButton);
const screen = el('div', { className: 'screen', id: 'screen' });
root.append(toolbar, statusLine, screen, overlay);

let rfb: RFB | undefined;
let channel: PostMessageChannel | undefined;
let session = -1;
let scale: ScaleMode = 'fit';
let viewOnly = false;
let overlayAction: FromWebview | undefined;

function withRfb(fn: (r: RFB) => void): void {
  if (rfb) fn(rfb);
}

function sendCombo(combo: KeyCombo): void {
  withRfb((r) => {
    const keys = comboKeys(combo);
    for (const k of keys) r.sendKey(k.keysym, k.code, true);
    for (const k of [...keys].reverse()) r.sendKey(k.keysym, k.code, false);
    r.focus();
  });
}

function typeText(text: string): void {
  withRfb((r) => {
    for (const ch of text) {
      const ks = charKeysym(ch);
      if (ks !== undefined) r.sendKey(ks, null);
    }
  });
}

const cadButton = button('Ctrl+Alt+Del', 'Send Ctrl+Alt+Del', () => sendCombo('ctrl-alt-del'), 'send-cad');
const keySelect = el('select', { title: 'Send a key combination', id: 'send-key' });
keySelect.append(el('option', { text: 'Send Key…' }));
for (const c of KEY_COMBOS) {
  const o = el('option', { text: comboLabel(c) });
  o.value = c;
  keySelect.append(o);
}
keySelect.addEventListener('change', () => {
  const v = keySelect.value;
  keySelect.selectedIndex = 0;
  const combo = KEY_COMBOS.find((c) => c === v);
  if (combo) sendCombo(combo);
});
// Only a real click (not a scripted one) asks the host for the clipboard.
const pasteButton = button('Paste', 'Type the clipboard text as keystrokes', (e) => {
  if (e.isTrusted) post({ type: 'requestPaste', userAction: true });
}, 'paste');
const screenshotButton = button('Screenshot', 'Save a screenshot as PNG', () => post({ type: 'screenshot' }), 'screenshot');
const scaleButton = button('1:1', 'Show the display at its native size', () => setScale(scale === 'fit' ? 'native' : 'fit'), 'scale');
const viewOnlyButton = button('View Only', 'Stop sending keyboard and mouse input', () => setViewOnly(!viewOnly), 'view-only');
toolbar.append(
  cadButton,
  keySelect,
  pasteButton,
  el('span', { className: 'sep' }),
  scaleButton,
  button('Maximize', 'Maximize the console', () => post({ type: 'fullscreen' }), 'fullscreen'),
  viewOnlyButton,
  el('span', { className: 'sep' }),
  screenshotButton,
  button('Reconnect', 'Reconnect to the display', () => post({ type: 'reconnect' }), 'reconnect'),
);

const inputControls: (HTMLButtonElement | HTMLSelectElement)[] = [cadButton, keySelect, pasteButton, screenshotButton];

function setScale(mode: ScaleMode): void {
  scale = mode;
  scaleButton.textContent = mode === 'fit' ? '1:1' : 'Fit';
  scaleButton.title = mode === 'fit' ? 'Show the display at its native size' : 'Scale the display to fit the panel';
  withRfb((r) => {
    r.scaleViewport = mode === 'fit';
    r.clipViewport = false;
  });
  screen.classList.toggle('native', mode === 'native');
}

function setViewOnly(on: boolean): void {
  viewOnly = on;
  viewOnlyButton.classList.toggle('active', on);
  viewOnlyButton.setAttribute('aria-pressed', String(on));
  withRfb((r) => (r.viewOnly = on));
}

function showState(state: ConsoleState): void {
  document.body.dataset['state'] = state.kind;
  overlayAction = undefined;
  let text = '';
  let overlayMsg: string | undefined;
  let actionLabel: string | undefined;
  switch (state.kind) {
    case 'connecting':
      text = state.detail ? `Connecting… ${state.detail}` : 'Connecting…';
      break;
    case 'connected':
      text = 'Connected';
      break;
    case 'disconnected':
      text = `Disconnected: ${state.reason}${state.retrying ? ' — reconnecting…' : ''}`;
      break;
    case 'vmOff':
      text = 'The VM is not running';
      overlayMsg = 'This VM is shut off. Start it to see its display.';
      actionLabel = 'Start VM';
      overlayAction = { type: 'startVm' };
      break;
    case 'noVnc':
      text = 'No VNC display';
      overlayMsg = state.pendingRestart
        ? 'A VNC display was added to the configuration. It appears after the VM is shut down and started again.'
        : state.graphics.length > 0
          ? `This VM's display is ${state.graphics.join(', ').toUpperCase()}, which this console cannot show. Add a VNC display (used from the next boot on).`
          : 'This VM has no graphical display. Add a VNC display (used from the next boot on).';
      if (!state.pendingRestart) {
        actionLabel = 'Add VNC Display';
        overlayAction = { type: 'addVnc' };
      }
      break;
    case 'error':
      text = `Error: ${state.message}`;
      overlayMsg = state.message;
      actionLabel = 'Retry';
      overlayAction = { type: 'reconnect' };
      break;
    default: {
      const never: never = state;
      throw new Error(`unknown state ${String(never)}`);
    }
  }
  statusLine.textContent = text;
  statusLine.className = `status status-${state.kind}`;
  // Input and screenshots need a running display; Reconnect, scaling and view-only stay usable.
  const live = state.kind === 'connected';
  for (const control of inputControls) control.disabled = !live;
  overlay.classList.toggle('hidden', overlayMsg === undefined);
  overlayText.textContent = overlayMsg ?? '';
  overlayButton.textContent = actionLabel ?? '';
  overlayButton.classList.toggle('hidden', actionLabel === undefined);
}

overlayButton.addEventListener('click', () => {
  if (overlayAction) post(overlayAction);
});

// ------------------------------------------------------------------ noVNC session
function firstFrameWatch(forSession: number): void {
  const started = Date.now();
  const tick = (): void => {
    if (session !== forSession || !rfb) return;
    let lit = false;
    try {
      const img = rfb.getImageData();
      const d = img.data;
      const step = Math.max(4, Math.floor(d.length / 4 / 4096) * 4);
      for (let i = 0; i < d.length; i += step) {
        if (d[i]! > 16 || d[i + 1]! > 16 || d[i + 2]! > 16) {
          lit = true;
          break;
        }
      }
    } catch {
      // The canvas may not exist yet.
    }
    if (lit || Date.now() - started > 15_000) {
      document.body.dataset['firstFrame'] = lit ? 'lit' : 'blank';
      post({ type: 'firstFrame', session: forSession, blank: !lit });
      return;
    }
    setTimeout(tick, 100);
  };
  setTimeout(tick, 50);
}

function teardown(): void {
  const old = rfb;
  rfb = undefined;
  channel = undefined;
  if (old) {
    try {
      old.disconnect();
    } catch {
      // already gone
    }
  }
  screen.replaceChildren();
}

function startSession(id: number): void {
  teardown();
  session = id;
  delete document.body.dataset['firstFrame'];
  const ch = new PostMessageChannel(
    (bytes) => post({ type: 'vncSend', session: id, data: bytes }),
    () => post({ type: 'vncClose', session: id }),
  );
  channel = ch;
  ch.hostOpened();
  const r = new RFB(screen, ch, { shared: true });
  rfb = r;
  r.background = 'var(--vscode-editor-background)';
  setScale(scale);
  setViewOnly(viewOnly);
  r.addEventListener('connect', () => {
    if (session !== id) return;
    const canvas = screen.querySelector('canvas');
    post({ type: 'rfbConnected', session: id, width: canvas?.width ?? 0, height: canvas?.height ?? 0 });
    firstFrameWatch(id);
    r.focus();
  });
  r.addEventListener('disconnect', (e) => {
    if (session !== id) return;
    const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean ?? false;
    post({ type: 'rfbDisconnected', session: id, clean });
  });
  r.addEventListener('credentialsrequired', (e) => {
    const types = (e as CustomEvent<{ types: string[] }>).detail?.types ?? ['password'];
    post({ type: 'credentialsRequired', types });
  });
  r.addEventListener('securityfailure', (e) => {
    const reason = (e as CustomEvent<{ status: number; reason?: string }>).detail?.reason ?? 'authentication failed';
    post({ type: 'securityFailure', reason });
  });
}

// ------------------------------------------------------------------ messages from the host
function handle(m: ToWebview): void {
  switch (m.type) {
    case 'init':
      document.title = m.title;
      setScale(m.scale);
      setViewOnly(m.viewOnly);
      break;
    case 'state':
      showState(m.state);
      break;
    case 'vncOpen':
      startSession(m.session);
      break;
    case 'vncData':
      if (m.session === session) channel?.hostData(decodePayload(m.data));
      break;
    case 'vncClosed':
      if (m.session === session) channel?.hostClosed(m.reason);
      break;
    case 'credentials':
      withRfb((r) => r.sendCredentials({ password: m.password }));
      break;
    case 'typeText':
      typeText(m.text);
      break;
    case 'sendKeys':
      sendCombo(m.combo);
      break;
    default: {
      const never: never = m;
      post({ type: 'log', level: 'warn', message: `unknown message ${JSON.stringify(never)}` });
    }
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m = e.data;
  if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') return;
  try {
    handle(m as ToWebview);
  } catch (err) {
    post({ type: 'log', level: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});

window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: String(e.message) }));

showState({ kind: 'connecting' });
post({ type: 'ready' });
