import { lifecycleCommand } from './lifecycleCommand';

/** Starts the VM when the host (libvirtd) starts. */
export const enableAutostartVm = lifecycleCommand({
  title: 'Enable Autostart',
  progressVerb: 'Enabling autostart for',
  pastVerb: 'Enabled autostart for',
  states: 'any',
  none: 'No VMs.',
  run: (t) => t.conn.domainSetAutostart(t.dom, true),
});

export const disableAutostartVm = lifecycleCommand({
  title: 'Disable Autostart',
  progressVerb: 'Disabling autostart for',
  pastVerb: 'Disabled autostart for',
  states: 'any',
  none: 'No VMs.',
  run: (t) => t.conn.domainSetAutostart(t.dom, false),
});
