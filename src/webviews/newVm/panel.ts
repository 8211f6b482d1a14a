// The New VM wizard in an editor tab ("New VM on <host>"): the shared PanelHost makes the page and
// checks every message; WizardController decides what each one does.

import * as vscode from 'vscode';
import type { CreateVmApi } from '../../forms/createVm';
import type { FactsApi } from '../../forms/newVmFacts';
import type { NewVmFacts } from '../../forms/newVmModel';
import type { HostIsoApi } from '../../libvirt/resources/installMedia';
import { PanelHost } from '../shared/panelHost';
import { WizardController, type WizardCallbacks } from './controller';
import { parseFromWebview, type FromWebview, type ToWebview } from './protocol';

export const NEW_VM_VIEW_TYPE = 'libvirtVms.newVm';

export class NewVmPanel {
  readonly controller: WizardController;
  readonly host: PanelHost<ToWebview, FromWebview>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(opts: { readonly extensionUri: vscode.Uri; readonly hostName: string; readonly templateName?: string; readonly conn: CreateVmApi & FactsApi & HostIsoApi; readonly facts: NewVmFacts; readonly callbacks: Omit<WizardCallbacks, 'cancel'> }) {
    const title = opts.templateName !== undefined ? `New VM from ${opts.templateName} on ${opts.hostName}` : `New VM on ${opts.hostName}`;
    const panel = vscode.window.createWebviewPanel(NEW_VM_VIEW_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false });
    this.host = new PanelHost<ToWebview, FromWebview>(panel, {
      extensionUri: opts.extensionUri,
      assets: { script: 'dist/webviews/newVm.js', title },
      parse: parseFromWebview,
      handle: (m) => this.controller.handle(m),
      log: opts.callbacks.log,
      name: title,
    });
    this.controller = new WizardController(opts.conn, opts.facts, (m) => this.host.post(m), { ...opts.callbacks, cancel: () => panel.dispose() });
    this.host.post({ type: 'init', title });
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
  }

  get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  /** Checks and handles a message as if the webview had sent it (the same path); false if refused. */
  receive(m: unknown): Promise<boolean> {
    return this.host.receive(m);
  }

  dispose(): void {
    this.controller.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.host.dispose();
  }
}
