// The further displays of a SPICE session. spice-html5 0.2.1 opens only display channel 0 (its
// main.js logs "does not handle multiple heads" for the others). QEMU gives each head its own
// display channel: a video device with heads='2' (virtio: max_outputs) or a second video device.
// Each further channel is opened here with spice-html5's own SpiceDisplayConn, unchanged, drawing
// into its own area beside the first; only three things are adapted around it, from the outside:
//  - the area it draws into: its `parent` is the main connection with another `screen_id`;
//  - the monitor its mouse positions go to: SpiceMsgcMousePosition always says display 0, so the
//    inputs channel seen from that display puts the channel's id into the message (byte 10 of the
//    INPUTS_MOUSE_POSITION payload: x u32, y u32, buttons u16, display_id u8; SPICE protocol,
//    spice/protocol.h, SpiceMsgcMousePosition);
//  - removing its surface: display.js finds a canvas by the document-wide id "spice_surface_<n>",
//    which every display channel uses for its own surface n; this one removes its own canvas.

import type * as Spice from 'spice-html5';

/** The channels the server lists (SPICE_MSG_MAIN_CHANNELS_LIST: u32 count, then type u8 + id u8 each). */
export function parseChannelsList(data: ArrayBuffer): { readonly type: number; readonly id: number }[] {
  const dv = new DataView(data);
  if (dv.byteLength < 4) return [];
  const n = dv.getUint32(0, true);
  const out: { type: number; id: number }[] = [];
  for (let i = 0; i < n && 4 + 2 * i + 1 < dv.byteLength; i++) out.push({ type: dv.getUint8(4 + 2 * i), id: dv.getUint8(5 + 2 * i) });
  return out;
}

/** VD_AGENT_MONITORS_CONFIG (spice/vd_agent.h). */
export const VD_AGENT_MONITORS_CONFIG = 2;

export interface MonitorSize {
  readonly width: number;
  readonly height: number;
  readonly x: number;
  readonly y: number;
}

/**
 * A VD_AGENT_MONITORS_CONFIG payload for several monitors, monitor i being head (display channel)
 * i: num_of_monitors u32, flags u32, then per monitor height u32, width u32, depth u32, x i32,
 * y i32 (VDAgentMonitorsConfig / VDAgentMonConfig). spice-html5 builds only one monitor, and a
 * one-monitor layout tells a guest with two heads to turn the second off.
 */
export function monitorsConfigPayload(monitors: readonly MonitorSize[]): { buffer_size(): number; to_buffer(a: ArrayBuffer, at?: number): number } {
  const size = 8 + 20 * monitors.length;
  return {
    buffer_size: () => size,
    to_buffer(a: ArrayBuffer, at = 0): number {
      const dv = new DataView(a, at, size);
      dv.setUint32(0, monitors.length, true);
      dv.setUint32(4, 0, true);
      monitors.forEach((m, i) => {
        const o = 8 + 20 * i;
        dv.setUint32(o, m.height, true);
        dv.setUint32(o + 4, m.width, true);
        dv.setUint32(o + 8, 32, true);
        dv.setInt32(o + 12, m.x, true);
        dv.setInt32(o + 16, m.y, true);
      });
      return at + size;
    },
  };
}

/** Offset of display_id in an INPUTS_MOUSE_POSITION payload. */
const MOUSE_POSITION_DISPLAY_ID = 10;

/** The inputs channel as seen from display `id`: its mouse positions name that display. */
function inputsFor(inputs: Spice.SpiceChannel, id: number, positionType: number): Spice.SpiceChannel {
  return new Proxy(inputs, {
    get(target, prop) {
      if (prop === 'send_msg') {
        return (msg: Spice.SpiceMiniData): void => {
          if (msg.type === positionType && msg.data instanceof ArrayBuffer && msg.data.byteLength > MOUSE_POSITION_DISPLAY_ID) {
            new DataView(msg.data).setUint8(MOUSE_POSITION_DISPLAY_ID, id);
          }
          target.send_msg(msg);
        };
      }
      return Reflect.get(target, prop) as unknown;
    },
  });
}

export interface ExtraHead {
  readonly id: number;
  readonly area: HTMLElement;
  stop(): void;
}

/**
 * Opens display channel `id` (not 0) of the session `sc`, drawing into `area` (which must have an
 * id and be in the document).
 */
export function openExtraHead(spice: typeof Spice, sc: Spice.SpiceMainConn, id: number, area: HTMLElement): ExtraHead {
  const positionType = spice.Constants.SPICE_MSGC_INPUTS_MOUSE_POSITION;
  let wrapped: { readonly of: Spice.SpiceChannel; readonly proxy: Spice.SpiceChannel } | undefined;
  const parent = Object.create(sc, {
    screen_id: { value: area.id },
    inputs: {
      get: (): Spice.SpiceChannel | undefined => {
        const inputs = sc.inputs;
        if (!inputs) return undefined;
        if (wrapped?.of !== inputs) wrapped = { of: inputs, proxy: inputsFor(inputs, id, positionType) };
        return wrapped.proxy;
      },
    },
  }) as Spice.SpiceMainConn;
  const display = new spice.SpiceDisplayConn({
    uri: sc.ws?.url ?? 'relay:',
    parent,
    connection_id: sc.connection_id,
    type: spice.Constants.SPICE_CHANNEL_DISPLAY,
    chan_id: id,
  });
  display.delete_surface = function (this: Spice.SpiceDisplayConn, surfaceId: number): void {
    const surface = this.surfaces[surfaceId];
    if (this.primary_surface === surfaceId) {
      this.unhook_events();
      this.primary_surface = undefined;
      surface?.canvas?.remove();
    }
    Reflect.deleteProperty(this.surfaces, surfaceId);
  };
  return {
    id,
    area,
    stop(): void {
      try {
        display.cleanup();
        display.destroy_surfaces();
      } catch {
        // already gone
      }
      area.remove();
    },
  };
}
