// The extension-host side of one graphical console: finds the VM's VNC display, relays its
// bytes to the webview, answers noVNC's password request, and reconnects while the VM runs
// (a guest reboot keeps QEMU's VNC server; a shutdown + start gives a new one). No VS Code
// import: the panel (src/webviews/console/consolePanel.ts) supplies the UI callbacks, and tests
// and the benchmark drive a session directly.

import { VirDomainEventType, VirDomainState, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import type { ConsoleState, FromWebview, ToWebview } from '../webviews/console/protocol';
import { lifecycleEvent, type ConsoleConnection, type ConsoleDisposable, type ConsoleTarget } from './consoleTarget';
import { parseDomainConsoles, withVncDisplay, type VncGraphics } from './domainConsoles';
import { decodePayload, type BatcherOptions } from './relayFraming';
import { openVncStream } from './vncEndpoint';
import { VncRelay } from './vncRelay';

export interface GraphicalSessionUi {
  /** Delivers a message to the webview; a returned promise settles when it was handed over. */
  post(m: ToWebview): Promise<unknown>;
  /** Asks the user for the VNC password; undefined = cancelled. */
  askPassword(prompt: string): Promise<string | undefined>;
  /** Where this VM's VNC password is remembered (SecretStorage, bound to connection and VM). */
  readonly password: {
    get(): Promise<string | undefined>;
    store(value: string): Promise<void>;
    delete(): Promise<void>;
  };
  /** Toolbar actions that need the editor (clipboard, files, layout). */
  requestPaste(): void;
  screenshot(): void;
  maximize(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface GraphicalSessionOptions {
  readonly batch?: BatcherOptions;
  /** Reconnect attempts while the VM runs before the panel shows an error (default 30). */
  readonly maxReconnectAttempts?: number;
}

export interface SessionTimings {
  /** ms since the session was created, per milestone of the latest connection. */
  readonly relayOpen?: number;
  readonly rfbConnected?: number;
  readonly firstFrame?: number;
}

/** Domain states in which QEMU (and so its VNC server) is alive. */
function qemuAlive(state: number): boolean {
  return (
    state === VirDomainState.RUNNING ||
    state === VirDomainState.BLOCKED ||
    state === VirDomainState.PAUSED ||
    state === VirDomainState.SHUTDOWN ||
    state === VirDomainState.PMSUSPENDED
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class GraphicalSession {
  private relay: VncRelay | undefined;
  private sessionId = 0;
  private ready = false;
  private disposed = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private connectAgain = false;
  private eventSub: ConsoleDisposable | undefined;
  private subscribedConn: ConsoleConnection | undefined;
  private vnc: VncGraphics | undefined;
  /** A password typed at the prompt, remembered only once the VNC login with it succeeded. */
  private pendingPassword: string | undefined;
  /** The remembered password was refused: ask instead of offering it again. */
  private storedRefused = false;
  private readonly created = Date.now();
  private timingsMut: { relayOpen?: number; rfbConnected?: number; firstFrame?: number } = {};
  private stateListeners = new Set<(s: ConsoleState) => void>();
  state: ConsoleState = { kind: 'connecting' };

  constructor(
    readonly target: ConsoleTarget,
    private readonly ui: GraphicalSessionUi,
    private readonly opts: GraphicalSessionOptions = {},
  ) {}

  get timings(): SessionTimings {
    return { ...this.timingsMut };
  }

  onState(listener: (s: ConsoleState) => void): ConsoleDisposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  /** Handles one message from the webview (already checked with isFromWebview). */
  handle(m: FromWebview): void {
    switch (m.type) {
      case 'ready':
        // A webview that reloads (e.g. after being moved) says ready again: start over.
        this.ready = true;
        this.reconnectNow();
        break;
      case 'vncSend':
        if (m.session === this.sessionId) this.relay?.write(decodePayload(m.data));
        break;
      case 'vncClose':
        if (m.session === this.sessionId) this.dropRelay('the viewer closed the connection');
        break;
      case 'rfbConnected':
        if (m.session !== this.sessionId) break;
        this.attempts = 0;
        this.timingsMut.rfbConnected = Date.now() - this.created;
        this.setState({ kind: 'connected' });
        this.rememberPendingPassword();
        break;
      case 'rfbDisconnected':
        if (m.session === this.sessionId) this.dropRelay(m.clean ? 'the display closed' : 'the display connection was lost');
        break;
      case 'firstFrame':
        if (m.session === this.sessionId && this.timingsMut.firstFrame === undefined) this.timingsMut.firstFrame = Date.now() - this.created;
        break;
      case 'credentialsRequired':
        void this.answerCredentials();
        break;
      case 'securityFailure':
        void this.ui.password.delete();
        this.storedRefused = true;
        this.pendingPassword = undefined;
        this.closeRelay();
        this.setState({ kind: 'error', message: `VNC authentication failed: ${m.reason}` });
        break;
      case 'requestPaste':
        this.ui.requestPaste();
        break;
      case 'screenshot':
        this.ui.screenshot();
        break;
      case 'fullscreen':
        this.ui.maximize();
        break;
      case 'reconnect':
        this.reconnectNow();
        break;
      case 'startVm':
        void this.startVm();
        break;
      case 'addVnc':
        void this.addVnc();
        break;
      case 'log':
        this.ui.log(m.level, `console webview: ${m.message}`);
        break;
      default: {
        const never: never = m;
        this.ui.log('warn', `unknown console message ${JSON.stringify(never)}`);
      }
    }
  }

  reconnectNow(): void {
    if (this.disposed || !this.ready) return;
    this.attempts = 0;
    this.clearRetry();
    this.closeRelay();
    void this.connect();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearRetry();
    this.closeRelay();
    this.eventSub?.dispose();
    this.eventSub = undefined;
    this.stateListeners.clear();
  }

  /** Bytes relayed so far by the current connection (for the benchmark). */
  get relayBytes(): { in: number; out: number } {
    return { in: this.relay?.bytesIn ?? 0, out: this.relay?.bytesOut ?? 0 };
  }

  // ------------------------------------------------------------------------------------------

  private setState(s: ConsoleState): void {
    if (this.disposed) return;
    this.state = s;
    void this.ui.post({ type: 'state', state: s });
    for (const l of this.stateListeners) l(s);
  }

  /**
   * Connects, or, while a connection attempt is under way, makes it run once more when it ends:
   * its answers (domain state, port) may predate the event that asked for the reconnect.
   */
  private connect(): Promise<void> {
    if (this.connecting) {
      this.connectAgain = true;
      return this.connecting;
    }
    this.connecting = (async () => {
      do {
        this.connectAgain = false;
        await this.doConnect();
      } while (this.connectAgain && !this.disposed);
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    this.setState({ kind: 'connecting', ...(this.attempts > 0 ? { detail: `attempt ${this.attempts + 1}` } : {}) });
    let conn: ConsoleConnection;
    try {
      conn = await this.target.connection();
      this.watchEvents(conn);
      const { state } = await conn.domainGetState(this.target.dom);
      if (!qemuAlive(state)) {
        this.setState({ kind: 'vmOff' });
        return;
      }
      const xml = await conn.domainGetXmlDesc(this.target.dom, VirDomainXMLFlags.SECURE).catch(() => conn.domainGetXmlDesc(this.target.dom, 0));
      const consoles = parseDomainConsoles(xml);
      const vnc = consoles.vnc[0];
      if (!vnc) {
        const inactive = parseDomainConsoles(await conn.domainGetXmlDesc(this.target.dom, VirDomainXMLFlags.INACTIVE).catch(() => xml));
        this.setState({ kind: 'noVnc', graphics: consoles.otherGraphics.map((g) => g.type), pendingRestart: inactive.vnc.length > 0 });
        return;
      }
      if (!vnc.listen) throw new Error('the VNC display has no port yet');
      this.vnc = vnc;
      const listen = vnc.listen;
      const route = await this.target.vncRoute();
      if (this.disposed) return;
      this.clearRetry();
      this.closeRelay();
      const id = ++this.sessionId;
      const relay = await VncRelay.start(
        () => openVncStream(listen, route),
        (frame) => this.ui.post({ type: 'vncData', session: id, seq: frame.seq, data: frame.data }),
        { ...(this.opts.batch ? { batch: this.opts.batch } : {}), onClosed: (err) => this.relayClosed(relay, id, err) },
      );
      if (this.disposed || id !== this.sessionId) {
        relay.close();
        return;
      }
      this.relay = relay;
      this.timingsMut = { relayOpen: Date.now() - this.created };
      void this.ui.post({ type: 'vncOpen', session: id });
    } catch (e) {
      this.ui.log('warn', `console of ${this.target.dom.name}: ${message(e)}`);
      this.scheduleRetry(message(e));
    }
  }

  private relayClosed(relay: VncRelay, id: number, err: Error | undefined): void {
    // `relay` is assigned before any socket event can arrive (events need an event-loop turn).
    if (this.relay !== relay) return;
    this.relay = undefined;
    void this.ui.post({ type: 'vncClosed', session: id, reason: err ? err.message : 'closed' });
    this.scheduleRetry(err ? err.message : 'the VNC server closed the connection');
  }

  /** The viewer gave up on the current connection: close it and try again. */
  private dropRelay(reason: string): void {
    const relay = this.relay;
    if (!relay) return;
    this.relay = undefined;
    relay.close();
    this.scheduleRetry(reason);
  }

  private closeRelay(): void {
    const relay = this.relay;
    this.relay = undefined;
    relay?.close();
  }

  private scheduleRetry(reason: string): void {
    if (this.disposed) return;
    this.clearRetry();
    const max = this.opts.maxReconnectAttempts ?? 30;
    if (this.attempts >= max) {
      this.setState({ kind: 'error', message: `cannot connect to the display: ${reason}` });
      return;
    }
    const delay = Math.min(500 * 2 ** this.attempts, 5000);
    this.attempts++;
    this.setState({ kind: 'disconnected', reason, retrying: true });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private watchEvents(conn: ConsoleConnection): void {
    if (this.subscribedConn === conn) return;
    this.eventSub?.dispose();
    this.subscribedConn = conn;
    this.eventSub = conn.onDomainEvent((e) => {
      if (e.dom.uuid !== this.target.dom.uuid) return;
      const ev = lifecycleEvent(e);
      if (ev === VirDomainEventType.STARTED) {
        this.reconnectNow();
      } else if (ev === VirDomainEventType.STOPPED) {
        this.clearRetry();
        this.closeRelay();
        this.setState({ kind: 'vmOff' });
      }
    });
  }

  private async answerCredentials(): Promise<void> {
    let password = this.vnc?.password;
    if (password === undefined) password = this.pendingPassword;
    if (password === undefined && !this.storedRefused) password = await this.ui.password.get();
    if (password === undefined) {
      password = await this.ui.askPassword(`VNC password for ${this.target.dom.name}`);
      this.pendingPassword = password;
    }
    void this.ui.post({ type: 'credentials', password: password ?? '' });
  }

  private rememberPendingPassword(): void {
    const password = this.pendingPassword;
    if (password === undefined) return;
    this.pendingPassword = undefined;
    this.storedRefused = false;
    this.ui.password.store(password).catch((err: unknown) => this.ui.log('warn', `console: the VNC password could not be remembered: ${err instanceof Error ? err.message : String(err)}`));
  }

  private async startVm(): Promise<void> {
    try {
      const conn = await this.target.connection();
      await conn.domainCreate(this.target.dom);
      this.reconnectNow();
    } catch (e) {
      this.setState({ kind: 'error', message: `cannot start ${this.target.dom.name}: ${message(e)}` });
    }
  }

  private async addVnc(): Promise<void> {
    try {
      const conn = await this.target.connection();
      if (!(await conn.domainIsPersistent(this.target.dom))) {
        throw new Error('the VM is transient (it has no configuration to add a display to)');
      }
      // QEMU cannot hot-plug a display: it goes into the configuration, used from the next boot.
      const inactive = await conn.domainGetXmlDesc(this.target.dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE);
      await conn.domainDefineXml(withVncDisplay(inactive));
      this.ui.log('info', `added a VNC display to the configuration of ${this.target.dom.name}`);
      this.setState({ kind: 'noVnc', graphics: [], pendingRestart: true });
    } catch (e) {
      this.setState({ kind: 'error', message: `cannot add a VNC display: ${message(e)}` });
    }
  }
}
