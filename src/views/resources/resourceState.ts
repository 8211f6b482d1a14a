// Per-connection state of the host-resource nodes: the "which VMs use this" cache (invalidated by
// domain events) and node device events, coalesced into one refresh of the Host Devices group.

import { DomainUsageCache } from '../../libvirt/resources/domainUsage';
import { Coalescer } from '../coalescer';
import type { TreeNode } from '../treeNode';
import type { DomainEventKind } from '../../libvirt/events';
import { resourceConnection, type ResourceDisposable, type ResourceHost } from './resourceApi';

/**
 * Domain event kinds that can change which VM uses which disk, network or host device: the only
 * ones registered for. Every kind is a registration call on each connect, before the tree loads.
 */
const USAGE_EVENTS: readonly DomainEventKind[] = ['lifecycle', 'deviceAdded', 'deviceRemoved', 'diskChange'];

export class ResourceState {
  readonly usage: DomainUsageCache;
  private readonly disposables: ResourceDisposable[] = [];
  private readonly refresher: Coalescer<TreeNode>;
  private devicesGroup: TreeNode | undefined;

  constructor(readonly host: ResourceHost) {
    this.usage = new DomainUsageCache(() => resourceConnection(host));
    this.refresher = new Coalescer<TreeNode>((nodes) => host.treeContext.fire([...nodes]), 500, 2000);
    this.disposables.push(
      host.managed.onDomainEvent(
        () => {
          this.usage.invalidate();
          if (this.devicesGroup) this.refresher.add(this.devicesGroup);
        },
        { kinds: USAGE_EVENTS },
      ),
    );
    const m: unknown = host.managed;
    if (hasNodeDeviceEvents(m)) {
      this.disposables.push(
        m.onNodeDeviceEvent(() => {
          if (this.devicesGroup) this.refresher.add(this.devicesGroup);
        }),
      );
    }
  }

  /** The Host Devices group once it has been expanded (node device events refresh it). */
  watchDevices(group: TreeNode): void {
    this.devicesGroup = group;
  }

  dispose(): void {
    this.refresher.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function hasNodeDeviceEvents(m: unknown): m is { onNodeDeviceEvent(listener: (e: unknown) => void): ResourceDisposable } {
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)['onNodeDeviceEvent'] === 'function';
}

const states = new WeakMap<ResourceHost, ResourceState>();

/** The resource state of a session, made on first use and kept as long as the session lives. */
export function resourceState(host: ResourceHost): ResourceState {
  let s = states.get(host);
  if (!s) {
    s = new ResourceState(host);
    states.set(host, s);
  }
  return s;
}
