import { lifecycleCommand } from './lifecycleCommand';
import type { VmTarget } from '../vmTargets';

/** libvirt emits no event for an autostart change: reload the tree (one bulk load) so its menus follow. */
async function setAutostart(t: VmTarget, on: boolean): Promise<void> {
  await t.conn.domainSetAutostart(t.dom, on);
  await t.host.refresh();
}

/** Starts the VM when the host (libvirtd) starts. */
export const enableAutostartVm = lifecycleCommand({
  title: 'Enable Autostart',
  progressVerb: 'Enabling autostart for',
  pastVerb: 'Enabled autostart for',
  states: 'any',
  none: 'No VMs.',
  run: (t) => setAutostart(t, true),
});

export const disableAutostartVm = lifecycleCommand({
  title: 'Disable Autostart',
  progressVerb: 'Disabling autostart for',
  pastVerb: 'Disabled autostart for',
  states: 'any',
  none: 'No VMs.',
  run: (t) => setAutostart(t, false),
});
