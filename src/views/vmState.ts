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
