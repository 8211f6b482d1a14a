// <controller> (formatdomain.rst "Controllers").

import { isQ35, nextControllerIndex } from '../allocate';
import * as at from '../fields';
import { ADDRESS_FIELDS, exempt, field, opts, samples, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['ide', 'fdc', 'scsi', 'sata', 'usb', 'ccid', 'virtio-serial', 'pci', 'xenbus', 'isa'], '', 'type'),
  index: at.int('', 'index'),
  model: at.str('', 'model'),
  ports: at.int('', 'ports'),
  vectors: at.int('', 'vectors'),
  ...ADDRESS_FIELDS,
};

const LABEL: Record<string, string> = { usb: 'USB', scsi: 'SCSI', sata: 'SATA', ide: 'IDE', fdc: 'Floppy', ccid: 'CCID', 'virtio-serial': 'VirtIO Serial', xenbus: 'Xen Bus', isa: 'ISA' };

export const controller: DeviceDescription<'controller', typeof F> = {
  kind: 'controller',
  element: 'controller',
  xml: F,
  name: 'Controller',
  rank: 9,
  listed: true,
  fields: [
    field('type', 'Type', 'The bus the controller provides; with the index it identifies the controller.', F.type, exempt('the type is part of the controller\'s identity; a new type is a new controller'), { widget: 'readonly' }),
    field('index', 'Index', 'The controller\'s number among controllers of its type.', F.index, exempt('the index is part of the controller\'s identity'), { widget: 'readonly' }),
    field('model', 'Model', 'The emulated controller model (qemu-xhci, virtio-scsi, pcie-root…).', F.model, samples('nec-xhci', 'qemu-xhci'), {
      widget: 'select',
      allowCustom: true,
      options: opts(['qemu-xhci', 'qemu-xhci (USB 3)'], ['nec-xhci', 'nec-xhci (USB 3)'], ['ich9-ehci1', 'ich9-ehci1 (USB 2)'], ['piix3-uhci', 'piix3-uhci (USB 1)'], ['virtio-scsi', 'virtio-scsi'], ['lsilogic', 'lsilogic'], ['lsisas1068', 'lsisas1068'], ['virtio', 'virtio'], ['pcie-root', 'pcie-root'], ['pcie-root-port', 'pcie-root-port'], ['pci-root', 'pci-root'], ['pci-bridge', 'pci-bridge']),
    }),
    field('ports', 'Ports', 'Number of ports of a USB controller (qemu-xhci: up to 15).', F.ports, samples(8), { min: 1, max: 15, when: { field: 'type', equals: 'usb' } }),
    field('vectors', 'Interrupt vectors', 'MSI-X vectors of a virtio-serial controller.', F.vectors, exempt('only meaningful for virtio-serial; a new controller is USB (the ports field is tested on it)'), { when: { field: 'type', equals: 'virtio-serial' } }),
  ],
  identity: (v) => `controller:${str(v.type)}:${str(v.index ?? 0)}`,
  title: (v) => {
    const t = str(v.type);
    const model = str(v.model);
    const label = t === 'pci' ? (model.startsWith('pcie') ? 'PCIe' : 'PCI') : (LABEL[t] ?? t);
    return `Controller ${label} ${str(v.index ?? 0)}`;
  },
  describe: (v) => str(v.model),
  icon: () => 'circuit-board',
  defaults: (dom) => ({ type: 'usb', index: nextControllerIndex(dom, 'usb'), model: 'qemu-xhci' }),
  add: {
    label: 'Controller',
    icon: 'circuit-board',
    order: 9,
    overrides: {
      type: {
        widget: 'select',
        required: true,
        options: opts(['usb', 'USB'], ['scsi', 'SCSI'], ['sata', 'SATA'], ['virtio-serial', 'VirtIO Serial'], ['pci', 'PCI / PCIe'], ['ccid', 'CCID (smartcard)']),
      },
      index: { widget: 'number', placeholder: 'the next free index' },
    },
    derive: (dom, v, changed) => {
      if (changed !== 'type') return {};
      const type = str(v.type);
      const model: Record<string, string | undefined> = { usb: 'qemu-xhci', scsi: 'virtio-scsi', pci: isQ35(dom) ? 'pcie-root-port' : 'pci-bridge' };
      return { index: nextControllerIndex(dom, type), model: model[type], ports: undefined };
    },
    complete: (dom, v) => (v.index === undefined ? { index: nextControllerIndex(dom, str(v.type)) } : {}),
    // libvirt 9.0 hot-plugs only SCSI controllers ("'usb' controller cannot be hot plugged", the same for virtio-serial).
    hotplug: { field: 'type', equals: 'scsi' },
  },
};
