// Host devices from libvirt's node device driver (docs/formatnode.rst): PCI devices with vendor,
// product, driver, class and IOMMU group; USB devices; mediated-device types. Listing is one
// connectListAllNodeDevices plus the XML of each device, all calls pipelined on the connection.

import { VirConnectListAllNodeDeviceFlags } from '../generated/libvirtConstants';
import type { NodeDeviceRef } from '../refs';
import { knownPciProduct, knownPciVendor, pciClassName, usbClassName } from './deviceNames';
import { attr, child, children, parseXmlElement, textOf, type XmlElement } from './xmlElement';

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
  const root = parseXmlElement(xml);
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
      };
    }
    if (cap.attrs['type'] === 'usb_device') {
      return { kind: 'usb', ...common(cap), bus: int(textOf(cap, 'bus')), device: int(textOf(cap, 'device')), interfaceClasses: [] };
    }
  }
  return undefined;
}

/** A USB interface node device (capability type 'usb'): its USB device and its class. */
export function parseUsbInterfaceXml(xml: string): { readonly parent: string; readonly cls: number } | undefined {
  const root = parseXmlElement(xml);
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

/** All PCI and USB devices of the host (USB devices with their interface classes), sorted by kind then address. */
export async function listHostDevices(conn: HostDeviceApi): Promise<HostDevice[]> {
  const F = VirConnectListAllNodeDeviceFlags;
  const refs = await conn.connectListAllNodeDevices(F.PCI_DEV | F.USB_DEV | F.USB_INTERFACE);
  const xmls = await Promise.all(refs.map((r) => conn.nodeDeviceGetXmlDesc(r).catch(() => undefined)));
  const classes = new Map<string, number[]>();
  const parsed = xmls.flatMap((x) => {
    if (x === undefined) return [];
    const d = parseHostDeviceXml(x);
    if (d) return [d];
    const usbInterface = parseUsbInterfaceXml(x);
    if (usbInterface) classes.set(usbInterface.parent, [...(classes.get(usbInterface.parent) ?? []), usbInterface.cls]);
    return [];
  });
  const devices = parsed.map((d): HostDevice => (d.kind === 'usb' ? { ...d, interfaceClasses: classes.get(d.name) ?? [] } : d));
  const key = (d: HostDevice): string => (d.kind === 'pci' ? `0${formatPciAddress(d.address)}` : `1${String(d.bus).padStart(3, '0')}:${String(d.device).padStart(3, '0')}`);
  return devices.sort((a, b) => key(a).localeCompare(key(b)));
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
