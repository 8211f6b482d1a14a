// The open Add Hardware tabs, one per VM (key: connection id + UUID). Built once in extension.ts
// and passed to the commands.

import * as vscode from 'vscode';
import type { AddHardwareModel } from '../../forms/addHardware';
import { detailsKey } from '../vmDetails/panels';
import { AddHardwarePanel, type AddHardwarePanelOptions } from './panel';

export interface AddHardwareRequest {
  readonly connectionId: string;
  readonly uuid: string;
  model(): AddHardwareModel;
  callbacks(model: AddHardwareModel): AddHardwarePanelOptions['callbacks'];
  readonly kind?: string;
}

export class AddHardwarePanels implements vscode.Disposable {
  private readonly open = new Map<string, AddHardwarePanel>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  get(connectionId: string, uuid: string): AddHardwarePanel | undefined {
    return this.open.get(detailsKey(connectionId, uuid));
  }

  /** Shows the VM's Add Hardware tab (at `kind`), creating it when none is open; resolves once loaded. */
  async show(req: AddHardwareRequest): Promise<AddHardwarePanel> {
    const key = detailsKey(req.connectionId, req.uuid);
    const existing = this.open.get(key);
    if (existing) {
      existing.reveal(req.kind);
      return existing;
    }
    const model = req.model();
    const panel = new AddHardwarePanel(key, { extensionUri: this.extensionUri, model, callbacks: req.callbacks(model), ...(req.kind ? { kind: req.kind } : {}) });
    this.open.set(key, panel);
    panel.onDidDispose(() => {
      if (this.open.get(key) === panel) this.open.delete(key);
    });
    try {
      await panel.loaded;
    } catch (e) {
      panel.dispose();
      throw e;
    }
    return panel;
  }

  setConnected(connectionId: string, connected: boolean, reason?: string): void {
    for (const [key, panel] of this.open) if (key.startsWith(`${connectionId}/`)) panel.controller.setConnected(connected, reason);
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.dispose();
    this.open.clear();
  }
}
