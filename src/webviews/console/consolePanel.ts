// The graphical console tab: a webview running noVNC (app/main.ts) and the GraphicalSession
// that feeds it. One panel per VM; the manager (src/console/consoleManager.ts) keeps them.

import * as vscode from 'vscode';
import { GraphicalSession, type GraphicalSessionOptions, type GraphicalSessionUi } from '../../console/graphicalSession';
import type { ConsoleTarget } from '../../console/consoleTarget';
import type { ClipboardSharingChoices } from '../../console/clipboardSharing';
import type { ConnectionSecrets } from '../../connections/connectionSecrets';
import type { Prompts } from '../../commands/prompts';
import { pageHtml, resourceRoots } from '../shared/panelHost';
import { MAX_CLIPBOARD_TEXT, parseFromWebview, WebviewMessageError, type ConsoleState, type FromWebview, type ToWebview } from './protocol';

export interface ConsolePanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly secrets: ConnectionSecrets;
  readonly log: vscode.LogOutputChannel;
  /** Asks for display passwords (an input box that hides the text). */
  readonly prompts: Prompts;
  /** Saves a screenshot of the target (the "Screenshot" toolbar button). */
  screenshot(target: ConsoleTarget): void;
  /** Reconnect and timeout settings of the session (defaults otherwise). */
  readonly session?: GraphicalSessionOptions;
  /** Which VMs share the clipboard with their SPICE agent. */
  readonly clipboardSharing: ClipboardSharingChoices;
}

export const CONSOLE_VIEW_TYPE = 'libvirtVms.console';

export class ConsolePanel {
  readonly session: GraphicalSession;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeListeners = new Set<() => void>();
  private disposed = false;
  private fullScreen = false;
  /** The clipboard text last exchanged with the guest (not offered back to it again). */
  private lastClipboard: string | undefined;

  constructor(
    readonly target: ConsoleTarget,
    readonly panel: vscode.WebviewPanel,
    private readonly deps: ConsolePanelDeps,
  ) {
    const ui: GraphicalSessionUi = {
      post: (m) => Promise.resolve(this.post(m)),
      askPassword: (prompt) => deps.prompts.input({ title: `Console: ${target.dom.name}`, prompt, password: true }),
      password: deps.secrets.vncPassword(target.connectionId, target.dom.uuid),
      requestPaste: () => {
        void vscode.env.clipboard.readText().then((text) => {
          if (text) void this.post({ type: 'typeText', text });
        });
      },
      setClipboardSharing: (on) => void this.setClipboardSharing(on),
      guestClipboard: (text) => {
        // The host decides: a webview cannot write the clipboard of a VM whose sharing is off.
        if (!deps.clipboardSharing.isOn(target)) return;
        this.lastClipboard = text;
        void vscode.env.clipboard.writeText(text);
      },
      requestHostClipboard: (reason) => void this.offerHostClipboard(reason === 'agent'),
      screenshot: () => deps.screenshot(target),
      maximize: () => void this.toggleFullScreen(),
      log: (level, msg) => deps.log[level](msg),
    };
    this.session = new GraphicalSession(target, ui, deps.session);
    panel.webview.options = { enableScripts: true, localResourceRoots: resourceRoots(deps.extensionUri) };
    panel.webview.html = pageHtml(panel.webview, deps.extensionUri, { script: 'dist/webviews/console.js', title: 'Console' });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        const message = this.accept(m);
        if (message) this.session.handle(message);
      }),
      panel.onDidDispose(() => this.dispose()),
      // Coming back to the console offers what was copied elsewhere in the meantime.
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) void this.offerHostClipboard(false);
      }),
    );
    void this.post({ type: 'init', title: `Console: ${target.dom.name}`, scale: 'fit', viewOnly: false });
    void this.post({ type: 'clipboardSharing', on: deps.clipboardSharing.isOn(target) });
  }

  private async setClipboardSharing(on: boolean): Promise<void> {
    await this.deps.clipboardSharing.set(this.target, on);
    this.deps.log.info(`console ${this.target.dom.name}: clipboard sharing with the guest ${on ? 'on' : 'off'}`);
    this.lastClipboard = undefined;
    await this.post({ type: 'clipboardSharing', on });
  }

  /**
   * Offers the host's clipboard text to the guest, while sharing is on and this console is the
   * active tab (the text is read only then); `always` also offers a text offered before (the
   * agent asked: it has just connected or sharing was just turned on).
   */
  private async offerHostClipboard(always: boolean): Promise<void> {
    if (!this.deps.clipboardSharing.isOn(this.target) || !(this.panel.active && this.panel.visible)) return;
    const text = await vscode.env.clipboard.readText();
    if (!text || (!always && text === this.lastClipboard)) return;
    this.lastClipboard = text;
    // Not cut short: a part of the clipboard would paste as if it were all of it.
    if (text.length > MAX_CLIPBOARD_TEXT) {
      this.deps.log.warn(`console ${this.target.dom.name}: the clipboard text (${text.length} characters) is larger than ${MAX_CLIPBOARD_TEXT}: not offered to the guest`);
      return;
    }
    await this.post({ type: 'hostClipboard', text });
  }

  /**
   * The webview is untrusted input: every field is checked (parseFromWebview), and a clipboard
   * read additionally needs the panel to be the active, visible editor, as it is when the user
   * clicked Paste in it. A refused message is logged and not acted on.
   */
  accept(m: unknown): FromWebview | undefined {
    let message: FromWebview;
    try {
      message = parseFromWebview(m);
    } catch (e) {
      this.deps.log.warn(`console ${this.target.dom.name}: refused a message from the webview: ${WebviewMessageError.is(e) ? e.message : String(e)}`);
      return undefined;
    }
    if ((message.type === 'requestPaste' || message.type === 'setClipboardSharing') && !(this.panel.active && this.panel.visible)) {
      this.deps.log.warn(`console ${this.target.dom.name}: refused a clipboard request while the console is not the active tab`);
      return undefined;
    }
    return message;
  }

  /**
   * Full screen, as virt-manager's Ctrl+Alt+F: the side bars and the panel hidden, this editor
   * group maximized, and VS Code's full screen; the second press restores them. (Maximizing the
   * editor group alone does nothing with one group; Zen Mode centres the editor at half width.)
   */
  private async toggleFullScreen(): Promise<void> {
    const run = (command: string): Thenable<unknown> => vscode.commands.executeCommand(command);
    try {
      if (!this.fullScreen) {
        this.fullScreen = true;
        await run('workbench.action.maximizeEditorHideSidebar');
        await run('workbench.action.closePanel');
        await run('workbench.action.toggleFullScreen');
      } else {
        this.fullScreen = false;
        await run('workbench.action.toggleFullScreen');
        await run('workbench.action.evenEditorWidths');
        await run('workbench.action.toggleSidebarVisibility');
        this.panel.reveal();
      }
    } catch (e) {
      this.deps.log.warn(`console ${this.target.dom.name}: full screen: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  get state(): ConsoleState {
    return this.session.state;
  }

  onDidDispose(listener: () => void): vscode.Disposable {
    this.disposeListeners.add(listener);
    return new vscode.Disposable(() => this.disposeListeners.delete(listener));
  }

  reveal(): void {
    this.panel.reveal();
  }

  post(m: ToWebview): Thenable<boolean> | undefined {
    if (this.disposed) return undefined;
    return this.panel.webview.postMessage(m);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.session.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const l of this.disposeListeners) l();
    this.disposeListeners.clear();
  }
}
