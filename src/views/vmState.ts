// VM state as the tree shows it, derived from virDomainState (libvirt include/libvirt-domain.h)
// plus the managed-save flag ("saved": suspended to disk, shut off with a save image).

import { VirDomainState as DomainState } from '../libvirt/generated/libvirtConstants';

export type VmStateName = 'running' | 'paused' | 'shutoff' | 'crashed' | 'saved' | 'pmsuspended' | 'shuttingdown' | 'unknown';

export function stateName(state: number, hasManagedSave: boolean): VmStateName {
  switch (state) {
    case DomainState.RUNNING:
    case DomainState.BLOCKED:
      return 'running';
    case DomainState.PAUSED:
      return 'paused';
    case DomainState.SHUTDOWN:
      return 'shuttingdown';
    case DomainState.SHUTOFF:
      return hasManagedSave ? 'saved' : 'shutoff';
    case DomainState.CRASHED:
      return 'crashed';
    case DomainState.PMSUSPENDED:
      return 'pmsuspended';
    default:
      return 'unknown';
  }
}

/** Words shown to the user for each state. */
export const STATE_LABEL: Readonly<Record<VmStateName, string>> = {
  running: 'running',
  paused: 'paused',
  shutoff: 'shut off',
  crashed: 'crashed',
  saved: 'saved',
  pmsuspended: 'suspended',
  shuttingdown: 'shutting down',
  unknown: 'unknown',
};

/** How many of these VMs run (the connection row's tooltip shows it). */
export function runningCount(vms: Iterable<{ readonly state: VmStateName }>): number {
  let n = 0;
  for (const v of vms) if (v.state === 'running') n++;
  return n;
}

/** Every state name (for menus and tests). */
export const VM_STATES: readonly VmStateName[] = Object.keys(STATE_LABEL) as VmStateName[];

/**
 * A VM node's contextValue: `vm.<state>.autostart` or `vm.<state>.noautostart` (`vm.<state>` while
 * unknown). package.json menus match the state with /^vm\.(state)(\.|$)/ and the marker with
 * /\.autostart(\.|$)/ and /\.noautostart(\.|$)/.
 */
export function vmContextValue(state: VmStateName, autostart: boolean | undefined): string {
  return autostart === undefined ? `vm.${state}` : `vm.${state}.${autostart ? 'autostart' : 'noautostart'}`;
}

export type ConnectionStateName = 'idle' | 'connecting' | 'connected' | 'disconnected';

/** Words shown to the user for each connection state (tree rows and connection pickers). */
export const CONNECTION_STATE_LABEL: Readonly<Record<ConnectionStateName, string>> = {
  idle: 'not connected',
  connecting: 'connecting…',
  connected: 'connected',
  disconnected: 'disconnected',
};

/**
 * A connection node's contextValue: `connection.<state>.autoconnect` or
 * `connection.<state>.noautoconnect`. package.json menus match the state with
 * /^connection\.(state)(\.|$)/ and the marker with /\.autoconnect$/ and /\.noautoconnect$/.
 */
export function connectionContextValue(state: ConnectionStateName, autoconnect: boolean): string {
  return `connection.${state}.${autoconnect ? 'autoconnect' : 'noautoconnect'}`;
}
