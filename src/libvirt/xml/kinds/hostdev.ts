// <hostdev> (formatdomain.rst "Host device assignment"). The source is read-only in the details
// form: a different host device is a different device (remove it and add the other one).
// Add Hardware offers one "Host Device" entry whose first choice is the type, as the three
// virt-manager pages (PCI, USB, MDEV) share everything else: a PCI device from the host's list
// (a GPU filter, "also assign the other functions", managed by default), a USB device by vendor
// and product (with bus and device only where two devices share the ids), a mediated device that
// exists or one created now from an mdev type (node device define + create, undone when the VM's
// define fails). The host check says what libvirt will not: no IOMMU, other VMs using the
// device, IOMMU group members that stay with the host.

import { createMdev, hostdevAdvice, loadHostDeviceInventory, otherFunctionDevices, parseMdevTypeValue, usbSourceValues } from '../../resources/hostDeviceInventory';
import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, HOST_RESOURCE, isIn, opts, setupField, str } from './define';
import { pciSourceAccessor } from './pciSource';
import type { Condition } from '../../../forms/formSchema';
import type { AddDescription, CheckResult, DeviceDescription, Prepared, Values } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  mode: at.oneOf(['subsystem', 'capabilities'], '', 'mode'),
  type: at.oneOf(['pci', 'usb', 'scsi', 'scsi_host', 'mdev', 'storage', 'misc', 'net'], '', 'type'),
  managed: at.yesNo('', 'managed'),
  model: at.str('', 'model'),
  display: at.onOff('', 'display'),
  sourceDomain: at.str('source/address', 'domain'),
  sourceBus: at.str('source/address', 'bus'),
  sourceSlot: at.str('source/address', 'slot'),
  sourceFunction: at.str('source/address', 'function'),
  sourceDevice: at.str('source/address', 'device'),
  vendorId: at.str('source/vendor', 'id'),
  productId: at.str('source/product', 'id'),
  mdevUuid: at.str('source/address', 'uuid'),
  romBar: at.onOff('rom', 'bar'),
  romFile: at.str('rom', 'file'),
  bootOrder: at.int('boot', 'order'),
  ...ADDRESS_FIELDS,
};

/** The host address that identifies the device: 0000:01:00.0, 046d:c52b, an mdev UUID. */
function hostAddress(v: Values): string | undefined {
  if (v.type === 'pci') return str(v.pciAddress) || undefined;
  if (v.type === 'usb') {
    if (v.vendorId !== undefined && v.productId !== undefined) return `${str(v.vendorId).replace(/^0x/, '')}:${str(v.productId).replace(/^0x/, '')}`;
    if (v.sourceBus !== undefined) return `bus${str(v.sourceBus)}.${str(v.sourceDevice)}`;
  }
  if (v.type === 'mdev') return str(v.mdevUuid) || undefined;
  return undefined;
}

const SOURCE_HELP = 'The host device; to pass another one, remove this device and add that one.';
const source = (id: string, label: string, xml: (typeof F)[keyof typeof F], type: string) =>
  field(id, label, SOURCE_HELP, xml, exempt(`${HOST_RESOURCE}: the device must exist on the host`), { widget: 'readonly', when: eq('type', type) });

const ADD_ONLY = exempt('a choice of Add Hardware, stored as the host device it picks (see test/integration/resources/passthroughAdd.test.ts)');
const all = (...c: Condition[]): Condition => ({ all: c });

export const hostdev: DeviceDescription<'hostdev', typeof F> = {
  kind: 'hostdev',
  element: 'hostdev',
  xml: F,
  name: 'Host device',
  rank: 10,
  listed: true,
  fields: [
    field('type', 'Type', 'What kind of host device is passed through.', F.type, exempt(`${HOST_RESOURCE}: the device must exist on the host`), {
      widget: 'readonly',
      options: opts(['pci', 'PCI host device'], ['usb', 'USB host device'], ['mdev', 'Mediated device (MDEV)'], ['scsi', 'SCSI host device'], ['scsi_host', 'SCSI host (vhost)'], ['storage', 'Block device'], ['misc', 'Character device'], ['net', 'Network interface']),
    }),
    field('pciAddress', 'PCI device', SOURCE_HELP, pciSourceAccessor({ withType: false, label: 'PCI device' }), exempt(`${HOST_RESOURCE}: the device must exist on the host`), {
      widget: 'readonly',
      when: eq('type', 'pci'),
    }),
    source('vendorId', 'Vendor id', F.vendorId, 'usb'),
    source('productId', 'Product id', F.productId, 'usb'),
    source('sourceBus', 'USB bus', F.sourceBus, 'usb'),
    source('sourceDevice', 'USB device', F.sourceDevice, 'usb'),
    source('mdevUuid', 'Mediated device', F.mdevUuid, 'mdev'),
    field('model', 'Device API', 'How the mediated device is presented to the guest (the type\'s device API).', F.model, exempt(`${HOST_RESOURCE}: a mediated device`), {
      widget: 'select',
      options: opts(['vfio-pci', 'vfio-pci'], ['vfio-ccw', 'vfio-ccw'], ['vfio-ap', 'vfio-ap']),
      when: eq('type', 'mdev'),
    }),
    field('managed', 'Managed', 'libvirt detaches the device from its host driver when the VM starts and gives it back when it stops.', F.managed, exempt(`${HOST_RESOURCE}: a host device`), { when: isIn('type', ['pci', 'usb']) }),
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
  defaults: () => ({ type: 'pci', managed: true }),
  add: hostdevAdd(),
};

function hostdevAdd(): AddDescription {
  return {
    label: 'Host Device',
    icon: 'circuit-board',
    order: 8.5,
    omit: ['romBar', 'romFile'],
    setup: [
      setupField('gpuOnly', 'Show only GPUs', 'List only the host\'s display controllers.', 'checkbox', ADD_ONLY, { when: eq('type', 'pci') }),
      setupField('gpu', 'GPU', 'The GPU to pass through; its PCI device follows.', 'select', ADD_ONLY, { optionsFrom: { list: 'gpus' }, when: all(eq('type', 'pci'), eq('gpuOnly', true)) }),
      setupField('withFunctions', 'Also assign the other functions', 'Pass the other functions of the same PCI slot too (a GPU\'s HDMI audio): they share its IOMMU group and the guest driver expects them.', 'checkbox', ADD_ONLY, {
        when: eq('type', 'pci'),
      }),
      setupField('usbDevice', 'USB device', 'A USB device plugged into the host; devices other VMs have are marked.', 'select', ADD_ONLY, { optionsFrom: { list: 'usbDevices' }, allowCustom: true, when: eq('type', 'usb') }),
      setupField('mdevSource', 'Mediated device', 'Create a new instance of an mdev type of the host, or pass one that exists.', 'select', ADD_ONLY, {
        options: opts(['create', 'Create a new one'], ['existing', 'Use an existing one']),
        when: eq('type', 'mdev'),
      }),
      setupField('mdevType', 'mdev type', 'The type of the new mediated device, with its parent device and free instances.', 'select', ADD_ONLY, {
        optionsFrom: { list: 'mdevTypes' },
        // Not `required`: the host check says why there is nothing to pick when the host has no types.
        when: all(eq('type', 'mdev'), eq('mdevSource', 'create')),
      }),
    ],
    // The type first; each pick above the device values it fills in.
    setupAfter: { gpuOnly: 'type', gpu: 'gpuOnly', withFunctions: 'pciAddress', usbDevice: 'withFunctions', mdevSource: 'usbDevice', mdevType: 'mdevSource' },
    setupDefaults: () => ({ gpuOnly: false, withFunctions: false, mdevSource: 'create' }),
    overrides: {
      type: { widget: 'select', options: opts(['pci', 'PCI host device'], ['usb', 'USB host device'], ['mdev', 'Mediated device (MDEV)']) },
      pciAddress: { widget: 'select', optionsFrom: { list: 'pciDevices' }, allowCustom: true, required: true, placeholder: '0000:01:00.0', help: 'The PCI device to pass through, with its class, driver and IOMMU group; devices other VMs have are marked.' },
      vendorId: { widget: 'text', required: true, placeholder: '0x046d', help: 'The USB vendor id; picking a device above fills it in.' },
      productId: { widget: 'text', required: true, placeholder: '0xc52b', help: 'The USB product id.' },
      sourceBus: { widget: 'text', help: 'Only when two plugged devices share vendor and product: the bus of this one.' },
      sourceDevice: { widget: 'text', help: 'Only when two plugged devices share vendor and product: the device number of this one.' },
      mdevUuid: { widget: 'select', optionsFrom: { list: 'mdevDevices' }, allowCustom: true, required: true, help: 'The UUID of an existing mediated device; devices other VMs have are marked.' },
    },
    alsoWhen: { mdevUuid: eq('mdevSource', 'existing') },
    derive: (_dom, v, changed) => pickedValues(v, changed),
    complete: (_dom, v) => ({ ...pickedValues(v, v.type === 'usb' ? 'usbDevice' : 'gpu'), ...pickedValues(v, 'type') }),
    hostCheck: async (host, v) => {
      const inv = await loadHostDeviceInventory(host.conn);
      const out: CheckResult[] = hostdevAdvice(inv, v, host.domain.uuid).map(({ field: f, advice }) => ({ field: f, code: `hostdev-${advice.code}`, message: advice.message, severity: advice.severity }));
      if (v.type === 'mdev' && v.mdevSource === 'create') {
        if (!inv.devices.some((d) => d.kind === 'pci' && d.mdevTypes.length > 0)) {
          out.push({ field: 'mdevType', code: 'hostdev-no-mdev-types', message: 'No device of this host offers mediated device types (a vGPU needs a GPU and driver that support them).' });
        } else if (parseMdevTypeValue(str(v.mdevType)) === undefined) {
          out.push({ field: 'mdevType', code: 'hostdev-pick-mdev-type', message: 'Pick the mdev type of the new mediated device.' });
        }
      }
      return out;
    },
    prepare: async (host, v): Promise<Prepared> => {
      if (v.type === 'mdev' && v.mdevSource === 'create') {
        const t = parseMdevTypeValue(str(v.mdevType));
        if (!t) throw new Error(`'${str(v.mdevType)}' is not an mdev type of this host`);
        const m = await createMdev(host.conn, t.parent, t.typeId);
        return { values: { mdevUuid: m.uuid }, done: `created mediated device ${m.uuid} (${t.typeId} on ${t.parent})`, undo: () => m.remove() };
      }
      if (v.type === 'pci' && v.withFunctions === true && typeof v.pciAddress === 'string') {
        const inv = await loadHostDeviceInventory(host.conn);
        const also = otherFunctionDevices(inv, v.pciAddress, v.managed !== false);
        return { values: {}, alsoAdd: also, ...(also.length > 0 ? { done: `with its other function${also.length === 1 ? '' : 's'} ${also.map((a) => str(a.pciAddress)).join(', ')}` } : {}) };
      }
      return { values: {} };
    },
    // libvirt hot-plugs PCI and USB host devices into a running VM (it refuses where it cannot, and
    // the dialog asks about the next boot then); a mediated device is plugged the same way.
    hotplug: true,
  };
}

/** The device values a pick stands for: the GPU's address, the USB device's ids. */
function pickedValues(v: Values, changed: string): Values {
  // A mediated device's API: vfio-pci, what every PCI mdev type (vGPU) presents.
  if (changed === 'type' && v.type === 'mdev' && v.model === undefined) return { model: 'vfio-pci' };
  if (changed === 'gpu' && v.type === 'pci' && v.gpuOnly === true && typeof v.gpu === 'string' && v.gpu !== '') return { pciAddress: v.gpu };
  if (changed === 'usbDevice' && v.type === 'usb' && typeof v.usbDevice === 'string') {
    const ids = usbSourceValues(v.usbDevice);
    return ids ? { vendorId: ids.vendorId, productId: ids.productId, sourceBus: ids.sourceBus, sourceDevice: ids.sourceDevice } : {};
  }
  return {};
}
