// The part of spice-html5 0.2.1 (src/main.js, spicemsg.js, enums.js of @spice-project/spice-html5)
// the console uses. The library is loaded at run time from its own file (see esbuild.mjs).
declare module 'spice-html5' {
  export interface SpiceChannel {
    state: string;
    send_msg(msg: SpiceMiniData): void;
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
    stop(): void;
    resize_window(flags: number, width: number, height: number, depth: number, x: number, y: number): void;
  }
  export class SpiceMiniData {
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
  };
}
