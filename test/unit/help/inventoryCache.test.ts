// The existence warnings read the host's inventory at most once per 30 s per host: typing never
// makes calls (src/libvirt/xml/hostReferences.ts InventoryCache).
import * as assert from 'node:assert/strict';
import { InventoryCache, type HostInventory } from '../../../src/libvirt/xml/hostReferences';

const EMPTY: HostInventory = { networks: new Map(), pools: new Map(), pciAddresses: new Set(), mdevUuids: new Set() };

describe('inventory cache (unit)', () => {
  it('loads once within its lifetime, again after it or after invalidate, and per host', async () => {
    let now = 0;
    let loads = 0;
    const cache = new InventoryCache(30_000, () => now);
    const load = (): Promise<HostInventory> => {
      loads++;
      return Promise.resolve(EMPTY);
    };
    for (let i = 0; i < 100; i++) await cache.get('a', load);
    assert.equal(loads, 1, '100 keystrokes, one load');
    now = 29_999;
    await cache.get('a', load);
    assert.equal(loads, 1);
    now = 30_000;
    await cache.get('a', load);
    assert.equal(loads, 2);
    cache.invalidate('a');
    await cache.get('a', load);
    assert.equal(loads, 3);
    await cache.get('b', load);
    assert.equal(loads, 4);
  });

  it('forgets a failed load, so the next check tries again', async () => {
    const cache = new InventoryCache(30_000, () => 0);
    await assert.rejects(cache.get('a', () => Promise.reject(new Error('closed'))));
    assert.equal(await cache.get('a', () => Promise.resolve(EMPTY)), EMPTY);
  });
});
