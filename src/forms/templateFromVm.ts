// Save as Template on a VM (vscode-free; the command asks the questions): the VM's definition
// becomes a template (vmTemplates.ts templateFromDomain); with `base`, its system disk is first
// copied into a new "<slug>-template-base.qcow2" volume beside it through the storage API
// (virStorageVolCreateXMLFrom), and VMs from the template get a copy-on-write disk of that copy.
// A copy rather than the VM's own disk: the VM keeps running and writing its disk, which would
// corrupt every disk made on top of it. The copy needs the VM shut off (a consistent disk).

import type { Connection, DomainRef, StorageVolRef } from '../libvirt/connection';
import { VirDomainState, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import { diskVolumeOf } from '../libvirt/resources/domainUsage';
import { cloneVolumeXml, volumeFacts } from '../commands/clone/volumeXml';
import { domainDisks } from '../commands/domainXmlFacts';
import { TEMPLATE_FILE_SUFFIX, templateFileName, templateFromDomain, type VmTemplate } from './vmTemplates';

export type TemplateFromVmApi = Pick<
  Connection,
  'domainGetXmlDesc' | 'domainGetState' | 'storagePoolLookupByName' | 'storageVolLookupByName' | 'storageVolLookupByPath' | 'storageVolGetXmlDesc' | 'storageVolGetInfo' | 'storagePoolListAllVolumes' | 'storageVolCreateXmlFrom'
>;

/** The VM's system disk as a pool volume (undefined: it has none, or it is outside every pool). */
export async function systemDiskVolume(conn: TemplateFromVmApi, xml: string): Promise<StorageVolRef | undefined> {
  const disk = domainDisks(xml).find((d) => d.device === 'disk');
  return disk ? diskVolumeOf(conn, disk) : undefined;
}

export async function templateFromVm(
  conn: TemplateFromVmApi,
  dom: DomainRef,
  name: string,
  opts: { readonly base: boolean; readonly description?: string; readonly copying?: (from: StorageVolRef, to: string) => void },
): Promise<{ template: VmTemplate; notes: string[]; base?: StorageVolRef }> {
  // No SECURE flag: a template never sees the passwords of displays or disks.
  const xml = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
  const vol = await systemDiskVolume(conn, xml);
  const info = vol ? await conn.storageVolGetInfo(vol) : undefined;
  let base: StorageVolRef | undefined;
  if (opts.base) {
    if (!vol || !info) throw new Error(`"${dom.name}" has no disk in a storage pool to keep as the template's base volume.`);
    if ((await conn.domainGetState(dom)).state !== VirDomainState.SHUTOFF) throw new Error(`"${dom.name}" is not shut off: shut it down first, so its disk is copied in a consistent state.`);
    const pool = await conn.storagePoolLookupByName(vol.pool);
    const taken = new Set((await conn.storagePoolListAllVolumes(pool)).map((v) => v.name));
    const stem = `${templateFileName(name).slice(0, -TEMPLATE_FILE_SUFFIX.length)}-template-base`;
    let volName = `${stem}.qcow2`;
    for (let i = 2; taken.has(volName); i++) volName = `${stem}-${i}.qcow2`;
    const format = volumeFacts(await conn.storageVolGetXmlDesc(vol)).format;
    opts.copying?.(vol, volName);
    base = await conn.storageVolCreateXmlFrom(pool, cloneVolumeXml(volName, info.capacity, format), vol);
  }
  const { template, notes } = templateFromDomain(
    { xml, ...(info ? { diskCapacityBytes: info.capacity } : {}), ...(vol ? { diskPool: vol.pool } : {}), ...(base ? { baseVolume: { pool: base.pool, volume: base.name } } : {}) },
    name,
    opts.description,
  );
  return { template, notes, ...(base ? { base } : {}) };
}
