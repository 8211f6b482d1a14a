// Host devices on a host without an ID database (libvirt reports bare vendor and product ids):
// the class from the PCI class code or the USB interfaces, and the best name available.
import * as assert from 'node:assert/strict';
import { pciClassName, usbClassName } from '../../../src/libvirt/resources/deviceNames';
import { hostDeviceClass, hostDeviceLabel, listHostDevices, parseHostDeviceXml } from '../../../src/libvirt/resources/hostDevice';

function pci(vendor: string, product: string, cls: string): string {
  return `<device><name>pci_0000_00_03_0</name><parent>computer</parent><capability type='pci'><class>${cls}</class>
  <domain>0</domain><bus>0</bus><slot>3</slot><function>0</function><product id='${product}'/><vendor id='${vendor}'/></capability></device>`;
}

const USB_DEVICE = `<device><name>usb_1_5</name><parent>usb_usb1</parent><capability type='usb_device'><bus>1</bus><device>5</device>
  <product id='0x5567'/><vendor id='0x0781'/></capability></device>`;
const USB_INTERFACE = `<device><name>usb_1_5_1_0</name><parent>usb_1_5</parent><capability type='usb'><number>0</number>
  <class>8</class><subclass>6</subclass><protocol>80</protocol></capability></device>`;

describe('host device classes and names (unit)', () => {
  it('names PCI classes by class code, falling back to the base class', () => {
    assert.equal(pciClassName(0x020000), 'Ethernet controller');
    assert.equal(pciClassName(0x030000), 'VGA compatible controller');
    assert.equal(pciClassName(0x030200), '3D controller');
    assert.equal(pciClassName(0x010601), 'SATA controller');
    assert.equal(pciClassName(0x010802), 'Non-Volatile memory controller');
    assert.equal(pciClassName(0x0c0330), 'USB controller');
    assert.equal(pciClassName(0x060400), 'PCI bridge');
    assert.equal(pciClassName(0x040300), 'Audio device');
    assert.equal(pciClassName(0x068000), 'Bridge', 'subclass 0x80 is "other"');
    assert.equal(pciClassName(0xff0000), 'Unassigned class');
    assert.equal(pciClassName(0x770000), undefined);
  });

  it('names USB interface classes', () => {
    assert.equal(usbClassName(0x08), 'Mass Storage');
    assert.equal(usbClassName(0x03), 'Human Interface Device');
    assert.equal(usbClassName(0xe0), 'Wireless');
    assert.equal(usbClassName(0x04), undefined);
  });

  it('labels bare-id PCI devices by known product, vendor and class, else by ids', () => {
    const label = (v: string, p: string, c: string): string => {
      const d = parseHostDeviceXml(pci(v, p, c));
      assert.ok(d);
      return hostDeviceLabel(d);
    };
    assert.equal(label('0x1af4', '0x1041', '0x020000'), 'Virtio network device');
    assert.equal(label('0x8086', '0x0d57', '0x060000'), 'Intel Host bridge');
    assert.equal(label('0xabcd', '0x0001', '0x010601'), 'SATA controller');
    assert.equal(label('0xabcd', '0x0001', '0x770000'), 'abcd:0001');
    const d = parseHostDeviceXml(pci('0x1af4', '0x1041', '0x020000'));
    assert.ok(d);
    assert.equal(hostDeviceClass(d), 'Ethernet controller');
  });

  it('keeps the names from the host\'s ID database when it has them', () => {
    const named = parseHostDeviceXml(
      `<device><name>pci_0000_00_19_0</name><capability type='pci'><class>0x020000</class><domain>0</domain><bus>0</bus><slot>25</slot><function>0</function>
      <product id='0x15bb'>Ethernet Connection (7) I219-LM</product><vendor id='0x8086'>Intel Corporation</vendor></capability></device>`,
    );
    assert.ok(named);
    assert.equal(hostDeviceLabel(named), 'Intel Corporation Ethernet Connection (7) I219-LM');
  });

  it('gives a USB device the classes of its interfaces', async () => {
    const xml: Record<string, string> = { usb_1_5: USB_DEVICE, usb_1_5_1_0: USB_INTERFACE };
    const devs = await listHostDevices({
      connectListAllNodeDevices: async () => Object.keys(xml).map((name) => ({ name })),
      nodeDeviceGetXmlDesc: async (d) => xml[d.name] ?? assert.fail(d.name),
    });
    assert.equal(devs.length, 1, 'the interface is not listed as a device of its own');
    const [usb] = devs;
    assert.ok(usb && usb.kind === 'usb');
    assert.deepEqual(usb.interfaceClasses, [8]);
    assert.equal(hostDeviceClass(usb), 'Mass Storage');
    assert.equal(hostDeviceLabel(usb), 'Mass Storage');
  });
});
