import * as vscode from 'vscode';
import type { ConnectionRegistry } from '../connections/connectionRegistry';

/** "$(vm) 2/3 hosts": connected over saved connections; warning background when one is down. */
export class HostsStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly registry: ConnectionRegistry,
    focusCommand: string,
  ) {
    this.item = vscode.window.createStatusBarItem('libvirtVms.hosts', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Virtual Machines: hosts';
    this.item.command = focusCommand;
    this.disposables.push(this.item, registry.onDidChange(() => this.update()), registry.onDidChangeState(() => this.update()));
    this.update();
  }

  private update(): void {
    const entries = this.registry.list();
    if (entries.length === 0) {
      this.item.hide();
      return;
    }
    const connected = entries.filter((e) => e.managed.state.kind === 'connected').length;
    const down = entries.filter((e) => e.managed.state.kind === 'disconnected');
    const connecting = entries.some((e) => e.managed.state.kind === 'connecting');
    this.item.text = `${connecting ? '$(loading~spin)' : '$(vm)'} ${connected}/${entries.length} host${entries.length === 1 ? '' : 's'}`;
    this.item.backgroundColor = down.length > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const lines = entries.map((e) => {
      const s = e.managed.state;
      return `${e.config.name}: ${s.kind === 'disconnected' ? `disconnected (${s.reason})` : s.kind === 'idle' ? 'not connected' : s.kind}`;
    });
    this.item.tooltip = `Virtual Machines\n${lines.join('\n')}`;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
