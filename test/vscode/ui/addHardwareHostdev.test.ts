// UI test of Add Hardware's Host Device form in a real VS Code (code-server + Chromium): opened
// from a VM's context menu, the Host Device kind lists the host's real PCI devices, says that the
// host has no IOMMU on the device field, and Finish adds the PCI device to the VM (checked through
// libvirt). Screenshots in the light, dark and high-contrast themes (test-results/screenshots/addhw-hostdev-*.png).
// A first PCI device that is not a bridge is what the form starts with (the host's list, in address order).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { formatPciAddress, type PciHostDevice } from '../../../src/libvirt/resources/hostDevice';
import { loadHostDeviceInventory } from '../../../src/libvirt/resources/hostDeviceInventory';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { describedDevices } from '../../../src/libvirt/xml/kinds/registry';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'uihostdev-';
const kernelHasIommu = (): boolean => fs.existsSync('/sys/kernel/iommu_groups') && fs.readdirSync('/sys/kernel/iommu_groups').length > 0;

describe('Add Hardware: host devices (UI)', function () {
  this.timeout(180_000);
  const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let wb: Workbench;
  let conn: Connection;
  let dom: DomainRef;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d).catch(() => undefined);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features></domain>`);
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    if (dom) await conn.domainUndefine(dom).catch(() => undefined);
    await conn?.close();
  });

  it('lists the host\'s PCI devices, warns about the missing IOMMU, and adds the device on Finish', async () => {
    const inv = await loadHostDeviceInventory(conn);
    const firstPci = inv.devices.find((d): d is PciHostDevice => d.kind === 'pci' && !d.isBridge);
    assert.ok(firstPci);
    await wb.clickActivityBar('Virtual Machines');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Add Hardware/);
    const view = wb.webview();
    await view.locator('vscode-tree-item[data-section="hostdev"]').click({ timeout: 30_000 });
    await view.locator('#section-title', { hasText: 'Host Device' }).waitFor();
    const pci = view.locator('.field[data-field="pciAddress"]');
    await pci.waitFor();
    const warning = pci.locator('.problem', { hasText: 'no IOMMU enabled' });
    if (!kernelHasIommu()) await warning.waitFor({ timeout: 30_000 });
    await view.locator('#summary', { hasText: /Adds PCI / }).waitFor({ timeout: 30_000 });
    await wb.screenshot('addhw-hostdev-pci-light');
    // The same form in the dark theme.
    await wb.setTheme('Default Dark Modern', 'vs-dark');
    await pci.waitFor();
    await wb.screenshot('addhw-hostdev-pci-dark');
    await view.locator('vscode-button', { hasText: 'Finish' }).click();
    // Finish closes the tab and says what it did.
    await wb.page.locator('.notifications-toasts .notification-toast', { hasText: /Added PCI/ }).waitFor({ timeout: 30_000 });
    const back = describedDevices(DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE))).filter((d) => d.description.kind === 'hostdev');
    assert.equal(back.length, 1);
    assert.equal(back[0]?.values.managed, true);
    assert.equal(back[0]?.values.pciAddress, formatPciAddress(firstPci.address));
  });

  it('switches the form to a USB device and to a mediated device', async () => {
    await wb.runCommand('View: Close All Editors');
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Add Hardware/);
    const view = wb.webview();
    await view.locator('vscode-tree-item[data-section="hostdev"]').click({ timeout: 30_000 });
    const type = view.locator('.field[data-field="type"] vscode-single-select');
    await type.click();
    await type.getByRole('option', { name: 'USB host device', exact: true }).click();
    await view.locator('.field[data-field="vendorId"]').waitFor();
    await view.locator('.field[data-field="pciAddress"]').waitFor({ state: 'hidden' });
    await view.locator('.field[data-field="usbDevice"]').waitFor();
    await wb.screenshot('addhw-hostdev-usb-dark');
    await type.click();
    await type.getByRole('option', { name: 'Mediated device (MDEV)', exact: true }).click();
    await view.locator('.field[data-field="mdevType"] .problem', { hasText: 'No device of this host offers mediated device types' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('vscode-button', { hasText: 'Finish' }).getAttribute('disabled'), '');
    await wb.screenshot('addhw-hostdev-mdev-dark');
    await wb.setTheme('Default High Contrast', 'hc-black');
    await view.locator('.field[data-field="mdevType"] .problem').waitFor();
    await wb.screenshot('addhw-hostdev-mdev-hc');
  });
});
