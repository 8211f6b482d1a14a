// The SPICE viewer: spice-html5 (LGPL-3.0-or-later, loaded from its own file on first use, see
// esbuild.mjs) with every SPICE channel on its own relay stream. spice-html5 opens each channel
// with `new WebSocket(url, 'binary')`; here that constructor hands out a PostMessageChannel of the
// current session's StreamMux instead, so nothing opens a network connection from the webview.
//
// What spice-html5 0.2.1 offers, and so this viewer: the display, inputs, the cursor channel,
// audio playback (Opus in WebM through MediaSource), and resizing the guest through the SPICE
// agent; every further head (display channel) is opened beside the first (spiceHeads.ts), and
// the clipboard is shared through the agent when the user turns it on (spiceClipboard.ts). No USB
// redirection or smartcard (see docs).

import type * as Spice from 'spice-html5';
import { charKeyCode, comboKeys, type ScaleMode } from '../protocol';
import type { StreamMux } from '../streamMux';
import { PostMessageChannel } from './postMessageChannel';
import { monitorsConfigPayload, openExtraHead, parseChannelsList, VD_AGENT_MONITORS_CONFIG, type ExtraHead } from './spiceHeads';
import { attachClipboard } from './spiceClipboard';
import { sendFullTickets } from './spiceTicket';
import type { Viewer, ViewerEvents } from './viewer';

let spiceModule: Promise<typeof Spice> | undefined;
/** The mux of the SPICE session being set up or running: where `new WebSocket()` lands. */
let activeMux: StreamMux<PostMessageChannel> | undefined;

function loadSpice(): Promise<typeof Spice> {
  if (!spiceModule) {
    spiceModule = import('spice-html5').then((spice) => {
      sendFullTickets(spice);
      return spice;
    });
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
/** Space between two heads' displays, in guest pixels (scaled with them). */
const HEAD_GAP = 8;

export async function startSpice(screen: HTMLElement, mux: StreamMux<PostMessageChannel>, password: string, events: ViewerEvents): Promise<Viewer> {
  const spice = await loadSpice();
  // The heads side by side, scaled together: the first head's area (spice-html5's screen_id),
  // then one area per further display channel.
  const group = document.createElement('div');
  group.className = 'spice-heads';
  screen.append(group);
  const newArea = (head: number): HTMLElement => {
    const a = document.createElement('div');
    a.id = `spice-area-${mux.session}-${head}`;
    a.className = 'spice-area';
    a.dataset['head'] = String(head);
    a.setAttribute('role', 'img');
    group.append(a);
    return a;
  };
  const area = newArea(0);
  const extraHeads: ExtraHead[] = [];
  let stopped = false;
  let reported = false;
  let scale: ScaleMode = 'fit';
  let zoom = 1;
  let viewOnly = false;
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAgentSize = '';

  const canvas = (): HTMLCanvasElement | undefined => area.querySelector('canvas') ?? undefined;
  const canvases = (): HTMLCanvasElement[] => [...group.querySelectorAll('canvas')];

  /**
   * Fit or zoom: scale the heads with a transform, which keeps the mouse offsets right (and
   * counts in the scrollable area, so a zoomed display scrolls).
   */
  const layout = (): void => {
    const shown: { readonly a: HTMLElement; readonly c: HTMLCanvasElement }[] = [];
    const areas = [...group.querySelectorAll<HTMLElement>('.spice-area')];
    for (const a of areas) {
      const c = a.querySelector('canvas');
      a.hidden = !c;
      if (c) shown.push({ a, c });
      // The head's number for screen readers ("Display 2 of 2").
      a.setAttribute('aria-label', areas.length > 1 ? `Display ${Number(a.dataset['head']) + 1} of ${areas.length}` : 'Display');
    }
    if (shown.length === 0) return;
    const width = shown.reduce((w, s) => w + s.c.width, 0) + HEAD_GAP * (shown.length - 1);
    const height = Math.max(...shown.map((s) => s.c.height));
    const fit = scale === 'fit' && width > 0 && height > 0;
    const factor = fit ? Math.min(screen.clientWidth / width, screen.clientHeight / height) : zoom;
    // Centred when smaller than the tab, as noVNC shows a VNC display (the free part is the
    // editor's background; spice-html5 reads the mouse as offsetX/offsetY, which follow the transform).
    const left = Math.max(0, Math.floor((screen.clientWidth - width * factor) / 2));
    const top = Math.max(0, Math.floor((screen.clientHeight - height * factor) / 2));
    group.style.transform = left > 0 || top > 0 || factor !== 1 ? `translate(${left}px, ${top}px) scale(${factor})` : '';
    group.style.width = `${width}px`;
    group.style.gap = `${HEAD_GAP}px`;
    // spice-html5 sets each area's height to its surface's; the transform keeps the group's origin.
    for (const s of shown) s.a.style.width = `${s.c.width}px`;
  };

  /**
   * Asks the guest (through the SPICE agent) for the tab's size, when fitting; with several heads,
   * each gets its share of the tab's width, side by side, as they are shown.
   */
  const resizeGuest = (sc: Spice.SpiceMainConn): void => {
    if (stopped || scale !== 'fit' || !sc.agent_connected) return;
    const heads = 1 + extraHeads.length;
    const w = round8(Math.floor((screen.clientWidth - HEAD_GAP * (heads - 1)) / heads));
    const h = round8(screen.clientHeight);
    const size = `${heads}x${w}x${h}`;
    if (size === lastAgentSize) return;
    lastAgentSize = size;
    if (heads === 1) sc.resize_window(0, w, h, 32, 0, 0);
    else sc.send_agent_message(VD_AGENT_MONITORS_CONFIG, monitorsConfigPayload(Array.from({ length: heads }, (_, i) => ({ width: w, height: h, x: i * w, y: 0 }))));
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
  const clipboard = attachClipboard(spice, sc, {
    guestText: (text) => {
      if (!stopped) events.guestClipboard(text);
    },
    ready: () => {
      if (!stopped) events.clipboardReady();
    },
    log: (level, message) => events.log(level, message),
  });
  // Every display channel after the first gets its own area (spice-html5 opens only channel 0).
  const handleMain = sc.process_channel_message;
  sc.process_channel_message = function (this: Spice.SpiceMainConn, msg: Spice.SpiceMiniData): boolean {
    const handled = handleMain.call(this, msg);
    if (msg.type === spice.Constants.SPICE_MSG_MAIN_CHANNELS_LIST && msg.data && !stopped) {
      for (const ch of parseChannelsList(msg.data)) {
        if (ch.type !== spice.Constants.SPICE_CHANNEL_DISPLAY || ch.id === 0 || extraHeads.some((h) => h.id === ch.id)) continue;
        extraHeads.push(openExtraHead(spice, sc, ch.id, newArea(ch.id)));
        // The agent's layout now has one monitor more.
        lastAgentSize = '';
        resizeGuest(sc);
      }
    }
    return handled;
  };

  const observer = new ResizeObserver(() => {
    layout();
    if (resizeTimer) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => resizeGuest(sc), 300);
  });
  observer.observe(screen);
  // Each head's primary surface canvas comes (and is replaced on a mode change) inside its area.
  const mutations = new MutationObserver(() => {
    for (const c of canvases()) {
      observer.observe(c);
      c.classList.toggle('view-only', viewOnly);
      // display.js names every display channel's surface n "spice_surface_<n>": ids of further
      // heads are made unique (the first head's keep theirs, which display.js looks up).
      const head = c.parentElement?.dataset['head'];
      if (head && head !== '0' && !c.id.startsWith('spice_head')) c.id = `spice_head${head}_${c.id}`;
    }
    layout();
  });
  mutations.observe(group, { childList: true, attributes: true, subtree: true, attributeFilter: ['width', 'height'] });

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
      for (const c of canvases()) {
        c.classList.toggle('view-only', on);
        if (on) c.blur();
      }
    },
    setClipboardSharing: (on) => clipboard.setSharing(on),
    offerClipboard: (text) => clipboard.offerText(text),
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
      for (const h of extraHeads.splice(0)) h.stop();
      try {
        sc.stop();
      } catch {
        // already gone
      }
      group.remove();
    },
  };
}
