// The VM details editor tab: one per VM (keyed by connection and UUID), titled with the VM's name
// ("● name" while changes are unapplied). The shared PanelHost makes the page and checks every
// message; DetailsController decides what each one does. VS Code cannot stop a webview tab from
// closing, so closing with unapplied changes keeps them: the panels object offers to reopen the
// tab with them (see VmDetailsPanels).

import * as vscode from 'vscode';
import type { DetailsModel, FieldChange } from '../../forms/formSchema';
import { PanelHost } from '../shared/panelHost';
import { DetailsController, type DetailsCallbacks } from './controller';
import { parseFromWebview, type FromWebview, type ToWebview } from './protocol';

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
    });
    this.host = new PanelHost<ToWebview, FromWebview>(panel, {
      extensionUri: opts.extensionUri,
      assets: { script: 'dist/webviews/vmDetails.js', styles: ['media/vmDetails.css', 'media/formWidgets.css'], codicons: true, title: 'VM Details' },
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
