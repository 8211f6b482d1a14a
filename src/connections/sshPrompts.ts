// Interactive SSH authentication for one saved connection: password, key passphrase and
// keyboard-interactive prompts (password and passphrase optionally remembered in SecretStorage,
// keyed by connection id, offered only after the server accepted them) and the unknown host key
// question.

import * as vscode from 'vscode';
import type { SshPrompts, UsedSecret } from '../libvirt/transport/sshAuth';
import type { UnknownHostKey } from '../libvirt/transport/sshHostKey';
import type { ConnectionConfig } from './connectionConfig';

export function secretKey(connectionId: string, kind: 'password' | 'passphrase' = 'password'): string {
  return `libvirtVms.${kind}.${connectionId}`;
}

type KeyboardRequest = Parameters<NonNullable<SshPrompts['keyboardInteractive']>>[0];

export class SshPromptUi implements SshPrompts {
  /** A stored secret is offered once per connect attempt; a second request means it was wrong. */
  private readonly storedTried = new Set<string>();
  /** Secrets typed in during this connect attempt; offered for remembering once a login used them. */
  private readonly typed = new Map<UsedSecret['kind'], string>();
  /**
   * Set when the user dismisses a prompt: automatic reconnects then fail quietly instead of
   * asking again every few seconds, until the user connects explicitly (resume()).
   */
  private suppressed = false;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  /** Called at the start of each connect attempt. */
  reset(): void {
    this.storedTried.clear();
    this.typed.clear();
  }

  /** Allows prompts again (explicit Connect or Retry, or a successful connection). */
  resume(): void {
    this.suppressed = false;
  }

  private async ask(opts: vscode.InputBoxOptions): Promise<string | undefined> {
    if (this.suppressed) return undefined;
    const value = await vscode.window.showInputBox(opts);
    if (value === undefined) this.suppressed = true;
    return value;
  }

  password(req: { readonly user: string; readonly host: string }): Promise<string | undefined> {
    return this.secret('password', `SSH password of ${req.user}@${req.host}`);
  }

  passphrase(req: { readonly keyFile: string }): Promise<string | undefined> {
    return this.secret('passphrase', `Passphrase of the SSH key ${req.keyFile}`);
  }

  async keyboardInteractive(req: KeyboardRequest): Promise<string[] | undefined> {
    const answers: string[] = [];
    for (const p of req.prompts) {
      const value = await this.ask({
        title: req.name || `${this.config.name}: SSH authentication`,
        prompt: [req.instructions, p.prompt].filter((s) => s).join(' — '),
        password: !p.echo,
        ignoreFocusOut: true,
      });
      if (value === undefined) return undefined;
      answers.push(value);
    }
    return answers;
  }

  /** The server accepted a login: offer to remember the secret if the user typed it. */
  loginSucceeded(used: UsedSecret): void {
    if (this.typed.get(used.kind) !== used.value) return; // it came from the secret storage
    this.typed.delete(used.kind);
    void this.offerToRemember(secretKey(this.config.id, used.kind), used.kind, used.value);
  }

  async confirmUnknownHost(info: UnknownHostKey): Promise<boolean> {
    if (this.suppressed) return false;
    const where = info.port === 22 ? info.host : `[${info.host}]:${info.port}`;
    const accept = 'Accept and Connect';
    const other = info.otherKeyTypes.length > 0 ? ` known_hosts already has a ${info.otherKeyTypes.join(', ')} key for this host.` : '';
    const choice = await vscode.window.showWarningMessage(
      `The authenticity of host ${where} can't be established.`,
      {
        modal: true,
        detail: `${info.keyType} key fingerprint is ${info.fingerprint}.${other}\n\nCompare it with the server's key (ssh-keygen -lf on the server's host key) before accepting. Accepting records it in known_hosts.`,
      },
      accept,
    );
    if (choice !== accept) this.suppressed = true;
    return choice === accept;
  }

  private async secret(kind: UsedSecret['kind'], prompt: string): Promise<string | undefined> {
    const key = secretKey(this.config.id, kind);
    if (!this.storedTried.has(key)) {
      this.storedTried.add(key);
      const stored = await this.secrets.get(key);
      if (stored !== undefined) return stored;
    } else {
      await this.secrets.delete(key);
    }
    const value = await this.ask({ title: `${this.config.name}: ${kind}`, prompt, password: true, ignoreFocusOut: true });
    if (value !== undefined) this.typed.set(kind, value);
    return value;
  }

  private async offerToRemember(key: string, kind: string, value: string): Promise<void> {
    const remember = 'Remember';
    const choice = await vscode.window.showInformationMessage(`Remember the ${kind} for ${this.config.name} in VS Code's secret storage?`, remember, 'Not Now');
    if (choice === remember) await this.secrets.store(key, value);
  }
}
