// The host-resource node kinds, for the tree's TreeNode union.

import type { HostDeviceNode } from './hostDeviceNode';
import type { HostInterfaceNode } from './hostInterfaceNode';
import type { LeaseNode } from './leaseNode';
import type { NetworkResourceNode } from './networkResourceNode';
import type { PoolNode } from './poolNode';
import type { SecretNode } from './secretNode';
import type { VolumeNode } from './volumeNode';

export type ResourceNode = PoolNode | VolumeNode | NetworkResourceNode | LeaseNode | HostDeviceNode | HostInterfaceNode | SecretNode;
