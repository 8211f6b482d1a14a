import * as assert from 'node:assert/strict';
import { detectLocalUri, isLocalUri, localName } from '../../../src/connections/localConnection';

describe('localConnection (unit)', () => {
  it('picks qemu:///system when a system daemon socket exists (monolithic or modular)', () => {
    assert.equal(detectLocalUri((p) => p === '/run/libvirt/libvirt-sock'), 'qemu:///system');
    assert.equal(detectLocalUri((p) => p === '/run/libvirt/virtqemud-sock'), 'qemu:///system');
  });

  it('falls back to qemu:///session without a system socket', () => {
    assert.equal(detectLocalUri(() => false), 'qemu:///session');
  });

  it('recognises local URIs and names them', () => {
    assert.ok(isLocalUri('qemu:///system'));
    assert.ok(isLocalUri('qemu+unix:///session?socket=/x'));
    assert.ok(!isLocalUri('qemu+ssh://root@h/system'));
    assert.equal(localName('qemu:///system'), 'QEMU/KVM');
    assert.equal(localName('qemu:///session'), 'QEMU/KVM User session');
  });
});
