// The bounds-checked reader of the history files: the current format's records (historyFile.ts)
// and the format-1 body (historyFileV1.ts, which adds its ring layout).

import { HistoryFileError } from './historyFile';

/**
 * Reads scalars from `b` between `start` and `endPos` with bounds checks: a record (or, for the
 * format-1 reader in historyFileV1.ts, a body) that lies about its content throws HistoryFileError.
 */
export class Reader {
  pos: number;
  constructor(
    protected readonly b: Buffer,
    protected readonly endPos: number,
    start: number,
  ) {
    this.pos = start;
  }
  need(n: number): void {
    if (this.pos + n > this.endPos) throw new HistoryFileError(`a record ends early (at byte ${this.pos}, ${n} more wanted)`);
  }
  u8(): number {
    this.need(1);
    return this.b.readUInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.b.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.u16();
    this.need(n);
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  rest(): Buffer {
    const out = this.b.subarray(this.pos, this.endPos);
    this.pos = this.endPos;
    return out;
  }
  done(what: string): void {
    if (this.pos !== this.endPos) throw new HistoryFileError(`${what}: ${this.endPos - this.pos} unexpected bytes`);
  }
}
