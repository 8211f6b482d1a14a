import * as assert from 'node:assert/strict';
import { locationFromArg } from '../../../src/xmlEditor/objectArg';

describe('XML editor command arguments (unit)', () => {
  it('reads a VM node (connectionId + ref)', () => {
    const node = { kind: 'vm', connectionId: 'c1', ref: { name: 'web', uuid: 'u', id: -1 } };
    assert.deepEqual(locationFromArg(node), { connectionId: 'c1', object: { kind: 'domain', name: 'web' } });
  });

  it('reads resource nodes through their host or parent', () => {
    const host = { id: 'c2' };
    const pool = { kind: 'resourcePool', host, ref: { name: 'default', uuid: 'p' } };
    const vol = { kind: 'resourceVolume', parent: pool, ref: { pool: 'default', name: 'a.qcow2', key: '/x/a.qcow2' } };
    const net = { kind: 'resourceNetwork', host, ref: { name: 'lan', uuid: 'n' } };
    assert.deepEqual(locationFromArg(pool), { connectionId: 'c2', object: { kind: 'pool', name: 'default' } });
    assert.deepEqual(locationFromArg(vol), { connectionId: 'c2', object: { kind: 'volume', name: 'a.qcow2', parent: 'default' } });
    assert.deepEqual(locationFromArg(net), { connectionId: 'c2', object: { kind: 'network', name: 'lan' } });
  });

  it('reads a group-parented node through the session', () => {
    const group = { kind: 'group', session: { id: 'c3' } };
    assert.deepEqual(locationFromArg({ kind: 'network', parent: group, ref: { name: 'default', uuid: 'x' } }), { connectionId: 'c3', object: { kind: 'network', name: 'default' } });
  });

  it('accepts plain locations and rejects anything else', () => {
    assert.deepEqual(locationFromArg({ connectionId: 'c', object: { kind: 'snapshot', name: 's', parent: 'vm' } }), { connectionId: 'c', object: { kind: 'snapshot', name: 's', parent: 'vm' } });
    assert.equal(locationFromArg(undefined), undefined);
    assert.equal(locationFromArg({ kind: 'hostDevice', host: { id: 'c' }, ref: { name: 'pci_0000_00_02_0' } }), undefined);
    assert.equal(locationFromArg({ connectionId: 'c', object: { kind: 'bogus', name: 'x' } }), undefined);
    assert.equal(locationFromArg({ kind: 'resourceVolume', parent: { host: { id: 'c' } }, ref: { name: 'v' } }), undefined, 'a volume needs its pool');
  });
});
