// Everything a passthrough choice needs, read in one go: the host's PCI, USB and mediated devices
// (one node device listing), whether the host has an IOMMU (its capabilities), and which VMs use
// which device (one bulk read of every domain's definition, never a call per VM). The advice
// functions turn that into the words a form shows: who else uses a device, what else its IOMMU
// group takes from the host, why it may not start.

import { randomUUID } from 'node:crypto';
import { VirErrorNumber } from '../generated/libvirtConstants';
import type { NodeDeviceRef } from '../refs';
import { LibvirtError } from '../rpc/errors';
import { hostDeviceUsers, loadDomainUsages, type DomainListApi, type DomainUsage } from './domainUsage';
import {
  buildMdevXml,
  formatPciAddress,
  groupMembersLeftOnHost,
  otherFunctions,
  hostDeviceLabel,
  hostIommuSupport,
  isVfioBound,
  readNodeDevices,
  type HostDevice,
  type HostDeviceApi,
  type MdevDevice,
  type PciAddress,
  type PciHostDevice,
  type UsbHostDevice,
} from './hostDevice';

export interface HostDeviceInventory {
  readonly devices: readonly HostDevice[];
  readonly mdevs: readonly MdevDevice[];
  /** Whether the host has an IOMMU enabled; undefined when libvirt does not say. */
  readonly iommu: boolean | undefined;
  /** Every domain's device usage (persistent or live definition, as libvirt returns it). */
  readonly usages: readonly DomainUsage[];
}

export type InventoryApi = HostDeviceApi & DomainListApi & { connectGetCapabilities(): Promise<string> };

/** Reads the inventory: the node devices, the capabilities and every domain's XML, all in flight together. */
export async function loadHostDeviceInventory(conn: InventoryApi): Promise<HostDeviceInventory> {
  const [listing, caps, usages] = await Promise.all([
    readNodeDevices(conn),
    conn.connectGetCapabilities().catch(() => undefined),
    loadDomainUsages(conn),
  ]);
  return { ...listing, iommu: caps === undefined ? undefined : hostIommuSupport(caps), usages };
}

/** What a passthrough target is, for the usage lookup. */
export type AssignTarget =
  | { readonly kind: 'pci'; readonly address: PciAddress }
  | { readonly kind: 'usb'; readonly vendorId: string; readonly productId: string; readonly bus: number; readonly device: number }
  | { readonly kind: 'mdev'; readonly uuid: string };

export function targetOf(d: PciHostDevice | UsbHostDevice | MdevDevice): AssignTarget {
  if (d.kind === 'pci') return { kind: 'pci', address: d.address };
  if (d.kind === 'usb') return { kind: 'usb', vendorId: d.vendorId, productId: d.productId, bus: d.bus, device: d.device };
  return { kind: 'mdev', uuid: d.uuid };
}

/** The VMs (other than `exceptUuid`) that have the device in their definition, running ones marked. */
export function otherUsers(inv: HostDeviceInventory, target: AssignTarget, exceptUuid?: string): { readonly name: string; readonly running: boolean }[] {
  return hostDeviceUsers(inv.usages, target)
    .filter((u) => u.dom.uuid !== exceptUuid)
    .map((u) => ({ name: u.dom.name, running: u.running }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A remark about assigning a device: `error` when libvirt would refuse, `warning` when it needs care. */
export interface AssignAdvice {
  readonly severity: 'error' | 'warning';
  readonly code: 'no-iommu' | 'used-by-other' | 'group-on-host' | 'bridge' | 'not-vfio' | 'missing';
  readonly message: string;
}

/** "vm-a (running), vm-b" */
function names(users: readonly { readonly name: string; readonly running: boolean }[]): string {
  return users.map((u) => (u.running ? `${u.name} (running)` : u.name)).join(', ');
}

export const NO_IOMMU_MESSAGE =
  'This host has no IOMMU enabled, so PCI and mediated devices cannot be passed through: the VM is defined with the device but will not start. ' +
  'Enable VT-d/AMD-Vi in the firmware and boot the host with intel_iommu=on (Intel) or amd_iommu=on (AMD).';

function usedAdvice(inv: HostDeviceInventory, what: string, target: AssignTarget, domainUuid: string | undefined): AssignAdvice[] {
  const users = otherUsers(inv, target, domainUuid);
  if (users.length === 0) return [];
  const running = users.some((u) => u.running);
  return [
    {
      severity: 'warning',
      code: 'used-by-other',
      message: `${what} is assigned to ${names(users)}: ${running ? 'this VM cannot start with it while that VM runs' : 'only one VM at a time can run with it'}.`,
    },
  ];
}

/**
 * What to tell the user about passing a PCI device to the VM `domainUuid`: no IOMMU, a bridge, other
 * VMs using it, members of its IOMMU group that stay with the host (unless `alsoAssigned` lists
 * them), a driver other than vfio-pci when libvirt will not manage the device.
 */
export function pciAdvice(
  inv: HostDeviceInventory,
  d: PciHostDevice,
  opts: { readonly domainUuid?: string; readonly managed?: boolean; readonly alsoAssigned?: readonly PciAddress[] } = {},
): AssignAdvice[] {
  const addr = formatPciAddress(d.address);
  const out: AssignAdvice[] = [];
  if (d.isBridge) out.push({ severity: 'error', code: 'bridge', message: `${addr} is a PCI bridge; bridges cannot be passed through.` });
  if (inv.iommu === false) out.push({ severity: 'warning', code: 'no-iommu', message: NO_IOMMU_MESSAGE });
  out.push(...usedAdvice(inv, `${addr} (${hostDeviceLabel(d)})`, { kind: 'pci', address: d.address }, opts.domainUuid));
  const also = opts.alsoAssigned ?? [];
  const left = groupMembersLeftOnHost(d, inv.devices).filter((m) => !also.some((a) => formatPciAddress(a) === formatPciAddress(m.address)));
  if (left.length > 0) {
    const list = left.map((m) => `${formatPciAddress(m.address)}${m.device ? ` (${hostDeviceLabel(m.device)})` : ''}`).join(', ');
    out.push({
      severity: 'warning',
      code: 'group-on-host',
      message: `IOMMU group ${d.iommuGroup ?? '?'} also holds ${list}: the whole group is taken from the host when the VM starts. Assign ${left.length === 1 ? 'it' : 'them'} to this VM too, or make sure the host does not need ${left.length === 1 ? 'it' : 'them'}.`,
    });
  }
  if (opts.managed === false && !isVfioBound(d)) {
    out.push({
      severity: 'warning',
      code: 'not-vfio',
      message: `${addr} is bound to ${d.driver ?? 'no driver'}, not vfio-pci: with "Managed" off, detach it first (virsh nodedev-detach ${d.name}) or the VM will not start.`,
    });
  }
  return out;
}

export function usbAdvice(inv: HostDeviceInventory, d: UsbHostDevice, domainUuid?: string): AssignAdvice[] {
  return usedAdvice(inv, `USB device ${d.bus}:${d.device} (${hostDeviceLabel(d)})`, { kind: 'usb', vendorId: d.vendorId, productId: d.productId, bus: d.bus, device: d.device }, domainUuid);
}

export function mdevAdvice(inv: HostDeviceInventory, uuid: string, domainUuid?: string): AssignAdvice[] {
  const out: AssignAdvice[] = [];
  if (inv.iommu === false) out.push({ severity: 'warning', code: 'no-iommu', message: NO_IOMMU_MESSAGE });
  out.push(...usedAdvice(inv, `Mediated device ${uuid}`, { kind: 'mdev', uuid }, domainUuid));
  return out;
}

export interface MdevCreateApi {
  nodeDeviceDefineXml(xml: string, flags?: number): Promise<NodeDeviceRef>;
  nodeDeviceCreate(dev: NodeDeviceRef, flags?: number): Promise<void>;
  nodeDeviceDestroy(dev: NodeDeviceRef): Promise<void>;
  nodeDeviceUndefine(dev: NodeDeviceRef, flags?: number): Promise<void>;
}

export interface CreatedMdev {
  readonly uuid: string;
  readonly ref: NodeDeviceRef;
  /** Stops and undefines exactly this mediated device (when the VM it was made for is not defined after all). */
  remove(): Promise<void>;
}

/**
 * Creates a mediated device of `typeId` under `parent` (a node device name like pci_0000_01_00_0)
 * the way libvirt 9.0 keeps one across host reboots: nodeDeviceDefineXml (mdevctl on the host),
 * then nodeDeviceCreate. A definition whose start fails is undefined again.
 */
export async function createMdev(conn: MdevCreateApi, parent: string, typeId: string, uuid: string = randomUUID()): Promise<CreatedMdev> {
  const ref = await conn.nodeDeviceDefineXml(buildMdevXml({ parent, typeId, uuid }));
  try {
    await conn.nodeDeviceCreate(ref);
  } catch (e) {
    await conn.nodeDeviceUndefine(ref).catch(() => undefined);
    throw e;
  }
  return {
    uuid,
    ref,
    remove: async () => {
      await conn.nodeDeviceDestroy(ref).catch(() => undefined);
      await conn.nodeDeviceUndefine(ref);
    },
  };
}

/**
 * libvirt refuses to start a VM with a PCI or mediated host device on a host without an IOMMU
 * ("host doesn't support passthrough of host PCI devices", VIR_ERR_CONFIG_UNSUPPORTED). That error
 * has no code of its own, so its text is matched here, in one place, and replaced by one that says
 * what to do; any other error is returned unchanged.
 */
export function explainStartError(e: unknown): unknown {
  if (LibvirtError.is(e) && e.code === VirErrorNumber.CONFIG_UNSUPPORTED && /passthrough of host PCI devices/.test(e.message)) {
    return new PassthroughUnavailableError(e);
  }
  return e;
}

export class PassthroughUnavailableError extends Error {
  override readonly name = 'PassthroughUnavailableError';
  constructor(readonly libvirtError: LibvirtError) {
    super(`${NO_IOMMU_MESSAGE.replace('the VM is defined with the device but will not start', 'this VM cannot start while it has one')} (libvirt: ${libvirtError.message})`, { cause: libvirtError });
  }
  static is(e: unknown): e is PassthroughUnavailableError {
    return e instanceof PassthroughUnavailableError;
  }
}

// ------------------------------------------------------------- a choice in a form, as values

/** Values of a form, as the descriptions hold them. */
type FormValues = Readonly<Record<string, string | number | boolean | undefined>>;

/** USB option values: "046d:c52b" (vendor:product), or "046d:c52b@1.4" when two devices share the ids. */
export function usbOptionValue(d: UsbHostDevice, devices: readonly UsbHostDevice[]): string {
  const ids = `${d.vendorId.replace(/^0x/, '')}:${d.productId.replace(/^0x/, '')}`.toLowerCase();
  const twins = devices.filter((x) => x.vendorId.toLowerCase() === d.vendorId.toLowerCase() && x.productId.toLowerCase() === d.productId.toLowerCase());
  return twins.length > 1 ? `${ids}@${d.bus}.${d.device}` : ids;
}

const USB_VALUE_RE = /^([0-9a-f]{4}):([0-9a-f]{4})(?:@(\d+)\.(\d+))?$/i;

/**
 * The <hostdev type='usb'> values of a USB option: by vendor and product (the device keeps working
 * when it moves to another port, as virt-manager does), plus bus and device when the ids are not unique.
 */
export function usbSourceValues(value: string): Record<string, string | undefined> | undefined {
  const m = USB_VALUE_RE.exec(value.trim());
  if (!m) return undefined;
  return { vendorId: `0x${m[1]!.toLowerCase()}`, productId: `0x${m[2]!.toLowerCase()}`, sourceBus: m[3], sourceDevice: m[4] };
}

/** mdev type option values: "<parent node device>/<type id>". */
export const mdevTypeValue = (parent: string, typeId: string): string => `${parent}/${typeId}`;

export function parseMdevTypeValue(value: string): { readonly parent: string; readonly typeId: string } | undefined {
  const i = value.indexOf('/');
  return i > 0 && i < value.length - 1 ? { parent: value.slice(0, i), typeId: value.slice(i + 1) } : undefined;
}

/** What the form shows on a field about the chosen device (warnings and errors), given the form's values. */
export function hostdevAdvice(inv: HostDeviceInventory, values: FormValues, domainUuid?: string): { readonly field: string; readonly advice: AssignAdvice }[] {
  const at = (field: string, list: readonly AssignAdvice[]): { readonly field: string; readonly advice: AssignAdvice }[] => list.map((advice) => ({ field, advice }));
  if (values.type === 'pci' && typeof values.pciAddress === 'string') {
    const d = inv.devices.find((x): x is PciHostDevice => x.kind === 'pci' && formatPciAddress(x.address) === values.pciAddress);
    if (!d) return [{ field: 'pciAddress', advice: { severity: 'warning', code: 'missing', message: `PCI device ${values.pciAddress} is not on this host` } }];
    const also = values.withFunctions === true ? otherFunctions(d, inv.devices).map((f) => f.address) : [];
    return at('pciAddress', pciAdvice(inv, d, { ...(domainUuid ? { domainUuid } : {}), managed: values.managed !== false, alsoAssigned: also }));
  }
  if (values.type === 'usb' && typeof values.vendorId === 'string' && typeof values.productId === 'string') {
    const n = (s: FormValues[string]): number => (typeof s === 'string' && s !== '' ? Number(s) : NaN);
    const d = inv.devices.find(
      (x): x is UsbHostDevice =>
        x.kind === 'usb' && Number(x.vendorId) === n(values.vendorId) && Number(x.productId) === n(values.productId) && (values.sourceBus === undefined || x.bus === n(values.sourceBus)) && (values.sourceDevice === undefined || x.device === n(values.sourceDevice)),
    );
    return d ? at('vendorId', usbAdvice(inv, d, domainUuid)) : [];
  }
  if (values.type === 'mdev' && typeof values.mdevUuid === 'string') return at('mdevUuid', mdevAdvice(inv, values.mdevUuid, domainUuid));
  return [];
}

/**
 * The other functions of a chosen GPU (its HDMI audio and the like) as values for more PCI host
 * devices, for "also assign the GPU's other functions".
 */
export function otherFunctionDevices(inv: HostDeviceInventory, address: string, managed: boolean): Record<string, string | boolean>[] {
  const d = inv.devices.find((x): x is PciHostDevice => x.kind === 'pci' && formatPciAddress(x.address) === address);
  return d ? otherFunctions(d, inv.devices).map((f) => ({ type: 'pci', pciAddress: formatPciAddress(f.address), managed })) : [];
}
