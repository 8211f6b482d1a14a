// What the console page needs from a display viewer, whichever protocol it speaks: noVNC for
// VNC (vncViewer.ts), spice-html5 for SPICE (spiceViewer.ts).

import type { DisplayProtocol, KeyCombo, ScaleMode } from '../protocol';

export interface Viewer {
  readonly protocol: DisplayProtocol;
  sendCombo(combo: KeyCombo): void;
  typeText(text: string): void;
  /** Fit the tab (resizing the guest to it where the guest can), or a fixed zoom (1 = 1:1). */
  setScale(mode: ScaleMode, zoom: number): void;
  /** The factor the display is drawn at now (fitting's, or the zoom), 1 when unknown. */
  currentScale(): number;
  setViewOnly(on: boolean): void;
  /** VNC only: the answer to credentialsRequired. */
  sendCredentials(password: string): void;
  /** SPICE only: share the clipboard with the guest's agent, and offer it the host's text. */
  setClipboardSharing?(on: boolean): void;
  offerClipboard?(text: string): void;
  /** The canvas showing the guest's (first) screen, once there is one. */
  canvas(): HTMLCanvasElement | undefined;
  focus(): void;
  /** Ends the connection without reporting it (a new session replaces it, or the tab closes). */
  stop(): void;
}

/** What a viewer reports; the page turns it into messages for the host. */
export interface ViewerEvents {
  connected(width: number, height: number): void;
  disconnected(clean: boolean, reason: string): void;
  credentialsRequired(types: readonly string[]): void;
  securityFailure(reason: string): void;
  /** The guest copied this text (clipboard sharing on). */
  guestClipboard(text: string): void;
  /** The guest's agent can take the host's clipboard now. */
  clipboardReady(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}
