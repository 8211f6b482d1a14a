// Host devices from libvirt's node device driver (docs/formatnode.rst): PCI devices with vendor,
// product, driver, class, IOMMU group, SR-IOV physical/virtual functions and mediated-device
// types; USB devices; existing mediated devices. Listing is one connectListAllNodeDevices plus the
// XML of each device, all calls pipelined on the connection. The relations between devices (a
// group's members, a GPU's other functions, a PF's VFs) are worked out from that one listing.

import { VirConnectListAllNodeDeviceFlags } from '../generated/libvirtConstants';
import type { NodeDeviceRef } from '../refs';
import { knownPciProduct, knownPciVendor, pciClassName, usbClassName } from './deviceNames';
import { attr, child, children, escapeXml, parseXmlElement, textOf, type XmlElement } from './xmlElement';

export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly function: number;
}

export interface MdevType {
  readonly id: string;
  readonly name?: string;
  readonly deviceApi?: string;
  readonly availableInstances?: number;
}

interface DeviceCommon {
  /** libvirt's node device name, e.g. pci_0000_00_02_0. */
  readonly name: string;
  readonly parent?: string;
  readonly driver?: string;
  readonly vendorId: string;
  readonly vendorName?: string;
  readonly productId: string;
  readonly productName?: string;
}

export interface PciHostDevice extends DeviceCommon {
  readonly kind: 'pci';
  readonly address: PciAddress;
  /** PCI class code, e.g. 0x030000 (VGA controller). */
  readonly classCode?: number;
  readonly iommuGroup?: number;
  /** Addresses in the same IOMMU group, this device excluded. */
  readonly iommuPeers: readonly PciAddress[];
  readonly mdevTypes: readonly MdevType[];
  readonly isBridge: boolean;
  /** For an SR-IOV virtual function: its physical function. */
  readonly physFunction?: PciAddress;
  /** For an SR-IOV physical function: its virtual functions (as many as are enabled now). */
  readonly virtFunctions: readonly PciAddress[];
  /** For an SR-IOV physical function: how many VFs it could have (sriov_totalvfs), when known. */
  readonly maxVirtFunctions?: number;
}

/** A mediated device (formatnode.rst "mdev"): an instance of a parent's mdev type. */
export interface MdevDevice {
  readonly kind: 'mdev';
  /** libvirt's node device name, e.g. mdev_4b20d080_1b54_4048_85b3_a6a62d165c01 (or ..._0000_01_00_0 when defined). */
  readonly name: string;
  /** The parent's node device name (pci_0000_01_00_0). */
  readonly parent?: string;
  readonly uuid: string;
  readonly typeId: string;
  readonly iommuGroup?: number;
  readonly driver?: string;
  /** Vendor attributes (name/value, in order). */
  readonly attrs: readonly { readonly name: string; readonly value: string }[];
}

export interface UsbHostDevice extends DeviceCommon {
  readonly kind: 'usb';
  readonly bus: number;
  readonly device: number;
  /** Classes of the device's interfaces (its usb interface node devices), e.g. 8 for mass storage. */
  readonly interfaceClasses: readonly number[];
}

export type HostDevice = PciHostDevice | UsbHostDevice;

function int(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = s.trim().toLowerCase().startsWith('0x') ? parseInt(s.trim().slice(2), 16) : Number(s.trim());
  return Number.isFinite(n) ? n : 0;
}

function pciAddressOf(el: XmlElement): PciAddress {
  return { domain: int(el.attrs['domain']), bus: int(el.attrs['bus']), slot: int(el.attrs['slot']), function: int(el.attrs['function']) };
}

/** "0000:00:02.0" */
export function formatPciAddress(a: PciAddress): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${h(a.function, 1)}`;
}

export function samePciAddress(a: PciAddress, b: PciAddress): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot && a.function === b.function;
}

/** PCI base class 0x03: display controllers (VGA, 3D, other). */
export function isGpu(d: HostDevice): boolean {
  return d.kind === 'pci' && d.classCode !== undefined && d.classCode >> 16 === 0x03;
}

/** Parses one node device XML; undefined for devices that are neither PCI nor USB devices. */
export function parseHostDeviceXml(xml: string): HostDevice | undefined {
  return hostDeviceOf(parseXmlElement(xml));
}

function hostDeviceOf(root: XmlElement): HostDevice | undefined {
  const name = textOf(root, 'name') ?? '';
  const common = (cap: XmlElement): DeviceCommon => ({
    name,
    parent: textOf(root, 'parent'),
    driver: textOf(root, 'driver/name'),
    vendorId: attr(child(cap, 'vendor'), 'id') ?? '',
    vendorName: textOf(cap, 'vendor'),
    productId: attr(child(cap, 'product'), 'id') ?? '',
    productName: textOf(cap, 'product'),
  });
  for (const cap of children(root, 'capability')) {
    if (cap.attrs['type'] === 'pci') {
      const address: PciAddress = { domain: int(textOf(cap, 'domain')), bus: int(textOf(cap, 'bus')), slot: int(textOf(cap, 'slot')), function: int(textOf(cap, 'function')) };
      const group = child(cap, 'iommuGroup');
      const inner = children(cap, 'capability');
      const mdev = inner.find((c) => c.attrs['type'] === 'mdev_types');
      const pf = child(inner.find((c) => c.attrs['type'] === 'phys_function'), 'address');
      const vfs = inner.find((c) => c.attrs['type'] === 'virt_functions');
      const cls = textOf(cap, 'class');
      return {
        kind: 'pci',
        ...common(cap),
        address,
        classCode: cls !== undefined ? int(cls) : undefined,
        iommuGroup: group ? int(group.attrs['number']) : undefined,
        iommuPeers: children(group, 'address').map(pciAddressOf).filter((a) => !samePciAddress(a, address)),
        mdevTypes: children(mdev, 'type').map((t) => ({
          id: t.attrs['id'] ?? '',
          name: textOf(t, 'name'),
          deviceApi: textOf(t, 'deviceAPI'),
          availableInstances: textOf(t, 'availableInstances') !== undefined ? int(textOf(t, 'availableInstances')) : undefined,
        })),
        isBridge: inner.some((c) => c.attrs['type'] === 'pci-bridge' || c.attrs['type'] === 'cardbus-bridge'),
        ...(pf ? { physFunction: pciAddressOf(pf) } : {}),
        virtFunctions: children(vfs, 'address').map(pciAddressOf),
        ...(vfs?.attrs['maxCount'] !== undefined ? { maxVirtFunctions: int(vfs.attrs['maxCount']) } : {}),
      };
    }
    if (cap.attrs['type'] === 'usb_device') {
      return { kind: 'usb', ...common(cap), bus: int(textOf(cap, 'bus')), device: int(textOf(cap, 'device')), interfaceClasses: [] };
    }
  }
  return undefined;
}

/** Parses a mediated device's node device XML; undefined for any other device. */
export function parseMdevXml(xml: string): MdevDevice | undefined {
  return mdevOf(parseXmlElement(xml));
}

function mdevOf(root: XmlElement): MdevDevice | undefined {
  const cap = children(root, 'capability').find((c) => c.attrs['type'] === 'mdev');
  if (!cap) return undefined;
  const group = child(cap, 'iommuGroup');
  return {
    kind: 'mdev',
    name: textOf(root, 'name') ?? '',
    parent: textOf(root, 'parent'),
    // libvirt < 7.3 named the device after its UUID and had no <uuid> element.
    uuid: textOf(cap, 'uuid') ?? (textOf(root, 'name') ?? '').replace(/^mdev_/, '').slice(0, 36).replace(/_/g, '-'),
    typeId: attr(child(cap, 'type'), 'id') ?? '',
    ...(group ? { iommuGroup: int(group.attrs['number']) } : {}),
    driver: textOf(root, 'driver/name'),
    attrs: children(cap, 'attr').map((a) => ({ name: a.attrs['name'] ?? '', value: a.attrs['value'] ?? '' })),
  };
}

/** A USB interface node device (capability type 'usb'): its USB device and its class. */
export function parseUsbInterfaceXml(xml: string): { readonly parent: string; readonly cls: number } | undefined {
  return usbInterfaceOf(parseXmlElement(xml));
}

function usbInterfaceOf(root: XmlElement): { readonly parent: string; readonly cls: number } | undefined {
  const parent = textOf(root, 'parent');
  const cap = children(root, 'capability').find((c) => c.attrs['type'] === 'usb');
  const cls = cap ? textOf(cap, 'class') : undefined;
  return parent !== undefined && cls !== undefined ? { parent, cls: int(cls) } : undefined;
}

/** "8086:100e" */
export function hostDeviceIds(d: HostDevice): string {
  return `${d.vendorId.replace(/^0x/, '')}:${d.productId.replace(/^0x/, '')}`;
}

/** The device's class: "Ethernet controller" (PCI class code), "Mass Storage" (USB interfaces). */
export function hostDeviceClass(d: HostDevice): string | undefined {
  if (d.kind === 'pci') return d.classCode === undefined ? undefined : pciClassName(d.classCode);
  const names = [...new Set(d.interfaceClasses.map(usbClassName).filter((n): n is string => n !== undefined))];
  return names.length > 0 ? names.join(', ') : undefined;
}

/** The vendor's name: the host's ID database's, else the known PCI vendors'. */
export function hostDeviceVendor(d: HostDevice): string | undefined {
  return d.vendorName ?? (d.kind === 'pci' ? knownPciVendor(d.vendorId) : undefined);
}

/** The product's name: the host's ID database's, else the known virtio devices'. */
export function hostDeviceProduct(d: HostDevice): string | undefined {
  return d.productName ?? (d.kind === 'pci' ? knownPciProduct(d.vendorId, d.productId) : undefined);
}

/**
 * The best name there is: vendor and product as the host's ID database names them ("Intel
 * Corporation 82540EM"); without one, a known virtio device ("Virtio network device"), a known
 * vendor and the class ("Intel Host bridge"), the class ("Ethernet controller"), or the bare ids.
 */
export function hostDeviceLabel(d: HostDevice): string {
  if (d.vendorName || d.productName) return `${d.vendorName ?? d.vendorId.replace(/^0x/, '')} ${d.productName ?? d.productId.replace(/^0x/, '')}`;
  const product = hostDeviceProduct(d);
  if (product) return product;
  const cls = hostDeviceClass(d);
  const vendor = hostDeviceVendor(d);
  if (cls) return vendor ? `${vendor} ${cls}` : cls;
  return hostDeviceIds(d);
}

export interface HostDeviceApi {
  connectListAllNodeDevices(flags?: number): Promise<NodeDeviceRef[]>;
  nodeDeviceGetXmlDesc(dev: NodeDeviceRef, flags?: number): Promise<string>;
}

/** What one listing of the host's node devices holds. */
export interface NodeDeviceListing {
  /** PCI and USB devices (USB devices with their interface classes), sorted by kind then address. */
  readonly devices: readonly HostDevice[];
  /** Existing mediated devices, by parent then UUID. */
  readonly mdevs: readonly MdevDevice[];
}

/**
 * The host's PCI, USB and mediated devices: one connectListAllNodeDevices, then every device's
 * XML pipelined; a device that vanished in between is skipped.
 */
export async function readNodeDevices(conn: HostDeviceApi): Promise<NodeDeviceListing> {
  const F = VirConnectListAllNodeDeviceFlags;
  const refs = await conn.connectListAllNodeDevices(F.PCI_DEV | F.USB_DEV | F.USB_INTERFACE | F.MDEV);
  const xmls = await Promise.all(refs.map((r) => conn.nodeDeviceGetXmlDesc(r).catch(() => undefined)));
  return parseNodeDevices(xmls.filter((x): x is string => x !== undefined));
}

/** The devices of a set of node device XMLs (what readNodeDevices fetched). */
export function parseNodeDevices(xmls: readonly string[]): NodeDeviceListing {
  const classes = new Map<string, number[]>();
  const mdevs: MdevDevice[] = [];
  const parsed = xmls.flatMap((x) => {
    // One parse per XML, then whichever reading fits.
    const root = parseXmlElement(x);
    const d = hostDeviceOf(root);
    if (d) return [d];
    const usbInterface = usbInterfaceOf(root);
    if (usbInterface) classes.set(usbInterface.parent, [...(classes.get(usbInterface.parent) ?? []), usbInterface.cls]);
    const m = usbInterface ? undefined : mdevOf(root);
    if (m) mdevs.push(m);
    return [];
  });
  const devices = parsed.map((d): HostDevice => (d.kind === 'usb' ? { ...d, interfaceClasses: classes.get(d.name) ?? [] } : d));
  const key = (d: HostDevice): string => (d.kind === 'pci' ? `0${formatPciAddress(d.address)}` : `1${String(d.bus).padStart(3, '0')}:${String(d.device).padStart(3, '0')}`);
  return {
    devices: devices.sort((a, b) => key(a).localeCompare(key(b))),
    mdevs: mdevs.sort((a, b) => `${a.parent ?? ''} ${a.uuid}`.localeCompare(`${b.parent ?? ''} ${b.uuid}`)),
  };
}

/** All PCI and USB devices of the host (USB devices with their interface classes), sorted by kind then address. */
export async function listHostDevices(conn: HostDeviceApi): Promise<HostDevice[]> {
  return [...(await readNodeDevices(conn)).devices];
}

// ---------------------------------------------------------------- relations between devices

/** The PCI device at an address, if the listing has it. */
export function pciDeviceAt(devices: readonly HostDevice[], a: PciAddress): PciHostDevice | undefined {
  return devices.find((d): d is PciHostDevice => d.kind === 'pci' && samePciAddress(d.address, a));
}

/** Every address of the device's IOMMU group, this device first (just the device when it has no group). */
export function iommuGroupAddresses(d: PciHostDevice): PciAddress[] {
  return [d.address, ...d.iommuPeers];
}

/**
 * The other members of the device's IOMMU group that a passthrough would take from the host too:
 * PCI bridges are left out (vfio leaves them to the host; virt-manager does the same).
 */
export function groupMembersLeftOnHost(d: PciHostDevice, devices: readonly HostDevice[]): { readonly address: PciAddress; readonly device?: PciHostDevice }[] {
  return d.iommuPeers.flatMap((a) => {
    const dev = pciDeviceAt(devices, a);
    return dev?.isBridge ? [] : [{ address: a, ...(dev ? { device: dev } : {}) }];
  });
}

/** The other functions of the same PCI slot (a GPU's HDMI audio, its USB-C controller). */
export function otherFunctions(d: PciHostDevice, devices: readonly HostDevice[]): PciHostDevice[] {
  return devices.filter(
    (x): x is PciHostDevice =>
      x.kind === 'pci' && x.address.domain === d.address.domain && x.address.bus === d.address.bus && x.address.slot === d.address.slot && x.address.function !== d.address.function,
  );
}

/** An SR-IOV physical function's virtual functions that the listing has, in address order. */
export function virtualFunctionsOf(pf: PciHostDevice, devices: readonly HostDevice[]): PciHostDevice[] {
  return pf.virtFunctions.flatMap((a) => {
    const vf = pciDeviceAt(devices, a);
    return vf ? [vf] : [];
  });
}

/** Whether the device is bound to vfio-pci (ready for assignment without a driver switch). */
export function isVfioBound(d: HostDevice): boolean {
  return d.kind === 'pci' && d.driver === 'vfio-pci';
}

/** The mdev types of every PCI device, with the parent. */
export function mdevTypesOf(devices: readonly HostDevice[]): { readonly parent: PciHostDevice; readonly type: MdevType }[] {
  return devices.flatMap((d) => (d.kind === 'pci' ? d.mdevTypes.map((type) => ({ parent: d, type })) : []));
}

/**
 * Whether the host has an IOMMU enabled, from its capabilities XML (`<host><iommu support=.../>`,
 * formatcaps.rst); undefined when the daemon does not say.
 */
export function hostIommuSupport(capabilitiesXml: string): boolean | undefined {
  const v = attr(child(parseXmlElement(capabilitiesXml), 'host/iommu'), 'support');
  return v === undefined ? undefined : v === 'yes';
}

/** Node device XML of a new mediated device (formatnode.rst "mdev"): a persistent definition under its parent. */
export function buildMdevXml(m: { readonly parent: string; readonly typeId: string; readonly uuid?: string }): string {
  return [
    '<device>',
    `  <parent>${escapeXml(m.parent)}</parent>`,
    "  <capability type='mdev'>",
    `    <type id="${escapeXml(m.typeId)}"/>`,
    ...(m.uuid !== undefined ? [`    <uuid>${escapeXml(m.uuid)}</uuid>`] : []),
    '  </capability>',
    '</device>',
  ].join('\n');
}

export interface BlockDevice {
  readonly name: string;
  /** /dev/... */
  readonly path: string;
  /** bytes (0 when unknown) */
  readonly size: number;
  readonly model?: string;
  readonly driveType?: string;
}

/** A node device with a storage capability (formatnode.rst "storage"); undefined otherwise. */
export function parseBlockDeviceXml(xml: string): BlockDevice | undefined {
  const root = parseXmlElement(xml);
  const cap = children(root, 'capability').find((c) => c.attrs['type'] === 'storage');
  const path = textOf(cap, 'block');
  if (!cap || path === undefined) return undefined;
  return { name: textOf(root, 'name') ?? '', path, size: int(textOf(cap, 'size')), model: textOf(cap, 'model'), driveType: textOf(cap, 'drive_type') };
}

/** The host's block devices, candidates for fs, disk and logical pools. */
export async function listBlockDevices(conn: HostDeviceApi): Promise<BlockDevice[]> {
  const refs = await conn.connectListAllNodeDevices(VirConnectListAllNodeDeviceFlags.STORAGE);
  const xmls = await Promise.all(refs.map((r) => conn.nodeDeviceGetXmlDesc(r).catch(() => undefined)));
  return xmls.flatMap((x) => {
    const d = x === undefined ? undefined : parseBlockDeviceXml(x);
    return d ? [d] : [];
  });
}
