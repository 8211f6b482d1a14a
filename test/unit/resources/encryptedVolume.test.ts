import * as assert from 'node:assert/strict';
import { createWithRetry } from '../../../src/libvirt/resources/encryptedVolume';

// The message libvirt returns when qemu-img's LUKS key-derivation timing measured 0 ms.
const timing = new Error('internal error: Child process (/usr/bin/qemu-img create -f qcow2 ...) unexpected exit status 1: qemu-img: /p/enc.qcow2: Unable to get accurate CPU usage');

function failing(times: number, error: Error): { create: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    create: async () => {
      calls++;
      if (calls <= times) throw error;
      return 'made';
    },
    calls: () => calls,
  };
}

describe('LUKS volume creation retry', () => {
  it('tries again after qemu-img failed to time the key derivation, up to twelve tries', async () => {
    const f = failing(11, timing);
    assert.equal(await createWithRetry(f.create), 'made');
    assert.equal(f.calls(), 12);
  });

  it('gives up with libvirt’s error after twelve such failures', async () => {
    const f = failing(50, timing);
    await assert.rejects(createWithRetry(f.create), (e: unknown) => e === timing);
    assert.equal(f.calls(), 12);
  });

  it('rethrows any other error at once', async () => {
    const other = new Error("storage volume 'enc.qcow2' exists already");
    const f = failing(1, other);
    await assert.rejects(createWithRetry(f.create), (e: unknown) => e === other);
    assert.equal(f.calls(), 1);
  });
});
