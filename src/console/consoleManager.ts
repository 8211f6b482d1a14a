// Keeps the open consoles: one graphical panel per VM (opening again focuses it), serial
// terminals per VM and device, and a status bar item showing the active console's state.

import * as os from 'node:os';
import * as vscode from 'vscode';
import { CONSOLE_VIEW_TYPE, ConsolePanel } from '../webviews/console/consolePanel';
import type { ConsoleState, DisplayEncryption, KeyCombo } from '../webviews/console/protocol';

/** The status bar item's tooltip after "Graphical console of VM". */
const ENCRYPTION_TOOLTIP: Record<DisplayEncryption, string> = {
  tls: ' (encrypted: TLS to the display)',
  ssh: ' (encrypted: through the SSH connection)',
  local: ' (on this machine)',
  none: ' (not encrypted: the display is reached in clear text over the network)',
};
import { DisplayCloses, type GraphicalSessionOptions } from './graphicalSession';
import type { ClipboardSharingChoices } from './clipboardSharing';
import { consoleKey, type ConsoleTarget } from './consoleTarget';
import { describeCharDevice, parseDomainConsoles } from './domainConsoles';
import { vscodePrompts, type Prompts } from '../commands/prompts';
import type { ConnectionSecrets } from '../connections/connectionSecrets';
import { required } from '../ui/cancel';
import { screenshotToPng } from './image';
import { SerialPseudoterminal, type SerialState } from './serialTerminal';

export class NoSerialConsoleError extends Error {
  override readonly name = 'NoSerialConsoleError';
  static is(e: unknown): e is NoSerialConsoleError {
    return e instanceof NoSerialConsoleError;
  }
}

export interface SerialConsole {
  readonly terminal: vscode.Terminal;
  readonly pty: SerialPseudoterminal;
}

export interface ScreenshotResult {
  readonly uri: vscode.Uri;
  readonly width: number;
  readonly height: number;
}

/** Linux input keycodes (linux/input-event-codes.h) for DOMAIN_SEND_KEY, codeset VIR_KEYCODE_SET_LINUX = 0. */
const LINUX_KEYCODES: Readonly<Record<KeyCombo, readonly number[]>> = {
  'ctrl-alt-del': [29, 56, 111],
  'ctrl-alt-backspace': [29, 56, 14],
  'print-screen': [99],
  'ctrl-alt-f1': [29, 56, 59],
  'ctrl-alt-f2': [29, 56, 60],
  'ctrl-alt-f3': [29, 56, 61],
  'ctrl-alt-f4': [29, 56, 62],
  'ctrl-alt-f5': [29, 56, 63],
  'ctrl-alt-f6': [29, 56, 64],
  'ctrl-alt-f7': [29, 56, 65],
  'ctrl-alt-f8': [29, 56, 66],
  'ctrl-alt-f9': [29, 56, 67],
  'ctrl-alt-f10': [29, 56, 68],
  'ctrl-alt-f11': [29, 56, 87],
  'ctrl-alt-f12': [29, 56, 88],
};

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

export class ConsoleManager implements vscode.Disposable {
  private readonly panels = new Map<string, ConsolePanel>();
  private readonly serials = new Map<string, SerialConsole>();
  private readonly statusItem: vscode.StatusBarItem;
  private activePanel: ConsolePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Display clients of closed tabs still closing: a tab opened again on that VM waits for them. */
  private readonly displayCloses = new DisplayCloses();

  constructor(
    private readonly ctx: {
      readonly extensionUri: vscode.Uri;
      readonly secrets: ConnectionSecrets;
      readonly clipboardSharing: ClipboardSharingChoices;
      readonly session?: GraphicalSessionOptions;
    },
    private readonly log: vscode.LogOutputChannel,
    private readonly prompts: Prompts = vscodePrompts,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('libvirtVms.consoleState', vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = 'VM Console';
    this.disposables.push(
      this.statusItem,
      vscode.window.onDidChangeActiveTerminal((t) => this.showTerminalState(t)),
    );
  }

  /** Opens the graphical console of `target`, or focuses the one already open. */
  openGraphical(target: ConsoleTarget): ConsolePanel {
    const key = consoleKey(target);
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const webviewPanel = vscode.window.createWebviewPanel(CONSOLE_VIEW_TYPE, `Console: ${target.dom.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      // Keeps noVNC and its connection alive while the tab is in the background.
      retainContextWhenHidden: true,
    });
    const panel = new ConsolePanel(target, webviewPanel, {
      extensionUri: this.ctx.extensionUri,
      secrets: this.ctx.secrets,
      log: this.log,
      prompts: this.prompts,
      screenshot: (t) => void this.screenshotInteractive(t),
      clipboardSharing: this.ctx.clipboardSharing,
      session: { ...this.ctx.session, closes: this.displayCloses },
    });
    this.panels.set(key, panel);
    const stateSub = panel.session.onState((s) => {
      if (this.activePanel === panel) this.showPanelState(panel, s);
    });
    webviewPanel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) {
        this.activePanel = panel;
        this.showPanelState(panel, panel.state);
      } else if (this.activePanel === panel) {
        this.activePanel = undefined;
        this.statusItem.hide();
      }
    });
    panel.onDidDispose(() => {
      stateSub.dispose();
      this.panels.delete(key);
      if (this.activePanel === panel) {
        this.activePanel = undefined;
        this.statusItem.hide();
      }
    });
    this.activePanel = panel;
    this.showPanelState(panel, panel.state);
    return panel;
  }

  /** The VM of the focused console tab, if a console tab is focused. */
  activeTarget(): ConsoleTarget | undefined {
    return this.activePanel?.panel.active ? this.activePanel.target : undefined;
  }

  panelFor(target: Pick<ConsoleTarget, 'connectionId' | 'dom'>): ConsolePanel | undefined {
    return this.panels.get(consoleKey(target));
  }

  /**
   * Opens a serial console in the terminal. `devName` picks the device; when undefined and the
   * VM has several, the user picks one by alias.
   */
  async openSerial(target: ConsoleTarget, devName?: string): Promise<SerialConsole> {
    let alias = devName;
    if (alias === undefined) {
      const conn = await target.connection();
      const consoles = parseDomainConsoles(await conn.domainGetXmlDesc(target.dom, 0)).consoles;
      if (consoles.length === 0) {
        throw new NoSerialConsoleError(`${target.dom.name} has no serial or console device of type pty`);
      }
      if (consoles.length === 1) {
        alias = consoles[0]!.alias ?? '';
      } else {
        const pick = required(
          await this.prompts.pickOne({
            title: `Serial console of ${target.dom.name}`,
            placeHolder: 'Pick the device to attach to',
            items: consoles.map((c) => ({ label: describeCharDevice(c), value: c })),
          }),
          'serial device pick',
        );
        alias = pick.value.alias ?? '';
      }
    }
    const key = `${consoleKey(target)}\u0000${alias}`;
    const existing = this.serials.get(key);
    if (existing) {
      existing.terminal.show();
      return existing;
    }
    const pty = new SerialPseudoterminal(target, {
      devName: alias === '' ? null : alias,
      log: this.log,
      confirmTakeOver: () =>
        this.prompts.confirm({
          message: `The console of ${target.dom.name} is in use by another client (for example virsh console). Take it over?`,
          detail: 'The other client is disconnected.',
          button: 'Take Over',
        }),
    });
    const terminal = vscode.window.createTerminal({
      name: `Serial: ${target.dom.name}${alias ? ` (${alias})` : ''}`,
      pty,
      iconPath: new vscode.ThemeIcon('terminal'),
    });
    const entry = { terminal, pty };
    this.serials.set(key, entry);
    const stateSub = pty.onDidChangeState((s) => {
      if (vscode.window.activeTerminal === terminal) this.showSerialState(target, s);
    });
    const closeSub = vscode.window.onDidCloseTerminal((t) => {
      if (t !== terminal) return;
      this.serials.delete(key);
      stateSub.dispose();
      closeSub.dispose();
    });
    terminal.show();
    return entry;
  }

  /** Takes a screenshot through libvirt and writes it as PNG to `dest`. */
  async screenshot(target: ConsoleTarget, dest: vscode.Uri): Promise<ScreenshotResult> {
    const conn = await target.connection();
    const shot = await conn.domainScreenshot(target.dom, 0);
    const { png, width, height } = screenshotToPng(shot.mime, shot.data);
    await vscode.workspace.fs.writeFile(dest, png);
    return { uri: dest, width, height };
  }

  /** Asks where to save (default: the workspace folder, else the temp directory), saves, opens. */
  async screenshotInteractive(target: ConsoleTarget): Promise<ScreenshotResult | undefined> {
    try {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.tmpdir());
      const name = `${target.dom.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${timestamp()}.png`;
      const dest = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(folder, name),
        filters: { 'PNG image': ['png'] },
        title: `Save a screenshot of ${target.dom.name}`,
      });
      if (!dest) return undefined;
      const result = await this.screenshot(target, dest);
      this.log.info(`screenshot of ${target.dom.name} (${result.width}x${result.height}) saved to ${dest.toString()}`);
      await vscode.commands.executeCommand('vscode.open', dest, { preview: false });
      return result;
    } catch (e) {
      this.log.error(`screenshot of ${target.dom.name} failed:`, e instanceof Error ? e.message : String(e));
      void vscode.window.showErrorMessage(`Screenshot of ${target.dom.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /** Sends a key combination: through the open console if any, else with libvirt's send-key. */
  async sendKeys(target: ConsoleTarget, combo: KeyCombo): Promise<void> {
    const panel = this.panelFor(target);
    if (panel && panel.state.kind === 'connected') {
      await panel.post({ type: 'sendKeys', combo });
      return;
    }
    const conn = await target.connection();
    await conn.domainSendKey(target.dom, 0 /* VIR_KEYCODE_SET_LINUX */, 0, LINUX_KEYCODES[combo]);
  }

  get openPanelCount(): number {
    return this.panels.size;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    for (const s of [...this.serials.values()]) s.terminal.dispose();
    this.serials.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  // ------------------------------------------------------------------------------------------

  private showPanelState(panel: ConsolePanel, s: ConsoleState): void {
    const name = panel.target.dom.name;
    const [icon, text] = ((): [string, string] => {
      switch (s.kind) {
        case 'connecting':
          return ['$(sync~spin)', 'connecting'];
        case 'connected':
          return [s.encryption === 'tls' || s.encryption === 'ssh' ? '$(lock)' : s.encryption === 'none' ? '$(unlock)' : '$(vm-active)', s.protocol === 'spice' ? 'connected (SPICE)' : 'connected'];
        case 'disconnected':
          return ['$(debug-disconnect)', s.retrying ? 'disconnected, retrying' : 'disconnected'];
        case 'vmOff':
          return ['$(vm-outline)', 'VM off'];
        case 'noDisplay':
          return ['$(warning)', 'no display'];
        case 'error':
          return ['$(error)', 'error'];
      }
    })();
    this.statusItem.text = `${icon} ${name}: ${text}`;
    this.statusItem.tooltip = `Graphical console of ${name}${s.kind === 'error' ? `: ${s.message}` : s.kind === 'connected' ? ENCRYPTION_TOOLTIP[s.encryption] : ''}`;
    this.statusItem.command = { title: 'Reconnect', command: 'libvirtVms.console.reconnect', arguments: [panel.target] };
    this.statusItem.show();
  }

  private showTerminalState(t: vscode.Terminal | undefined): void {
    const entry = [...this.serials.values()].find((s) => s.terminal === t);
    if (entry) this.showSerialState(entry.pty.target, entry.pty.state);
    else if (!this.activePanel) this.statusItem.hide();
  }

  private showSerialState(target: ConsoleTarget, s: SerialState): void {
    const icon = s === 'connected' ? '$(vm-active)' : s === 'connecting' ? '$(sync~spin)' : '$(debug-disconnect)';
    this.statusItem.text = `${icon} ${target.dom.name} serial: ${s}`;
    this.statusItem.tooltip = `Serial console of ${target.dom.name}`;
    this.statusItem.command = undefined;
    this.statusItem.show();
  }
}
