// Which VMs share the clipboard with their SPICE agent: off until the user turns it on in that
// VM's console (the guest could otherwise read whatever was copied on this machine), remembered
// per connection and VM in the extension's global state (a choice, not a secret).

import type * as vscode from 'vscode';
import type { ConsoleTarget } from './consoleTarget';

const KEY_PREFIX = 'libvirtVms.consoleClipboard';

export class ClipboardSharingChoices {
  constructor(private readonly state: vscode.Memento) {}

  private key(target: Pick<ConsoleTarget, 'connectionId' | 'dom'>): string {
    return `${KEY_PREFIX}:${target.connectionId}:${target.dom.uuid}`;
  }

  isOn(target: Pick<ConsoleTarget, 'connectionId' | 'dom'>): boolean {
    return this.state.get<boolean>(this.key(target)) === true;
  }

  set(target: Pick<ConsoleTarget, 'connectionId' | 'dom'>, on: boolean): Thenable<void> {
    // Off is the default: nothing is kept for it.
    return this.state.update(this.key(target), on ? true : undefined);
  }
}
