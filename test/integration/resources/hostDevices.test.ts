import * as assert from 'node:assert/strict';
import type { Connection } from '../../../src/libvirt/connection';
import { formatPciAddress, hostDeviceLabel, listHostDevices } from '../../../src/libvirt/resources/hostDevice';
import { openConnection } from './resourceEnv';

describe('resources: host devices on the real daemon (integration)', function () {
  this.timeout(60000);
  let conn: Connection;

  before(async () => {
    conn = await openConnection();
  });

  after(async () => {
    await conn.close();
  });

  it('lists PCI devices with vendor, product and address', async () => {
    const devs = await listHostDevices(conn);
    const pci = devs.filter((d) => d.kind === 'pci');
    assert.ok(pci.length > 0, 'this machine has emulated PCI devices');
    for (const d of pci) {
      assert.match(d.vendorId, /^0x[0-9a-f]{4}$/);
      assert.match(d.productId, /^0x[0-9a-f]{4}$/);
      assert.match(formatPciAddress(d.address), /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      assert.notEqual(hostDeviceLabel(d), '');
      assert.equal(d.name, `pci_${formatPciAddress(d.address).replace(/[:.]/g, '_')}`);
    }
  });
});
