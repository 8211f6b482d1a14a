import * as vscode from 'vscode';
import type { VmStateName } from './vmState';

/** Codicon and theme colour per VM state. */
export function vmStateIcon(state: VmStateName): vscode.ThemeIcon {
  switch (state) {
    case 'running':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'paused':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow'));
    case 'shutoff':
      return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('disabledForeground'));
    case 'crashed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'saved':
      return new vscode.ThemeIcon('save', new vscode.ThemeColor('charts.blue'));
    case 'pmsuspended':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.purple'));
    case 'shuttingdown':
      return new vscode.ThemeIcon('loading~spin');
    case 'unknown':
      return new vscode.ThemeIcon('question');
  }
}
