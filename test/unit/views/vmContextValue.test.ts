// The VM contextValue against the real `when` clauses of package.json's tree menus: adding the
// autostart marker after the state must not change which state-based entries a VM offers, and
// exactly one of Enable/Disable VM Autostart shows.
import * as assert from 'node:assert/strict';
import { VM_STATES, vmContextValue } from '../../../src/views/vmState';
import { shows, treeMenus } from './treeMenus';

describe('VM contextValue and package.json menus (unit)', () => {
  const menus = treeMenus();
  const AUTOSTART = /^libvirtVms\.vm\.(enable|disable)Autostart$/;

  it('puts the marker after the state, and nothing while autostart is unknown', () => {
    assert.equal(vmContextValue('running', true), 'vm.running.autostart');
    assert.equal(vmContextValue('shutoff', false), 'vm.shutoff.noautostart');
    assert.equal(vmContextValue('saved', undefined), 'vm.saved');
  });

  it('offers the same state-based entries with either marker', () => {
    let vmEntries = 0;
    for (const state of VM_STATES) {
      const plain = menus.filter((m) => !AUTOSTART.test(m.command) && shows(m.when, vmContextValue(state, undefined))).map((m) => m.command);
      vmEntries += plain.length;
      for (const autostart of [true, false]) {
        const marked = menus.filter((m) => !AUTOSTART.test(m.command) && shows(m.when, vmContextValue(state, autostart))).map((m) => m.command);
        assert.deepEqual(marked, plain, `${vmContextValue(state, autostart)} offers other entries than vm.${state}`);
      }
    }
    assert.ok(vmEntries > VM_STATES.length * 3, `only ${vmEntries} VM menu entries matched: the menus changed form`);
    assert.ok(shows(menus.find((m) => m.command === 'libvirtVms.vm.start')?.when ?? '', 'vm.shutoff.noautostart'), 'Start VM for a shut-off VM');
    assert.ok(!shows(menus.find((m) => m.command === 'libvirtVms.vm.start')?.when ?? '', 'vm.running.autostart'), 'no Start VM for a running VM');
  });

  it('offers exactly one of Enable/Disable VM Autostart, by the marker', () => {
    const when = (id: string): string => menus.find((m) => m.command === id)?.when ?? assert.fail(`${id} has no tree menu entry`);
    const enable = when('libvirtVms.vm.enableAutostart');
    const disable = when('libvirtVms.vm.disableAutostart');
    for (const state of VM_STATES) {
      assert.ok(shows(enable, vmContextValue(state, false)) && !shows(disable, vmContextValue(state, false)), `${state}, autostart off`);
      assert.ok(!shows(enable, vmContextValue(state, true)) && shows(disable, vmContextValue(state, true)), `${state}, autostart on`);
    }
  });
});
