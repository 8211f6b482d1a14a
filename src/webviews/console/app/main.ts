// The console webview: a viewer (noVNC for VNC, spice-html5 for SPICE) drawing into #screen, a
// toolbar, and a status line. The display's bytes come from the extension host over numbered
// streams (see ../protocol.ts); nothing here opens a network connection, so it works the same
// when the extension host is remote.

import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-container/index.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '../../shared/app/codiconStyles';
import consoleCss from '../../../../media/console.css';
import { adoptStyles } from '../../shared/app/pageStyles';
import { connectedText, nextZoom, zoomLabel, type ConsoleState, type DisplayProtocol, type FromWebview, type KeyCombo, type ScaleMode, type ToWebview } from '../protocol';
import { StreamMux } from '../streamMux';
import type { PostMessageChannel } from './postMessageChannel';
import { startSpice } from './spiceViewer';
import type { Viewer, ViewerEvents } from './viewer';
import { startVnc } from './vncViewer';

adoptStyles(consoleCss);

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

let viewer: Viewer | undefined;
let mux: StreamMux<PostMessageChannel> | undefined;
let session = -1;
let scale: ScaleMode = 'fit';
/** The zoom of the 'native' mode (1 = 1:1). */
let zoom = 1;
let viewOnly = false;
/** This VM shares the clipboard with its SPICE agent (the host's record of the user's choice). */
let clipboardSharing = false;
let overlayAction: FromWebview | undefined;

function sendCombo(combo: KeyCombo): void {
  viewer?.sendCombo(combo);
}

function typeText(text: string): void {
  viewer?.typeText(text);
}

// Native toolbar controls (codicons, @vscode-elements). Screenshot, Send Key (any listed
// combination) and Reconnect are the editor title's actions: not repeated here.
function toolButton(id: string, icon: string, text: string, title: string, onClick: (e: MouseEvent) => void): VscodeToolbarButton {
  const b = document.createElement('vscode-toolbar-button');
  b.id = id;
  b.icon = icon;
  b.label = title;
  b.title = title;
  b.textContent = text;
  b.addEventListener('click', (e) => {
    if (b.getAttribute('aria-disabled') !== 'true') onClick(e);
  });
  return b;
}

const cadButton = toolButton('send-cad', 'keyboard', 'Ctrl+Alt+Del', 'Send Ctrl+Alt+Del', () => sendCombo('ctrl-alt-del'));
// Only a real click (not a scripted one) asks the host for the clipboard.
const pasteButton = toolButton('paste', 'clippy', 'Paste', 'Type the clipboard text as keystrokes', (e) => {
  if (e.isTrusted) post({ type: 'requestPaste', userAction: true });
});
const scaleButton = toolButton('scale', 'screen-normal', '1:1', 'Show the display at its native size', () => setScale(scale === 'fit' ? 'native' : 'fit', 1));
// Zoom steps from the size the display has now (fitted or zoomed), as a browser's zoom does.
const zoomBy = (direction: 1 | -1): void => setScale('native', nextZoom(scale === 'fit' ? (viewer?.currentScale() ?? 1) : zoom, direction));
const zoomOutButton = toolButton('zoom-out', 'zoom-out', '', 'Zoom out', () => zoomBy(-1));
const zoomLevel = el('span', { className: 'zoom-level', id: 'zoom-level' });
zoomLevel.setAttribute('aria-live', 'polite');
const zoomInButton = toolButton('zoom-in', 'zoom-in', '', 'Zoom in', () => zoomBy(1));
const viewOnlyButton = toolButton('view-only', 'eye', 'View Only', 'Stop sending keyboard and mouse input', () => setViewOnly(!viewOnly));
viewOnlyButton.toggleable = true;
// SPICE only: the guest's agent and this machine share the clipboard (off until turned on, per VM).
const shareClipboardButton = toolButton('share-clipboard', 'copy', 'Share Clipboard', 'Share the clipboard with the guest through the SPICE agent (this VM only)', (e) => {
  if (e.isTrusted) post({ type: 'setClipboardSharing', on: !clipboardSharing, userAction: true });
});
shareClipboardButton.toggleable = true;
// Shown once the display is known to be SPICE (startSession).
shareClipboardButton.hidden = true;
const toolbarRow = document.createElement('vscode-toolbar-container');
toolbarRow.append(
  cadButton,
  pasteButton,
  el('span', { className: 'sep' }),
  scaleButton,
  zoomOutButton,
  zoomLevel,
  zoomInButton,
  toolButton('fullscreen', 'screen-full', 'Full Screen', 'Full screen (Ctrl+Alt+F)', () => post({ type: 'fullscreen' })),
  viewOnlyButton,
  shareClipboardButton,
);
toolbar.append(toolbarRow);

const inputControls: VscodeToolbarButton[] = [cadButton, pasteButton];

function setScale(mode: ScaleMode, z = zoom): void {
  scale = mode;
  zoom = mode === 'fit' ? 1 : z;
  zoomLevel.textContent = mode === 'fit' ? 'Fit' : zoomLabel(zoom);
  zoomLevel.title = mode === 'fit' ? 'The display is scaled to fit the panel' : `The display is shown at ${zoomLabel(zoom)}`;
  scaleButton.textContent = mode === 'fit' ? '1:1' : 'Fit';
  scaleButton.icon = mode === 'fit' ? 'screen-normal' : 'screen-full';
  scaleButton.title = mode === 'fit' ? 'Show the display at its native size' : 'Scale the display to fit the panel';
  scaleButton.label = scaleButton.title;
  viewer?.setScale(mode, zoom);
  screen.classList.toggle('native', mode === 'native');
}

function setClipboardSharing(on: boolean): void {
  clipboardSharing = on;
  shareClipboardButton.checked = on;
  shareClipboardButton.setAttribute('aria-pressed', String(on));
  viewer?.setClipboardSharing?.(on);
}

function setViewOnly(on: boolean): void {
  viewOnly = on;
  viewOnlyButton.checked = on;
  viewOnlyButton.setAttribute('aria-pressed', String(on));
  viewer?.setViewOnly(on);
}

/** Said after "Connected": how the display's bytes are protected (nothing to say on this machine). */
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
      text = connectedText(state);
      document.body.dataset['encryption'] = state.encryption;
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
    case 'noDisplay':
      text = 'No display';
      overlayMsg = state.pendingRestart
        ? 'A VNC display was added to the configuration. It appears after the VM is shut down and started again.'
        : state.graphics.length > 0
          ? `This VM's display is ${state.graphics.join(', ').toUpperCase()}, which this console cannot show (it shows VNC and SPICE). Add a VNC display (used from the next boot on).`
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
  for (const control of inputControls) control.setAttribute('aria-disabled', String(!live));
  overlay.classList.toggle('hidden', overlayMsg === undefined);
  overlayText.textContent = overlayMsg ?? '';
  overlayButton.textContent = actionLabel ?? '';
  overlayButton.classList.toggle('hidden', actionLabel === undefined);
}

overlayButton.addEventListener('click', () => {
  if (overlayAction) post(overlayAction);
});

// ------------------------------------------------------------------ the viewer's session
function firstFrameWatch(forSession: number): void {
  const started = Date.now();
  const tick = (): void => {
    if (session !== forSession || !viewer) return;
    let lit = false;
    try {
      const c = viewer.canvas();
      const ctx = c && c.width > 0 && c.height > 0 ? c.getContext('2d') : null;
      if (c && ctx) {
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        const step = Math.max(4, Math.floor(d.length / 4 / 4096) * 4);
        for (let i = 0; i < d.length; i += step) {
          if (d[i]! > 16 || d[i + 1]! > 16 || d[i + 2]! > 16) {
            lit = true;
            break;
          }
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
  const old = viewer;
  viewer = undefined;
  mux?.close();
  mux = undefined;
  old?.stop();
  screen.replaceChildren();
}

function viewerEvents(id: number): ViewerEvents {
  const current = (): boolean => session === id;
  return {
    connected: (width, height) => {
      if (!current()) return;
      post({ type: 'displayConnected', session: id, width, height });
      firstFrameWatch(id);
      viewer?.focus();
    },
    disconnected: (clean, reason) => {
      if (current()) post({ type: 'displayDisconnected', session: id, clean, reason: reason.slice(0, 1000) });
    },
    credentialsRequired: (types) => {
      if (current()) post({ type: 'credentialsRequired', types: [...types] });
    },
    securityFailure: (reason) => {
      if (current()) post({ type: 'securityFailure', reason });
    },
    guestClipboard: (text) => {
      if (current() && clipboardSharing) post({ type: 'guestClipboard', text });
    },
    clipboardReady: () => {
      if (current() && clipboardSharing) post({ type: 'requestHostClipboard', reason: 'agent' });
    },
    log: (level, message) => post({ type: 'log', level, message }),
  };
}

function startSession(id: number, protocol: DisplayProtocol, password: string): void {
  teardown();
  session = id;
  delete document.body.dataset['firstFrame'];
  document.body.dataset['protocol'] = protocol;
  shareClipboardButton.hidden = protocol !== 'spice';
  const m = new StreamMux<PostMessageChannel>(id, post);
  mux = m;
  const events = viewerEvents(id);
  const started = (v: Viewer): void => {
    if (session !== id) {
      v.stop();
      return;
    }
    viewer = v;
    setScale(scale);
    setViewOnly(viewOnly);
    setClipboardSharing(clipboardSharing);
  };
  if (protocol === 'vnc') {
    started(startVnc(screen, m, events));
  } else {
    startSpice(screen, m, password, events).then(started, (err: unknown) => {
      if (session !== id) return;
      events.log('error', `cannot start the SPICE viewer: ${err instanceof Error ? err.message : String(err)}`);
      events.disconnected(false, 'the SPICE viewer failed to start');
    });
  }
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
    case 'displayOpen':
      startSession(m.session, m.protocol, m.password);
      break;
    case 'streamOpen':
    case 'streamData':
    case 'streamClosed':
      mux?.accept(m);
      break;
    case 'credentials':
      viewer?.sendCredentials(m.password);
      break;
    case 'typeText':
      typeText(m.text);
      break;
    case 'clipboardSharing':
      setClipboardSharing(m.on);
      break;
    case 'hostClipboard':
      if (clipboardSharing) viewer?.offerClipboard?.(m.text);
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

// Ctrl+Alt+F toggles full screen, as in virt-manager. Caught before the viewers (capture phase):
// noVNC and spice-html5 stop every key event on their canvas and send it to the guest.
window.addEventListener(
  'keydown',
  (e) => {
    if (e.ctrlKey && e.altKey && !e.shiftKey && !e.metaKey && e.code === 'KeyF') {
      e.preventDefault();
      e.stopImmediatePropagation();
      if (!e.repeat) post({ type: 'fullscreen' });
    }
  },
  true,
);

// Back in the console (from the terminal, say, where the tab stays the active editor): the guest
// gets what was copied meanwhile.
window.addEventListener('focus', () => {
  if (clipboardSharing && viewer?.protocol === 'spice') post({ type: 'requestHostClipboard', reason: 'focus' });
});

window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: String(e.message) }));

showState({ kind: 'connecting' });
post({ type: 'ready' });
