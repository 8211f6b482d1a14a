// Volume upload and download through libvirt streams (storageVolUpload/Download return a Duplex),
// so they work over any transport, SSH included, without SFTP. Progress is reported as bytes
// done of an expected total; an AbortSignal aborts the libvirt stream (virStreamAbort).
// A download reads only as fast as its destination takes the bytes: the RPC stream pauses the
// connection when its buffer is full (rpc/stream.ts), so memory stays bounded whatever the speed
// of the disk. That pause stalls everything else on the connection, so callers download on a
// connection of their own (ManagedConnection.openSeparate).

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, type Duplex, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Connection } from '../connection';
import type { StorageVolRef } from '../refs';
import { finishStream } from '../rpc/stream';

export interface TransferProgress {
  readonly bytes: number;
  /** Expected total in bytes (0 when unknown). */
  readonly total: number;
}

export interface TransferOptions {
  readonly onProgress?: (p: TransferProgress) => void;
  readonly signal?: AbortSignal;
  /** Minimum time between progress callbacks (ms, default 200); the last one always fires. */
  readonly progressIntervalMs?: number;
}

export type TransferApi = Pick<Connection, 'storageVolUpload' | 'storageVolDownload' | 'storageVolGetInfo'>;

class ProgressCounter extends Transform {
  private bytes = 0;
  private last = 0;

  constructor(
    private readonly total: number,
    private readonly opts: TransferOptions,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const now = Date.now();
    if (now - this.last >= (this.opts.progressIntervalMs ?? 200)) {
      this.last = now;
      this.opts.onProgress?.({ bytes: this.bytes, total: this.total });
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.opts.onProgress?.({ bytes: this.bytes, total: this.total });
    cb();
  }

  get done(): number {
    return this.bytes;
  }
}

/** Uploads bytes made here (a cloud-init seed image) into the volume from offset 0. */
export async function uploadBytes(conn: TransferApi, vol: StorageVolRef, data: Uint8Array, opts: TransferOptions = {}): Promise<number> {
  opts.signal?.throwIfAborted();
  const stream = await conn.storageVolUpload(vol, 0, data.length, 0);
  const counter = new ProgressCounter(data.length, opts);
  await pipeline(Readable.from([Buffer.from(data)]), counter, stream, opts.signal ? { signal: opts.signal } : {});
  return counter.done;
}

/** Uploads a local file into the volume from offset 0; returns the number of bytes sent. */
export async function uploadFile(conn: TransferApi, vol: StorageVolRef, localPath: string, opts: TransferOptions = {}): Promise<number> {
  const { size } = await stat(localPath);
  opts.signal?.throwIfAborted();
  const stream = await conn.storageVolUpload(vol, 0, size, 0);
  const counter = new ProgressCounter(size, opts);
  await pipeline(createReadStream(localPath), counter, stream, opts.signal ? { signal: opts.signal } : {});
  return counter.done;
}

export type DownloadOptions = TransferOptions & {
  /** Sizes the progress (default: the volume's allocation). */
  readonly expectedBytes?: number;
};

/**
 * Downloads the whole volume into `sink`, which is ended when the volume's data is all written;
 * returns the number of bytes. On failure or abort the libvirt stream is aborted and `sink`
 * destroyed.
 */
export async function downloadTo(conn: TransferApi, vol: StorageVolRef, sink: Writable, opts: DownloadOptions = {}): Promise<number> {
  let stream: Duplex;
  let total: number;
  try {
    total = opts.expectedBytes ?? (await conn.storageVolGetInfo(vol)).allocation;
    opts.signal?.throwIfAborted();
    stream = await conn.storageVolDownload(vol, 0, 0, 0);
  } catch (e) {
    sink.destroy();
    throw e;
  }
  const counter = new ProgressCounter(total, opts);
  try {
    await pipeline(stream, counter, sink, opts.signal ? { signal: opts.signal } : {});
    await finishStream(stream);
  } catch (e) {
    if (!stream.destroyed) stream.destroy();
    throw e;
  }
  return counter.done;
}

/** Creates a new, empty file beside `target`, named `.<name>.partial-<random>`; fails rather than reuse one. */
async function createPartialFile(target: string): Promise<string> {
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.partial-${randomBytes(6).toString('hex')}`);
  await (await open(partial, 'wx')).close();
  return partial;
}

/** Flushes a written file's data to the disk (fsync), so that a rename cannot expose an empty file after a crash. */
async function flushToDisk(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Downloads the whole volume into a local file. The bytes go to a new temporary file in the same
 * directory, which is flushed to disk and then renamed over `localPath` only when the download
 * succeeded. On failure or abort only that temporary file is removed: an existing file at
 * `localPath` stays as it was.
 */
export async function downloadToFile(conn: TransferApi, vol: StorageVolRef, localPath: string, opts: DownloadOptions = {}): Promise<number> {
  opts.signal?.throwIfAborted();
  const partial = await createPartialFile(localPath);
  const file = createWriteStream(partial, { flags: 'r+' });
  try {
    const bytes = await downloadTo(conn, vol, file, opts);
    await flushToDisk(partial);
    await rename(partial, localPath);
    return bytes;
  } catch (e) {
    if (!file.closed) await once(file, 'close').catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    throw e;
  }
}

/**
 * Reads `length` bytes of a volume from `offset` (fewer when the volume ends first) into memory:
 * for a look at a few blocks (an ISO's volume descriptors) without downloading the volume.
 */
export async function readVolumeRange(conn: Pick<Connection, 'storageVolDownload'>, vol: StorageVolRef, offset: number, length: number): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length <= 0 || length > 16 * 1024 * 1024) {
    throw new RangeError(`readVolumeRange: offset ${offset} and length ${length} must be whole numbers, the length at most 16 MiB`);
  }
  const stream = await conn.storageVolDownload(vol, offset, length, 0);
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    // Not destroyed at the end of the data: the stream is still to be finished (virStreamFinish).
    for await (const c of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      chunks.push(c);
      got += c.length;
      if (got > length) throw new Error(`the host sent ${got} bytes for a read of ${length}`);
    }
    await finishStream(stream);
  } catch (e) {
    if (!stream.destroyed) stream.destroy();
    throw e;
  }
  return Buffer.concat(chunks);
}
