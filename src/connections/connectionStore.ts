import * as vscode from 'vscode';
import { parseConnectionsSetting, type ConnectionConfig } from './connectionConfig';

export const CONNECTIONS_SETTING = 'libvirtVms.connections';

/** Reads and writes the saved connections (`libvirtVms.connections`, machine-scoped user setting). */
export class ConnectionStore {
  read(): ConnectionConfig[] {
    return parseConnectionsSetting(vscode.workspace.getConfiguration().get<unknown>(CONNECTIONS_SETTING));
  }

  async write(configs: readonly ConnectionConfig[]): Promise<void> {
    const value = configs.map((c) => ({ id: c.id, name: c.name, uri: c.uri, autoconnect: c.autoconnect }));
    await vscode.workspace.getConfiguration().update(CONNECTIONS_SETTING, value, vscode.ConfigurationTarget.Global);
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(CONNECTIONS_SETTING)) listener();
    });
  }
}
