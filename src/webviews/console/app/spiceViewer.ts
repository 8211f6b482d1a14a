// The SPICE viewer: spice-html5 (LGPL-3.0-or-later, loaded from its own file on first use, see
// esbuild.mjs) with every SPICE channel on its own relay stream. spice-html5 opens each channel
// with `new WebSocket(url, 'binary')`; here that constructor hands out a PostMessageChannel of the
// current session's StreamMux instead, so nothing opens a network connection from the webview.
//
// What spice-html5 0.2.1 offers, and so this viewer: the display (first head only), inputs,
// the cursor channel, audio playback (Opus in WebM through MediaSource), and resizing the guest
// through the SPICE agent. No USB redirection, smartcard or clipboard sharing (see docs).

import type * as Spice from 'spice-html5';
import { charKeyCode, comboKeys, type ScaleMode } from '../protocol';
import type { StreamMux } from '../streamMux';
import { PostMessageChannel } from './postMessageChannel';
import type { Viewer, ViewerEvents } from './viewer';

let spiceModule: Promise<typeof Spice> | undefined;
/** The mux of the SPICE session being set up or running: where `new WebSocket()` lands. */
let activeMux: StreamMux<PostMessageChannel> | undefined;

function loadSpice(): Promise<typeof Spice> {
  if (!spiceModule) {
    spiceModule = import('spice-html5');
    // A factory, not a class: `new` returns the channel object it gives back.
    function RelaySocket(): PostMessageChannel {
      const mux = activeMux;
      if (!mux) throw new Error('no SPICE session to open a channel in');
      return mux.open((port) => new PostMessageChannel((b) => port.send(b), () => port.close()));
    }
    (globalThis as unknown as { WebSocket: unknown }).WebSocket = RelaySocket;
  }
  return spiceModule;
}

const SHIFT = 16;
/** How long keys wait for the inputs channel to link before they are dropped (and logged). */
const INPUTS_WAIT_MS = 10_000;
/** SPICE agents want sizes in multiples of 8 (Xorg's QXL driver). */
const round8 = (n: number): number => Math.max(8, n - (n % 8));

export async function startSpice(screen: HTMLElement, mux: StreamMux<PostMessageChannel>, password: string, events: ViewerEvents): Promise<Viewer> {
  const spice = await loadSpice();
  const area = document.createElement('div');
  area.id = `spice-area-${mux.session}`;
  area.className = 'spice-area';
  screen.append(area);
  let stopped = false;
  let reported = false;
  let scale: ScaleMode = 'fit';
  let zoom = 1;
  let viewOnly = false;
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAgentSize = '';

  const canvas = (): HTMLCanvasElement | undefined => area.querySelector('canvas') ?? undefined;

  /**
   * Fit or zoom: scale the canvas with a transform, which keeps the mouse offsets right (and
   * counts in the scrollable area, so a zoomed display scrolls).
   */
  const layout = (): void => {
    const c = canvas();
    if (!c) return;
    const fit = scale === 'fit' && c.width > 0 && c.height > 0;
    const factor = fit ? Math.min(screen.clientWidth / c.width, screen.clientHeight / c.height) : zoom;
    // Centred when smaller than the tab, as noVNC shows a VNC display (the free part is the
    // editor's background; spice-html5 reads the mouse as offsetX/offsetY, which follow the transform).
    const left = Math.max(0, Math.floor((screen.clientWidth - c.width * factor) / 2));
    const top = Math.max(0, Math.floor((screen.clientHeight - c.height * factor) / 2));
    area.style.transform = left > 0 || top > 0 || factor !== 1 ? `translate(${left}px, ${top}px) scale(${factor})` : '';
    // spice-html5 sets the area's height to the surface's; the transform keeps its origin.
    area.style.width = `${c.width}px`;
  };

  /** Asks the guest (through the SPICE agent) for the tab's size, when fitting. */
  const resizeGuest = (sc: Spice.SpiceMainConn): void => {
    if (stopped || scale !== 'fit' || !sc.agent_connected) return;
    const w = round8(screen.clientWidth);
    const h = round8(screen.clientHeight);
    const size = `${w}x${h}`;
    if (size === lastAgentSize) return;
    lastAgentSize = size;
    sc.resize_window(0, w, h, 32, 0, 0);
  };

  // spice-html5 opens the other channels later, when the server lists them: the session's mux
  // stays the target of `new WebSocket()` until the viewer stops (one viewer per page).
  activeMux = mux;
  const sc: Spice.SpiceMainConn = new spice.SpiceMainConn({
      uri: 'relay:',
      password,
      screen_id: area.id,
      onsuccess: () => {
        if (stopped) return;
        const c = canvas();
        events.connected(c?.width ?? 0, c?.height ?? 0);
      },
      onerror: (e) => {
        if (stopped || reported) return;
        reported = true;
        const reason = e instanceof Error ? e.message : String(e);
        // spiceconn.js: "Permission denied." when the server refuses the ticket.
        if (/permission denied|bad password/i.test(reason)) events.securityFailure(reason);
        else events.disconnected(false, reason);
      },
      onagent: (conn) => {
        lastAgentSize = '';
        resizeGuest(conn);
      },
    });

  const observer = new ResizeObserver(() => {
    layout();
    if (resizeTimer) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => resizeGuest(sc), 300);
  });
  observer.observe(screen);
  // The primary surface's canvas comes (and is replaced on a mode change) inside the area.
  const mutations = new MutationObserver(() => {
    const c = canvas();
    if (c) {
      observer.observe(c);
      c.classList.toggle('view-only', viewOnly);
    }
    layout();
  });
  mutations.observe(area, { childList: true, attributes: true, subtree: true, attributeFilter: ['width', 'height'] });

  const readyInputs = (): Spice.SpiceChannel | undefined => (sc.inputs && sc.inputs.state === 'ready' ? sc.inputs : undefined);
  const transmitKey = (inputs: Spice.SpiceChannel, keyCode: number, down: boolean): void => {
    const msg = new spice.SpiceMiniData();
    if (down) msg.build_msg(spice.Constants.SPICE_MSGC_INPUTS_KEY_DOWN, new spice.SpiceMsgcKeyDown({ keyCode }));
    else msg.build_msg(spice.Constants.SPICE_MSGC_INPUTS_KEY_UP, new spice.SpiceMsgcKeyUp({ keyCode }));
    inputs.send_msg(msg);
  };
  // The inputs channel links after the display shows (each channel is its own relay stream): keys
  // sent before it is ready (Ctrl+Alt+Del right after opening) wait for it, in order, for up to
  // INPUTS_WAIT_MS, instead of being lost without a word.
  const pendingKeys: { readonly keyCode: number; readonly down: boolean }[] = [];
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  const stopFlushing = (): void => {
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = undefined;
  };
  const sendKey = (keyCode: number, down: boolean): void => {
    const inputs = readyInputs();
    if (inputs && pendingKeys.length === 0) {
      transmitKey(inputs, keyCode, down);
      return;
    }
    pendingKeys.push({ keyCode, down });
    if (flushTimer) return;
    const since = Date.now();
    flushTimer = setInterval(() => {
      const ready = readyInputs();
      if (ready) {
        for (const k of pendingKeys.splice(0)) transmitKey(ready, k.keyCode, k.down);
      } else if (stopped || Date.now() - since > INPUTS_WAIT_MS) {
        if (!stopped) events.log('warn', `SPICE inputs channel not ready after ${INPUTS_WAIT_MS / 1000} s: ${pendingKeys.length} key events dropped`);
        pendingKeys.length = 0;
      } else {
        return;
      }
      stopFlushing();
    }, 100);
  };

  return {
    protocol: 'spice',
    sendCombo(combo): void {
      const keys = comboKeys(combo);
      for (const k of keys) sendKey(k.keyCode, true);
      for (const k of [...keys].reverse()) sendKey(k.keyCode, false);
      canvas()?.focus();
    },
    typeText(text): void {
      for (const ch of text) {
        const key = charKeyCode(ch);
        if (!key) continue;
        if (key.shift) sendKey(SHIFT, true);
        sendKey(key.keyCode, true);
        sendKey(key.keyCode, false);
        if (key.shift) sendKey(SHIFT, false);
      }
    },
    setScale(mode, z): void {
      scale = mode;
      zoom = mode === 'fit' ? 1 : z;
      lastAgentSize = '';
      layout();
      resizeGuest(sc);
    },
    setViewOnly(on): void {
      viewOnly = on;
      const c = canvas();
      c?.classList.toggle('view-only', on);
      if (on) c?.blur();
    },
    sendCredentials(): void {
      // SPICE sends its ticket when each channel links (the password came with displayOpen).
    },
    currentScale(): number {
      const c = canvas();
      return c && c.width > 0 ? c.getBoundingClientRect().width / c.width : 1;
    },
    canvas,
    focus: () => canvas()?.focus(),
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (activeMux === mux) activeMux = undefined;
      if (resizeTimer) clearTimeout(resizeTimer);
      stopFlushing();
      observer.disconnect();
      mutations.disconnect();
      try {
        sc.stop();
      } catch {
        // already gone
      }
      area.remove();
    },
  };
}
