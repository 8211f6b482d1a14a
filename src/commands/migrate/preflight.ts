// Pre-flight checks of a migration, run before anything starts: what libvirt would refuse halfway
// (or, for storage, what would leave a VM without its disks) is found here and named, one problem
// per check. Errors refuse the migration; warnings are things that cannot be verified from the
// client (a disk file outside every storage pool) and are shown for confirmation.
// The checks follow the issue and libvirt's own refusals: a VM with that name or UUID on the
// destination, the CPU (virConnectCompareHypervisorCPU on the destination), the virtual networks
// and storage pools the VM uses, the disk paths, and shared storage versus copy storage, and
// snapshots: libvirt 9.0's qemu driver refuses to migrate a VM that has any ("cannot migrate
// domain with N snapshots", live and offline alike, measured), since their metadata and
// internal memory states would not follow the VM.
// No `vscode` import: the integration tests run these checks against two real daemons.

import * as path from 'node:path';
import type { Connection, DomainRef } from '../../libvirt/connection';
import { VirCPUCompareResult, VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { optionProblems, type MigrationOptions } from '../../libvirt/migration';
import { isNoDomain, isNoNetwork, isNoStoragePool, isNoStorageVol } from '../../libvirt/rpc/errors';
import { XmlDocument } from '../../libvirt/xml/xmlDocument';
import { diskHasSource, diskLabel, domainDisks, type DomainDisk } from '../domainXmlFacts';
import { DestinationFiles, firmwareOf, poolDirs } from './destinationFiles';

export type PreflightCheck = 'options' | 'state' | 'name' | 'snapshots' | 'cpu' | 'network' | 'pool' | 'storage' | 'boot' | 'firmware';

export interface PreflightProblem {
  readonly check: PreflightCheck;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface PreflightInput {
  readonly src: Connection;
  readonly dst: Connection;
  readonly dom: DomainRef;
  /** The destination's name for messages. */
  readonly dstName: string;
  readonly options: MigrationOptions;
  /**
   * Disk paths the migration creates on the destination before it starts (the top images of an
   * incremental copy, incrementalTargets.ts): not missing there.
   */
  readonly precreated?: ReadonlySet<string>;
}

const err = (check: PreflightCheck, message: string): PreflightProblem => ({ check, severity: 'error', message });
const warn = (check: PreflightCheck, message: string): PreflightProblem => ({ check, severity: 'warning', message });

export async function migrationPreflight(input: PreflightInput): Promise<PreflightProblem[]> {
  const { src, dom, options } = input;
  const out: PreflightProblem[] = optionProblems(options).map((m) => err('options', m));
  const [active, persistent] = await Promise.all([src.domainIsActive(dom), src.domainIsPersistent(dom)]);
  if (options.mode === 'live' && !active) out.push(err('state', `"${dom.name}" is not running: a live migration needs a running or paused VM. Choose an offline migration to move its definition.`));
  if (options.mode === 'offline' && !persistent) out.push(err('state', `"${dom.name}" is transient (not defined): an offline migration moves a definition, and it has none.`));
  if (options.mode === 'offline' && active) out.push(err('state', `"${dom.name}" is running: an offline migration moves only the definition. Choose a live migration, or shut it down first.`));
  // The XML the destination will get: the running configuration for a live migration.
  const xml = await src.domainGetXmlDesc(dom, options.mode === 'live' ? VirDomainXMLFlags.MIGRATABLE : VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.MIGRATABLE);
  const results = await Promise.all([checkName(input), checkSnapshots(input), checkCpu(input, xml), checkNetworks(input, xml), checkStorage(input, xml), checkBootFiles(input, xml), checkFirmware(input, xml)]);
  return [...out, ...results.flat()];
}

async function checkName({ dst, dom, dstName }: PreflightInput): Promise<PreflightProblem[]> {
  const out: PreflightProblem[] = [];
  const [byName, byUuid] = await Promise.all([
    dst.domainLookupByName(dom.name).catch((e: unknown) => (isNoDomain(e) ? undefined : Promise.reject(e))),
    dst.domainLookupByUuid(dom.uuid).catch((e: unknown) => (isNoDomain(e) ? undefined : Promise.reject(e))),
  ]);
  if (byName) out.push(err('name', `${dstName} already has a VM named "${dom.name}". Rename or remove one of them first.`));
  if (byUuid && byUuid.name !== dom.name) out.push(err('name', `${dstName} already has a VM with this VM's UUID (${dom.uuid}), named "${byUuid.name}".`));
  return out;
}

async function checkSnapshots({ src, dom }: PreflightInput): Promise<PreflightProblem[]> {
  const n = await src.domainSnapshotNum(dom);
  if (n === 0) return [];
  return [
    err(
      'snapshots',
      `"${dom.name}" has ${n === 1 ? 'a snapshot' : `${n} snapshots`}, and libvirt does not migrate a VM with snapshots. Delete ${n === 1 ? 'it' : 'them'} first (Delete Snapshot, "metadata only" keeps the data in the disk images).`,
    ),
  ];
}

function parse(xml: string): XmlDocument {
  return XmlDocument.parse(xml);
}

async function checkCpu({ dst, dstName }: PreflightInput, xml: string): Promise<PreflightProblem[]> {
  const root = parse(xml).root;
  const cpu = root.child('cpu');
  // No <cpu>: the hypervisor's default model, which every host of that type provides.
  // host-passthrough: the guest sees the source host's CPU as it is; libvirt cannot compare it.
  if (!cpu || cpu.attr('mode') === 'host-passthrough' || cpu.attr('mode') === 'maximum') return [];
  if (!cpu.child('model') && cpu.attr('mode') !== 'host-model') return [];
  const doc = parse(xml);
  const os = root.child('os')?.child('type');
  const emulator = root.child('devices')?.child('emulator');
  try {
    const result = await dst.connectCompareHypervisorCpu(
      emulator ? doc.textContent(emulator).trim() : null,
      os?.attr('arch') ?? null,
      os?.attr('machine') ?? null,
      root.attr('type') ?? null,
      doc.source(cpu),
    );
    if (result === VirCPUCompareResult.INCOMPATIBLE) {
      const model = cpu.child('model');
      return [err('cpu', `${dstName} cannot provide this VM's CPU${model ? ` (${doc.textContent(model).trim()})` : ''} with the features it uses.`)];
    }
    return [];
  } catch (e) {
    return [err('cpu', `${dstName} could not check this VM's CPU: ${e instanceof Error ? e.message : String(e)}`)];
  }
}

async function checkNetworks({ dst, dstName, options }: PreflightInput, xml: string): Promise<PreflightProblem[]> {
  const root = parse(xml).root;
  const names = new Set<string>();
  for (const nic of root.child('devices')?.elements('interface') ?? []) {
    if (nic.attr('type') !== 'network') continue;
    const n = nic.child('source')?.attr('network');
    if (n) names.add(n);
  }
  const out: PreflightProblem[] = [];
  for (const name of names) {
    try {
      const net = await dst.networkLookupByName(name);
      if (options.mode === 'live' && !(await dst.networkIsActive(net))) out.push(err('network', `The network "${name}" on ${dstName} is not running: start it first.`));
    } catch (e) {
      if (!isNoNetwork(e)) throw e;
      out.push(err('network', `${dstName} has no network "${name}", which this VM's network interface uses.`));
    }
  }
  return out;
}

async function checkStorage(input: PreflightInput, xml: string): Promise<PreflightProblem[]> {
  const { dst, dstName, options } = input;
  const out: PreflightProblem[] = [];
  let dirs: Map<string, string> | undefined;
  const copying = options.copyStorage !== 'none';
  // libvirt 9.0 creates the destination's files only for a full copy; an incremental one refuses
  // ("pre-creation of storage targets for incremental storage migration is not supported", seen)
  // unless the file is already there, on top of the same backing image.
  const incremental = options.copyStorage === 'incremental';
  const precreate = (disk: DomainDisk, where: string): PreflightProblem =>
    err(
      'storage',
      `Disk ${diskLabel(disk)}: an incremental copy needs ${where} on ${dstName} already, as an image on top of the same backing image (libvirt creates the destination's files only for a full copy). Create it there, or choose Copy disks.`,
    );
  for (const disk of domainDisks(xml).filter(diskHasSource)) {
    // Copy storage copies writable disks; read-only ones (CD-ROMs, shared images) must be there.
    const copied = copying && isCopied(disk);
    if (disk.pool !== undefined && disk.volume !== undefined) {
      const pool = await dst.storagePoolLookupByName(disk.pool).catch((e: unknown) => (isNoStoragePool(e) ? undefined : Promise.reject(e)));
      if (!pool) {
        out.push(err('pool', `${dstName} has no storage pool "${disk.pool}", which holds disk ${diskLabel(disk)}.`));
        continue;
      }
      if (!copied || incremental) {
        const vol = await dst.storageVolLookupByName(pool, disk.volume).catch((e: unknown) => (isNoStorageVol(e) ? undefined : Promise.reject(e)));
        if (!vol && copied) out.push(precreate(disk, `volume "${disk.volume}" in pool "${disk.pool}"`));
        else if (!vol) out.push(err('storage', `Disk ${diskLabel(disk)}: ${dstName} has no volume "${disk.volume}" in pool "${disk.pool}". Choose copy storage, or put the volume there.`));
      }
      continue;
    }
    if (disk.path === undefined) continue;
    const there = await dst.storageVolLookupByPath(disk.path).catch((e: unknown) => (isNoStorageVol(e) ? undefined : Promise.reject(e)));
    if (there) continue;
    dirs ??= await poolDirs(dst);
    const dir = path.dirname(path.normalize(disk.path));
    const pool = dirs.get(dir);
    if (copied && incremental) {
      if (!input.precreated?.has(disk.path)) out.push(precreate(disk, disk.path));
      continue;
    }
    if (copied) {
      // libvirt creates the copy's file on the destination inside the pool of that directory.
      if (!pool) out.push(err('pool', `Disk ${diskLabel(disk)}: ${dstName} has no storage pool for ${dir}, where libvirt would create the copy. Define a pool there first.`));
      continue;
    }
    if (pool) out.push(err('storage', `Disk ${diskLabel(disk)}: ${disk.path} does not exist on ${dstName} (pool "${pool}" has no such volume). Choose copy storage, or use storage both hosts share.`));
    else
      out.push(
        warn('storage', `Disk ${diskLabel(disk)}: ${disk.path} is in no storage pool on ${dstName}, so it cannot be checked there. Without copy storage it must be on storage both hosts share.`),
      );
  }
  return out;
}

/**
 * Files a direct kernel boot reads from the host (<os><kernel>, <initrd>, <dtb>): never copied,
 * so the destination needs them at the same paths. Asked of the destination through libvirt
 * (DestinationFiles: its pools, or a transient probe pool over the file's directory): missing
 * is an error; what libvirt cannot answer for, a warning.
 */
async function checkBootFiles({ dst, dstName }: PreflightInput, xml: string): Promise<PreflightProblem[]> {
  const doc = parse(xml);
  const os = doc.root.child('os');
  const files: [string, string][] = [];
  for (const [tag, what] of [
    ['kernel', 'kernel'],
    ['initrd', 'initrd'],
    ['dtb', 'device tree'],
  ] as const) {
    const el = os?.child(tag);
    const p = el ? doc.textContent(el).trim() : '';
    if (p !== '') files.push([what, p]);
  }
  const out: PreflightProblem[] = [];
  const there = new DestinationFiles(dst);
  for (const [what, file] of files) {
    const state = await there.state(file);
    if (state === 'missing') out.push(err('boot', `The VM boots the ${what} ${file}, which does not exist on ${dstName}. Put it there first.`));
    if (state === 'unknown') out.push(warn('boot', `The VM boots the ${what} ${file}, which cannot be checked on ${dstName}: it must exist there at the same path.`));
  }
  return out;
}

/**
 * UEFI: the firmware (`<loader>`), and the VM's variable store (`<nvram>`) or the template libvirt
 * creates it from. None of these is copied by a migration, copy storage included:
 * - the loader must exist on the destination at the same path, or QEMU cannot start there;
 * - the NVRAM file: libvirt creates a missing one from `<nvram template=…>` when the VM starts on
 *   the destination, so the template must be there unless the file already is. In a live
 *   migration QEMU carries the flash contents in the migration stream and writes them to that
 *   file, so the variables survive; an offline one moves only the definition, so a VM whose
 *   NVRAM file is not on the destination (storage not shared) starts there with fresh variables.
 * Each path is asked of the destination through libvirt (DestinationFiles): what it reports
 * missing is an error, what it cannot check a warning.
 */
async function checkFirmware({ dst, dstName, options }: PreflightInput, xml: string): Promise<PreflightProblem[]> {
  const doc = parse(xml);
  const root = doc.root;
  const os = root.child('os');
  const loaderEl = os?.child('loader');
  const nvramEl = os?.child('nvram');
  const loader = loaderEl ? doc.textContent(loaderEl).trim() : '';
  const nvram = nvramEl ? doc.textContent(nvramEl).trim() : '';
  const template = nvramEl?.attr('template') ?? '';
  if (loader === '' && nvram === '') return [];
  const type = os?.child('type');
  const emulator = root.child('devices')?.child('emulator');
  const firmware = await firmwareOf(dst, emulator ? doc.textContent(emulator).trim() : null, type?.attr('arch') ?? null, type?.attr('machine') ?? null, root.attr('type') ?? null);
  const files = new DestinationFiles(dst, firmware);
  const out: PreflightProblem[] = [];
  if (loader !== '') {
    const state = await files.state(loader);
    const offered = [...firmware].sort().join(', ');
    if (state === 'missing') out.push(err('firmware', `${dstName} has no UEFI firmware ${loader}, which this VM boots: it cannot start there. Install the same firmware there${offered !== '' ? ` (${dstName} has ${offered})` : ''}, or change the VM's firmware first.`));
    if (state === 'unknown') out.push(warn('firmware', `The VM's UEFI firmware ${loader} cannot be checked on ${dstName}: it must exist there at the same path.`));
  }
  if (nvram === '') return out;
  const nvramState = await files.state(nvram);
  if (nvramState === 'present') return out;
  const templateState = template === '' ? 'unknown' : await files.state(template);
  if (templateState === 'missing') {
    out.push(err('firmware', `${dstName} has neither this VM's UEFI variable store ${nvram} nor its template ${template} to create it from: the VM cannot start there. Put one of them there first.`));
  } else if (templateState === 'unknown' && nvramState === 'missing') {
    out.push(warn('firmware', `${dstName} has no UEFI variable store ${nvram} for this VM, and ${template !== '' ? `its template ${template} cannot be checked there` : 'the VM names no template to create it from'}: the VM may not start there.`));
  } else if (options.mode === 'offline' && nvramState === 'missing') {
    out.push(warn('firmware', `${dstName} has no copy of this VM's UEFI variable store ${nvram}: an offline migration does not carry it, so the VM starts there with fresh variables from ${template} (its UEFI boot entries and enrolled keys are lost). Copy the file there first to keep them.`));
  } else if (nvramState === 'unknown' && options.mode === 'offline') {
    out.push(warn('firmware', `This VM's UEFI variable store ${nvram} cannot be checked on ${dstName}: unless that path is on storage both hosts share, the VM starts there with fresh variables.`));
  }
  return out;
}

/** The disks copy storage copies: writable, not shared (CD-ROMs and shared images must be there). */
export function isCopied(d: DomainDisk): boolean {
  return (d.device === 'disk' || d.device === 'lun') && !d.readonly && !d.shareable;
}
