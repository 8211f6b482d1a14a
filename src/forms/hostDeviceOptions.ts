// The host's passthrough candidates as form options, all from one HostDeviceInventory: PCI
// devices (with class, driver, vfio binding and IOMMU group), GPUs only, USB devices, mdev types
// with their free instances, existing mediated devices, SR-IOV virtual functions (free ones
// first). Devices other VMs use are marked in the option's detail; a device that can never be
// passed through (a PCI bridge) is offered disabled with the reason. How a chosen option becomes
// <hostdev> values is ../libvirt/resources/hostDeviceInventory.ts's (usbSourceValues...).

import { formatPciAddress, hostDeviceClass, hostDeviceLabel, isGpu, isVfioBound, mdevTypesOf, pciDeviceAt, type PciHostDevice, type UsbHostDevice } from '../libvirt/resources/hostDevice';
import { mdevTypeValue, otherUsers, targetOf, usbOptionValue, type HostDeviceInventory } from '../libvirt/resources/hostDeviceInventory';
import type { HostDeviceListName } from '../libvirt/xml/kinds/types';
import type { FieldOption } from './formSchema';

type Users = readonly { readonly name: string; readonly running: boolean }[];
const usedBy = (users: Users): string[] => (users.length > 0 ? [`assigned to ${users.map((u) => (u.running ? `${u.name} (running)` : u.name)).join(', ')}`] : []);

function pciDetail(inv: HostDeviceInventory, d: PciHostDevice, domainUuid: string | undefined): string {
  const cls = hostDeviceClass(d);
  const group = d.iommuGroup === undefined ? [] : [`IOMMU group ${d.iommuGroup}${d.iommuPeers.length > 0 ? ` with ${d.iommuPeers.map(formatPciAddress).join(', ')}` : ''}`];
  const driver = d.driver === undefined ? 'no driver' : isVfioBound(d) ? 'vfio-pci (ready)' : `driver ${d.driver}`;
  const sriov = d.physFunction ? [`VF of ${formatPciAddress(d.physFunction)}`] : d.virtFunctions.length > 0 ? [`SR-IOV PF with ${d.virtFunctions.length} VFs`] : [];
  return [formatPciAddress(d.address), ...(cls && !hostDeviceLabel(d).includes(cls) ? [cls] : []), driver, ...group, ...sriov, ...usedBy(otherUsers(inv, targetOf(d), domainUuid))].join(' · ');
}

function pciOption(inv: HostDeviceInventory, d: PciHostDevice, domainUuid: string | undefined): FieldOption {
  return {
    value: formatPciAddress(d.address),
    label: `${formatPciAddress(d.address)} ${hostDeviceLabel(d)}`,
    detail: pciDetail(inv, d, domainUuid),
    ...(d.isBridge ? { disabledReason: 'A PCI bridge cannot be passed through' } : {}),
  };
}

/** Every list, built at once (they share the inventory); `domainUuid` is the VM the device is for. */
export function hostDeviceOptionLists(inv: HostDeviceInventory, domainUuid?: string): Record<HostDeviceListName, FieldOption[]> {
  const pci = inv.devices.filter((d): d is PciHostDevice => d.kind === 'pci');
  const usb = inv.devices.filter((d): d is UsbHostDevice => d.kind === 'usb');
  const vfs = pci.filter((d) => d.physFunction !== undefined);
  const vfOption = (d: PciHostDevice): FieldOption & { readonly free: boolean } => {
    const users = otherUsers(inv, targetOf(d), domainUuid);
    const pf = d.physFunction ? pciDeviceAt(inv.devices, d.physFunction) : undefined;
    return {
      value: formatPciAddress(d.address),
      label: `${formatPciAddress(d.address)} ${users.length === 0 ? 'free' : 'in use'}`,
      detail: [`VF of ${pf ? `${formatPciAddress(pf.address)} ${hostDeviceLabel(pf)}` : formatPciAddress(d.physFunction!)}`, d.driver ? `driver ${d.driver}` : 'no driver', ...usedBy(users)].join(' · '),
      free: users.length === 0,
    };
  };
  return {
    pciDevices: pci.map((d) => pciOption(inv, d, domainUuid)),
    gpus: pci.filter(isGpu).map((d) => pciOption(inv, d, domainUuid)),
    usbDevices: usb.map((d) => ({
      value: usbOptionValue(d, usb),
      label: `${String(d.bus).padStart(3, '0')}:${String(d.device).padStart(3, '0')} ${hostDeviceLabel(d)}`,
      detail: [`${d.vendorId.replace(/^0x/, '')}:${d.productId.replace(/^0x/, '')}`, ...(hostDeviceClass(d) ? [hostDeviceClass(d)!] : []), ...usedBy(otherUsers(inv, targetOf(d), domainUuid))].join(' · '),
    })),
    mdevTypes: mdevTypesOf(inv.devices).map(({ parent, type }) => {
      const free = type.availableInstances;
      return {
        value: mdevTypeValue(parent.name, type.id),
        label: `${type.name ?? type.id} on ${formatPciAddress(parent.address)}`,
        detail: [type.id, hostDeviceLabel(parent), type.deviceApi ?? 'vfio-pci', free === undefined ? 'free instances unknown' : `${free} free`].join(' · '),
        ...(free === 0 ? { disabledReason: 'No free instances of this type left on this device' } : {}),
      };
    }),
    mdevDevices: inv.mdevs.map((m) => ({
      value: m.uuid,
      label: `${m.uuid} (${m.typeId})`,
      detail: [m.parent ?? '', ...usedBy(otherUsers(inv, targetOf(m), domainUuid))].filter((x) => x !== '').join(' · '),
    })),
    // Free VFs first: that is what a new NIC wants.
    sriovVfs: vfs
      .map(vfOption)
      .sort((a, b) => Number(b.free) - Number(a.free) || a.value.localeCompare(b.value))
      .map(({ free: _free, ...o }) => o),
  };
}

