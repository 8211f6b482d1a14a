import * as assert from 'node:assert/strict';
import type { DomainEventKind } from '../../../src/libvirt/events';
import type { ResourceHost } from '../../../src/views/resources/resourceApi';
import { ResourceState } from '../../../src/views/resources/resourceState';
import type { TreeContext } from '../../../src/views/treeNode';

describe('ResourceState', () => {
  it('registers only the domain events that change which VM uses what', async () => {
    // Every kind is a registration call on each connect, made before the tree loads.
    const subscriptions: { kinds: readonly DomainEventKind[]; listener: (e: { readonly kind: string }) => void }[] = [];
    let listings = 0;
    const conn = {
      connectListAllDomains: async () => {
        listings++;
        return [];
      },
      domainGetXmlDesc: async () => '<domain/>',
      // What makes it a resource connection (resourceApi.ts): never called here.
      storagePoolGetInfo: () => undefined,
      networkGetDhcpLeases: () => undefined,
      nodeDeviceGetXmlDesc: () => undefined,
    };
    const host: ResourceHost = {
      id: 'c1',
      config: { name: 'host', uri: 'test:///default' },
      treeContext: { fire: () => undefined } as unknown as TreeContext,
      managed: {
        onDomainEvent: (listener, opts) => {
          subscriptions.push({ kinds: opts.kinds, listener });
          return { dispose: () => undefined };
        },
        openSeparate: () => Promise.reject(new Error('not used')),
      },
      connection: () => conn,
    };
    const state = new ResourceState(host);
    try {
      assert.equal(subscriptions.length, 1);
      assert.deepEqual([...subscriptions[0]!.kinds].sort(), ['deviceAdded', 'deviceRemoved', 'diskChange', 'lifecycle']);
      // The usage cache is read once, and read again after one of those events.
      await state.usage.get();
      await state.usage.get();
      assert.equal(listings, 1);
      subscriptions[0]!.listener({ kind: 'deviceAdded' });
      await state.usage.get();
      assert.equal(listings, 2);
    } finally {
      state.dispose();
    }
  });
});
