// The VM details editor tab: one per VM (keyed by connection and UUID), titled with the VM's name
// ("● name" while changes are unapplied). The shared PanelHost makes the page and checks every
// message; DetailsController decides what each one does. VS Code cannot stop a webview tab from
// closing, so closing with unapplied changes keeps them: the panels object offers to reopen the
// tab with them (see VmDetailsPanels).

import * as vscode from 'vscode';
import type { DetailsModel, FieldChange } from '../../forms/formSchema';
import { PanelHost, RETAIN_HIDDEN_PAGE } from '../shared/panelHost';
import { DetailsController, type DetailsCallbacks } from './controller';
import { parseFromWebview, type FromWebview, type ToWebview } from './protocol';

/**
 * How long the page waits for the model before it is written without a state (then it asks with
 * `ready`). VS Code readies the webview's frame and service worker meanwhile (measured 1 s and
 * more in code-server), so waiting for a load of about 100 ms costs nothing; the first panel of
 * a session loads longer (the host's domain capabilities).
 */
const EMBED_WAIT_MS = 400;

export const VM_DETAILS_VIEW_TYPE = 'libvirtVms.vmDetails';

export interface DetailsPanelOptions {
  readonly extensionUri: vscode.Uri;
  readonly model: DetailsModel;
  readonly callbacks: DetailsCallbacks;
  /** Section shown first ('overview' when not given). */
  readonly section?: string;
  /** Edits to restore (kept from a tab closed with unapplied changes). */
  readonly pending?: readonly FieldChange[];
  readonly column?: vscode.ViewColumn;
  /** Keep the keyboard focus where it is (opened by a click in the tree). */
  readonly preserveFocus?: boolean;
}

export class VmDetailsPanel {
  readonly controller: DetailsController;
  readonly host: PanelHost<ToWebview, FromWebview>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeListeners = new Set<(pending: readonly FieldChange[]) => void>();
  private disposed = false;
  /** Settles once the first load finished (tests and the opener wait for it). */
  readonly loaded: Promise<void>;

  constructor(
    readonly key: string,
    opts: DetailsPanelOptions,
  ) {
    const panel = vscode.window.createWebviewPanel(VM_DETAILS_VIEW_TYPE, opts.model.title, { viewColumn: opts.column ?? vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus ?? false }, {
      enableScripts: true,
      enableFindWidget: true,
      // Kept while hidden (RETAIN_HIDDEN_PAGE in shared/panelHost.ts): switching back is instant.
      retainContextWhenHidden: RETAIN_HIDDEN_PAGE,
    });
    // The page is written with the first state in it once the model is loaded (see PanelHost's `initial`).
    let embed: (m: ToWebview | undefined) => void = () => undefined;
    const initial = new Promise<ToWebview | undefined>((resolve) => (embed = resolve));
    this.host = new PanelHost<ToWebview, FromWebview>(panel, {
      extensionUri: opts.extensionUri,
      assets: { script: 'dist/webviews/vmDetails.js', title: 'VM Details' },
      initial: { message: initial, waitMs: EMBED_WAIT_MS },
      parse: parseFromWebview,
      handle: (m) => this.controller.handle(m),
      log: opts.callbacks.log,
      name: `details ${opts.model.title}`,
    });
    this.controller = new DetailsController(opts.model, (m) => this.host.post(m), opts.callbacks);
    this.host.post({ type: 'init', title: opts.model.title });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
    );
    const dirtySub = this.controller.onDidChangeDirty((dirty) => this.updateTitle(dirty));
    this.disposables.push(new vscode.Disposable(() => dirtySub.dispose()));
    if (opts.section) this.controller.select(opts.section);
    this.loaded = this.controller.load(opts.pending ?? []);
    this.loaded.then(
      () => embed(this.controller.embeddedState()),
      () => embed(undefined),
    );
  }

  get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  /** Checks and handles a message as if the webview had sent it (the same path); false if refused. */
  receive(m: unknown): Promise<boolean> {
    return this.host.receive(m);
  }

  /** Shows the tab (at `section`); `preserveFocus` keeps the keyboard where it is (a tree click). */
  reveal(section?: string, preserveFocus = false): void {
    this.panel.reveal(undefined, preserveFocus);
    if (section) this.controller.select(section);
  }

  /** Shows the tab with its Add Hardware form (at `kind`): no new webview, so it opens at once. */
  async addHardware(kind?: string): Promise<void> {
    this.panel.reveal(undefined, false);
    await this.controller.openHardwareForm(kind);
  }

  setConnected(connected: boolean, reason?: string): void {
    this.controller.setConnected(connected, reason);
  }

  /** Called with the unapplied changes (possibly none) when the tab closes. */
  onDidDispose(listener: (pending: readonly FieldChange[]) => void): vscode.Disposable {
    this.disposeListeners.add(listener);
    return new vscode.Disposable(() => this.disposeListeners.delete(listener));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const pending = this.controller.pending;
    this.controller.dispose();
    this.host.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const l of [...this.disposeListeners]) l(pending);
    this.disposeListeners.clear();
  }

  private updateTitle(dirty: boolean): void {
    if (!this.disposed) this.panel.title = dirty ? `● ${this.controller.model.title}` : this.controller.model.title;
  }
}
