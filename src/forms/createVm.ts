// Creating a VM on a host, all or nothing: the system disk (new, a copy-on-write overlay of a
// cloud image, or a full copy of one), the cloud-init seed (built here, uploaded as a volume), the definition (define with
// VALIDATE) and the first start. A failure at any step removes what the earlier steps created, so
// the host is as it was; the error names the step. Nothing here needs a shell on the host: volumes
// go through the storage API, bytes through storage streams.
//
// A network install (virt-install's install-time and final definitions): the installer's kernel
// and initrd, fetched by the caller, become two volumes in a pool; the VM is defined to boot them
// (with on_reboot=destroy, so the installer's closing reboot stops it); once QEMU has started
// (it reads both files into memory at start), the final definition (boot from the disk) replaces
// the persistent one and the two volumes are deleted. Deleting them after the first start rather
// than with the VM: they are useless afterwards (the next boot is from the disk), they would
// otherwise linger in the user's pool, and a delete of the VM would have to know them. A VM made
// without starting it (Customize before install) keeps them until Begin Installation, which runs
// the same beginInstallation.

import type { Connection, DomainRef, StoragePoolRef, StorageVolRef } from '../libvirt/connection';
import { seedFiles, seedImage, type CloudInitSpec } from '../libvirt/cloudInit/seed';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import { createVolume } from '../libvirt/resources/operations';
import { uploadBytes } from '../libvirt/resources/transfer';
import { buildVolumeXml, parseVolumeXml } from '../libvirt/resources/volume';
import { allocateMac } from '../libvirt/xml/allocate';
import { DomainXml } from '../libvirt/xml/domainXml';
import { finalDefinition, installDefinition, type NewVmPlan } from './newDomain';

export type CreateVmApi = Pick<
  Connection,
  | 'connectListAllDomains'
  | 'storagePoolLookupByName'
  | 'storagePoolGetInfo'
  | 'storagePoolListAllVolumes'
  | 'storageVolCreateXml'
  | 'storageVolCreateXmlFrom'
  | 'storageVolLookupByName'
  | 'storageVolGetXmlDesc'
  | 'storageVolResize'
  | 'storageVolGetInfo'
  | 'storageVolDelete'
  | 'storageVolUpload'
  | 'storageVolDownload'
  | 'domainDefineXml'
  | 'domainUndefine'
  | 'domainCreate'
  | 'domainDestroy'
  | 'domainGetXmlDesc'
>;

export interface NewDisk {
  readonly pool: string;
  /** The volume name; default "<vm name>.qcow2". */
  readonly name?: string;
  readonly capacityBytes: number;
  readonly format: 'qcow2' | 'raw';
  /** A cloud image (or template) the disk starts from, as a qcow2 overlay backed by it. */
  readonly backing?: { readonly pool: string; readonly volume: string; readonly format: string };
  /**
   * A cloud or disk image copied in full into the new (qcow2) disk, which is then grown to
   * capacityBytes: the VM no longer depends on the image, which may be deleted or changed.
   */
  readonly copyOf?: { readonly pool: string; readonly volume: string };
}

export interface CreateVmRequest {
  /** The plan without its disk and seed: they are the volumes made here (or an existing disk in plan.disk). */
  readonly plan: NewVmPlan;
  readonly newDisk?: NewDisk;
  /** A NoCloud seed for cloud-init, uploaded into the new disk's pool (or `seedPool`). */
  readonly cloudInit?: Omit<CloudInitSpec, 'mac'>;
  readonly seedPool?: string;
  /** Detach the seed after the first boot: the final definition has no seed CD-ROM and the seed volume is deleted once the VM has started. */
  readonly detachSeed?: boolean;
  /** A network install: the installer's kernel and initrd, put into `pool` for the first boot only. */
  readonly installerBoot?: { readonly pool: string; readonly kernel: Uint8Array; readonly initrd: Uint8Array; readonly cmdline?: string };
  readonly start: boolean;
}

export interface CreateVmProgress {
  (step: string): void;
}

export class CreateVmError extends Error {
  override readonly name = 'CreateVmError';
  constructor(
    readonly step: string,
    override readonly cause: unknown,
    /** What was removed again after the failure, and what could not be. */
    readonly rolledBack: readonly string[],
    readonly leftBehind: readonly string[],
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}${leftBehind.length > 0 ? ` (could not remove: ${leftBehind.join(', ')})` : ''}`);
  }

  static is(e: unknown): e is CreateVmError {
    return e instanceof CreateVmError;
  }
}

export interface CreatedVm {
  readonly domain: DomainRef;
  /** Every volume made (the install volumes included, also when already deleted again). */
  readonly volumes: readonly StorageVolRef[];
  readonly started: boolean;
  /** Not started yet: what Begin Installation needs (the installer's kernel and initrd volumes, to delete after the start). */
  readonly pendingInstall?: PendingInstall;
  /** Install volumes that could not be deleted after the start (the VM runs; the user may delete them). */
  readonly leftBehind?: readonly string[];
}

/** A VM defined by the wizard but not started yet (Customize before install). */
export interface PendingInstall {
  readonly domain: DomainRef;
  /** The installer kernel and initrd volumes of a network install (empty otherwise). */
  readonly installVolumes: readonly StorageVolRef[];
  /** Volumes on CD-ROMs only the first boot needs (a cloud-init seed to detach): dropped from the final definition, then deleted. */
  readonly firstBootMedia?: readonly StorageVolRef[];
}

/**
 * Starts the install: the VM's first boot. For a network install, once QEMU runs (the kernel and
 * initrd are in its memory), the persistent definition becomes the final one (no kernel, the disk
 * boots, reboots restart again), built from libvirt's current definition so that changes made
 * before the install are kept, and the kernel and initrd volumes are deleted. Returns what could
 * not be deleted (the VM runs either way).
 */
export async function beginInstallation(conn: CreateVmApi, pending: PendingInstall, progress: CreateVmProgress = () => undefined): Promise<{ leftBehind: string[] }> {
  progress('Starting the VM');
  await conn.domainCreate(pending.domain);
  const leftBehind: string[] = [];
  const media = pending.firstBootMedia ?? [];
  if (pending.installVolumes.length === 0 && media.length === 0) return { leftBehind };
  progress('Defining the final configuration');
  const current = DomainXml.parse(await conn.domainGetXmlDesc(pending.domain, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE));
  await conn.domainDefineXml(finalDefinition(current, media.map((v) => ({ pool: v.pool, volume: v.name }))).toString(), VirDomainDefineFlags.VALIDATE);
  progress(pending.installVolumes.length > 0 ? 'Removing the installer kernel and initrd' : 'Removing the cloud-init seed');
  // QEMU keeps the files it opened at start: this boot still reads them; the next has none.
  for (const v of [...pending.installVolumes, ...media]) {
    await conn.storageVolDelete(v, 0).catch(() => leftBehind.push(`volume ${v.pool}/${v.name}`));
  }
  return { leftBehind };
}

/** Creates the VM; on failure removes what it created and throws CreateVmError. */
export async function createVm(conn: CreateVmApi, req: CreateVmRequest, progress: CreateVmProgress = () => undefined): Promise<CreatedVm> {
  const undo: { what: string; run: () => Promise<unknown> }[] = [];
  const volumes: StorageVolRef[] = [];
  const installVolumes: StorageVolRef[] = [];
  const firstBootMedia: StorageVolRef[] = [];
  let step = 'Checking the name';
  try {
    progress(step);
    const taken = (await conn.connectListAllDomains()).some((d) => d.name === req.plan.name);
    if (taken) throw new Error(`A VM named '${req.plan.name}' already exists on this host`);

    let plan: NewVmPlan = req.plan;
    if (req.newDisk) {
      const d = req.newDisk;
      step = `Creating the disk in pool '${d.pool}'`;
      progress(step);
      const pool = await conn.storagePoolLookupByName(d.pool);
      let backingPath: string | undefined;
      let copySource: { readonly vol: StorageVolRef; readonly capacity: number } | undefined;
      const from = d.backing ?? d.copyOf;
      if (from) {
        const base = await conn.storageVolLookupByName(await conn.storagePoolLookupByName(from.pool), from.volume);
        const baseInfo = await conn.storageVolGetInfo(base);
        if (d.capacityBytes < baseInfo.capacity) throw new Error(`The disk (${d.capacityBytes} bytes) cannot be smaller than the image it starts from (${baseInfo.capacity} bytes)`);
        if (d.backing) {
          backingPath = parseVolumeXml(await conn.storageVolGetXmlDesc(base)).path;
          if (!backingPath) throw new Error(`Volume ${from.pool}/${from.volume} has no path to start a disk from`);
        } else {
          copySource = { vol: base, capacity: baseInfo.capacity };
        }
      }
      const format = from ? 'qcow2' : d.format;
      const name = d.name ?? `${req.plan.name}.${format === 'raw' ? 'img' : 'qcow2'}`;
      let vol: StorageVolRef;
      if (copySource) {
        // libvirt copies (qemu-img convert on the host) at the image's size; the copy then grows.
        step = `Copying ${d.copyOf!.pool}/${d.copyOf!.volume} into the new disk in pool '${d.pool}'`;
        progress(step);
        vol = await conn.storageVolCreateXmlFrom(pool, buildVolumeXml({ name, format, capacity: copySource.capacity }), copySource.vol, 0);
      } else {
        // A raw disk is allocated in full (as the wizard says: it must fit in the pool, and it is
        // fastest without later allocation); qcow2 grows as the guest writes.
        ({ vol } = await createVolume(conn, pool, {
          name,
          format,
          capacity: d.capacityBytes,
          ...(format === 'raw' ? { allocation: d.capacityBytes } : {}),
          ...(backingPath ? { backingPath, backingFormat: d.backing!.format } : {}),
        }));
      }
      volumes.push(vol);
      const made = vol;
      undo.push({ what: `volume ${made.pool}/${made.name}`, run: () => conn.storageVolDelete(made, 0) });
      if (copySource && d.capacityBytes > copySource.capacity) {
        step = `Growing the disk ${vol.name} to ${d.capacityBytes} bytes`;
        progress(step);
        await conn.storageVolResize(vol, d.capacityBytes, 0);
      }
      plan = { ...plan, disk: { pool: vol.pool, volume: vol.name, format } };
    }

    if (req.installerBoot) {
      const b = req.installerBoot;
      step = `Storing the installer kernel and initrd in pool '${b.pool}'`;
      progress(step);
      const pool = await conn.storagePoolLookupByName(b.pool);
      const paths: string[] = [];
      for (const [suffix, data] of [
        ['install-vmlinuz', b.kernel],
        ['install-initrd', b.initrd],
      ] as const) {
        const { vol } = await createVolume(conn, pool, { name: `${req.plan.name}-${suffix}`, format: 'raw', capacity: data.length, allocation: 0 });
        volumes.push(vol);
        installVolumes.push(vol);
        undo.push({ what: `volume ${vol.pool}/${vol.name}`, run: () => conn.storageVolDelete(vol, 0) });
        await uploadBytes(conn, vol, data);
        const path = parseVolumeXml(await conn.storageVolGetXmlDesc(vol)).path;
        if (!path) throw new Error(`Volume ${vol.pool}/${vol.name} has no path to boot from`);
        paths.push(path);
      }
      plan = { ...plan, kernelBoot: { kernel: paths[0]!, initrd: paths[1]!, ...(b.cmdline ? { cmdline: b.cmdline } : {}) } };
    }

    // The NIC's MAC is chosen first: the seed's network-config matches the NIC by it.
    if (!plan.mac && plan.network?.type !== 'none') plan = { ...plan, mac: allocateMac(installDefinition(plan)) };
    if (req.cloudInit) {
      const mac = plan.mac;
      step = 'Writing the cloud-init seed';
      progress(step);
      const image = seedImage(seedFiles({ ...req.cloudInit, ...(mac ? { mac } : {}) }));
      const poolName = req.seedPool ?? req.newDisk?.pool ?? ('pool' in (plan.disk ?? {}) ? (plan.disk as { pool: string }).pool : undefined);
      if (!poolName) throw new Error('The cloud-init seed needs a storage pool');
      const pool: StoragePoolRef = await conn.storagePoolLookupByName(poolName);
      const { vol } = await createVolume(conn, pool, { name: `${req.plan.name}-cidata.iso`, format: 'raw', capacity: image.length, allocation: 0 });
      volumes.push(vol);
      undo.push({ what: `volume ${vol.pool}/${vol.name}`, run: () => conn.storageVolDelete(vol, 0) });
      await uploadBytes(conn, vol, image);
      plan = { ...plan, seed: { pool: vol.pool, volume: vol.name } };
      if (req.detachSeed) firstBootMedia.push(vol);
    }
    const dom = installDefinition(plan);

    step = 'Defining the VM';
    progress(step);
    const domain = await conn.domainDefineXml(dom.toString(), VirDomainDefineFlags.VALIDATE);
    undo.push({ what: `VM ${req.plan.name}`, run: () => conn.domainUndefine(domain, VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM) });

    const pendingInstall: PendingInstall = { domain, installVolumes, ...(firstBootMedia.length > 0 ? { firstBootMedia } : {}) };
    if (!req.start) return { domain, volumes, started: false, pendingInstall };
    step = 'Starting the VM';
    const { leftBehind } = await beginInstallation(conn, pendingInstall, (s) => {
      // Once the VM runs, a failure must stop it before the rest is removed.
      if (s !== 'Starting the VM' && !undo.some((u) => u.what.startsWith('the running VM'))) undo.push({ what: `the running VM ${req.plan.name}`, run: () => conn.domainDestroy(domain).catch(() => undefined) });
      step = s;
      progress(s);
    });
    return { domain, volumes, started: true, ...(leftBehind.length > 0 ? { leftBehind } : {}) };
  } catch (e) {
    const rolledBack: string[] = [];
    const leftBehind: string[] = [];
    for (const u of undo.reverse()) {
      try {
        await u.run();
        rolledBack.push(u.what);
      } catch {
        leftBehind.push(u.what);
      }
    }
    throw new CreateVmError(step, e, rolledBack, leftBehind);
  }
}
