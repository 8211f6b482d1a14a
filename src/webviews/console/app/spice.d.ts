// The part of spice-html5 0.2.1 (src/main.js, spicemsg.js, enums.js of @spice-project/spice-html5)
// the console uses. The library is loaded at run time from its own file (see esbuild.mjs).
declare module 'spice-html5' {
  export interface SpiceChannel {
    state: string;
    send_msg(msg: SpiceMiniData): void;
  }
  /** What a channel's constructor takes (main.js builds these from the channels list). */
  export interface SpiceChannelOptions {
    uri: string;
    parent: SpiceMainConn;
    connection_id: number;
    type: number;
    chan_id: number;
  }
  /** The base of every channel (spiceconn.js). */
  export class SpiceConn {
    /** Sends the link's RSA-encrypted ticket (ticket.js rsa_encrypt's bytes, null when it failed). */
    send_ticket(ticket: number[] | null): void;
  }
  export interface SpiceSurface {
    canvas?: HTMLCanvasElement;
  }
  /** One display channel (display.js): draws its primary surface into `parent.screen_id`. */
  export class SpiceDisplayConn {
    constructor(o: SpiceChannelOptions);
    surfaces: Record<number, SpiceSurface | undefined>;
    primary_surface: number | undefined;
    unhook_events(): void;
    delete_surface(surfaceId: number): void;
    destroy_surfaces(): void;
    cleanup(): void;
  }
  export interface SpiceMainConnOptions {
    uri: string;
    password: string;
    screen_id: string;
    onerror?: (e: Error) => void;
    onsuccess?: (message: string) => void;
    onagent?: (sc: SpiceMainConn) => void;
  }
  export class SpiceMainConn {
    constructor(o: SpiceMainConnOptions);
    inputs: SpiceChannel | undefined;
    agent_connected: boolean | undefined;
    ws: { readonly url: string } | undefined;
    connection_id: number;
    /** The main channel's handler of one message; true when handled. */
    process_channel_message(msg: SpiceMiniData): boolean;
    /** Sends VD_AGENT_ANNOUNCE_CAPABILITIES (request 1 asks the agent for its own). */
    announce_agent_capabilities(request: number): void;
    /** Sends one agent message, in chunks, as the agent tokens allow. */
    send_agent_message(type: number, payload: { buffer_size(): number; to_buffer(a: ArrayBuffer, at?: number): unknown }): void;
    stop(): void;
    resize_window(flags: number, width: number, height: number, depth: number, x: number, y: number): void;
  }
  export class SpiceMiniData {
    type: number;
    data: ArrayBuffer | undefined;
    build_msg(type: number, payload: SpiceMsgcKeyDown | SpiceMsgcKeyUp): void;
  }
  /** Built from an event-like object: its `keyCode` is mapped to a PC scancode. */
  export class SpiceMsgcKeyDown {
    constructor(e?: { keyCode: number });
    code: number;
  }
  export class SpiceMsgcKeyUp {
    constructor(e?: { keyCode: number });
    code: number;
  }
  export const Constants: {
    readonly SPICE_MSGC_INPUTS_KEY_DOWN: number;
    readonly SPICE_MSGC_INPUTS_KEY_UP: number;
    readonly SPICE_MSGC_INPUTS_MOUSE_POSITION: number;
    readonly SPICE_MSG_MAIN_CHANNELS_LIST: number;
    readonly SPICE_MSG_MAIN_AGENT_DATA: number;
    readonly SPICE_MSG_MAIN_AGENT_DISCONNECTED: number;
    readonly SPICE_CHANNEL_DISPLAY: number;
  };
}
