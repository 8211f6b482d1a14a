// The open VM details tabs, one per VM (key: connection id + UUID). Built once in extension.ts and
// passed to the commands. A tab closed with unapplied changes keeps them here and offers to
// reopen the tab with them; opening the VM's details again restores them too.

import * as vscode from 'vscode';
import type { DetailsModel, FieldChange } from '../../forms/formSchema';
import type { DetailsCallbacks } from './controller';
import { VmDetailsPanel } from './panel';

export interface VmDetailsRequest {
  readonly connectionId: string;
  readonly uuid: string;
  /** Builds the model when no tab is open for this VM yet. */
  model(): DetailsModel | Promise<DetailsModel>;
  /** The panel's callbacks for this VM (Edit XML, Add Hardware, confirmations, diff). */
  callbacks(model: DetailsModel): DetailsCallbacks;
  readonly section?: string;
  /** Opened by a click in the tree: the keyboard stays there, as a single click in the Explorer. */
  readonly preserveFocus?: boolean;
}

export function detailsKey(connectionId: string, uuid: string): string {
  return `${connectionId}/${uuid}`;
}

export class VmDetailsPanels implements vscode.Disposable {
  private readonly open = new Map<string, VmDetailsPanel>();
  /** Unapplied changes of tabs closed with them, until reopened. */
  private readonly kept = new Map<string, readonly FieldChange[]>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** Tells the user changes were kept; resolves true to reopen now (answerable by tests). */
    private readonly offerReopen: (title: string) => Promise<boolean> = async (title) =>
      (await vscode.window.showWarningMessage(`The details of ${title} were closed with unapplied changes. They are kept until you open the details again.`, 'Reopen')) === 'Reopen',
  ) {}

  get(connectionId: string, uuid: string): VmDetailsPanel | undefined {
    return this.open.get(detailsKey(connectionId, uuid));
  }

  /** Unapplied changes kept from a closed tab of this VM. */
  keptChanges(connectionId: string, uuid: string): readonly FieldChange[] | undefined {
    return this.kept.get(detailsKey(connectionId, uuid));
  }

  /** Shows the VM's tab (at `section`), creating it when none is open. */
  async show(req: VmDetailsRequest): Promise<VmDetailsPanel> {
    const key = detailsKey(req.connectionId, req.uuid);
    const existing = this.open.get(key);
    if (existing) {
      existing.reveal(req.section, req.preserveFocus);
      return existing;
    }
    const model = await req.model();
    const pending = this.kept.get(key);
    this.kept.delete(key);
    const panel = new VmDetailsPanel(key, { extensionUri: this.extensionUri, model, callbacks: req.callbacks(model), ...(req.section ? { section: req.section } : {}), ...(pending ? { pending } : {}), ...(req.preserveFocus ? { preserveFocus: true } : {}) });
    this.open.set(key, panel);
    panel.onDidDispose((left) => {
      if (this.open.get(key) === panel) this.open.delete(key);
      if (left.length === 0) return;
      this.kept.set(key, left);
      void this.offerReopen(model.title).then((reopen) => {
        if (reopen && this.kept.has(key)) void this.show(req);
      });
    });
    await panel.loaded;
    return panel;
  }

  /** Every open tab of a connection follows its state (Apply is disabled while it is down). */
  setConnected(connectionId: string, connected: boolean, reason?: string): void {
    for (const [key, panel] of this.open) if (key.startsWith(`${connectionId}/`)) panel.setConnected(connected, reason);
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.dispose();
    this.open.clear();
  }
}
