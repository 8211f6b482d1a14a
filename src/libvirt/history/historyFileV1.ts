// The first format of the history's file, read only to convert it (historyFile.ts writes format 2
// over it at the next write): a 16-byte header and a raw-deflate body holding full float32 rings.
//
//   header   0  "LVMH"               magic
//            4  u16 version (1)
//            6  u16 0                reserved
//            8  u32 body length      bytes of the compressed body that follows
//           12  u32 CRC-32           of the compressed body
//   body (deflate-raw), little-endian:
//            u8 tier count; per tier: f64 step (ms), u32 slots
//            u32 series count; per series:
//              u8 kind (0 VM, 1 host), u8 metric count, u16 + UTF-8 id, u16 + UTF-8 name, f64 newest sample (ms)
//              per tier: f64 newest slot (-1: none); per metric: u32 count, f64 sum, f64 min, f64 max;
//                        then the min, avg and max rings, each slots × metrics Float32 values
//                        (slot-major, metric-minor), byte-shuffled (all first bytes, then all second bytes…)

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Series, metricsOf, type Tier, type TierRing } from './archive';
import { Reader as RecordReader } from './byteReader';
import { HistoryFileError } from './historyFile';
import { HostHistory } from './hostHistory';

const HEADER = 16;
const inflateRaw = promisify(zlib.inflateRaw);

/** Checks a version-1 file's header and checksum and inflates its body. */
export async function readV1Body(raw: Buffer): Promise<Buffer> {
  if (raw.length < HEADER) throw new HistoryFileError(`${raw.length} bytes, shorter than the header`);
  const len = raw.readUInt32LE(8);
  if (len !== raw.length - HEADER) throw new HistoryFileError(`the header says ${len} body bytes, the file has ${raw.length - HEADER}`);
  const compressed = raw.subarray(HEADER);
  if (zlib.crc32(compressed) >>> 0 !== raw.readUInt32LE(12)) throw new HistoryFileError('checksum mismatch');
  try {
    return await inflateRaw(compressed);
  } catch (err) {
    throw new HistoryFileError(`the body does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The format-3 reader over a whole body, plus the format-1 ring layout. */
class Reader extends RecordReader {
  constructor(b: Buffer) {
    super(b, b.length, 0);
  }
  /** A byte-shuffled float32 ring of n values. */
  floats(n: number): Float32Array {
    this.need(n * 4);
    const out = new Float32Array(n);
    const dst = new Uint8Array(out.buffer);
    const src = this.b;
    const o = this.pos;
    for (let i = 0; i < n; i++) {
      const j = i * 4;
      dst[j] = src[o + i];
      dst[j + 1] = src[o + n + i];
      dst[j + 2] = src[o + 2 * n + i];
      dst[j + 3] = src[o + 3 * n + i];
    }
    this.pos += n * 4;
    return out;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** Converts a version-1 body into a history with the configured tiers (same rule as format 2). */
export function decodeV1Body(body: Buffer, tiers: readonly Tier[]): { history: HostHistory; droppedTiers: Tier[] } {
  const r = new Reader(body);
  const tierCount = r.u8();
  const fileTiers: Tier[] = [];
  for (let i = 0; i < tierCount; i++) fileTiers.push({ stepMs: r.f64(), slots: r.u32() });
  const target = fileTiers.map((ft) => tiers.findIndex((t) => t.stepMs === ft.stepMs && t.slots === ft.slots));
  const history = new HostHistory(tiers);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const kindCode = r.u8();
    if (kindCode > 1) throw new HistoryFileError(`series ${i}: unknown kind ${kindCode}`);
    const kind = kindCode === 0 ? 'vm' : 'host';
    const metrics = r.u8();
    if (metrics !== metricsOf(kind).length) throw new HistoryFileError(`series ${i}: ${metrics} metrics, a ${kind} has ${metricsOf(kind).length}`);
    const s = new Series(r.str(), kind, r.str(), tiers);
    s.lastAt = r.f64();
    for (let t = 0; t < tierCount; t++) {
      const ring: TierRing | undefined = target[t] >= 0 ? s.rings[target[t]] : undefined;
      const last = r.f64();
      if (!Number.isInteger(last) || last < -1) throw new HistoryFileError(`series ${i}: a bad slot number`);
      for (let m = 0; m < metrics; m++) {
        const c = r.u32();
        const sum = r.f64();
        const mn = r.f64();
        const mx = r.f64();
        if (ring) {
          ring.count[m] = c;
          ring.sum[m] = sum;
          ring.openMin[m] = mn;
          ring.openMax[m] = mx;
        }
      }
      const slots = fileTiers[t].slots;
      const n = slots * metrics;
      if (!ring) {
        r.skip(n * 4 * 3);
        continue;
      }
      const rings = [r.floats(n), r.floats(n), r.floats(n)];
      if (last >= 0) {
        for (let slot = Math.max(0, last - slots + 1); slot <= last; slot++) {
          const base = (slot % slots) * metrics;
          ring.putSlot(slot, (st, m) => rings[st][base + m]);
        }
      }
      ring.last = last;
      ring.sealAllButLast();
    }
    history.adopt(s);
  }
  if (r.pos !== body.length) throw new HistoryFileError(`${body.length - r.pos} unexpected bytes after the last series`);
  return { history, droppedTiers: fileTiers.filter((_, i) => target[i] < 0) };
}
