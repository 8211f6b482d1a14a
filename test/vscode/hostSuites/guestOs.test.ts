// The VM commands on a real Debian 12 guest (test/guestVm.ts, docs/testing.md), inside a real VS
// Code extension host, run the way the tree runs them (`executeCommand(id, { connectionId, uuid })`):
// Copy IP Address copies the address the guest got from the `default` network, and Shut Down (the
// ACPI power button, which a VM without an OS ignores) powers the guest off and the tree follows.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BulkReport } from '../../../src/commands/bulk/runVmAction';
import type { ExtensionApi } from '../../../src/extension';
import { VirDomainInterfaceAddressesSource, VirDomainShutoffReason, VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { sharedGuest, type Guest } from '../../guestVm';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

describe('VM commands on a real guest OS (extension host, real libvirtd)', function () {
  this.timeout(600_000);
  let api: ExtensionApi;
  let guest: Guest;
  let connectionId: string;
  let addedConnection = false;
  const ref = (): { connectionId: string; uuid: string } => ({ connectionId, uuid: guest.dom.uuid });

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    guest = await sharedGuest();
    const s = (ms: number): string => (ms / 1000).toFixed(1);
    console.log(`      guest ${guest.name}: start to guest agent in ${s(guest.bootToAgentMs)} s, to cloud-init done in ${s(guest.bootToReadyMs)} s`);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'guest OS test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('the guest in the tree, running', () => api.tree.vmItem(connectionId, guest.name)?.contextValue?.startsWith('vm.running.') === true, 30_000);
  });

  afterEach(() => api.prompts.setResponder(undefined));

  // libvirtd is shared and another suite may restart it: a closed connection is opened again.
  beforeEach(() => guest.connection());

  after(async () => {
    api?.prompts.setResponder(undefined);
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it('Copy IP Address copies the address the guest got on the default network', async () => {
    // What the guest itself says (the agent), once its DHCP client has the lease.
    const mac = guest.mac.toLowerCase();
    const fromGuest = await waitFor(
      'an IPv4 address from the guest agent',
      async () =>
        (await guest.conn.domainInterfaceAddresses(guest.dom, VirDomainInterfaceAddressesSource.AGENT))
          .find((i) => i.hwaddr?.toLowerCase() === mac)
          ?.addrs.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a.addr))?.addr,
      180_000,
      1000,
    );
    // Several addresses would open a quick pick: take the IPv4 one the guest reported.
    api.prompts.setResponder({ pickOne: (req) => req.items.find((i) => i.label === fromGuest) });
    const copied = await waitFor('Copy IP Address to find the lease', async () => (await vscode.commands.executeCommand('libvirtVms.vm.copyIp', ref())) as string | undefined, 60_000, 1000);
    assert.equal(copied, fromGuest);
    assert.equal(await vscode.env.clipboard.readText(), fromGuest);
  });

  it('Shut Down powers the guest off (ACPI) and the tree shows it shut off', async () => {
    const t0 = Date.now();
    const report = (await vscode.commands.executeCommand('libvirtVms.vm.shutdown', ref())) as BulkReport | undefined;
    assert.ok(report, 'Shut Down failed (see the log)');
    assert.deepEqual(report.ok, [guest.name]);
    await waitFor('the tree to show the guest shut off', () => api.tree.vmItem(connectionId, guest.name)?.contextValue?.startsWith('vm.shutoff.') === true, 180_000, 500);
    console.log(`      Shut Down to shut off in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const state = await guest.conn.domainGetState(guest.dom);
    assert.equal(state.state, VirDomainState.SHUTOFF);
    assert.equal(state.reason, VirDomainShutoffReason.SHUTDOWN, `the guest shut itself down (shut-off reason ${state.reason})`);
  });
});
