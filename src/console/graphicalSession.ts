// The extension-host side of one graphical console: finds the VM's display (the first VNC or
// SPICE <graphics>, as virt-manager shows), relays its streams to the webview (one for VNC, one
// per SPICE channel), answers the password requests, and reconnects while the VM runs (a guest
// reboot keeps QEMU's display server; a shutdown + start gives a new one). No VS Code import:
// the panel (src/webviews/console/consolePanel.ts) supplies the UI callbacks, and tests and the
// benchmark drive a session directly.

import { VirDomainEventType, VirDomainState, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import { isNoDomain } from '../libvirt/rpc/errors';
import type { ConsoleState, DisplayEncryption, FromWebview, ToWebview } from '../webviews/console/protocol';
import type { Duplex } from 'node:stream';
import { lifecycleEvent, type ConsoleConnection, type ConsoleDisposable, type ConsoleTarget } from './consoleTarget';
import { DisplayTlsError, displayTlsForUri, startDisplayTls } from './displayTls';
import { negotiateVncSecurity, type PreparedDisplayStream } from './vncSecurity';
import { DisplayRouteDeclinedError } from './displayRoutePolicy';
import { parseDomainConsoles, withVncDisplay, type DisplayGraphics, type VncListen } from './domainConsoles';
import { decodePayload, type BatcherOptions } from './relayFraming';
import { RelayStreams } from './relayStreams';
import { isLoopback, openVncStream, type VncRoute } from './vncEndpoint';

export interface GraphicalSessionUi {
  /** Delivers a message to the webview; a returned promise settles when it was handed over. */
  post(m: ToWebview): Promise<unknown>;
  /** Asks the user for the display password; undefined = cancelled. */
  askPassword(prompt: string): Promise<string | undefined>;
  /** Where this VM's display password is remembered (SecretStorage, bound to connection and VM). */
  readonly password: {
    get(): Promise<string | undefined>;
    store(value: string): Promise<void>;
    delete(): Promise<void>;
  };
  /** Toolbar actions that need the editor (clipboard, files, layout). */
  requestPaste(): void;
  /** Clipboard sharing with the SPICE agent: the user's switch, the guest's text, the host's. */
  setClipboardSharing(on: boolean): void;
  guestClipboard(text: string): void;
  requestHostClipboard(reason: 'agent' | 'focus'): void;
  screenshot(): void;
  maximize(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface GraphicalSessionOptions {
  readonly batch?: BatcherOptions;
  /** Reconnect attempts while the VM runs before the panel shows an error (default 30). */
  readonly maxReconnectAttempts?: number;
  /** The display's handshake (VNC security, TLS) timeout in ms (default 10 s). */
  readonly tlsTimeoutMs?: number;
  /**
   * How long the viewer may take from the start of a connection to a finished handshake (RFB, or
   * SPICE's main channel) before it is dropped and tried again (default 30 s; time spent at a
   * password prompt does not count).
   */
  readonly connectTimeoutMs?: number;
  /** Display clients still closing, shared by the sessions of one console manager. */
  readonly closes?: DisplayCloses;
}

/**
 * Closes of display clients still under way (RelayStreams.close keeps a SPICE client while a
 * channel attaches), by VM: a new connection to that VM's display waits for them, since a new
 * SPICE client makes the server drop the old one at once, attaching or not.
 */
export class DisplayCloses {
  private readonly pending = new Map<string, Promise<void>>();

  add(vmUuid: string, closing: Promise<void>): void {
    const all = Promise.all([this.pending.get(vmUuid), closing]).then(() => undefined);
    this.pending.set(vmUuid, all);
    void all.then(() => {
      if (this.pending.get(vmUuid) === all) this.pending.delete(vmUuid);
    });
  }

  /** Settles once every close of `vmUuid`'s display clients begun so far has finished. */
  settled(vmUuid: string): Promise<void> {
    return this.pending.get(vmUuid) ?? Promise.resolve();
  }
}

/** spice-html5 gives its channel link 30 s (SPICE_CONNECT_TIMEOUT); the whole handshake gets as long. */
const CONNECT_TIMEOUT_MS = 30_000;

export interface SessionTimings {
  /** ms since the session was created, per milestone of the latest connection. */
  readonly relayOpen?: number;
  /** The viewer's handshake finished (RFB, or SPICE's main channel). */
  readonly displayConnected?: number;
  readonly firstFrame?: number;
}

/**
 * Opens one stream to the display: VNC with the host's part of the handshake (VeNCrypt TLS when
 * the server requires it, vncSecurity.ts); SPICE to its TLS port with TLS from the first byte
 * (SPICE has no STARTTLS) or to its plain port. The webview's viewers always see plain bytes.
 */
export async function openDisplayStream(display: DisplayGraphics, route: VncRoute, target: Pick<ConsoleTarget, 'uri' | 'dom'>, timeoutMs?: number): Promise<Duplex | PreparedDisplayStream> {
  const what = `the ${PROTOCOL_NAME[display.type]} display of ${target.dom.name}`;
  if (display.type === 'spice') {
    if (display.spiceTls && display.tlsListen) {
      return startDisplayTls(await openVncStream(display.tlsListen, route), displayTlsForUri(target.uri), what, timeoutMs);
    }
    return openVncStream(display.listen!, route);
  }
  const prepared = await negotiateVncSecurity(await openVncStream(display.listen!, route), {
    tls: () => displayTlsForUri(target.uri),
    what,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  if (prepared.encrypted) return prepared;
  // No VeNCrypt: noVNC gets a fresh connection and does the whole handshake with the server
  // itself, exactly as before TLS support (the probe said only the RFB version).
  prepared.socket.destroy();
  return openVncStream(display.listen!, route);
}

/** What protects a display stream: its own TLS first, else the route's transport. */
export function displayEncryption(display: DisplayGraphics, route: VncRoute, stream: Duplex | PreparedDisplayStream): DisplayEncryption {
  const tls = display.type === 'spice' ? display.spiceTls && display.tlsListen !== undefined : 'skipClientBytes' in stream && stream.encrypted;
  if (tls) return 'tls';
  if (route.kind === 'ssh') return 'ssh';
  return route.kind === 'local' || isLoopback(route.host) ? 'local' : 'none';
}

class TlsRequired extends Error {}

/** True when the VNC server at `listen` offers VeNCrypt; false when not, or when unreachable. */
async function vncRequiresTls(listen: VncListen, route: VncRoute): Promise<boolean> {
  try {
    const prepared = await negotiateVncSecurity(await openVncStream(listen, route), {
      tls: () => {
        throw new TlsRequired();
      },
      what: 'the VNC display',
      timeoutMs: 5000,
    });
    prepared.socket.destroy();
    return false;
  } catch (e) {
    return e instanceof TlsRequired;
  }
}

/** Domain states in which QEMU (and so its display server) is alive. */
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

const PROTOCOL_NAME = { vnc: 'VNC', spice: 'SPICE' } as const;

export class GraphicalSession {
  private streams: RelayStreams | undefined;
  /** The stream whose end ends the session: VNC's only one, SPICE's main channel (the first). */
  private primaryStream: number | undefined;
  private sessionId = 0;
  private ready = false;
  private disposed = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Drops a connection whose handshake has not finished in time (see connectTimeoutMs). */
  private handshakeTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private connectAgain = false;
  private eventSub: ConsoleDisposable | undefined;
  private subscribedConn: ConsoleConnection | undefined;
  private display: DisplayGraphics | undefined;
  /** What protects the current session's primary stream, known once it opened. */
  private encryption: DisplayEncryption = 'none';
  /** A password typed at the prompt, remembered only once the login with it succeeded. */
  private pendingPassword: string | undefined;
  /** The remembered password was refused: ask instead of offering it again. */
  private storedRefused = false;
  private readonly created = Date.now();
  private readonly closes: DisplayCloses;
  private timingsMut: { relayOpen?: number; displayConnected?: number; firstFrame?: number } = {};
  private stateListeners = new Set<(s: ConsoleState) => void>();
  state: ConsoleState = { kind: 'connecting' };

  constructor(
    readonly target: ConsoleTarget,
    private readonly ui: GraphicalSessionUi,
    private readonly opts: GraphicalSessionOptions = {},
  ) {
    this.closes = opts.closes ?? new DisplayCloses();
  }

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
      case 'streamConnect':
        if (m.session === this.sessionId) this.connectStream(m.stream);
        break;
      case 'streamSend':
        if (m.session === this.sessionId) this.streams?.write(m.stream, decodePayload(m.data));
        break;
      case 'streamClose':
        if (m.session !== this.sessionId) break;
        if (m.stream === this.primaryStream) this.dropRelay('the viewer closed the connection');
        else this.streams?.closeStream(m.stream);
        break;
      case 'displayConnected':
        if (m.session !== this.sessionId || !this.display) break;
        this.clearHandshakeTimer();
        this.attempts = 0;
        this.timingsMut.displayConnected = Date.now() - this.created;
        this.setState({ kind: 'connected', protocol: this.display.type, encryption: this.encryption, heads: this.display.heads });
        this.rememberPendingPassword();
        break;
      case 'displayDisconnected':
        if (m.session === this.sessionId) {
          const what = m.reason ? `: ${m.reason}` : '';
          this.dropRelay(m.clean ? `the display closed${what}` : `the display connection was lost${what}`);
        }
        break;
      case 'firstFrame':
        if (m.session === this.sessionId && this.timingsMut.firstFrame === undefined) this.timingsMut.firstFrame = Date.now() - this.created;
        break;
      case 'credentialsRequired':
        void this.answerCredentials();
        break;
      case 'securityFailure':
        void this.securityFailure(m.reason);
        break;
      case 'requestPaste':
        this.ui.requestPaste();
        break;
      case 'setClipboardSharing':
        this.ui.setClipboardSharing(m.on);
        break;
      case 'guestClipboard':
        this.ui.guestClipboard(m.text);
        break;
      case 'requestHostClipboard':
        this.ui.requestHostClipboard(m.reason);
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
    this.clearHandshakeTimer();
    this.closeRelay();
    this.eventSub?.dispose();
    this.eventSub = undefined;
    this.stateListeners.clear();
  }

  /** Bytes relayed so far by the current connection, all its streams (for the benchmark). */
  get relayBytes(): { in: number; out: number } {
    return this.streams?.bytes ?? { in: 0, out: 0 };
  }

  /** Streams of the current connection with an open socket (SPICE: one per channel). */
  get openStreams(): readonly number[] {
    return this.streams?.openStreams ?? [];
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
      const display = consoles.displays[0];
      if (!display) {
        const inactive = parseDomainConsoles(await conn.domainGetXmlDesc(this.target.dom, VirDomainXMLFlags.INACTIVE).catch(() => xml));
        this.setState({ kind: 'noDisplay', graphics: consoles.otherGraphics.map((g) => g.type), pendingRestart: inactive.displays.length > 0 });
        return;
      }
      if (!display.listen && !display.spiceTls) throw new Error(`the ${PROTOCOL_NAME[display.type]} display has no port yet`);
      const route = await this.displayRoute(display);
      const password = display.type === 'spice' ? await this.spicePassword(display) : '';
      if (this.disposed) return;
      this.display = display;
      this.clearRetry();
      this.closeRelay();
      this.openSession(display, route, password);
    } catch (e) {
      this.ui.log('warn', `console of ${this.target.dom.name}: ${message(e)}`);
      // The user declined a clear-text connection: no retries (Retry asks again).
      if (DisplayRouteDeclinedError.is(e)) this.setState({ kind: 'error', message: message(e) });
      // The VM is gone (a transient VM that stopped or crashed, or one deleted): it cannot come back by waiting.
      else if (isNoDomain(e)) this.setState({ kind: 'error', message: `${this.target.dom.name} no longer exists on this host` });
      else this.scheduleRetry(message(e));
    }
  }

  /**
   * The route to the display. A SPICE display reached through its TLS port is encrypted, and so
   * is a VNC display that requires VeNCrypt: neither needs the clear-text question (or the SSH
   * tunnel) of a network route. Whether a VNC display requires TLS shows only in its handshake,
   * so on a network route it is asked first: a connection that says its RFB version and reads
   * the security types, then closes (nothing secret crosses).
   */
  private async displayRoute(display: DisplayGraphics): Promise<VncRoute> {
    if (display.type === 'spice') return this.target.vncRoute({ encrypted: display.spiceTls });
    const direct = await this.target.vncRoute({ encrypted: true });
    if (direct.kind !== 'remote' || !display.listen) return direct;
    return (await vncRequiresTls(display.listen, direct)) ? direct : this.target.vncRoute();
  }

  /** A new session: the webview starts its viewer, which asks for its streams. */
  private openSession(display: DisplayGraphics, route: VncRoute, password: string): void {
    const id = ++this.sessionId;
    this.primaryStream = undefined;
    this.encryption = 'none';
    let first = true;
    const open = async (): Promise<Duplex | PreparedDisplayStream> => {
      await this.closes.settled(this.target.dom.uuid);
      const stream = await openDisplayStream(display, route, this.target, this.opts.tlsTimeoutMs);
      if (first && this.sessionId === id) {
        first = false;
        this.encryption = displayEncryption(display, route, stream);
      }
      return stream;
    };
    const streams = new RelayStreams(id, open, (m) => this.ui.post(m), {
      ...(this.opts.batch ? { batch: this.opts.batch } : {}),
      onStreamOpened: () => {
        if (this.streams === streams && this.timingsMut.relayOpen === undefined) this.timingsMut.relayOpen = Date.now() - this.created;
      },
      onStreamEnded: (stream, err) => {
        if (this.streams !== streams || stream !== this.primaryStream) return;
        this.clearHandshakeTimer();
        this.streams = undefined;
        this.closeStreams(streams);
        this.scheduleRetry(err ? err.message : `the ${PROTOCOL_NAME[display.type]} server closed the connection`);
      },
    });
    this.streams = streams;
    this.timingsMut = {};
    this.armHandshakeTimer(id, display);
    void this.ui.post({ type: 'displayOpen', session: id, protocol: display.type, password });
  }

  /**
   * A viewer can stall between its streams and a finished handshake (spice-html5 waits for the
   * main channel's first message without a limit once the ticket is accepted; a webview can be
   * slow to start the viewer): the panel would say Connecting forever. After connectTimeoutMs
   * the connection is dropped and tried again, as after any other loss.
   */
  private armHandshakeTimer(session: number, display: DisplayGraphics): void {
    this.clearHandshakeTimer();
    const ms = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (this.disposed || this.sessionId !== session || !this.streams) return;
      const reason = `the ${PROTOCOL_NAME[display.type]} display did not finish connecting within ${ms / 1000} s`;
      this.ui.log('warn', `console of ${this.target.dom.name}: ${reason}; connecting again`);
      this.dropRelay(reason);
    }, ms);
    this.handshakeTimer.unref?.();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private connectStream(stream: number): void {
    const streams = this.streams;
    if (!streams) return;
    if (this.primaryStream === undefined) this.primaryStream = stream;
    const primary = stream === this.primaryStream;
    streams.connect(stream).catch((e: unknown) => {
      // streamClosed already told the viewer; without its first stream the session is over.
      if (primary && this.streams === streams && DisplayTlsError.is(e) && e.lasting) {
        // Missing credentials or a certificate that does not verify: reconnecting cannot help.
        this.ui.log('warn', `console of ${this.target.dom.name}: ${e.message}`);
        this.closeRelay();
        this.clearRetry();
        this.setState({ kind: 'error', message: `cannot connect to the display: ${e.message}` });
      } else if (primary && this.streams === streams) this.dropRelay(message(e));
      else this.ui.log('warn', `console of ${this.target.dom.name}: stream ${stream}: ${message(e)}`);
    });
  }

  /** The viewer gave up on the current connection: close it and try again. */
  private dropRelay(reason: string): void {
    this.clearHandshakeTimer();
    const streams = this.streams;
    if (!streams) return;
    this.streams = undefined;
    this.closeStreams(streams);
    this.scheduleRetry(reason);
  }

  private closeRelay(): void {
    this.clearHandshakeTimer();
    const streams = this.streams;
    this.streams = undefined;
    if (streams) this.closeStreams(streams);
  }

  private closeStreams(streams: RelayStreams): void {
    this.closes.add(this.target.dom.uuid, streams.close());
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

  /**
   * SPICE sends its ticket when each channel links, so the password is decided before
   * connecting: the one in the secure XML, one typed at the prompt, the remembered one, or none.
   */
  private async spicePassword(display: DisplayGraphics): Promise<string> {
    if (display.password !== undefined) return display.password;
    if (this.pendingPassword !== undefined) return this.pendingPassword;
    if (!this.storedRefused) return (await this.ui.password.get()) ?? '';
    return '';
  }

  private async securityFailure(reason: string): Promise<void> {
    const display = this.display;
    const protocol = PROTOCOL_NAME[display?.type ?? 'vnc'];
    const hadPending = this.pendingPassword !== undefined;
    void this.ui.password.delete();
    this.storedRefused = true;
    this.pendingPassword = undefined;
    this.closeRelay();
    // noVNC asks for a password itself (credentialsRequired); spice-html5 learns of one only
    // when the server refuses the ticket: ask once, then connect again with the answer.
    if (display?.type === 'spice' && display.password === undefined && !hadPending) {
      this.setState({ kind: 'connecting', detail: 'waiting for the password' });
      const typed = await this.ui.askPassword(`SPICE password for ${this.target.dom.name}`);
      if (typed !== undefined && !this.disposed) {
        this.pendingPassword = typed;
        this.reconnectNow();
        return;
      }
    }
    this.setState({ kind: 'error', message: `${protocol} authentication failed: ${reason}` });
  }

  private async answerCredentials(): Promise<void> {
    let password = this.display?.password;
    if (password === undefined) password = this.pendingPassword;
    if (password === undefined && !this.storedRefused) password = await this.ui.password.get();
    if (password === undefined) {
      // The time the user takes to answer is not the display's: the handshake timer starts again after.
      const session = this.sessionId;
      const display = this.display;
      this.clearHandshakeTimer();
      password = await this.ui.askPassword(`VNC password for ${this.target.dom.name}`);
      this.pendingPassword = password;
      if (display && session === this.sessionId && this.streams) this.armHandshakeTimer(session, display);
    }
    void this.ui.post({ type: 'credentials', password: password ?? '' });
  }

  private rememberPendingPassword(): void {
    const password = this.pendingPassword;
    if (password === undefined) return;
    this.pendingPassword = undefined;
    this.storedRefused = false;
    this.ui.password.store(password).catch((err: unknown) => this.ui.log('warn', `console: the display password could not be remembered: ${err instanceof Error ? err.message : String(err)}`));
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
      this.setState({ kind: 'noDisplay', graphics: [], pendingRestart: true });
    } catch (e) {
      this.setState({ kind: 'error', message: `cannot add a VNC display: ${message(e)}` });
    }
  }
}
