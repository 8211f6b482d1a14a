// The tree's context menus against package.json: every menu is grouped and ordered the same way
// (state actions, force, console, open, new, manage, refresh, copy, delete: the order of VS Code's
// own views, destructive entries last), the group rows have a menu, and the connection contextValue
// shows exactly one of Enable/Disable Autoconnect.
import * as assert from 'node:assert/strict';
import { connectionContextValue } from '../../../src/views/vmState';
import { shows, treeMenus, type MenuEntry } from './treeMenus';

/** The context-menu groups, in menu order. */
const GROUP_ORDER = ['1_state', '2_force', '3_console', '4_open', '5_new', '6_manage', '7_refresh', '8_copy', '9_delete'] as const;

/** Which group a command belongs to, from what it does (the same kind of entry sits in the same group everywhere). */
function expectedGroup(command: string): string {
  const id = command.replace(/^libvirtVms\./, '');
  if (/\.(delete|remove|wipe)$/.test(id)) return '9_delete';
  if (/\.copy/.test(id)) return '8_copy';
  if (/(^|\.)refresh$/.test(id)) return '7_refresh';
  if (/^console\./.test(id)) return '3_console';
  if (/\.(create\w*|define|new)$/.test(id)) return '5_new';
  if (/^open|\.show|\.openDetails$|\.addHardware$/.test(id)) return '4_open';
  if (/Autostart$|Autoconnect$|\.(rename|editTitle|editDescription|editTags|clone|migrate|migrateStartPostCopy|resize|upload|download)$|\.(add|change|remove|set)[A-Z]\w*$/.test(id)) return '6_manage';
  if (/\.(force\w*|sendNmi|discardSavedState)$/.test(id)) return '2_force';
  return '1_state';
}

/** The non-inline entries a row shows, in the order VS Code renders them (group, then @order). */
function contextMenu(menus: readonly MenuEntry[], viewItem: string): string[] {
  const rank = (m: MenuEntry): [number, number] => {
    const [group, order] = (m.group ?? '').split('@');
    return [GROUP_ORDER.indexOf(group as (typeof GROUP_ORDER)[number]), Number(order ?? 0)];
  };
  return menus
    .filter((m) => !m.group?.startsWith('inline') && shows(m.when, viewItem))
    .sort((a, b) => {
      const [ga, oa] = rank(a);
      const [gb, ob] = rank(b);
      return ga - gb || oa - ob;
    })
    .map((m) => m.command.replace(/^libvirtVms\./, ''));
}

describe('tree context menus in package.json (unit)', () => {
  const menus = treeMenus();

  it('puts every entry in a known group, with an order, by what it does', () => {
    const wrong: string[] = [];
    for (const m of menus) {
      if (m.group?.startsWith('inline')) continue;
      const [group, order] = (m.group ?? '').split('@');
      if (!GROUP_ORDER.includes(group as (typeof GROUP_ORDER)[number]) || !/^\d+$/.test(order ?? '')) wrong.push(`${m.command}: group "${m.group ?? ''}" is not one of ${GROUP_ORDER.join(', ')} with @order`);
      else if (group !== expectedGroup(m.command)) wrong.push(`${m.command}: in ${group}, expected ${expectedGroup(m.command)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('orders the network menu: state, open (XML, live XML, leases), manage, copy, delete', () => {
    assert.deepEqual(contextMenu(menus, 'activeNetwork'), [
      'network.stop',
      'openXml',
      'openLiveXml',
      'network.showLeases',
      'network.enableAutostart',
      'network.addDhcpHost',
      'network.changeDhcpHost',
      'network.removeDhcpHost',
      'network.addDnsRecord',
      'network.changeDnsRecord',
      'network.removeDnsRecord',
      'network.addPortGroup',
      'network.removePortGroup',
      'network.setQos',
      'resource.copyName',
      'resource.copyUuid',
      'network.delete',
    ]);
  });

  it('orders the VM, pool and volume menus the same way', () => {
    assert.deepEqual(contextMenu(menus, 'vm.running.autostart'), [
      'vm.pause',
      'vm.shutdown',
      'vm.reboot',
      'vm.save',
      'snapshot.take',
      'vm.forceReset',
      'vm.forceOff',
      'vm.sendNmi',
      'console.open',
      'console.openSerial',
      'console.screenshot',
      'console.sendCtrlAltDel',
      'console.sendKey',
      'vm.openDetails',
      'vm.addHardware',
      'openXml',
      'openLiveXml',
      'schedules.show',
      'vm.createTemplate',
      'schedules.new',
      'vm.editTitle',
      'vm.editDescription',
      'vm.editTags',
      'vm.disableAutostart',
      'vm.migrate',
      'vm.migrateStartPostCopy',
      'refresh',
      'vm.copyUuid',
      'vm.copyIp',
      'vm.delete',
    ]);
    assert.deepEqual(contextMenu(menus, 'snapshots'), ['snapshot.take']);
    assert.deepEqual(contextMenu(menus, 'snapshot.external.current'), ['snapshot.revert', 'openXml', 'snapshot.delete']);
    assert.deepEqual(contextMenu(menus, 'snapshot.internal'), ['snapshot.revert', 'openXml', 'snapshot.delete']);
    assert.deepEqual(contextMenu(menus, 'activePool.autostart'), [
      'pool.stop',
      'openXml',
      'volume.create',
      'volume.createEncrypted',
      'pool.disableAutostart',
      'pool.refresh',
      'resource.copyName',
      'resource.copyUuid',
      'pool.delete',
    ]);
    assert.deepEqual(contextMenu(menus, 'volume'), [
      'openXml',
      'volume.showUsers',
      'volume.resize',
      'volume.upload',
      'volume.download',
      'resource.copyName',
      'volume.wipe',
      'volume.delete',
    ]);
  });

  it('gives tag and state rows the bulk actions, and tag rows Rename, Set Colour and Remove', () => {
    const bulk = ['group.start', 'group.resume', 'group.pause', 'group.shutdown', 'group.reboot', 'group.forceOff', 'group.editTags'];
    assert.deepEqual(contextMenu(menus, 'vmGroup.tag'), [...bulk.slice(0, -1), 'group.editTags', 'tag.rename', 'tag.setColor', 'tag.remove']);
    assert.deepEqual(contextMenu(menus, 'vmGroup.untagged'), bulk);
    assert.deepEqual(contextMenu(menus, 'vmGroup.state'), bulk);
  });

  it('gives the Networks, Storage Pools and Host Devices rows a context menu', () => {
    assert.deepEqual(contextMenu(menus, 'group.networks'), ['network.create', 'refresh']);
    assert.deepEqual(contextMenu(menus, 'group.pools'), ['pool.create', 'refresh']);
    assert.deepEqual(contextMenu(menus, 'group.devices'), ['refresh']);
    assert.deepEqual(contextMenu(menus, 'group.secrets'), ['secret.define', 'refresh']);
    assert.deepEqual(contextMenu(menus, 'secret.volume'), ['secret.delete']);
  });

  it('orders the connection menu, with exactly one of Enable/Disable Autoconnect by the marker', () => {
    assert.equal(connectionContextValue('connected', true), 'connection.connected.autoconnect');
    assert.equal(connectionContextValue('idle', false), 'connection.idle.noautoconnect');
    assert.deepEqual(contextMenu(menus, connectionContextValue('connected', true)), [
      'connection.disconnect',
      'connection.showSuggestions',
      'connection.showDashboard',
      'schedules.show',
      'vm.create',
      'template.createVm',
      'schedules.new',
      'connection.rename',
      'connection.disableAutoconnect',
      'refresh',
      'connection.remove',
    ]);
    for (const state of ['idle', 'connecting', 'connected', 'disconnected'] as const) {
      const on = contextMenu(menus, connectionContextValue(state, true));
      const off = contextMenu(menus, connectionContextValue(state, false));
      assert.ok(on.includes('connection.disableAutoconnect') && !on.includes('connection.enableAutoconnect'), `${state}, autoconnect on: ${on.join(', ')}`);
      assert.ok(off.includes('connection.enableAutoconnect') && !off.includes('connection.disableAutoconnect'), `${state}, autoconnect off: ${off.join(', ')}`);
      const strip = (l: string[]): string[] => l.filter((c) => !/Autoconnect$/.test(c));
      assert.deepEqual(strip(on), strip(off), `${state}: the marker changes other entries`);
    }
    assert.ok(contextMenu(menus, connectionContextValue('idle', true)).includes('connection.connect'));
    assert.ok(!contextMenu(menus, connectionContextValue('connected', false)).includes('connection.connect'));
  });
});
