// What a disk image file of this computer is, read from its first bytes before anything is sent
// to the host: raw or qcow2 (the two formats a VM's disk is imported as), with its virtual size.
// Images that would make QEMU open other files on the host (a qcow2 backing file or external data
// file), need a secret (qcow2 or LUKS encryption), are marked corrupt, or are in another format
// are refused with what to do instead. Layouts: QEMU's docs/interop/qcow2.txt; ISO 9660 (ECMA-119)
// for install media given by mistake; the magic numbers of VMDK, VDI, VHDX, QED and LUKS.

import { open, stat } from 'node:fs/promises';

/** Bytes read from the start of the file: the qcow2 header and the ISO 9660 descriptor at 32 KiB. */
export const DISK_IMAGE_PROBE_BYTES = 64 * 1024;

export type DiskImageFormat = 'raw' | 'qcow2';

export interface DiskImageInfo {
  readonly format: DiskImageFormat;
  /** The size of the disk the guest sees, in bytes (a raw image's file size; a qcow2's header size). */
  readonly virtualSize: number;
  /** The file's size in bytes: what the upload sends. */
  readonly fileSize: number;
}

/** A file that is not a disk image the VM can use as it is; the message says why and what to do. */
export class DiskImageError extends Error {
  override readonly name = 'DiskImageError';
  static is(e: unknown): e is DiskImageError {
    return e instanceof DiskImageError;
  }
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const QCOW2_INCOMPAT_CORRUPT = 1n << 1n;
const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;
const CONVERT = 'Convert it to qcow2 or raw first (qemu-img convert -O qcow2 …).';

function other(head: Buffer): string | undefined {
  const at = (offset: number, magic: string): boolean => head.length >= offset + magic.length && head.toString('latin1', offset, offset + magic.length) === magic;
  if (at(0, 'KDMV') || at(0, '# Disk DescriptorFile')) return 'a VMDK image';
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return 'a VirtualBox VDI image';
  if (at(0, 'vhdxfile')) return 'a VHDX image';
  if (at(0, 'conectix')) return 'a dynamic VHD image';
  if (at(0, 'QED\0')) return 'a QED image';
  return undefined;
}

/**
 * Describes a disk image from its first bytes (`head`, up to DISK_IMAGE_PROBE_BYTES) and its size;
 * throws DiskImageError for a file that must not or cannot be imported as it is.
 */
export function probeDiskImage(head: Buffer, fileSize: number, name = 'the file'): DiskImageInfo {
  if (fileSize === 0) throw new DiskImageError(`${name} is empty.`);
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'LUKS' && head[4] === 0xba && head[5] === 0xbe) {
    throw new DiskImageError(`${name} is a LUKS-encrypted image: it needs its passphrase as a libvirt secret. Import it as an encrypted volume instead, or decrypt it first.`);
  }
  if (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC) {
    if (head.length < 72) throw new DiskImageError(`${name} has a truncated qcow2 header.`);
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw new DiskImageError(`${name} is a qcow2 image of version ${version}, which QEMU does not read.`);
    if (head.readBigUInt64BE(8) !== 0n) {
      throw new DiskImageError(`${name} is a qcow2 overlay with a backing file: on the host that would be a path to another file. Upload a standalone image (qemu-img convert -O qcow2 overlay.qcow2 standalone.qcow2).`);
    }
    if (head.readUInt32BE(32) !== 0) throw new DiskImageError(`${name} is an encrypted qcow2 image: it needs its passphrase as a libvirt secret. Decrypt it first (qemu-img convert).`);
    if (version === 3 && head.length >= 80) {
      const incompatible = head.readBigUInt64BE(72);
      if (incompatible & QCOW2_INCOMPAT_DATA_FILE) throw new DiskImageError(`${name} keeps its data in an external file, a path that would be opened on the host. ${CONVERT}`);
      if (incompatible & QCOW2_INCOMPAT_CORRUPT) throw new DiskImageError(`${name} is marked corrupt by QEMU. Repair it first (qemu-img check -r all).`);
    }
    const virtualSize = Number(head.readBigUInt64BE(24));
    if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0) throw new DiskImageError(`${name} has an invalid qcow2 disk size.`);
    return { format: 'qcow2', virtualSize, fileSize };
  }
  const kind = other(head);
  if (kind) throw new DiskImageError(`${name} is ${kind}, which the VM cannot use as it is. ${CONVERT}`);
  if (head.length >= 32774 && head.toString('latin1', 32769, 32774) === 'CD001') {
    throw new DiskImageError(`${name} is an ISO image (install media), not a disk: choose "Local install media (ISO)" to install from it.`);
  }
  return { format: 'raw', virtualSize: fileSize, fileSize };
}

/** Reads and describes a disk image file of this computer (see probeDiskImage). */
export async function probeDiskImageFile(file: string, name = file): Promise<DiskImageInfo> {
  const { size } = await stat(file);
  const h = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(DISK_IMAGE_PROBE_BYTES, size));
    const { bytesRead } = await h.read(head, 0, head.length, 0);
    return probeDiskImage(head.subarray(0, bytesRead), size, name);
  } finally {
    await h.close();
  }
}
