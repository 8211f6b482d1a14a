import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskImageError, probeDiskImage, probeDiskImageFile } from '../../../src/libvirt/resources/diskImage';

/** A qcow2 header as QEMU's docs/interop/qcow2.txt lays it out (the fields the probe reads). */
function qcow2(opts: { version?: number; size?: bigint; backingOffset?: bigint; crypt?: number; incompatible?: bigint } = {}): Buffer {
  const b = Buffer.alloc(104);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(opts.version ?? 3, 4);
  b.writeBigUInt64BE(opts.backingOffset ?? 0n, 8);
  b.writeUInt32BE(16, 20); // cluster_bits
  b.writeBigUInt64BE(opts.size ?? 10n * 1024n ** 3n, 24);
  b.writeUInt32BE(opts.crypt ?? 0, 32);
  b.writeBigUInt64BE(opts.incompatible ?? 0n, 72);
  return b;
}

const refused = (head: Buffer, re: RegExp, size = 1 << 20): void =>
  assert.throws(
    () => probeDiskImage(head, size, 'img'),
    (e: unknown) => DiskImageError.is(e) && re.test(e.message),
  );

describe('disk image probe', () => {
  it('reads a qcow2 image: its format and the disk size of its header, not the file size', () => {
    assert.deepEqual(probeDiskImage(qcow2(), 200 * 1024), { format: 'qcow2', virtualSize: 10 * 1024 ** 3, fileSize: 200 * 1024 });
    assert.equal(probeDiskImage(qcow2({ version: 2 }).subarray(0, 72), 4096).format, 'qcow2', 'a version 2 header is 72 bytes');
  });

  it('takes anything else that is no known format as a raw disk of the file size', () => {
    assert.deepEqual(probeDiskImage(Buffer.alloc(4096, 0), 1 << 30), { format: 'raw', virtualSize: 1 << 30, fileSize: 1 << 30 });
    // An MBR boot sector, as raw images start.
    const mbr = Buffer.alloc(512);
    mbr.writeUInt16LE(0xaa55, 510);
    assert.equal(probeDiskImage(mbr, 512).format, 'raw');
  });

  it('refuses images that would open other files on the host: a backing file, an external data file', () => {
    refused(qcow2({ backingOffset: 512n }), /img is a qcow2 overlay with a backing file: .*qemu-img convert/);
    refused(qcow2({ incompatible: 1n << 2n }), /img keeps its data in an external file/);
  });

  it('refuses encrypted and corrupt images, naming what to do', () => {
    refused(qcow2({ crypt: 2 }), /encrypted qcow2 image: it needs its passphrase/);
    refused(Buffer.concat([Buffer.from('LUKS'), Buffer.from([0xba, 0xbe, 0, 2]), Buffer.alloc(64)]), /LUKS-encrypted image/);
    refused(qcow2({ incompatible: 1n << 1n }), /marked corrupt by QEMU\. Repair it first \(qemu-img check -r all\)/);
    refused(qcow2({ version: 4 }), /qcow2 image of version 4/);
    refused(qcow2().subarray(0, 40), /truncated qcow2 header/);
    refused(qcow2({ size: 0n }), /invalid qcow2 disk size/);
    refused(Buffer.alloc(0), /img is empty/, 0);
  });

  it('names other formats and ISO images instead of importing them as raw disks', () => {
    refused(Buffer.from('KDMV' + '\0'.repeat(60), 'latin1'), /img is a VMDK image, which the VM cannot use as it is\. Convert it/);
    refused(Buffer.from('# Disk DescriptorFile\nversion=1\n', 'latin1'), /VMDK image/);
    const vdi = Buffer.alloc(512);
    vdi.writeUInt32LE(0xbeda107f, 64);
    refused(vdi, /VirtualBox VDI image/);
    refused(Buffer.from('vhdxfile' + '\0'.repeat(56), 'latin1'), /VHDX image/);
    refused(Buffer.from('conectix' + '\0'.repeat(56), 'latin1'), /dynamic VHD image/);
    refused(Buffer.from('QED\0' + '\0'.repeat(60), 'latin1'), /QED image/);
    const iso = Buffer.alloc(40 * 1024);
    iso.write('\x01CD001', 32768, 'latin1');
    refused(iso, /img is an ISO image \(install media\), not a disk: choose "Local install media \(ISO\)"/);
  });

  it('reads only the start of a file on this computer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diskimg-'));
    try {
      const file = path.join(dir, 'big.qcow2');
      fs.writeFileSync(file, qcow2({ size: 5n * 1024n ** 3n }));
      fs.truncateSync(file, 3 * 1024 * 1024);
      assert.deepEqual(await probeDiskImageFile(file, 'big.qcow2'), { format: 'qcow2', virtualSize: 5 * 1024 ** 3, fileSize: 3 * 1024 * 1024 });
      const small = path.join(dir, 'tiny.img');
      fs.writeFileSync(small, Buffer.alloc(100, 1));
      assert.deepEqual(await probeDiskImageFile(small), { format: 'raw', virtualSize: 100, fileSize: 100 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
