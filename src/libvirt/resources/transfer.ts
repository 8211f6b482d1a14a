// Volume upload and download through libvirt streams (storageVolUpload/Download return a Duplex),
// so they work over any transport, SSH included, without SFTP. Progress is reported as bytes
// done of an expected total; an AbortSignal aborts the libvirt stream (virStreamAbort).

import { createReadStream, createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
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

/** Uploads a local file into the volume from offset 0; returns the number of bytes sent. */
export async function uploadFile(conn: TransferApi, vol: StorageVolRef, localPath: string, opts: TransferOptions = {}): Promise<number> {
  const { size } = await stat(localPath);
  opts.signal?.throwIfAborted();
  const stream = await conn.storageVolUpload(vol, 0, size, 0);
  const counter = new ProgressCounter(size, opts);
  await pipeline(createReadStream(localPath), counter, stream, opts.signal ? { signal: opts.signal } : {});
  return counter.done;
}

/**
 * Downloads the whole volume into a local file (created or truncated); on failure or abort the
 * partial file is removed. `expectedBytes` sizes the progress (default: the volume's allocation).
 */
export async function downloadToFile(
  conn: TransferApi,
  vol: StorageVolRef,
  localPath: string,
  opts: TransferOptions & { readonly expectedBytes?: number } = {},
): Promise<number> {
  const total = opts.expectedBytes ?? (await conn.storageVolGetInfo(vol)).allocation;
  opts.signal?.throwIfAborted();
  const stream = await conn.storageVolDownload(vol, 0, 0, 0);
  const counter = new ProgressCounter(total, opts);
  try {
    await pipeline(stream, counter, createWriteStream(localPath), opts.signal ? { signal: opts.signal } : {});
    await finishStream(stream);
  } catch (e) {
    if (!stream.destroyed) stream.destroy();
    await unlink(localPath).catch(() => undefined);
    throw e;
  }
  return counter.done;
}
