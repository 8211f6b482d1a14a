// Storage pools: reading pool XML, building it for the guided "new pool" flow, and reading the
// host's pool capabilities and discovered sources. Element names follow libvirt's
// docs/formatstorage.rst and formatstoragecaps.rst.

import { absolutePathProblem, formatBytes, nameProblem, ResourceInputError, type CheckResult } from './validation';
import { attr, attrs, bytesOf, child, children, escapeXml, parseXmlElement, textOf, type XmlElement } from './xmlElement';
import { VirStoragePoolState } from '../generated/libvirtConstants';

/** The pool types the guided flow offers (others are shown but not created here). */
export const GUIDED_POOL_TYPES = ['dir', 'fs', 'netfs', 'logical', 'iscsi', 'disk', 'rbd'] as const;
export type GuidedPoolType = (typeof GUIDED_POOL_TYPES)[number];

export interface PoolDescription {
  readonly name: string;
  readonly uuid: string;
  readonly type: string;
  readonly capacity?: number;
  readonly allocation?: number;
  readonly available?: number;
  readonly targetPath?: string;
  readonly sourceHosts: readonly { readonly name: string; readonly port?: number }[];
  readonly sourceDir?: string;
  readonly sourceDevices: readonly string[];
  readonly sourceName?: string;
  readonly sourceFormat?: string;
}

export function parsePoolXml(xml: string): PoolDescription {
  const root = parseXmlElement(xml);
  const src = child(root, 'source');
  const port = (h: XmlElement): number | undefined => (h.attrs['port'] !== undefined ? Number(h.attrs['port']) : undefined);
  return {
    name: textOf(root, 'name') ?? '',
    uuid: textOf(root, 'uuid') ?? '',
    type: attr(root, 'type') ?? '',
    capacity: bytesOf(root, 'capacity'),
    allocation: bytesOf(root, 'allocation'),
    available: bytesOf(root, 'available'),
    targetPath: textOf(root, 'target/path'),
    sourceHosts: children(src, 'host').map((h) => ({ name: h.attrs['name'] ?? '', port: port(h) })),
    sourceDir: attr(child(src, 'dir'), 'path'),
    sourceDevices: children(src, 'device').map((d) => d.attrs['path'] ?? '').filter((p) => p !== ''),
    sourceName: textOf(src, 'name'),
    sourceFormat: attr(child(src, 'format'), 'type'),
  };
}

/** Everything the guided flow collects; which fields apply depends on `type`. */
export interface PoolSpec {
  readonly type: GuidedPoolType;
  readonly name: string;
  /** dir, fs, netfs, logical, iscsi, disk: where volumes appear on the host. */
  readonly targetPath?: string;
  /** netfs, iscsi, rbd: the server. */
  readonly host?: string;
  readonly port?: number;
  /** netfs: the exported directory. */
  readonly sourceDir?: string;
  /** fs, disk, logical: block devices; iscsi: the target IQN. */
  readonly devices?: readonly string[];
  /** logical: the volume group; rbd: the Ceph pool. */
  readonly sourceName?: string;
  /** fs: filesystem (auto, ext4...); netfs: nfs/cifs; logical: lvm2; disk: gpt/dos... */
  readonly format?: string;
  /** iscsi: the initiator IQN (optional). */
  readonly initiatorIqn?: string;
  /** rbd: cephx user and the UUID of the libvirt secret holding its key. */
  readonly authUser?: string;
  readonly authSecretUuid?: string;
}

const NEEDS_TARGET: ReadonlySet<GuidedPoolType> = new Set(['dir', 'fs', 'netfs', 'logical', 'iscsi', 'disk']);

/** Pure checks of a pool spec (name, paths, required source fields). */
export function checkPoolSpec(spec: PoolSpec, existingNames: readonly string[] = []): CheckResult {
  const errors: ResourceInputError[] = [];
  const add = (field: string, msg: string | undefined): void => {
    if (msg !== undefined) errors.push(new ResourceInputError(field, msg));
  };
  add('name', nameProblem(spec.name, 'pool'));
  if (existingNames.includes(spec.name)) add('name', `A storage pool named "${spec.name}" already exists.`);
  if (NEEDS_TARGET.has(spec.type)) {
    if (spec.targetPath === undefined) add('targetPath', 'The target path is missing.');
    else add('targetPath', absolutePathProblem(spec.targetPath, 'target path'));
  }
  const devices = spec.devices ?? [];
  switch (spec.type) {
    case 'fs':
    case 'disk':
      if (devices.length === 0) add('devices', `A ${spec.type} pool needs a source device.`);
      for (const d of devices) add('devices', absolutePathProblem(d, 'device path'));
      break;
    case 'logical':
      if ((spec.sourceName ?? '') === '' && devices.length === 0) add('sourceName', 'A logical pool needs a volume group name or a device.');
      for (const d of devices) add('devices', absolutePathProblem(d, 'device path'));
      break;
    case 'netfs':
      add('host', hostProblem(spec.host));
      if (spec.sourceDir === undefined) add('sourceDir', 'The exported directory is missing.');
      else add('sourceDir', absolutePathProblem(spec.sourceDir, 'exported directory'));
      break;
    case 'iscsi':
      add('host', hostProblem(spec.host));
      if (devices.length !== 1 || (devices[0] ?? '').trim() === '') add('devices', 'An iSCSI pool needs exactly one target IQN.');
      break;
    case 'rbd':
      add('host', hostProblem(spec.host));
      if ((spec.sourceName ?? '') === '') add('sourceName', 'An RBD pool needs the Ceph pool name.');
      break;
    case 'dir':
      break;
  }
  if (spec.port !== undefined && (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)) add('port', `Port ${spec.port} is not between 1 and 65535.`);
  return { errors, warnings: [] };
}

function hostProblem(host: string | undefined): string | undefined {
  if (host === undefined || host.trim() === '') return 'The server host name is missing.';
  if (/[\s/]/.test(host) || host.includes('\u0000')) return `The host name ${JSON.stringify(host)} contains spaces, "/" or NUL.`;
  return undefined;
}

/** Pool XML for a spec (formatstorage.rst "Storage pool XML"). Validates first. */
export function buildPoolXml(spec: PoolSpec): string {
  const first = checkPoolSpec(spec).errors[0];
  if (first) throw first;
  const src: string[] = [];
  if (spec.host !== undefined && spec.type !== 'dir') src.push(`<host${attrs({ name: spec.host, port: spec.port })}/>`);
  if (spec.type === 'netfs' && spec.sourceDir !== undefined) src.push(`<dir${attrs({ path: spec.sourceDir })}/>`);
  for (const d of spec.devices ?? []) src.push(`<device${attrs({ path: d })}/>`);
  if (spec.sourceName !== undefined && spec.sourceName !== '' && (spec.type === 'logical' || spec.type === 'rbd')) {
    src.push(`<name>${escapeXml(spec.sourceName)}</name>`);
  }
  if (spec.type === 'iscsi' && spec.initiatorIqn) src.push(`<initiator><iqn${attrs({ name: spec.initiatorIqn })}/></initiator>`);
  if (spec.type === 'rbd' && spec.authUser && spec.authSecretUuid) {
    src.push(`<auth${attrs({ type: 'ceph', username: spec.authUser })}><secret${attrs({ uuid: spec.authSecretUuid })}/></auth>`);
  }
  if (spec.format && spec.type !== 'dir' && spec.type !== 'iscsi' && spec.type !== 'rbd') src.push(`<format${attrs({ type: spec.format })}/>`);
  const lines = [`<pool${attrs({ type: spec.type })}>`, `  <name>${escapeXml(spec.name)}</name>`];
  if (src.length > 0) lines.push('  <source>', ...src.map((s) => `    ${s}`), '  </source>');
  if (NEEDS_TARGET.has(spec.type) && spec.targetPath !== undefined) lines.push('  <target>', `    <path>${escapeXml(spec.targetPath)}</path>`, '  </target>');
  lines.push('</pool>');
  return lines.join('\n') + '\n';
}

/** Whether creating the pool should run storagePoolBuild first (make the dir, mkfs, vgcreate...). */
export function poolNeedsBuild(type: GuidedPoolType): boolean {
  return type === 'dir' || type === 'netfs' || type === 'fs';
}

export interface PoolTypeCapability {
  readonly type: string;
  readonly supported: boolean;
  /** Pool source formats (fs: ext4..., netfs: nfs..., disk: gpt...) and the default. */
  readonly sourceFormats: readonly string[];
  readonly defaultSourceFormat?: string;
  /** Volume formats (raw, qcow2...) and the default. */
  readonly volumeFormats: readonly string[];
  readonly defaultVolumeFormat?: string;
}

/** connectGetStoragePoolCapabilities (formatstoragecaps.rst). */
export function parsePoolCapabilities(xml: string): PoolTypeCapability[] {
  const root = parseXmlElement(xml);
  const values = (opts: XmlElement | undefined, enumName: string): string[] =>
    (opts?.children.find((c) => c.name === 'enum' && c.attrs['name'] === enumName)?.children ?? []).filter((v) => v.name === 'value').map((v) => v.text);
  return children(root, 'pool').map((p) => {
    const poolOpts = child(p, 'poolOptions');
    const volOpts = child(p, 'volOptions');
    return {
      type: p.attrs['type'] ?? '',
      supported: p.attrs['supported'] === 'yes',
      sourceFormats: values(poolOpts, 'sourceFormatType'),
      defaultSourceFormat: attr(child(poolOpts, 'defaultFormat'), 'type'),
      volumeFormats: values(volOpts, 'targetFormatType'),
      defaultVolumeFormat: attr(child(volOpts, 'defaultFormat'), 'type'),
    };
  });
}

export interface FoundPoolSource {
  readonly name?: string;
  readonly hosts: readonly string[];
  readonly dir?: string;
  readonly devices: readonly string[];
  readonly format?: string;
}

/** connectFindStoragePoolSources' `<sources>` document. */
export function parseFoundSources(xml: string): FoundPoolSource[] {
  const root = parseXmlElement(xml);
  return children(root, 'source').map((s) => ({
    name: textOf(s, 'name'),
    hosts: children(s, 'host').map((h) => h.attrs['name'] ?? '').filter((h) => h !== ''),
    dir: attr(child(s, 'dir'), 'path'),
    devices: children(s, 'device').map((d) => d.attrs['path'] ?? '').filter((d) => d !== ''),
    format: attr(child(s, 'format'), 'type'),
  }));
}

/** The `<source>` spec connectFindStoragePoolSources wants for a remote lookup (netfs, iscsi). */
export function findSourcesSpec(host: string, port?: number): string {
  return `<source><host${attrs({ name: host, port })}/></source>`;
}

export const POOL_STATE_NAMES: Readonly<Record<number, string>> = {
  [VirStoragePoolState.INACTIVE]: 'inactive',
  [VirStoragePoolState.BUILDING]: 'building',
  [VirStoragePoolState.RUNNING]: 'active',
  [VirStoragePoolState.DEGRADED]: 'degraded',
  [VirStoragePoolState.INACCESSIBLE]: 'inaccessible',
};

/** Running (or degraded, still usable): libvirt lists and deletes volumes of such pools only. */
export function poolIsActive(state: number): boolean {
  return state === VirStoragePoolState.RUNNING || state === VirStoragePoolState.DEGRADED;
}

export function poolStateName(state: number): string {
  return POOL_STATE_NAMES[state] ?? `state ${state}`;
}

/** "active · 12.3 GiB free of 50 GiB", or just the state when the pool is not running. */
export function poolSummary(info: { readonly state: number; readonly capacity: number; readonly available: number }): string {
  const state = poolStateName(info.state);
  if (info.state !== VirStoragePoolState.RUNNING) return state;
  return `${state} · ${formatBytes(info.available)} free of ${formatBytes(info.capacity)}`;
}
