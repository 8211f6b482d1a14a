// <hostdev> (formatdomain.rst "Host device assignment"). The source is read-only in the form: a
// different host device is a different device (remove it and add the other one).

import { DEVICE_TABLE } from '../devices';
import { exempt, field, HOST_RESOURCE, str } from './define';
import type { DeviceDescription, Values } from './types';

const F = DEVICE_TABLE.hostdev.fields;
const hex = (s: unknown, w: number): string => (s !== undefined && s !== '' ? Number(s).toString(16).padStart(w, '0') : '0'.repeat(w));

/** The host address that identifies the device: 0000:01:00.0, 046d:c52b, an mdev UUID. */
function hostAddress(v: Values): string | undefined {
  if (v.type === 'pci') return `${hex(v.sourceDomain, 4)}:${hex(v.sourceBus, 2)}:${hex(v.sourceSlot, 2)}.${hex(v.sourceFunction, 1)}`;
  if (v.type === 'usb') {
    if (v.vendorId !== undefined && v.productId !== undefined) return `${str(v.vendorId).replace(/^0x/, '')}:${str(v.productId).replace(/^0x/, '')}`;
    if (v.sourceBus !== undefined) return `bus${str(v.sourceBus)}.${str(v.sourceDevice)}`;
  }
  if (v.type === 'mdev') return str(v.mdevUuid) || undefined;
  return undefined;
}

const source = (id: string, label: string, xml: (typeof F)[keyof typeof F]) =>
  field(id, label, 'The host device; to pass another one, remove this device and add that one.', xml, exempt(`${HOST_RESOURCE}: the device must exist on the host`), { widget: 'readonly' });

export const hostdev: DeviceDescription = {
  kind: 'hostdev',
  element: 'hostdev',
  name: 'Host device',
  rank: 10,
  listed: true,
  fields: [
    source('type', 'Type', F.type),
    source('sourceDomain', 'PCI domain', F.sourceDomain),
    source('sourceBus', 'Bus', F.sourceBus),
    source('sourceSlot', 'PCI slot', F.sourceSlot),
    source('sourceFunction', 'PCI function', F.sourceFunction),
    source('sourceDevice', 'USB device', F.sourceDevice),
    source('vendorId', 'Vendor id', F.vendorId),
    source('productId', 'Product id', F.productId),
    source('mdevUuid', 'Mediated device', F.mdevUuid),
    field('managed', 'Managed', 'libvirt detaches the device from its host driver when the VM starts and gives it back when it stops.', F.managed, exempt(`${HOST_RESOURCE}: a host device`)),
    field('romBar', 'ROM BAR', 'Whether the device\'s ROM is visible to the guest.', F.romBar, exempt(`${HOST_RESOURCE}: a PCI host device`), { when: { field: 'type', equals: 'pci' } }),
    field('romFile', 'ROM file', 'A ROM image to give the guest instead of the device\'s own.', F.romFile, exempt(`${HOST_RESOURCE}: a PCI host device`), { when: { field: 'type', equals: 'pci' } }),
  ],
  identity: (v) => `hostdev:${str(v.type)}:${hostAddress(v) ?? ''}`,
  title: (v) => {
    if (v.type === 'pci') return `PCI ${hostAddress(v) ?? ''}`;
    if (v.type === 'usb') return v.vendorId !== undefined && v.productId !== undefined ? `USB ${hostAddress(v) ?? ''}` : 'USB Device';
    if (v.type === 'mdev') return `MDEV ${str(v.mdevUuid)}`.trim();
    return `Host Device ${str(v.type)}`.trim();
  },
  describe: (v) => (v.managed === true ? 'managed' : ''),
  icon: () => 'plug',
  defaults: () => ({ managed: true }),
};
