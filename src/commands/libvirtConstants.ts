// libvirt enum values used by the VM commands, with the names of libvirt's C headers
// (include/libvirt/libvirt-domain.h) so its documentation applies.

/** virDomainState */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** virDomainModificationImpact */
export const DomainAffect = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;

/** virDomainMetadataType */
export const DomainMetadata = { DESCRIPTION: 0, TITLE: 1, ELEMENT: 2 } as const;

/** virDomainXMLFlags */
export const DomainXmlFlags = { SECURE: 1, INACTIVE: 2 } as const;

/** virDomainUndefineFlagsValues */
export const DomainUndefine = {
  MANAGED_SAVE: 1 << 0,
  SNAPSHOTS_METADATA: 1 << 1,
  NVRAM: 1 << 2,
  CHECKPOINTS_METADATA: 1 << 4,
  TPM: 1 << 5,
} as const;

/** virDomainInterfaceAddressesSource */
export const InterfaceAddressSource = { LEASE: 0, AGENT: 1, ARP: 2 } as const;

/** virIPAddrType */
export const IpAddrType = { IPV4: 0, IPV6: 1 } as const;

/** virDomainStatsTypes: VIR_DOMAIN_STATS_STATE */
export const DomainStatsState = 1;

/** virErrorNumber VIR_ERR_NO_DOMAIN_METADATA (include/libvirt/virterror.h) */
export const ERR_NO_DOMAIN_METADATA = 80;

export type VmStateName = 'running' | 'paused' | 'shutoff' | 'crashed' | 'pmsuspended' | 'shutdown' | 'nostate';

export function stateName(state: number): VmStateName {
  switch (state) {
    case DomainState.RUNNING:
    case DomainState.BLOCKED:
      return 'running';
    case DomainState.PAUSED:
      return 'paused';
    case DomainState.SHUTDOWN:
      return 'shutdown';
    case DomainState.SHUTOFF:
      return 'shutoff';
    case DomainState.CRASHED:
      return 'crashed';
    case DomainState.PMSUSPENDED:
      return 'pmsuspended';
    default:
      return 'nostate';
  }
}

/** Words for the user, e.g. in quick picks. */
export function stateLabel(state: VmStateName): string {
  switch (state) {
    case 'running':
      return 'Running';
    case 'paused':
      return 'Paused';
    case 'shutdown':
      return 'Shutting down';
    case 'shutoff':
      return 'Shut off';
    case 'crashed':
      return 'Crashed';
    case 'pmsuspended':
      return 'Suspended';
    default:
      return 'Unknown';
  }
}
