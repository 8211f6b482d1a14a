// Secrets: define one (its value typed once into a masked box and handed to libvirt, never kept,
// logged or shown), delete one after naming the volumes and VMs that use it, and make a
// LUKS-encrypted volume whose passphrase is a new or existing secret.

import * as vscode from 'vscode';
import type { SecretRef } from '../../libvirt/connection';
import { createEncryptedVolume, type EncryptionSecretChoice } from '../../libvirt/resources/encryptedVolume';
import { checkSecretSpec, defineSecret, deleteSecret, listSecrets, loadSecretUsers, parseSecretXml, secretValueBytes, secretVolumeLabel, type SecretDescription, type SecretUsageKind } from '../../libvirt/resources/secret';
import { nameProblem, parseSize } from '../../libvirt/resources/validation';
import { volumeFileName } from '../../libvirt/resources/volume';
import { UserCancelledError } from '../../ui/cancel';
import { SecretNode } from '../../views/resources/secretNode';
import type { ResourceConnection } from '../../views/resources/resourceApi';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { connectionOf, pickHost, poolTarget, refreshAfter, type HostTarget } from './resourceTargets';

async function ask(deps: CommandDeps, title: string, prompt: string, opts: { value?: string; password?: boolean; validate?: (v: string) => string | undefined } = {}): Promise<string> {
  const v = await deps.prompts.input({ title, prompt, ...opts });
  if (v === undefined) throw new UserCancelledError(title);
  return v;
}

function secretsGroup(deps: CommandDeps, hostId: string): HostTarget["refresh"] {
  const s = deps.tree.session(hostId);
  return s ? [s.groups.secrets] : [];
}

const USAGES: readonly { label: string; description: string; value: SecretUsageKind; idPrompt: string }[] = [
  { label: 'Volume encryption', description: 'LUKS passphrase of a disk image', value: 'volume', idPrompt: 'Path of the encrypted volume' },
  { label: 'Ceph', description: 'cephx key of an RBD pool or disk', value: 'ceph', idPrompt: 'Usage name (e.g. "client.libvirt secret")' },
  { label: 'iSCSI', description: 'CHAP password of an iSCSI target', value: 'iscsi', idPrompt: 'Usage name of the target (e.g. "libvirtiscsi")' },
  { label: 'TLS', description: 'passphrase of a TLS private key', value: 'tls', idPrompt: 'Usage name' },
  { label: 'vTPM', description: 'encryption of a TPM’s state', value: 'vtpm', idPrompt: 'Usage name' },
  { label: 'No usage', description: 'referred to by UUID only', value: 'none', idPrompt: '' },
];

/** Asks for the value once, masked. Returns the bytes; the typed text is not kept anywhere else. */
async function askValue(deps: CommandDeps, title: string, kind: 'passphrase' | 'base64'): Promise<Uint8Array> {
  const prompt = kind === 'passphrase' ? 'Passphrase (stored in libvirt only; it will not be shown again)' : 'Key, base64-encoded (stored in libvirt only; it will not be shown again)';
  const text = await ask(deps, title, prompt, {
    password: true,
    validate: (v) => {
      try {
        secretValueBytes(kind, v);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : 'Invalid value.';
      }
    },
  });
  return secretValueBytes(kind, text);
}

export const defineSecretCommand: CommandHandler = async (deps, node) => {
  const title = 'New Secret';
  const host = await pickHost(deps, node, title);
  const conn = connectionOf(host);
  const existing = (await listSecrets(conn)).flatMap((s) => (s.desc ? [s.desc] : []));
  const usage = (await deps.prompts.pickOne({ title, placeHolder: 'What the secret unlocks', items: USAGES.map((u) => ({ label: u.label, description: u.description, value: u })) }))?.value;
  if (!usage) throw new UserCancelledError(title);
  const usageId =
    usage.value === 'none'
      ? undefined
      : (await ask(deps, title, usage.idPrompt, { validate: (v) => checkSecretSpec({ usage: usage.value, usageId: v.trim() }, existing).errors[0]?.message })).trim();
  const kind = (await deps.prompts.pickOne({
    title,
    placeHolder: 'Value',
    items: [
      { label: 'Passphrase', description: 'typed text, stored as UTF-8', value: 'passphrase' as const },
      { label: 'Key (base64)', description: 'binary key, e.g. a Ceph key', value: 'base64' as const },
    ],
  }))?.value;
  if (!kind) throw new UserCancelledError(title);
  // virsh's secret-define takes these two flags from the XML; the default is what a VM that must
  // start unattended needs (kept across daemon restarts) and what keeps the value safest (private).
  const keep = (await deps.prompts.pickOne({
    title,
    placeHolder: 'How libvirt keeps the value',
    items: [
      { label: 'Persistent and private', description: 'kept across libvirtd restarts; never readable through libvirt (recommended)', value: { ephemeral: false, private: true } },
      { label: 'Persistent and readable', description: 'kept across restarts; root clients of libvirt can read it back', value: { ephemeral: false, private: false } },
      { label: 'Ephemeral and private', description: 'in libvirtd’s memory only: gone at its next restart, then VMs using it fail to start', value: { ephemeral: true, private: true } },
    ],
  }))?.value;
  if (!keep) throw new UserCancelledError(title);
  const description = (await ask(deps, title, 'Description (optional)', { value: '' })).trim();
  const value = await askValue(deps, title, kind);
  const ref = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Defining secret…' }, () =>
    defineSecret(conn, { usage: usage.value, ...(usageId !== undefined ? { usageId } : {}), ...(description !== '' ? { description } : {}), ...keep }, value),
  );
  host.treeContext.fire([...secretsGroup(deps, host.id)]);
  return ref;
};

async function secretTarget(deps: CommandDeps, node: unknown, title: string): Promise<{ host: HostTarget['host']; conn: ResourceConnection; ref: SecretRef; desc?: SecretDescription }> {
  if (node instanceof SecretNode) return { host: node.host, conn: connectionOf(node.host), ref: node.ref, ...(node.desc ? { desc: node.desc } : {}) };
  const host = await pickHost(deps, node, title);
  const conn = connectionOf(host);
  const list = await listSecrets(conn);
  if (list.length === 0) throw new Error(`${host.config.name} has no secrets.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Secret', items: list.map((s) => ({ label: s.desc?.usageId ?? s.ref.uuid, description: `${s.desc?.usage ?? ''} · ${s.ref.uuid}`, value: s })) });
  if (!pick) throw new UserCancelledError(title);
  return { host, conn, ref: pick.value.ref, ...(pick.value.desc ? { desc: pick.value.desc } : {}) };
}

export const deleteSecretCommand: CommandHandler = async (deps, node) => {
  const title = 'Delete Secret';
  const t = await secretTarget(deps, node, title);
  const desc = t.desc ?? parseSecretXml(await t.conn.secretGetXmlDesc(t.ref, 0));
  const users = await loadSecretUsers(t.conn, desc);
  const { volumes, vms } = users;
  const label = desc.usageId ?? t.ref.uuid;
  const lines = [
    `Secret ${t.ref.uuid}${desc.usageId ? ` (${desc.usage} ${desc.usageId})` : ''}.`,
    volumes.length > 0 ? `Encrypted volumes that can no longer be opened: ${volumes.map(secretVolumeLabel).join(', ')}.` : 'No volume names it.',
    vms.length > 0 ? `VMs that will fail to start: ${vms.map((v) => `${v.name}${v.running ? ' (running)' : ''}`).join(', ')}.` : 'No VM uses it.',
    'Unless the value is known elsewhere, data it protects is lost.',
  ];
  const ok = await deps.prompts.confirm({ message: `Delete secret ${label}?`, detail: lines.join('\n'), button: 'Delete' });
  if (!ok) throw new UserCancelledError(title);
  // Read again after the confirmation: a VM or volume that took the secret meanwhile stops the delete.
  try {
    await deleteSecret(t.conn, t.ref.uuid, users);
  } finally {
    t.host.treeContext.fire([...secretsGroup(deps, t.host.id)]);
  }
  return { deleted: t.ref.uuid, volumes: volumes.map(secretVolumeLabel), vms: vms.map((v) => v.name) };
};

export const createEncryptedVolumeCommand: CommandHandler = async (deps, node) => {
  const title = 'New Encrypted Volume';
  const t = await poolTarget(deps, node, title);
  const names = (await t.conn.storagePoolListAllVolumes(t.ref, 0)).map((v) => v.name);
  const name = volumeFileName(
    (await ask(deps, title, 'Volume name', { value: 'encrypted', validate: (v) => nameProblem(v.trim(), 'volume') ?? (names.includes(volumeFileName(v.trim(), 'qcow2')) ? 'A volume with this name exists.' : undefined) })).trim(),
    'qcow2',
  );
  const capacity = parseSize(
    await ask(deps, title, 'Size (e.g. 20G, 512M)', {
      value: '20G',
      validate: (v) => {
        try {
          return parseSize(v) > 0 ? undefined : 'The size must be more than 0.';
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      },
    }),
  );
  const existing = (await listSecrets(t.conn)).filter((s) => s.desc?.usage === 'volume' || s.desc?.usage === 'none');
  const choice = (await deps.prompts.pickOne({
    title,
    placeHolder: 'Passphrase',
    items: [
      { label: 'New passphrase', description: 'stored as a new libvirt secret for this volume', value: undefined },
      ...existing.map((s) => ({ label: `Existing secret ${s.desc?.usageId ?? s.ref.uuid}`, description: s.ref.uuid, value: s.ref.uuid })),
    ],
  }));
  if (!choice) throw new UserCancelledError(title);
  const secret: EncryptionSecretChoice = choice.value !== undefined ? { existing: choice.value } : { passphrase: await askValue(deps, title, 'passphrase') };
  const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating encrypted volume ${name}…` }, () =>
    createEncryptedVolume(t.conn, t.ref, { name, format: 'qcow2', capacity, allocation: 0 }, secret),
  );
  refreshAfter(t);
  if (res.secretCreated) t.host.treeContext.fire([...secretsGroup(deps, t.host.id)]);
  return res;
};

export const secretTable = [
  ['libvirtVms.secret.define', 'New Secret', defineSecretCommand],
  ['libvirtVms.secret.delete', 'Delete Secret', deleteSecretCommand],
  ['libvirtVms.volume.createEncrypted', 'New Encrypted Volume', createEncryptedVolumeCommand],
] as const;
