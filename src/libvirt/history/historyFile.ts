// The history's file, format 3: a log of checksummed records, appended to at each flush with only
// what changed (the open block of each tier of each VM that sampled, the blocks sealed since, the
// series' newest-sample time and open-slot accumulators), and rewritten whole, through a temporary
// file and a rename, when the dead records it carries outweigh the live ones (or when the tiers
// changed, or an append failed).
//
//   file     0  "LVMH"               magic
//            4  u16 version (3)      version 2 (below) is read as it is and rewritten in version 3
//                                    at the next write (its blocks keep their packing, codec 2);
//                                    version 1 (one deflated body, historyFileV1.ts) is converted;
//                                    a newer version is refused (read as corrupt)
//            6  u16 0                reserved
//            8  records…
//   record   u32 payload length, u32 CRC-32 of the payload, payload; little-endian, payload u8 type:
//            1 tiers   u8 count; per tier f64 step (ms), u32 slots, u32 slots per block. First record.
//            2 series  u32 number (in this file), u8 kind (0 VM, 1 host), u8 metric count,
//                      u16 + UTF-8 id, u16 + UTF-8 name, f64 newest sample (ms);
//                      per tier: f64 newest slot (-1: none), f64 first slot ever sampled (-1: none);
//                      per metric u32 count, f64 sum, f64 min, f64 max (the open slot's exact
//                      accumulators: a restart within a slot keeps it exact)
//            3 block   u32 series number, u8 tier, u32 block number, u8 codec (archive.ts
//                      BlockCodec), then the packed block
//            4 drop    u32 series number (its newest sample left the coarsest window)
//   The last record of a series or of a block wins.
//   Version 2 differs in two places: a series record has no first slot per tier (read as 0: the
//   tier holds what its window holds), and a block record has an f64 block number and no codec
//   (codec 2).
//
// A crash while appending leaves a torn last record: reading stops at the first record whose
// length or checksum is wrong, keeps what came before, and the next write starts there (nothing
// written before the torn record is lost). A bad header, a record with a good checksum that makes
// no sense, or a block that does not unpack throws HistoryFileError, and the caller sets the file
// aside and starts a new history.

import * as fs from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { BLOCK_SLOTS, Block, Series, TierRing, metricsOf, type BlockCodec, type Tier } from './archive';
import { HostHistory } from './hostHistory';
import { decodeV1Body, readV1Body } from './historyFileV1';
import { Reader } from './byteReader';

export const HISTORY_FILE_VERSION = 3;
const MAGIC = 0x484d564c; // "LVMH" read as a little-endian u32
const HEADER = 8;
const REC_TIERS = 1;
const REC_SERIES = 2;
const REC_BLOCK = 3;
const REC_DROP = 4;
/** Rewrite when the file is this much larger than its live records (plus a little). */
const GARBAGE_FACTOR = 2;
const GARBAGE_SLACK = 4 << 20;

export class HistoryFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryFileError';
  }

  static is(e: unknown): e is HistoryFileError {
    return e instanceof HistoryFileError;
  }
}

/** Grows as scalars are appended. */
class Writer {
  private buf = Buffer.alloc(256);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.len++);
  }
  u16(v: number): void {
    this.room(2);
    this.len = this.buf.writeUInt16LE(v, this.len);
  }
  u32(v: number): void {
    this.room(4);
    this.len = this.buf.writeUInt32LE(v, this.len);
  }
  f64(v: number): void {
    this.room(8);
    this.len = this.buf.writeDoubleLE(v, this.len);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8').subarray(0, 0xffff);
    this.u16(b.length);
    this.room(b.length);
    this.len += b.copy(this.buf, this.len);
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** A record: its 8-byte frame and payload chunks (a block's packed bytes are not copied). */
function record(parts: Buffer[]): Buffer[] {
  let crc = 0;
  let len = 0;
  for (const p of parts) {
    crc = zlib.crc32(p, crc);
    len += p.length;
  }
  const frame = Buffer.allocUnsafe(8);
  frame.writeUInt32LE(len, 0);
  frame.writeUInt32LE(crc >>> 0, 4);
  return [frame, ...parts];
}

function tiersRecord(tiers: readonly Tier[]): Buffer[] {
  const w = new Writer();
  w.u8(REC_TIERS);
  w.u8(tiers.length);
  for (const t of tiers) {
    w.f64(t.stepMs);
    w.u32(t.slots);
    w.u32(BLOCK_SLOTS);
  }
  return record([w.take()]);
}

function seriesRecord(no: number, s: Series): Buffer[] {
  const w = new Writer();
  w.u8(REC_SERIES);
  w.u32(no);
  w.u8(s.kind === 'vm' ? 0 : 1);
  w.u8(metricsOf(s.kind).length);
  w.str(s.id);
  w.str(s.name);
  w.f64(s.lastAt);
  for (const r of s.rings) {
    w.f64(r.last);
    w.f64(r.first);
    for (let m = 0; m < r.metrics; m++) {
      w.u32(r.count[m]);
      w.f64(r.sum[m]);
      w.f64(r.openMin[m]);
      w.f64(r.openMax[m]);
    }
  }
  return record([w.take()]);
}

function blockRecord(no: number, tier: number, b: Block): Buffer[] {
  const { packed, codec } = b.bytes();
  const head = Buffer.allocUnsafe(11);
  head.writeUInt8(REC_BLOCK, 0);
  head.writeUInt32LE(no, 1);
  head.writeUInt8(tier, 5);
  head.writeUInt32LE(b.abs, 6);
  head.writeUInt8(codec, 10);
  return record([head, packed]);
}

function dropRecord(no: number): Buffer[] {
  const w = new Writer();
  w.u8(REC_DROP);
  w.u32(no);
  return record([w.take()]);
}

const sizeOf = (chunks: readonly Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

/** What a write did. */
export interface WriteResult {
  /** 'rewrite': the whole file was written anew; 'append': only the changes were added. */
  readonly mode: 'rewrite' | 'append' | 'unchanged';
  /** Bytes written by this write. */
  readonly written: number;
  /** The file's size after it. */
  readonly size: number;
}

/**
 * Writes one history to one file, appending what changed since its previous write. Made by
 * readHistoryFile for the file it read (so it appends after the last good record), or new for a
 * file to be written whole first. Writes are serialised.
 */
export class HistoryWriter {
  /** Series number in the file, per series id. */
  private numbers = new Map<string, number>();
  private nextNumber = 0;
  /** Where the next record goes; undefined: rewrite the whole file. */
  private end: number | undefined;
  /** Bytes of the records that are still the newest of their kind (a guess for compaction). */
  private live = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Called by readHistoryFile: the file's series numbers and where its good records end. */
  adoptFile(numbers: Map<string, number>, end: number, live: number): void {
    this.numbers = numbers;
    this.nextNumber = Math.max(-1, ...numbers.values()) + 1;
    this.end = end;
    this.live = live;
  }

  /** Makes the next write a whole rewrite (the file no longer matches the history). */
  invalidate(): void {
    this.end = undefined;
  }

  write(h: HostHistory): Promise<WriteResult> {
    const next = this.queue.then(() => this.writeNow(h));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeNow(h: HostHistory): Promise<WriteResult> {
    const all = h.all();
    if (this.end === undefined || this.end > this.live * GARBAGE_FACTOR + GARBAGE_SLACK) return this.rewrite(h, all);
    // Appending: the records are gathered synchronously (the history keeps recording meanwhile).
    const chunks: Buffer[] = [];
    const ids = new Set<string>();
    let liveAdded = 0;
    for (const s of all) {
      ids.add(s.id);
      let no = this.numbers.get(s.id);
      if (no === undefined) {
        no = this.nextNumber++;
        this.numbers.set(s.id, no);
        s.dirty = true;
        for (const r of s.rings) for (const b of r.windowBlocks()) b.dirty = true;
      }
      if (s.dirty) {
        chunks.push(...seriesRecord(no, s));
        s.dirty = false;
      }
      s.rings.forEach((r, t) => {
        for (const b of r.windowBlocks()) {
          if (!b.dirty) continue;
          const rec = blockRecord(no, t, b);
          chunks.push(...rec);
          // An open block is rewritten at every flush: only a newly sealed one adds live bytes.
          if (b.packed) liveAdded += sizeOf(rec);
          b.dirty = false;
        }
      });
    }
    for (const [id, no] of this.numbers) {
      if (ids.has(id)) continue;
      chunks.push(...dropRecord(no));
      this.numbers.delete(id);
    }
    if (chunks.length === 0) return { mode: 'unchanged', written: 0, size: this.end };
    const bytes = sizeOf(chunks);
    const at = this.end;
    this.end = undefined; // until the append is known to be complete
    const fh = await fs.open(this.file, 'r+');
    try {
      await writeAll(fh, chunks, at);
      // Bytes of a torn record after the new end would read as damage: cut them.
      await fh.truncate(at + bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.end = at + bytes;
    this.live += liveAdded;
    return { mode: 'append', written: bytes, size: this.end };
  }

  private async rewrite(h: HostHistory, all: readonly Series[]): Promise<WriteResult> {
    const chunks: Buffer[] = [];
    const head = Buffer.alloc(HEADER);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt16LE(HISTORY_FILE_VERSION, 4);
    chunks.push(head, ...tiersRecord(h.tiers));
    const numbers = new Map<string, number>();
    all.forEach((s, no) => {
      numbers.set(s.id, no);
      chunks.push(...seriesRecord(no, s));
      s.dirty = false;
      s.rings.forEach((r, t) => {
        for (const b of r.windowBlocks()) {
          chunks.push(...blockRecord(no, t, b));
          b.dirty = false;
        }
      });
    });
    const size = sizeOf(chunks);
    this.end = undefined;
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await writeAll(fh, chunks, 0);
      await fh.sync();
      await fh.close();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      // Nothing of this write reached the file: the next one rewrites again, with every block.
      for (const s of all) {
        s.dirty = true;
        for (const r of s.rings) for (const b of r.windowBlocks()) b.dirty = true;
      }
      throw err;
    }
    await fs.rename(tmp, this.file);
    this.numbers = numbers;
    this.nextNumber = all.length;
    this.end = size;
    this.live = size;
    return { mode: 'rewrite', written: size, size };
  }
}

async function writeAll(fh: fs.FileHandle, chunks: readonly Buffer[], at: number): Promise<void> {
  // writev in batches (IOV_MAX is 1024 on Linux).
  let pos = at;
  for (let i = 0; i < chunks.length; i += 1000) {
    const part = chunks.slice(i, i + 1000);
    const want = sizeOf(part);
    const { bytesWritten } = await fh.writev(part, pos);
    if (bytesWritten !== want) {
      // A short writev: the rest one buffer at a time.
      let done = bytesWritten;
      const whole = Buffer.concat(part);
      while (done < want) done += (await fh.write(whole, done, want - done, pos + done)).bytesWritten;
    }
    pos += want;
  }
}

/** Writes the whole history to `file` (through a temporary file and a rename). Returns the file's size. */
export async function writeHistoryFile(file: string, h: HostHistory): Promise<number> {
  return (await new HistoryWriter(file).write(h)).size;
}


/** What reading a file found besides the history. */
export interface HistoryLoad {
  readonly history: HostHistory;
  /** Tiers of the file that the configured tiers no longer have (their data was left out). */
  readonly droppedTiers: readonly Tier[];
  /** Bytes after the last good record (a write cut short); 0 normally. */
  readonly tornBytes: number;
  /** The format version the file had (1: converted, it is rewritten at the next write). */
  readonly version: number;
  /** Writes this history back to the same file, appending after the last good record. */
  readonly writer: HistoryWriter;
}

/**
 * Reads a history file into a history with the configured tiers. A tier of the file with the same
 * step and slot count is taken as it is; other tiers of the file are left out (the configured
 * ones they would map to start empty) and listed in `droppedTiers`.
 */
export async function readHistoryFile(file: string, tiers: readonly Tier[]): Promise<HistoryLoad> {
  const raw = await fs.readFile(file);
  if (raw.length < HEADER) throw new HistoryFileError(`${raw.length} bytes, shorter than the header`);
  if (raw.readUInt32LE(0) !== MAGIC) throw new HistoryFileError('not a history file (wrong magic)');
  const version = raw.readUInt16LE(4);
  const writer = new HistoryWriter(file);
  if (version === 1) {
    // The first format: one deflated body of float32 rings. Converted; the next write replaces it.
    const { history, droppedTiers } = decodeV1Body(await readV1Body(raw), tiers);
    return { history, droppedTiers, tornBytes: 0, version, writer };
  }
  if (version !== HISTORY_FILE_VERSION && version !== 2) throw new HistoryFileError(`format version ${version}, this version reads ${HISTORY_FILE_VERSION}`);
  const v2 = version === 2;

  // Pass 1: the good records (frame and checksum), up to the first torn one.
  const recs: { start: number; end: number }[] = [];
  let pos = HEADER;
  while (pos + 8 <= raw.length) {
    const len = raw.readUInt32LE(pos);
    const start = pos + 8;
    const end = start + len;
    if (len === 0 || end > raw.length) break;
    if (zlib.crc32(raw.subarray(start, end)) >>> 0 !== raw.readUInt32LE(pos + 4)) break;
    recs.push({ start, end });
    pos = end;
  }
  const goodEnd = pos;
  if (recs.length === 0) throw new HistoryFileError(raw.length > HEADER ? 'the first record is damaged' : 'no records');

  // Pass 2: decode. The newest record of each series and block wins.
  const first = new Reader(raw, recs[0].end, recs[0].start);
  if (first.u8() !== REC_TIERS) throw new HistoryFileError('the file does not start with its tiers');
  const tierCount = first.u8();
  if (tierCount < 1 || tierCount > 8) throw new HistoryFileError(`${tierCount} tiers`);
  const fileTiers: Tier[] = [];
  for (let i = 0; i < tierCount; i++) {
    const t = { stepMs: first.f64(), slots: first.u32() };
    if (first.u32() !== BLOCK_SLOTS) throw new HistoryFileError(`tier ${i + 1}: blocks of another size`);
    fileTiers.push(t);
  }
  first.done('the tiers');
  // A tier of the file goes to the configured tier of the same step (a window that changed keeps
  // what fits in it). A configured tier no file tier has the step of is filled, per series, from
  // the file tier whose step divides its own and that reaches furthest back (TierRing.fillFrom).
  const target = fileTiers.map((ft) => tiers.findIndex((t) => t.stepMs === ft.stepMs));
  const sources = tiers.map((t) => {
    if (fileTiers.some((ft) => ft.stepMs === t.stepMs)) return -1;
    let best = -1;
    fileTiers.forEach((ft, i) => {
      if (ft.stepMs < t.stepMs && t.stepMs % ft.stepMs === 0 && (best < 0 || ft.stepMs * ft.slots > fileTiers[best].stepMs * fileTiers[best].slots)) best = i;
    });
    return best;
  });
  const sameTiers = fileTiers.length === tiers.length && fileTiers.every((ft, i) => ft.stepMs === tiers[i].stepMs && ft.slots === tiers[i].slots);
  const byNumber = new Map<number, Series>();
  /** Per series number, the newest and first slot of each file tier (for the tiers filled from them). */
  const fileSlots = new Map<number, { last: number[]; first: number[] }>();
  // Per series number, its newest block records by tier × 2^32 + block number (where their bytes are).
  const blocks = new Map<number, Map<number, { tier: number; abs: number; codec: BlockCodec; start: number; end: number }>>();
  const seriesBytes = new Map<number, number>();
  for (let k = 1; k < recs.length; k++) {
    const { start, end } = recs[k];
    const r = new Reader(raw, end, start);
    const type = r.u8();
    if (type === REC_SERIES) {
      const no = r.u32();
      const kindCode = r.u8();
      if (kindCode > 1) throw new HistoryFileError(`series ${no}: unknown kind ${kindCode}`);
      const kind = kindCode === 0 ? 'vm' : 'host';
      const metrics = r.u8();
      if (metrics !== metricsOf(kind).length) throw new HistoryFileError(`series ${no}: ${metrics} metrics, a ${kind} has ${metricsOf(kind).length}`);
      const id = r.str();
      const name = r.str();
      const prev = byNumber.get(no);
      if (prev && (prev.id !== id || prev.kind !== kind)) throw new HistoryFileError(`series ${no} changes its id`);
      const s = new Series(id, kind, name, tiers);
      s.lastAt = r.f64();
      const slots = { last: new Array<number>(tierCount), first: new Array<number>(tierCount) };
      fileSlots.set(no, slots);
      for (let t = 0; t < tierCount; t++) {
        const ring: TierRing | undefined = target[t] >= 0 ? s.rings[target[t]] : undefined;
        const last = r.f64();
        const firstSlot = v2 ? 0 : r.f64();
        if (!Number.isInteger(last) || last < -1 || !Number.isInteger(firstSlot) || firstSlot < -1) throw new HistoryFileError(`series ${no}: a bad slot number`);
        slots.last[t] = last;
        slots.first[t] = last < 0 ? -1 : firstSlot;
        if (ring) {
          ring.last = last;
          ring.first = last < 0 ? -1 : firstSlot;
        }
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
      }
      r.done(`series ${no}`);
      byNumber.set(no, s);
      seriesBytes.set(no, end - start + 8);
    } else if (type === REC_BLOCK) {
      const no = r.u32();
      const tier = r.u8();
      const abs = v2 ? r.f64() : r.u32();
      const codec = v2 ? 2 : r.u8();
      if (codec !== 2 && codec !== 3) throw new HistoryFileError(`a block packed with unknown codec ${codec}`);
      if (tier >= tierCount) throw new HistoryFileError(`a block of tier ${tier + 1}, the file has ${tierCount}`);
      if (!Number.isInteger(abs) || abs < 0) throw new HistoryFileError('a bad block number');
      if (!byNumber.has(no)) throw new HistoryFileError(`a block of series ${no} before the series`);
      let of = blocks.get(no);
      if (!of) blocks.set(no, (of = new Map()));
      of.set(tier * 2 ** 32 + abs, { tier, abs, codec, start: r.pos, end });
    } else if (type === REC_DROP) {
      const no = r.u32();
      r.done('a drop');
      byNumber.delete(no);
      blocks.delete(no);
      seriesBytes.delete(no);
    } else throw new HistoryFileError(`unknown record type ${type}`);
  }

  const history = new HostHistory(tiers);
  let live = HEADER + recs[0].end - recs[0].start + 8;
  for (const n of seriesBytes.values()) live += n;
  // A block keeps its bytes as a view of the file's buffer when the file holds little else (one
  // copy of 100 MB costs more than the rest of the load); a file carrying many dead records is
  // copied from, so they do not stay in memory.
  let blockBytes = 0;
  for (const of of blocks.values()) for (const b of of.values()) blockBytes += b.end - b.start + 8 + 11;
  const share = live + blockBytes >= goodEnd * 0.75;
  const packedOf = (b: { start: number; end: number }): Buffer => (share ? raw.subarray(b.start, b.end) : Buffer.from(raw.subarray(b.start, b.end)));
  let filled = 0;
  for (const [no, of] of blocks) {
    const s = byNumber.get(no);
    if (!s) continue;
    // Tiers new to this file, from the finer tier that reaches furthest back (unpacks its blocks:
    // once, when the configuration gained a tier; the load yields now and then meanwhile).
    for (let c = 0; c < tiers.length; c++) {
      const ft = sources[c];
      if (ft < 0) continue;
      const src = new TierRing(fileTiers[ft], s.rings[c].metrics);
      src.last = fileSlots.get(no)!.last[ft];
      src.first = fileSlots.get(no)!.first[ft];
      const lastAbs = src.last < 0 ? -1 : Math.floor(src.last / BLOCK_SLOTS);
      const firstAbs = Math.floor((src.last - src.tier.slots + 1) / BLOCK_SLOTS);
      for (const b of of.values()) if (b.tier === ft && b.abs <= lastAbs && b.abs >= firstAbs) src.setBlock(new Block(b.abs, src.columns, { packed: packedOf(b), codec: b.codec }));
      s.rings[c].fillFrom(src);
      if (++filled % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const b of of.values()) {
      const t = target[b.tier];
      if (t < 0) continue;
      const ring = s.rings[t];
      // Not unpacked here (loading 90 days of 1000 VMs would unpack 400 MB): the record's checksum
      // vouches for its bytes, and a block that still does not unpack reads as a gap (Block.view).
      const lastAbs = ring.last < 0 ? -1 : Math.floor(ring.last / BLOCK_SLOTS);
      if (b.abs > lastAbs) throw new HistoryFileError(`series ${no}: a block after its newest slot`);
      // A block that left the window (an older lap of the ring) is a dead record: left out.
      if (b.abs < Math.floor((ring.last - ring.tier.slots + 1) / BLOCK_SLOTS)) continue;
      const blk = new Block(b.abs, ring.columns, { packed: packedOf(b), codec: b.codec });
      blk.dirty = false;
      ring.setBlock(blk);
      live += b.end - b.start + 8 + (v2 ? 14 : 11);
    }
  }
  const numbers = new Map<string, number>();
  for (const [no, s] of byNumber) {
    s.dirty = false;
    history.adopt(s);
    numbers.set(s.id, no);
  }
  const droppedTiers = fileTiers.filter((_, i) => target[i] < 0);
  // Appending needs the file's version and tiers to be the current ones; otherwise the next write rewrites.
  if (!v2 && sameTiers) writer.adoptFile(numbers, goodEnd, live);
  return { history, droppedTiers, tornBytes: raw.length - goodEnd, version, writer };
}
