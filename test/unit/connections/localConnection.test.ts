import * as assert from 'node:assert/strict';
import { detectLocalUri, firstRunConnection, localName } from '../../../src/connections/localConnection';

describe('localConnection (unit)', () => {
  it('picks qemu:///system when a system daemon socket exists (monolithic or modular)', () => {
    assert.equal(detectLocalUri((p) => p === '/run/libvirt/libvirt-sock'), 'qemu:///system');
    assert.equal(detectLocalUri((p) => p === '/run/libvirt/virtqemud-sock'), 'qemu:///system');
  });

  it('falls back to qemu:///session without a system socket', () => {
    assert.equal(detectLocalUri(() => false), 'qemu:///session');
  });

  it('names the local connections', () => {
    assert.equal(localName('qemu:///system'), 'QEMU/KVM');
    assert.equal(localName('qemu:///session'), 'QEMU/KVM User session');
  });

  it('offers the local connection on first run only when no connection is saved', () => {
    const system = (p: string): boolean => p === '/run/libvirt/libvirt-sock';
    assert.deepEqual(firstRunConnection([], system), { name: 'QEMU/KVM', uri: 'qemu:///system' });
    assert.deepEqual(firstRunConnection([], () => false), { name: 'QEMU/KVM User session', uri: 'qemu:///session' });
    // Saved remote hosts (a synced settings file): they are kept as they are, nothing is added.
    assert.equal(firstRunConnection([{ uri: 'qemu+ssh://root@h/system' }], system), undefined);
    assert.equal(firstRunConnection([{ uri: 'qemu:///system' }], system), undefined);
  });
});
