// Values chosen for a new device (virt-manager's choices): the bus a disk gets on this machine
// type, a free target name, a free MAC. The devices themselves are built through the document
// model from their kind's description (kinds/, forms/apply.ts addDevice).

import type { DiskBus, DiskDeviceType } from './kinds/disk';
import type { DomainXml } from './domainXml';
import type { XmlElement } from './xmlDocument';

export function isQ35(dom: DomainXml): boolean {
  return machineIsQ35(dom.get('machine') ?? '');
}

export function machineIsQ35(machine: string): boolean {
  return /q35/.test(machine);
}

export function isI440fx(dom: DomainXml): boolean {
  return machineIsI440fx(dom.get('machine') ?? '');
}

/** The i440FX machine types: 'pc', its versions pc-i440fx-*, the old pc-0.* and pc-1.*, and rhel* (libvirt's qemuDomainMachineIsI440FX). */
export function machineIsI440fx(machine: string): boolean {
  return /^(pc$|pc-i440fx-|pc-[01]\.|rhel)/.test(machine);
}

/** Disk index from its target name: vda -> 1, sdb -> 2, hdaa -> 27. */
export function diskIndex(target: string): number {
  const m = /^(?:vd|sd|hd|fd|xvd|ubd|nvme\d*n)([a-z]+)$/.exec(target);
  if (!m) return 0;
  let n = 0;
  for (const ch of m[1]!) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n;
}

const TARGET_PREFIX: Record<DiskBus, string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', usb: 'sd', ide: 'hd', fdc: 'fd', nvme: 'nvme0n', xen: 'xvd', sd: 'mmcblk' };

function letters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(97 + ((x - 1) % 26)) + s;
  return s;
}

/** First free target name for `bus` (vda, vdb ...; sda ... shared by sata/scsi/usb). */
export function allocateDiskTarget(dom: DomainXml, bus: DiskBus): string {
  const prefix = TARGET_PREFIX[bus];
  const used = new Set(dom.devicesOf('disk').map((d) => d.get('target') ?? ''));
  if (bus === 'nvme') {
    for (let i = 1; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
  }
  for (let i = 1; ; i++) {
    const name = prefix + letters(i);
    if (!used.has(name)) return name;
  }
}

/**
 * The bus virt-manager gives a new disk: virtio when the guest has the drivers, else SATA on q35
 * and IDE on i440fx; CD-ROMs on SATA/IDE; floppies on fdc; LUNs on SCSI.
 */
export function defaultDiskBus(dom: DomainXml, device: DiskDeviceType = 'disk', osSupportsVirtio = true): DiskBus {
  const q35 = isQ35(dom);
  if (device === 'floppy') return 'fdc';
  if (device === 'lun') return 'scsi';
  if (device === 'cdrom' || !osSupportsVirtio) return q35 ? 'sata' : 'ide';
  return 'virtio';
}

/** A random locally administered QEMU MAC (52:54:00:xx:xx:xx) not used in the domain. */
export function allocateMac(dom: DomainXml, random: () => number = Math.random): string {
  const used = new Set(dom.devicesOf('interface').map((i) => (i.get('mac') ?? '').toLowerCase()));
  for (;;) {
    const tail = [0, 1, 2].map(() => Math.floor(random() * 256).toString(16).padStart(2, '0'));
    const mac = `52:54:00:${tail.join(':')}`;
    if (!used.has(mac)) return mac;
  }
}

export const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;


/** PCI address text like 0000:01:00.0. */
export const PCI_ADDR_RE = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/**
 * Whether the guest has virtio drivers out of the box, as far as the domain says: Windows (libosinfo
 * ids under microsoft.com) does not, so its new disks get SATA/IDE and its NICs e1000e, as
 * virt-manager does; an unknown OS is assumed modern (virtio). A VM that already uses a virtio
 * disk or NIC has the drivers.
 */
export function guestHasVirtio(dom: DomainXml): boolean {
  if (dom.devicesOf('disk').some((d) => d.get('bus') === 'virtio') || dom.devicesOf('interface').some((i) => (i.get('model') ?? '').startsWith('virtio'))) return true;
  return !/microsoft\.com\/win/.test(dom.osinfoId ?? '');
}

/** The next free index of a controller type (0 when the domain has none of it). */
export function nextControllerIndex(dom: DomainXml, type: string): number {
  const indexes = controllerIndexes(dom.devicesOf('controller').map((c) => c.element));
  const used = [...indexes].filter(([el]) => el.attr('type') === type).map(([, i]) => i);
  return used.length === 0 ? 0 : Math.max(...used) + 1;
}

/** USB 2 controllers: an EHCI and its UHCI companions share one index (libvirt's IS_USB2_CONTROLLER). */
const USB2_MODEL = /^ich9-(ehci1|uhci[123])$/;

/**
 * The index libvirt gives each <controller> (virDomainAssignControllerIndexes, domain_conf.c): its
 * own, or for one without, in document order, the lowest index no controller of its type has yet,
 * except a USB 2 controller right after another USB 2 controller (with no controller of its model
 * on that index yet), which joins that one's index. Index 0 goes to the first PCI controller without
 * one when none has it, before libvirt adds the machine's root bus: so a pcie-root-port without an
 * index on q35 is refused as the root.
 */
export function controllerIndexes(controllers: readonly XmlElement[]): Map<XmlElement, number> {
  const out = new Map<XmlElement, number>();
  const own = (el: XmlElement): number | undefined => {
    const v = el.attr('index');
    return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  };
  for (const el of controllers) {
    const i = own(el);
    if (i !== undefined) out.set(el, i);
  }
  const has = (type: string, index: number, model?: string): boolean => [...out].some(([el, i]) => i === index && el.attr('type') === type && (model === undefined || el.attr('model') === model));
  controllers.forEach((el, k) => {
    if (out.has(el)) return;
    const type = el.attr('type') ?? '';
    if (type === 'usb' && USB2_MODEL.test(el.attr('model') ?? '')) {
      const prev = controllers.slice(0, k).reverse().find((x) => x.attr('type') === 'usb');
      const at = prev !== undefined && USB2_MODEL.test(prev.attr('model') ?? '') ? out.get(prev) : undefined;
      if (at !== undefined && !has('usb', at, el.attr('model'))) {
        out.set(el, at);
        return;
      }
    }
    let i = 0;
    while (has(type, i)) i++;
    out.set(el, i);
  });
  return out;
}
