// The "Add Connection" flow: a quick pick of SSH hosts from ~/.ssh/config, a typed
// user@host[:port], TLS, plain TCP, a custom URI, or the local hypervisor; then system or session.

import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseUri, UriError } from '../libvirt/uri';
import { required } from '../ui/cancel';
import type { ConnectionConfig } from './connectionConfig';
import { expandHome, parseSshConfig, type SshHostEntry } from './sshConfig';
import { buildRemoteUri, defaultName, InvalidTargetError, parseTarget, type DriverMode, type RemoteTarget } from './uriBuilder';

type Choice =
  | { readonly kind: 'sshHost'; readonly entry: SshHostEntry }
  | { readonly kind: 'ssh' | 'tls' | 'tcp' | 'custom' }
  | { readonly kind: 'local'; readonly uri: string };

type ChoiceItem = vscode.QuickPickItem & { readonly choice?: Choice };

async function readSshHosts(): Promise<SshHostEntry[]> {
  try {
    return parseSshConfig(await readFile(path.join(os.homedir(), '.ssh', 'config'), 'utf8'));
  } catch {
    return [];
  }
}

function targetValidator(text: string): string | undefined {
  if (text.trim() === '') return 'Enter [user@]host[:port]';
  const t = parseTarget(text);
  return InvalidTargetError.is(t) ? t.message : undefined;
}

/** Validates a URI with the same parser the connection uses; returns the error text or undefined. */
export function uriValidationMessage(text: string): string | undefined {
  if (text.trim() === '') return 'Enter a libvirt URI, for example qemu+ssh://root@host/system';
  try {
    parseUri(text.trim());
    return undefined;
  } catch (err) {
    return UriError.is(err) ? err.message : String(err);
  }
}

async function askTarget(title: string, placeHolder: string): Promise<RemoteTarget> {
  const text = required(await vscode.window.showInputBox({ title, placeHolder, prompt: '[user@]host[:port]', validateInput: targetValidator, ignoreFocusOut: true }));
  const t = parseTarget(text);
  if (InvalidTargetError.is(t)) throw t;
  return t;
}

async function askMode(title: string): Promise<DriverMode> {
  const pick = required(
    await vscode.window.showQuickPick(
      [
        { label: 'System', description: 'qemu:///system: VMs of the whole host (usually needs root or the libvirt group)', mode: 'system' as const },
        { label: 'Session', description: "qemu:///session: the user's own VMs", mode: 'session' as const },
      ],
      { title, placeHolder: 'Which libvirt daemon?', ignoreFocusOut: true },
    ),
  );
  return pick.mode;
}

async function askPkiPath(): Promise<string | undefined> {
  const pick = required(
    await vscode.window.showQuickPick(
      [
        { label: 'Default certificate locations', description: 'e.g. ~/.pki/libvirt or /etc/pki/libvirt', folder: false },
        { label: 'Choose a folder…', description: 'with cacert.pem, clientcert.pem and clientkey.pem', folder: true },
      ],
      { title: 'Add Connection: TLS certificates', ignoreFocusOut: true },
    ),
  );
  if (!pick.folder) return undefined;
  const folders = required(await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use Certificates' }));
  return required(folders[0]).fsPath;
}

async function uriForChoice(choice: Choice): Promise<string> {
  switch (choice.kind) {
    case 'local':
      return choice.uri;
    case 'sshHost': {
      const e = choice.entry;
      const target: RemoteTarget = { host: e.hostName ?? e.alias, ...(e.user ? { user: e.user } : {}), ...(e.port ? { port: e.port } : {}) };
      const params = e.identityFile ? { keyfile: expandHome(e.identityFile, os.homedir()) } : undefined;
      return buildRemoteUri({ transport: 'ssh', target, mode: await askMode(`Add Connection: ${e.alias}`), ...(params ? { params } : {}) });
    }
    case 'ssh': {
      const target = await askTarget('Add Connection: SSH', 'root@kvm.example.com');
      return buildRemoteUri({ transport: 'ssh', target, mode: await askMode('Add Connection: SSH') });
    }
    case 'tls': {
      const target = await askTarget('Add Connection: TLS', 'kvm.example.com');
      const pkipath = await askPkiPath();
      return buildRemoteUri({ transport: 'tls', target, mode: await askMode('Add Connection: TLS'), ...(pkipath ? { params: { pkipath } } : {}) });
    }
    case 'tcp': {
      const ok = 'Use Unencrypted TCP';
      const answer = await vscode.window.showWarningMessage(
        'Plain TCP is unencrypted and usually unauthenticated: anyone on the network can control the host. Use it only on a trusted test network.',
        { modal: true },
        ok,
      );
      if (answer !== ok) required(undefined);
      const target = await askTarget('Add Connection: TCP (unencrypted)', '10.0.0.5:16509');
      return buildRemoteUri({ transport: 'tcp', target, mode: await askMode('Add Connection: TCP') });
    }
    case 'custom':
      return required(
        await vscode.window.showInputBox({
          title: 'Add Connection: libvirt URI',
          placeHolder: 'qemu+ssh://root@host/system?keyfile=/path/to/key',
          validateInput: uriValidationMessage,
          ignoreFocusOut: true,
        }),
      ).trim();
  }
}

/** Asks the user for a new connection; throws UserCancelledError when dismissed. */
export async function askNewConnection(localUri: string): Promise<Omit<ConnectionConfig, 'id'>> {
  const hosts = await readSshHosts();
  const items: ChoiceItem[] = [
    ...(hosts.length > 0 ? [{ label: 'SSH hosts from ~/.ssh/config', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...hosts.map((entry) => ({
      label: `$(remote) ${entry.alias}`,
      description: `${entry.user ? `${entry.user}@` : ''}${entry.hostName ?? entry.alias}${entry.port ? `:${entry.port}` : ''}`,
      choice: { kind: 'sshHost', entry } as const,
    })),
    { label: 'Other', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(terminal) SSH…', description: 'user@host[:port]', choice: { kind: 'ssh' } },
    { label: '$(lock) TLS…', description: 'qemu+tls, certificates', choice: { kind: 'tls' } },
    { label: '$(warning) TCP (unencrypted)…', description: 'qemu+tcp', choice: { kind: 'tcp' } },
    { label: '$(edit) Custom URI…', description: 'any libvirt URI', choice: { kind: 'custom' } },
    { label: '$(vm) This machine', description: localUri, choice: { kind: 'local', uri: localUri } },
  ];
  const pick = required(await vscode.window.showQuickPick(items, { title: 'Add Connection', placeHolder: 'Where is the libvirt host?', ignoreFocusOut: true }));
  const choice = required(pick.choice);
  const uri = await uriForChoice(choice);
  const name = required(
    await vscode.window.showInputBox({ title: 'Add Connection: name', value: choice.kind === 'sshHost' ? `${choice.entry.alias} (${uri.includes('/session') ? 'session' : 'system'})` : defaultName(uri), prompt: uri, ignoreFocusOut: true }),
  );
  return { name: name.trim() || defaultName(uri), uri, autoconnect: true };
}
