// Readable names for host devices when the host has no ID database (libvirt then reports bare
// vendor and product ids): PCI class codes (PCI Code and ID Assignment Specification, as named in
// the pci.ids database), USB interface classes (usb.org class codes), and the PCI vendors and
// virtio devices a virtualization host most often has.

/** PCI base classes and their common subclasses (the class code's upper two bytes). */
const PCI_CLASSES: Readonly<Record<number, { readonly name: string; readonly sub: Readonly<Record<number, string>> }>> = {
  0x00: { name: 'Unclassified device', sub: { 0x00: 'Non-VGA unclassified device', 0x01: 'VGA compatible unclassified device', 0x05: 'Image coprocessor' } },
  0x01: {
    name: 'Mass storage controller',
    sub: {
      0x00: 'SCSI storage controller',
      0x01: 'IDE interface',
      0x02: 'Floppy disk controller',
      0x03: 'IPI bus controller',
      0x04: 'RAID bus controller',
      0x05: 'ATA controller',
      0x06: 'SATA controller',
      0x07: 'Serial Attached SCSI controller',
      0x08: 'Non-Volatile memory controller',
      0x09: 'Universal Flash Storage controller',
    },
  },
  0x02: {
    name: 'Network controller',
    sub: {
      0x00: 'Ethernet controller',
      0x01: 'Token ring network controller',
      0x02: 'FDDI network controller',
      0x03: 'ATM network controller',
      0x04: 'ISDN controller',
      0x05: 'WorldFip controller',
      0x06: 'PICMG controller',
      0x07: 'Infiniband controller',
      0x08: 'Fabric controller',
    },
  },
  0x03: { name: 'Display controller', sub: { 0x00: 'VGA compatible controller', 0x01: 'XGA compatible controller', 0x02: '3D controller' } },
  0x04: { name: 'Multimedia controller', sub: { 0x00: 'Multimedia video controller', 0x01: 'Multimedia audio controller', 0x02: 'Computer telephony device', 0x03: 'Audio device' } },
  0x05: { name: 'Memory controller', sub: { 0x00: 'RAM memory', 0x01: 'FLASH memory', 0x02: 'CXL memory device' } },
  0x06: {
    name: 'Bridge',
    sub: {
      0x00: 'Host bridge',
      0x01: 'ISA bridge',
      0x02: 'EISA bridge',
      0x03: 'MicroChannel bridge',
      0x04: 'PCI bridge',
      0x05: 'PCMCIA bridge',
      0x06: 'NuBus bridge',
      0x07: 'CardBus bridge',
      0x08: 'RACEway bridge',
      0x09: 'Semi-transparent PCI-to-PCI bridge',
      0x0a: 'InfiniBand to PCI host bridge',
    },
  },
  0x07: {
    name: 'Communication controller',
    sub: { 0x00: 'Serial controller', 0x01: 'Parallel controller', 0x02: 'Multiport serial controller', 0x03: 'Modem', 0x04: 'GPIB controller', 0x05: 'Smart Card controller' },
  },
  0x08: {
    name: 'Generic system peripheral',
    sub: { 0x00: 'PIC', 0x01: 'DMA controller', 0x02: 'Timer', 0x03: 'RTC', 0x04: 'PCI Hot-plug controller', 0x05: 'SD Host controller', 0x06: 'IOMMU' },
  },
  0x09: { name: 'Input device controller', sub: { 0x00: 'Keyboard controller', 0x01: 'Digitizer Pen', 0x02: 'Mouse controller', 0x03: 'Scanner controller', 0x04: 'Gameport controller' } },
  0x0a: { name: 'Docking station', sub: { 0x00: 'Generic Docking Station' } },
  0x0b: { name: 'Processor', sub: { 0x00: '386', 0x01: '486', 0x02: 'Pentium', 0x10: 'Alpha', 0x20: 'Power PC', 0x30: 'MIPS', 0x40: 'Co-processor' } },
  0x0c: {
    name: 'Serial bus controller',
    sub: {
      0x00: 'FireWire (IEEE 1394)',
      0x01: 'ACCESS Bus',
      0x02: 'SSA',
      0x03: 'USB controller',
      0x04: 'Fibre Channel',
      0x05: 'SMBus',
      0x06: 'InfiniBand',
      0x07: 'IPMI Interface',
      0x08: 'SERCOS interface',
      0x09: 'CANBUS',
    },
  },
  0x0d: {
    name: 'Wireless controller',
    sub: { 0x00: 'IRDA controller', 0x01: 'Consumer IR controller', 0x10: 'RF controller', 0x11: 'Bluetooth', 0x12: 'Broadband', 0x20: '802.1a controller', 0x21: '802.1b controller' },
  },
  0x0e: { name: 'Intelligent controller', sub: { 0x00: 'I2O' } },
  0x0f: {
    name: 'Satellite communications controller',
    sub: { 0x01: 'Satellite TV controller', 0x02: 'Satellite audio communication controller', 0x03: 'Satellite voice communication controller', 0x04: 'Satellite data communication controller' },
  },
  0x10: { name: 'Encryption controller', sub: { 0x00: 'Network and computing encryption device', 0x10: 'Entertainment encryption device' } },
  0x11: { name: 'Signal processing controller', sub: { 0x00: 'DPIO module', 0x01: 'Performance counters', 0x10: 'Communication synchronizer', 0x20: 'Signal processing management' } },
  0x12: { name: 'Processing accelerator', sub: { 0x01: 'SDXI controller' } },
  0x13: { name: 'Non-Essential Instrumentation', sub: {} },
  0x40: { name: 'Coprocessor', sub: {} },
  0xff: { name: 'Unassigned class', sub: {} },
};

/**
 * The readable name of a PCI class code (24 bits: base class, subclass, programming interface),
 * e.g. 0x020000 -> "Ethernet controller"; the base class name for an unlisted subclass (0x80 is
 * "other" in every base class); undefined for an unknown base class.
 */
export function pciClassName(classCode: number): string | undefined {
  const base = PCI_CLASSES[(classCode >> 16) & 0xff];
  if (!base) return undefined;
  return base.sub[(classCode >> 8) & 0xff] ?? base.name;
}

/** USB class codes (bInterfaceClass; usb.org "Defined Class Codes"). */
const USB_CLASSES: Readonly<Record<number, string>> = {
  0x01: 'Audio',
  0x02: 'Communications',
  0x03: 'Human Interface Device',
  0x05: 'Physical Interface Device',
  0x06: 'Imaging',
  0x07: 'Printer',
  0x08: 'Mass Storage',
  0x09: 'Hub',
  0x0a: 'CDC Data',
  0x0b: 'Smart Card',
  0x0d: 'Content Security',
  0x0e: 'Video',
  0x0f: 'Personal Healthcare',
  0x10: 'Audio/Video',
  0x11: 'Billboard',
  0x12: 'USB Type-C Bridge',
  0x3c: 'I3C',
  0xdc: 'Diagnostic',
  0xe0: 'Wireless',
  0xef: 'Miscellaneous',
  0xfe: 'Application Specific',
  0xff: 'Vendor Specific',
};

/** The readable name of a USB interface class, e.g. 8 -> "Mass Storage". */
export function usbClassName(cls: number): string | undefined {
  return USB_CLASSES[cls];
}

/** PCI vendor ids a host commonly has (names as in pci.ids). */
const PCI_VENDORS: Readonly<Record<string, string>> = {
  '1000': 'Broadcom / LSI',
  '1002': 'AMD/ATI',
  '1022': 'AMD',
  '1077': 'QLogic',
  '10de': 'NVIDIA',
  '10ec': 'Realtek',
  '1106': 'VIA Technologies',
  '1234': 'QEMU',
  '1344': 'Micron',
  '1414': 'Microsoft',
  '144d': 'Samsung',
  '14e4': 'Broadcom',
  '15ad': 'VMware',
  '15b3': 'Mellanox',
  '168c': 'Qualcomm Atheros',
  '1912': 'Renesas',
  '19e5': 'Huawei',
  '1af4': 'Red Hat (virtio)',
  '1b21': 'ASMedia',
  '1b36': 'Red Hat (QEMU)',
  '1b4b': 'Marvell',
  '1c5c': 'SK hynix',
  '1d0f': 'Amazon',
  '1e0f': 'KIOXIA',
  '80ee': 'VirtualBox',
  '8086': 'Intel',
  '9005': 'Adaptec',
};

/** Virtio devices (vendor 1af4): legacy/transitional ids 0x1000-0x103f, modern ids 0x1040 + device type. */
const VIRTIO_DEVICES: Readonly<Record<string, string>> = {
  '1000': 'Virtio network device',
  '1001': 'Virtio block device',
  '1002': 'Virtio memory balloon',
  '1003': 'Virtio console',
  '1004': 'Virtio SCSI',
  '1005': 'Virtio RNG',
  '1009': 'Virtio filesystem',
  '1041': 'Virtio network device',
  '1042': 'Virtio block device',
  '1043': 'Virtio console',
  '1044': 'Virtio RNG',
  '1045': 'Virtio memory balloon',
  '1048': 'Virtio SCSI',
  '1049': 'Virtio filesystem',
  '1050': 'Virtio GPU',
  '1052': 'Virtio input',
  '1053': 'Virtio socket',
  '1058': 'Virtio memory',
  '1059': 'Virtio sound',
  '105a': 'Virtio file system (virtiofs)',
};

function bareId(id: string): string {
  return id.replace(/^0x/i, '').toLowerCase().padStart(4, '0');
}

/** A PCI vendor's short name from the table above. */
export function knownPciVendor(vendorId: string): string | undefined {
  return PCI_VENDORS[bareId(vendorId)];
}

/** A PCI product's name from the table above (virtio devices only). */
export function knownPciProduct(vendorId: string, productId: string): string | undefined {
  return bareId(vendorId) === '1af4' ? VIRTIO_DEVICES[bareId(productId)] : undefined;
}
