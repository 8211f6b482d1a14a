// The guided "New Storage Pool" flow: it offers only the pool types the host supports (pool
// capabilities), proposes discovered sources (connectFindStoragePoolSources, block devices from
// the node device driver) and checks every answer before anything is defined.

import * as vscode from 'vscode';
import { listBlockDevices } from '../../libvirt/resources/hostDevice';
import { createPool } from '../../libvirt/resources/operations';
import { findSourcesSpec, GUIDED_POOL_TYPES, parseFoundSources, parsePoolCapabilities, type GuidedPoolType, type PoolSpec, type PoolTypeCapability } from '../../libvirt/resources/pool';
import { absolutePathProblem, formatBytes, nameProblem } from '../../libvirt/resources/validation';
import { UserCancelledError } from '../../ui/cancel';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import { connectionOf, hostTargetFor, pickHost, refreshAfter } from './resourceTargets';
import type { ResourceConnection } from '../../views/resources/resourceApi';

const TYPE_LABEL: Readonly<Record<GuidedPoolType, string>> = {
  dir: 'Directory on the host',
  fs: 'Pre-formatted block device (fs)',
  netfs: 'Network export (NFS)',
  logical: 'LVM volume group (logical)',
  iscsi: 'iSCSI target',
  disk: 'Physical disk (partitions)',
  rbd: 'Ceph RBD',
};

const TITLE = 'New Storage Pool';

async function ask(deps: CommandDeps, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await deps.prompts.input({ title: TITLE, prompt, value, validate });
  if (v === undefined) throw new UserCancelledError(TITLE);
  return v.trim();
}

async function choose<T>(deps: CommandDeps, placeHolder: string, items: readonly { label: string; description?: string; value: T }[]): Promise<T> {
  const pick = await deps.prompts.pickOne({ title: TITLE, placeHolder, items });
  if (!pick) throw new UserCancelledError(TITLE);
  return pick.value;
}

const MANUAL = Symbol('manual');

async function pickBlockDevice(deps: CommandDeps, conn: ResourceConnection): Promise<string> {
  const devs = await listBlockDevices(conn).catch(() => []);
  const choice = await choose<string | typeof MANUAL>(deps, 'Block device', [
    ...devs.map((d) => ({ label: d.path, description: [d.model, d.driveType, d.size > 0 ? formatBytes(d.size) : undefined].filter(Boolean).join(' · '), value: d.path })),
    { label: 'Enter a device path…', value: MANUAL },
  ]);
  return choice === MANUAL ? ask(deps, 'Device path, e.g. /dev/sdb', '/dev/', (v) => absolutePathProblem(v.trim(), 'device path')) : choice;
}

async function pickFormat(deps: CommandDeps, cap: PoolTypeCapability | undefined, fallback: string): Promise<string | undefined> {
  const formats = cap?.sourceFormats ?? [];
  if (formats.length === 0) return fallback;
  const def = cap?.defaultSourceFormat ?? fallback;
  const ordered = [def, ...formats.filter((f) => f !== def)];
  return choose(deps, 'Source format', ordered.map((f) => ({ label: f, description: f === def ? 'default' : undefined, value: f })));
}

async function findSources(conn: ResourceConnection, type: string, spec: string | null): Promise<ReturnType<typeof parseFoundSources>> {
  try {
    return parseFoundSources(await conn.connectFindStoragePoolSources(type, spec, 0));
  } catch {
    return [];
  }
}

/** Asks the type-specific questions; returns the spec and whether a build step is needed. */
async function askSource(deps: CommandDeps, conn: ResourceConnection, type: GuidedPoolType, name: string, cap: PoolTypeCapability | undefined): Promise<{ spec: PoolSpec; build?: boolean }> {
  const pathCheck = (v: string): string | undefined => absolutePathProblem(v.trim(), 'target path');
  const hostCheck = (v: string): string | undefined => (v.trim() === '' || /\s|\//.test(v.trim()) ? 'Enter a host name or address.' : undefined);
  switch (type) {
    case 'dir':
      return { spec: { type, name, targetPath: await ask(deps, 'Directory on the host', `/var/lib/libvirt/images/${name}`, pathCheck) } };
    case 'fs': {
      const device = await pickBlockDevice(deps, conn);
      const format = await pickFormat(deps, cap, 'auto');
      return { spec: { type, name, devices: [device], format, targetPath: await ask(deps, 'Mount point on the host', `/var/lib/libvirt/images/${name}`, pathCheck) } };
    }
    case 'netfs': {
      const host = await ask(deps, 'NFS server', '', hostCheck);
      const found = await findSources(conn, 'netfs', findSourcesSpec(host));
      const dirs = found.flatMap((s) => (s.dir ? [s.dir] : []));
      const sourceDir =
        dirs.length > 0
          ? await choose<string | typeof MANUAL>(deps, `Exports of ${host}`, [...dirs.map((d) => ({ label: d, value: d })), { label: 'Enter the export path…', value: MANUAL }])
          : MANUAL;
      const dir = sourceDir === MANUAL ? await ask(deps, `Exported directory on ${host}`, '/', (v) => absolutePathProblem(v.trim(), 'exported directory')) : sourceDir;
      const format = await pickFormat(deps, cap, 'auto');
      return { spec: { type, name, host, sourceDir: dir, format, targetPath: await ask(deps, 'Mount point on the host', `/var/lib/libvirt/images/${name}`, pathCheck) } };
    }
    case 'logical': {
      const vgs = await findSources(conn, 'logical', null);
      const NEW = Symbol('new');
      const choice = await choose<(typeof vgs)[number] | typeof NEW>(deps, 'Volume group', [
        ...vgs.map((v) => ({ label: v.name ?? '?', description: v.devices.join(', '), value: v })),
        { label: 'Create a new volume group on a device…', value: NEW },
      ]);
      if (choice !== NEW) return { spec: { type, name, sourceName: choice.name, devices: choice.devices, format: 'lvm2', targetPath: `/dev/${choice.name ?? name}` }, build: false };
      const device = await pickBlockDevice(deps, conn);
      const vg = await ask(deps, 'New volume group name', name, (v) => nameProblem(v.trim(), 'volume group'));
      const ok = await deps.prompts.confirm({ message: `Create volume group ${vg} on ${device}?`, detail: `Everything on ${device} is erased.`, button: 'Erase and Create' });
      if (!ok) throw new UserCancelledError(TITLE);
      return { spec: { type, name, sourceName: vg, devices: [device], format: 'lvm2', targetPath: `/dev/${vg}` }, build: true };
    }
    case 'iscsi': {
      const host = await ask(deps, 'iSCSI portal (host name or address)', '', hostCheck);
      const port = Number(await ask(deps, 'Port', '3260', (v) => (/^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'A port number 1-65535.')));
      const found = await findSources(conn, 'iscsi', findSourcesSpec(host, port));
      const iqns = found.flatMap((s) => s.devices);
      const target =
        iqns.length > 0
          ? await choose<string | typeof MANUAL>(deps, 'Target', [...iqns.map((d) => ({ label: d, value: d })), { label: 'Enter the target IQN…', value: MANUAL }])
          : MANUAL;
      const iqn = target === MANUAL ? await ask(deps, 'Target IQN', 'iqn.', (v) => (v.trim().length > 4 ? undefined : 'Enter the target IQN.')) : target;
      return { spec: { type, name, host, port, devices: [iqn], targetPath: '/dev/disk/by-path' } };
    }
    case 'disk': {
      const device = await pickBlockDevice(deps, conn);
      const format = await pickFormat(deps, cap, 'gpt');
      const fresh = await choose(deps, 'Partition table', [
        { label: 'Use the existing partition table', value: false },
        { label: `Write a new ${format ?? ''} partition table (erases ${device})`, value: true },
      ]);
      if (fresh && !(await deps.prompts.confirm({ message: `Write a new partition table on ${device}?`, detail: 'All partitions and data on the disk are lost.', button: 'Erase Disk' }))) {
        throw new UserCancelledError(TITLE);
      }
      return { spec: { type, name, devices: [device], format, targetPath: '/dev' }, build: fresh };
    }
    case 'rbd': {
      const host = await ask(deps, 'Ceph monitor host', '', hostCheck);
      const sourceName = await ask(deps, 'Ceph pool name', 'rbd', (v) => (v.trim() === '' ? 'Enter the Ceph pool.' : undefined));
      const authUser = await ask(deps, 'Ceph user (empty for none)', 'admin', () => undefined);
      const authSecretUuid = authUser === '' ? undefined : await ask(deps, 'UUID of the libvirt secret holding the key', '', (v) => (/^[0-9a-f-]{32,36}$/i.test(v.trim()) ? undefined : 'A secret UUID.'));
      return { spec: { type, name, host, sourceName, authUser: authUser === '' ? undefined : authUser, authSecretUuid } };
    }
  }
}

export const createPoolCommand: CommandHandler = async (deps, node) => {
  const host = await pickHost(deps, node, TITLE);
  const conn = connectionOf(host);
  const [capsXml, existing] = await Promise.all([conn.connectGetStoragePoolCapabilities(0).catch(() => undefined), conn.connectListAllStoragePools(0)]);
  const caps = capsXml === undefined ? [] : parsePoolCapabilities(capsXml);
  const supported = GUIDED_POOL_TYPES.filter((t) => caps.length === 0 || caps.some((c) => c.type === t && c.supported));
  const type = await choose(deps, 'Pool type', supported.map((t) => ({ label: TYPE_LABEL[t], description: t, value: t })));
  const names = existing.map((p) => p.name);
  const name = await ask(deps, 'Pool name', type === 'dir' ? 'images' : type, (v) => nameProblem(v.trim(), 'pool') ?? (names.includes(v.trim()) ? `A pool named "${v.trim()}" already exists.` : undefined));
  const { spec, build } = await askSource(deps, conn, type, name, caps.find((c) => c.type === type));
  const autostart = await choose(deps, 'Start the pool when the host boots?', [
    { label: 'Autostart', value: true },
    { label: 'Do not autostart', value: false },
  ]);
  const target = hostTargetFor(deps, host, 'pools');
  const ref = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating pool ${name}…` }, () =>
    createPool(conn, spec, { autostart, ...(build !== undefined ? { build } : {}) }),
  );
  refreshAfter(target);
  return ref;
};
