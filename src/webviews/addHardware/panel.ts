// The Add Hardware editor tab of one VM ("Add Hardware: name"). The shared PanelHost makes the page
// and checks every message; AddHardwareController decides what each one does.

import * as vscode from 'vscode';
import type { AddHardwareModel } from '../../forms/addHardware';
import { PanelHost, RETAIN_HIDDEN_PAGE } from '../shared/panelHost';
import { AddHardwareController, type AddHardwareCallbacks } from './controller';
import { parseFromWebview, type FromWebview, type ToWebview } from './protocol';

export const ADD_HARDWARE_VIEW_TYPE = 'libvirtVms.addHardware';

export interface AddHardwarePanelOptions {
  readonly extensionUri: vscode.Uri;
  readonly model: AddHardwareModel;
  readonly callbacks: Omit<AddHardwareCallbacks, 'cancel'>;
  /** The kind shown first (the first in the list when not given). */
  readonly kind?: string;
}

export class AddHardwarePanel {
  readonly controller: AddHardwareController;
  readonly host: PanelHost<ToWebview, FromWebview>;
  private readonly disposeListeners = new Set<() => void>();
  private disposed = false;
  /** Settles once the first load finished. */
  readonly loaded: Promise<void>;

  constructor(
    readonly key: string,
    opts: AddHardwarePanelOptions,
  ) {
    const title = `Add Hardware: ${opts.model.title}`;
    const panel = vscode.window.createWebviewPanel(ADD_HARDWARE_VIEW_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, enableFindWidget: true, retainContextWhenHidden: RETAIN_HIDDEN_PAGE });
    this.host = new PanelHost<ToWebview, FromWebview>(panel, {
      extensionUri: opts.extensionUri,
      assets: { script: 'dist/webviews/addHardware.js', title: 'Add Hardware' },
      parse: parseFromWebview,
      handle: (m) => this.controller.handle(m),
      log: opts.callbacks.log,
      name: `add hardware ${opts.model.title}`,
    });
    this.controller = new AddHardwareController(opts.model, (m) => this.host.post(m), { ...opts.callbacks, cancel: () => this.dispose() });
    this.host.post({ type: 'init', title });
    panel.onDidDispose(() => this.dispose());
    this.loaded = this.controller.load(opts.kind);
  }

  get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  /** Checks and handles a message as if the webview had sent it (the same path); false if refused. */
  receive(m: unknown): Promise<boolean> {
    return this.host.receive(m);
  }

  reveal(kind?: string): void {
    this.panel.reveal();
    if (kind) this.controller.select(kind);
  }

  onDidDispose(listener: () => void): vscode.Disposable {
    this.disposeListeners.add(listener);
    return new vscode.Disposable(() => this.disposeListeners.delete(listener));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.controller.dispose();
    this.host.dispose();
    this.panel.dispose();
    for (const l of [...this.disposeListeners]) l();
    this.disposeListeners.clear();
  }
}
