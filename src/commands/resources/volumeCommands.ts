// Volume actions: create (qcow2/raw, size, allocation, backing volume), resize, wipe, delete,
// upload/download through libvirt streams, and "which VMs use it".

import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { volumeUsers, type DomainUsage } from '../../libvirt/resources/domainUsage';
import { createVolume, resizeThroughDomain, resizeVolume } from '../../libvirt/resources/operations';
import { downloadToFile, uploadFile } from '../../libvirt/resources/transfer';
import { formatBytes, nameProblem, parseSize } from '../../libvirt/resources/validation';
import { parseVolumeXml, volumeFileName, type VolumeDescription } from '../../libvirt/resources/volume';
import { UserCancelledError } from '../../ui/cancel';
import { resourceState } from '../../views/resources/resourceState';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { poolTarget, refreshAfter, volumeTarget, type VolumeTarget } from './resourceTargets';

function sizeProblem(v: string): string | undefined {
  try {
    return parseSize(v) > 0 ? undefined : 'The size must be more than 0.';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function input(deps: CommandDeps, title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await deps.prompts.input({ title, prompt, value, validate });
  if (v === undefined) throw new UserCancelledError(title);
  return v.trim();
}

async function usersOf(t: VolumeTarget, desc: VolumeDescription): Promise<DomainUsage[]> {
  const all = await resourceState(t.host).usage.get().catch(() => []);
  return volumeUsers(all, { path: desc.path, pool: t.pool.name, name: t.ref.name });
}

export const createVolumeCommand: CommandHandler = async (deps, node) => {
  const title = 'New Volume';
  const t = await poolTarget(deps, node, title);
  const vols = await t.conn.storagePoolListAllVolumes(t.ref, 0);
  const format = (await deps.prompts.pickOne({
    title,
    placeHolder: 'Format',
    items: [
      { label: 'qcow2', description: 'thin, snapshots, backing files', value: 'qcow2' },
      { label: 'raw', description: 'plain bytes, fastest', value: 'raw' },
    ],
  }))?.value;
  if (format === undefined) throw new UserCancelledError(title);
  const names = vols.map((v) => v.name);
  const name = volumeFileName(
    await input(deps, title, 'Volume name', 'disk', (v) => nameProblem(v.trim(), 'volume') ?? (names.includes(volumeFileName(v.trim(), format)) ? 'A volume with this name exists.' : undefined)),
    format,
  );
  const capacity = parseSize(await input(deps, title, 'Size (e.g. 20G, 512M)', '20G', sizeProblem));
  const full = (await deps.prompts.pickOne({
    title,
    placeHolder: 'Allocation',
    items: [
      { label: 'Allocate on demand (sparse)', value: false },
      { label: `Allocate all ${formatBytes(capacity)} now`, value: true },
    ],
  }))?.value;
  if (full === undefined) throw new UserCancelledError(title);
  let backingPath: string | undefined;
  if (format === 'qcow2' && vols.length > 0) {
    const infos = await Promise.all(vols.map((v) => t.conn.storageVolGetXmlDesc(v, 0).then(parseVolumeXml).catch(() => undefined)));
    const pick = await deps.prompts.pickOne({
      title,
      placeHolder: 'Backing volume (the new volume starts as a copy-on-write overlay)',
      items: [{ label: 'No backing volume', value: undefined }, ...infos.flatMap((d) => (d?.path ? [{ label: d.name, description: d.format, value: d }] : []))],
    });
    if (!pick) throw new UserCancelledError(title);
    backingPath = pick.value?.path;
    const backingFormat = pick.value?.format;
    const spec = { name, format, capacity, allocation: full ? capacity : 0, ...(backingPath ? { backingPath, backingFormat } : {}) };
    return finishCreate(deps, t, spec);
  }
  return finishCreate(deps, t, { name, format, capacity, allocation: full ? capacity : 0 });
};

async function finishCreate(deps: CommandDeps, t: Awaited<ReturnType<typeof poolTarget>>, spec: Parameters<typeof createVolume>[2]): Promise<unknown> {
  const { vol } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating ${spec.name}…` }, () =>
    createVolume(t.conn, t.ref, spec, (warnings) => deps.prompts.confirm({ message: `Create ${spec.name}?`, detail: warnings.join('\n'), button: 'Create' })),
  );
  t.host.treeContext.fire(t.node ? [t.node] : t.refresh);
  return vol;
}

export const resizeVolumeCommand: CommandHandler = async (deps, node) => {
  const title = 'Resize Volume';
  const t = await volumeTarget(deps, node, title);
  const [info, desc] = await Promise.all([t.conn.storageVolGetInfo(t.ref), t.conn.storageVolGetXmlDesc(t.ref, 0).then(parseVolumeXml)]);
  const users = await usersOf(t, desc);
  const running = users.filter((u) => u.running).map((u) => u.dom.name);
  const requested = parseSize(await input(deps, title, `New size (now ${formatBytes(info.capacity)})`, formatBytes(info.capacity).replace(' ', '').replace('iB', ''), sizeProblem));
  const shrink = requested < info.capacity;
  const live = users.filter((u) => u.running);
  if (live.length === 1 && !shrink) {
    // One running VM uses it: growing through QEMU is safe and the guest sees the new size.
    const user = live[0];
    const disk = user?.disks.find((d) => (desc.path !== undefined && d.path === desc.path) || (d.pool === t.pool.name && d.volume === t.ref.name));
    if (user && disk?.target) {
      const how = await deps.prompts.pickOne({
        title,
        placeHolder: `${t.ref.name} is in use by the running VM ${user.dom.name}`,
        items: [
          { label: `Resize through ${user.dom.name} (block resize)`, description: 'recommended: the guest sees the new size', value: 'live' as const },
          { label: 'Resize the volume directly', description: 'may corrupt the image under a running QEMU', value: 'direct' as const },
        ],
      });
      if (!how) throw new UserCancelledError(title);
      if (how.value === 'live') {
        await resizeThroughDomain(t.conn, t.ref, user.dom, disk.target, requested);
        refreshAfter(t);
        return;
      }
    }
  }
  await resizeVolume(t.conn, t.ref, requested, {
    allowShrink: shrink,
    runningUsers: running,
    confirm: (warnings) => deps.prompts.confirm({ message: `Resize ${t.ref.name} to ${formatBytes(requested)}?`, detail: warnings.join('\n\n'), button: shrink ? 'Shrink' : 'Resize' }),
  });
  refreshAfter(t);
};

export const wipeVolumeCommand: CommandHandler = async (deps, node) => {
  const t = await volumeTarget(deps, node, 'Wipe Volume');
  const desc = parseVolumeXml(await t.conn.storageVolGetXmlDesc(t.ref, 0));
  const users = (await usersOf(t, desc)).map((u) => u.dom.name);
  const ok = await deps.prompts.confirm({
    message: `Wipe ${t.ref.name}?`,
    detail: `Every byte of ${desc.path ?? t.ref.key} is overwritten with zeros.${users.length > 0 ? ` Used by: ${users.join(', ')}.` : ''}`,
    button: 'Wipe',
  });
  if (!ok) throw new UserCancelledError('Wipe Volume');
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Wiping ${t.ref.name}…` }, () => t.conn.storageVolWipe(t.ref, 0));
  refreshAfter(t);
};

export const deleteVolumeCommand: CommandHandler = async (deps, node) => {
  const t = await volumeTarget(deps, node, 'Delete Volume');
  const desc = parseVolumeXml(await t.conn.storageVolGetXmlDesc(t.ref, 0));
  const users = (await usersOf(t, desc)).map((u) => u.dom.name);
  const ok = await deps.prompts.confirm({
    message: `Delete ${t.ref.name}?`,
    detail: `${desc.path ?? t.ref.key} is deleted for good.${users.length > 0 ? `\nIt is used by: ${users.join(', ')}; their disks will point to a missing file.` : ''}`,
    button: 'Delete',
  });
  if (!ok) throw new UserCancelledError('Delete Volume');
  await t.conn.storageVolDelete(t.ref, 0);
  refreshAfter(t);
};

export const showVolumeUsers: CommandHandler = async (deps, node) => {
  const t = await volumeTarget(deps, node, 'Show VMs Using Volume');
  const desc = parseVolumeXml(await t.conn.storageVolGetXmlDesc(t.ref, 0));
  const users = await usersOf(t, desc);
  const text = users.length === 0 ? `No VM uses ${t.ref.name}.` : `${t.ref.name} is used by: ${users.map((u) => `${u.dom.name}${u.running ? ' (running)' : ''}`).join(', ')}`;
  void vscode.window.showInformationMessage(text);
  return users.map((u) => u.dom.name);
};

function progressReporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (p: { bytes: number; total: number }) => void {
  let lastPct = 0;
  return (p) => {
    const pct = p.total > 0 ? Math.min(100, (p.bytes / p.total) * 100) : 0;
    progress.report({ message: `${formatBytes(p.bytes)}${p.total > 0 ? ` of ${formatBytes(p.total)} (${pct.toFixed(0)}%)` : ''}`, increment: pct - lastPct });
    lastPct = pct;
  };
}

/** Args other callers (tests) may pass instead of the file dialogs. */
function localPathArg(args: readonly unknown[]): string | undefined {
  const o = args.find((a): a is { localPath: string } => typeof a === 'object' && a !== null && typeof (a as { localPath?: unknown }).localPath === 'string');
  return o?.localPath;
}

export const uploadVolumeCommand: CommandHandler = async (deps, node, ...rest: unknown[]) => {
  const t = await volumeTarget(deps, node, 'Upload to Volume');
  let localPath = localPathArg(rest);
  if (localPath === undefined) {
    const picked = await vscode.window.showOpenDialog({ title: `Upload into ${t.ref.name}`, canSelectMany: false, openLabel: 'Upload' });
    const uri = picked?.[0];
    if (!uri) throw new UserCancelledError('Upload');
    localPath = uri.fsPath;
  }
  const [{ size }, info] = await Promise.all([stat(localPath), t.conn.storageVolGetInfo(t.ref)]);
  const larger =
    size > info.capacity
      ? `\n\nThe file (${formatBytes(size)}) is larger than the volume (${formatBytes(info.capacity)}): a file-based volume grows to fit, a block device refuses the upload.`
      : '';
  const ok = await deps.prompts.confirm({ message: `Replace the contents of ${t.ref.name}?`, detail: `The bytes of ${localPath} are written into the volume from its start.${larger}`, button: 'Upload' });
  if (!ok) throw new UserCancelledError('Upload');
  const path = localPath;
  const sent = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Uploading to ${t.ref.name}`, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      return await uploadFile(t.conn, t.ref, path, { onProgress: progressReporter(progress), signal: ac.signal });
    } finally {
      sub.dispose();
    }
  });
  refreshAfter(t);
  return sent;
};

export const downloadVolumeCommand: CommandHandler = async (deps, node, ...rest: unknown[]) => {
  const t = await volumeTarget(deps, node, 'Download Volume');
  let localPath = localPathArg(rest);
  if (localPath === undefined) {
    const uri = await vscode.window.showSaveDialog({ title: `Download ${t.ref.name}`, saveLabel: 'Download', defaultUri: vscode.Uri.file(t.ref.name) });
    if (!uri) throw new UserCancelledError('Download');
    localPath = uri.fsPath;
  }
  const path = localPath;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${t.ref.name}`, cancellable: true }, async (progress, token) => {
    // A connection of its own: the download pauses reading whenever the disk is slower than the
    // host, which must not stall the tree, events and keepalive of the main connection.
    const conn = await t.host.managed.openSeparate();
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      return await downloadToFile(conn, t.ref, path, { onProgress: progressReporter(progress), signal: ac.signal });
    } finally {
      sub.dispose();
      await conn.close().catch(() => undefined);
    }
  });
};

export const volumeTable = [
  ['libvirtVms.volume.create', 'New Volume', createVolumeCommand],
  ['libvirtVms.volume.resize', 'Resize Volume', resizeVolumeCommand],
  ['libvirtVms.volume.wipe', 'Wipe Volume', wipeVolumeCommand],
  ['libvirtVms.volume.delete', 'Delete Volume', deleteVolumeCommand],
  ['libvirtVms.volume.showUsers', 'Show VMs Using Volume', showVolumeUsers],
  ['libvirtVms.volume.upload', 'Upload File to Volume', uploadVolumeCommand],
  ['libvirtVms.volume.download', 'Download Volume to File', downloadVolumeCommand],
] as const;
