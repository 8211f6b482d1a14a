import type * as vscode from 'vscode';
import type { StopIntentRecorder } from '../libvirt/alerts/operationJournal';
import { ManagedConnection } from '../libvirt/managedConnection';
import type { ConnectionConfig } from './connectionConfig';
import type { ManagedFactory } from './connectionRegistry';
import { SshPromptUi } from './sshPrompts';

/**
 * One ManagedConnection per saved connection, with SSH prompts bound to that connection; every
 * stop request made through it is noted in `stopIntents` (see alerts/operationJournal.ts).
 */
export function createManagedFactory(secrets: vscode.SecretStorage, stopIntents?: StopIntentRecorder): ManagedFactory {
  return (config: ConnectionConfig) => {
    const prompts = new SshPromptUi(config, secrets);
    const managed = new ManagedConnection({
      uri: config.uri,
      connectOptions: {
        sshPrompts: prompts,
        confirmUnknownHost: (key) => prompts.confirmUnknownHost(key),
        stopIntents,
      },
    });
    managed.onStateChange((s) => {
      if (s.kind === 'connecting') prompts.reset();
      if (s.kind === 'connected') prompts.resume();
    });
    return { managed, beforeUserConnect: () => prompts.resume() };
  };
}
