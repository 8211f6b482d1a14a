// The VNC viewer: noVNC's RFB over one relay stream.

import RFB from '@novnc/novnc';
import { charKeysym, comboKeys, type KeyCombo, type ScaleMode } from '../protocol';
import type { StreamMux } from '../streamMux';
import { PostMessageChannel } from './postMessageChannel';
import type { Viewer, ViewerEvents } from './viewer';

export function startVnc(screen: HTMLElement, mux: StreamMux<PostMessageChannel>, events: ViewerEvents): Viewer {
  const channel = mux.open((port) => new PostMessageChannel((b) => port.send(b), () => port.close()));
  const rfb = new RFB(screen, channel, { shared: true });
  let stopped = false;
  let zoom = 1;
  // noVNC sets the scale back to 1 on every resize of the tab or the guest screen when not
  // fitting: apply the zoom after it.
  const updateScale = rfb._updateScale.bind(rfb);
  rfb._updateScale = (): void => {
    updateScale();
    if (!rfb.scaleViewport && zoom !== 1) {
      rfb._display.scale = zoom;
      rfb._fixScrollbars();
    }
  };
  rfb.background = 'var(--vscode-editor-background)';
  rfb.addEventListener('connect', () => {
    if (stopped) return;
    const canvas = screen.querySelector('canvas');
    events.connected(canvas?.width ?? 0, canvas?.height ?? 0);
    rfb.focus();
  });
  rfb.addEventListener('disconnect', (e) => {
    if (stopped) return;
    const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean ?? false;
    events.disconnected(clean, '');
  });
  rfb.addEventListener('credentialsrequired', (e) => {
    if (stopped) return;
    events.credentialsRequired((e as CustomEvent<{ types: string[] }>).detail?.types ?? ['password']);
  });
  rfb.addEventListener('securityfailure', (e) => {
    if (stopped) return;
    events.securityFailure((e as CustomEvent<{ status: number; reason?: string }>).detail?.reason ?? 'authentication failed');
  });
  return {
    protocol: 'vnc',
    sendCombo(combo: KeyCombo): void {
      const keys = comboKeys(combo);
      for (const k of keys) rfb.sendKey(k.keysym, k.code, true);
      for (const k of [...keys].reverse()) rfb.sendKey(k.keysym, k.code, false);
      rfb.focus();
    },
    typeText(text: string): void {
      for (const ch of text) {
        const ks = charKeysym(ch);
        if (ks !== undefined) rfb.sendKey(ks, null);
      }
    },
    setScale(mode: ScaleMode, z: number): void {
      zoom = mode === 'fit' ? 1 : z;
      rfb.clipViewport = false;
      // Fitting also asks the server to resize the guest to the tab (ExtendedDesktopSize), which
      // QEMU passes to display devices that can (virtio-gpu with a guest driver); others keep
      // their size and are scaled.
      rfb.resizeSession = mode === 'fit';
      rfb.scaleViewport = mode === 'fit';
      rfb._updateScale();
    },
    currentScale(): number {
      const c = screen.querySelector('canvas');
      return c && c.width > 0 ? c.getBoundingClientRect().width / c.width : 1;
    },
    setViewOnly(on: boolean): void {
      rfb.viewOnly = on;
    },
    sendCredentials(password: string): void {
      rfb.sendCredentials({ password });
    },
    canvas: () => screen.querySelector('canvas') ?? undefined,
    focus: () => rfb.focus(),
    stop(): void {
      stopped = true;
      try {
        rfb.disconnect();
      } catch {
        // already gone
      }
    },
  };
}
