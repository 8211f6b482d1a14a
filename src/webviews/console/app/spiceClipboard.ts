// Clipboard sharing with a SPICE guest through its agent (spice-vdagent), which spice-html5 0.2.1
// does not do. The agent's messages travel in the main channel's AGENT_DATA messages, each one a
// VDAgentMessage (spice-protocol, spice/vd_agent.h: protocol u32, type u32, opaque u64, size u32,
// then `size` bytes), split into chunks of at most VD_AGENT_MAX_DATA_SIZE: a long text from the
// guest comes in several AGENT_DATA messages, which are joined here (spice-html5 reads each as a
// whole message). The "by demand" clipboard, which both sides must announce
// (VD_AGENT_CAP_CLIPBOARD_BY_DEMAND):
//  - whoever copies sends CLIPBOARD_GRAB with the types it has (u32 each; 1 = UTF-8 text);
//  - the other side asks with CLIPBOARD_REQUEST (u32 type) when it wants the data, and gets
//    CLIPBOARD (u32 type, then the bytes);
//  - CLIPBOARD_RELEASE (no data) takes an offer back.
// Here: a grab from the guest is answered at once with a request for its text, which goes to the
// host's clipboard; the host's text is offered with a grab and sent when the guest asks. Nothing
// is announced, answered or passed on while sharing is off (the user turns it on per VM).

import type * as Spice from 'spice-html5';
import { MAX_CLIPBOARD_TEXT } from '../protocol';

const VD_AGENT_PROTOCOL = 1;
const HEADER = 20;
const TYPE = { clipboard: 4, announceCapabilities: 6, grab: 7, request: 8, release: 9 } as const;
const CAP = { mouseState: 0, monitorsConfig: 1, reply: 2, byDemand: 5, lineEndCrlf: 9 } as const;
const UTF8_TEXT = 1;
/**
 * How long after sharing starts (turned on, or the agent connected) the host's text waits before
 * it is offered: a guest that announces its own clipboard then keeps it. Both sides grabbing at
 * the same moment would each give way to the other's grab, and neither would own the clipboard.
 */
const OFFER_DELAY_MS = 1000;

export interface ClipboardEvents {
  /** The guest copied this text (sharing is on). */
  guestText(text: string): void;
  /** The agent can share the clipboard now: a good time to offer the host's text. */
  ready(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface SpiceClipboard {
  setSharing(on: boolean): void;
  /** Offers the host's clipboard text to the guest (it fetches it when pasted). */
  offerText(text: string): void;
}

/** What spice-html5's send_agent_message takes: an object that writes its own bytes. */
class Payload {
  constructor(private readonly bytes: Uint8Array) {}
  buffer_size(): number {
    return this.bytes.length;
  }
  to_buffer(a: ArrayBuffer, at = 0): number {
    new Uint8Array(a, at, this.bytes.length).set(this.bytes);
    return at + this.bytes.length;
  }
}

const u32s = (...values: number[]): Uint8Array => {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint32(4 * i, v, true));
  return b;
};

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Adds clipboard sharing to the session `sc` (before its main channel has linked): wraps its
 * handling of agent messages and of the capabilities it announces.
 */
export function attachClipboard(spice: typeof Spice, sc: Spice.SpiceMainConn, events: ClipboardEvents): SpiceClipboard {
  const AGENT_DATA = spice.Constants.SPICE_MSG_MAIN_AGENT_DATA;
  const AGENT_DISCONNECTED = spice.Constants.SPICE_MSG_MAIN_AGENT_DISCONNECTED;
  let sharing = false;
  /** The agent announced by-demand clipboard (and whether the guest ends lines with CRLF). */
  let agentCan = false;
  let guestCrlf = false;
  /** The host's text this side offered with a grab, until the guest grabs or it is taken back. */
  let offered: string | undefined;
  /** When the guest last grabbed the clipboard (Date.now()). */
  let guestGrabAt = 0;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Says ready once sharing has settled, unless the guest offered its own clipboard meanwhile. */
  const settleThenReady = (): void => {
    if (readyTimer) clearTimeout(readyTimer);
    const since = Date.now();
    readyTimer = setTimeout(() => {
      readyTimer = undefined;
      if (active() && guestGrabAt < since) events.ready();
    }, OFFER_DELAY_MS);
  };
  /** A guest message whose bytes come in further AGENT_DATA messages. */
  let partial: { readonly type: number; readonly size: number; readonly parts: Uint8Array[]; got: number; readonly ours: boolean } | undefined;

  const send = (type: number, bytes: Uint8Array): void => {
    if (sc.agent_connected) sc.send_agent_message(type, new Payload(bytes));
  };
  const capsWord = (): number => {
    let caps = (1 << CAP.mouseState) | (1 << CAP.monitorsConfig) | (1 << CAP.reply);
    if (sharing) caps |= 1 << CAP.byDemand;
    return caps;
  };
  // spice-html5 announces mouse state, monitors config and reply; the clipboard is added while on.
  sc.announce_agent_capabilities = (request: number): void => send(TYPE.announceCapabilities, u32s(request, capsWord()));
  const active = (): boolean => sharing && agentCan;

  const fromGuest = (type: number, data: Uint8Array): void => {
    switch (type) {
      case TYPE.announceCapabilities: {
        const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const caps = data.length >= 8 ? dv.getUint32(4, true) : 0;
        const was = active();
        // The agent may also announce selections (PRIMARY besides CLIPBOARD): they are used only
        // when both sides announce them, and this side does not, so messages carry no selection.
        agentCan = (caps & (1 << CAP.byDemand)) !== 0;
        guestCrlf = (caps & (1 << CAP.lineEndCrlf)) !== 0;
        if (active() && !was) settleThenReady();
        return;
      }
      case TYPE.grab: {
        if (!active()) return;
        offered = undefined;
        guestGrabAt = Date.now();
        const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const types = Array.from({ length: Math.floor(data.length / 4) }, (_, i) => dv.getUint32(4 * i, true));
        if (types.includes(UTF8_TEXT)) send(TYPE.request, u32s(UTF8_TEXT));
        return;
      }
      case TYPE.clipboard: {
        if (!active() || data.length < 4) return;
        if (new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) !== UTF8_TEXT) return;
        let text = new TextDecoder().decode(data.subarray(4));
        if (guestCrlf) text = text.replace(/\r\n/g, '\n');
        events.guestText(text);
        return;
      }
      case TYPE.request: {
        if (!active()) return;
        const want = data.length >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) : 0;
        if (want !== UTF8_TEXT || offered === undefined) {
          // Nothing of that type to give: an empty answer of type NONE, as spice-gtk sends.
          send(TYPE.clipboard, u32s(0));
          return;
        }
        const text = guestCrlf ? offered.replace(/\r?\n/g, '\r\n') : offered;
        send(TYPE.clipboard, concat([u32s(UTF8_TEXT), new TextEncoder().encode(text)]));
        return;
      }
      case TYPE.release:
        return;
      default:
        return;
    }
  };

  const handleMain = sc.process_channel_message;
  sc.process_channel_message = function (this: Spice.SpiceMainConn, msg: Spice.SpiceMiniData): boolean {
    if (msg.type === AGENT_DISCONNECTED) {
      agentCan = false;
      partial = undefined;
      offered = undefined;
    }
    if (msg.type !== AGENT_DATA || !msg.data) return handleMain.call(this, msg);
    const bytes = new Uint8Array(msg.data);
    if (partial) {
      // The rest of a message that began in an earlier AGENT_DATA.
      const p = partial;
      if (p.ours) p.parts.push(bytes.slice(0, p.size - p.got));
      p.got += bytes.length;
      if (p.got >= p.size) {
        partial = undefined;
        if (p.ours) fromGuest(p.type, concat(p.parts));
      }
      return true;
    }
    if (bytes.length < HEADER) return handleMain.call(this, msg);
    const dv = new DataView(msg.data);
    const protocol = dv.getUint32(0, true);
    const type = dv.getUint32(4, true);
    const size = dv.getUint32(16, true);
    const ours = protocol === VD_AGENT_PROTOCOL && (type === TYPE.clipboard || type === TYPE.grab || type === TYPE.request || type === TYPE.release);
    const body = bytes.subarray(HEADER);
    if (body.length < size) {
      if (ours && size > MAX_CLIPBOARD_TEXT + 4) {
        events.log('warn', `a clipboard message of ${size} bytes from the SPICE agent was ignored (at most ${MAX_CLIPBOARD_TEXT})`);
        partial = { type, size, parts: [], got: body.length, ours: false };
        return true;
      }
      partial = { type, size, parts: [body.slice()], got: body.length, ours };
      // spice-html5's own types (capabilities, file transfer) fit one chunk; a longer one is
      // skipped whole rather than read in pieces.
      return true;
    }
    if (type === TYPE.announceCapabilities) fromGuest(type, body.slice(0, size));
    if (ours) {
      fromGuest(type, body.slice(0, size));
      return true;
    }
    return handleMain.call(this, msg);
  };

  return {
    setSharing(on: boolean): void {
      if (on === sharing) return;
      const had = offered !== undefined && active();
      sharing = on;
      if (!on) {
        if (had) send(TYPE.release, new Uint8Array(0));
        offered = undefined;
      }
      // The agent learns the new capabilities. Not as a request for its own (request 1): the
      // agent daemon takes that for a new client and resets the session (spice-vdagentd,
      // do_client_capabilities); its capabilities came when the agent connected.
      if (sc.agent_connected) sc.announce_agent_capabilities(0);
      if (on && agentCan) settleThenReady();
    },
    offerText(text: string): void {
      if (!active()) return;
      if (new TextEncoder().encode(text).length > MAX_CLIPBOARD_TEXT) {
        events.log('warn', `the clipboard text is larger than ${MAX_CLIPBOARD_TEXT} bytes: not offered to the guest`);
        return;
      }
      offered = text;
      send(TYPE.grab, u32s(UTF8_TEXT));
    },
  };
}
