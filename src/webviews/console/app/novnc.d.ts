// The part of noVNC's RFB API (docs/API.md of @novnc/novnc 1.7.0) this webview uses.
declare module '@novnc/novnc' {
  export interface RfbOptions {
    shared?: boolean;
    credentials?: { username?: string; password?: string; target?: string };
  }
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | object, options?: RfbOptions);
    scaleViewport: boolean;
    clipViewport: boolean;
    resizeSession: boolean;
    viewOnly: boolean;
    focusOnClick: boolean;
    background: string;
    disconnect(): void;
    sendCredentials(credentials: { username?: string; password?: string; target?: string }): void;
    sendKey(keysym: number, code: string | null, down?: boolean): void;
    sendCtrlAltDel(): void;
    focus(): void;
    getImageData(): ImageData;
    // Internals of noVNC 1.7.0 (core/rfb.js, core/display.js) used for zoom levels, which its API
    // lacks: the display's scale (mouse positions are divided by it), the method that resets that
    // scale on every resize (replaced per instance so a zoom survives resizes), and the scroll fix.
    readonly _display: { scale: number };
    _updateScale(): void;
    _fixScrollbars(): void;
  }
}
