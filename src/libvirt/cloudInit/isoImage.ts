// A small ISO 9660 image written in TypeScript: one directory of files, with Joliet names
// (UCS-2) and Rock Ridge names and modes, as cloud-init's NoCloud seed needs (volume id "cidata",
// files user-data, meta-data, network-config). No tool on the host or here is needed: the image is
// uploaded as a volume. Layout per ECMA-119 (volume descriptors from sector 16, path tables,
// directory records), the Joliet supplementary descriptor (escape sequence %/E, UCS-2 level 3),
// and SUSP/RRIP entries (SP and ER in the root's "." record, NM and PX in each file's record).

const SECTOR = 2048;

export interface IsoFile {
  /** The file's name (Joliet and Rock Ridge keep it as it is; ISO 9660 gets an 8.3 form). */
  readonly name: string;
  readonly data: Uint8Array;
}

export interface IsoOptions {
  /** Up to 32 characters; "cidata" for a NoCloud seed. */
  readonly volumeId: string;
  readonly files: readonly IsoFile[];
  /** The image's dates (default now). */
  readonly date?: Date;
}

export class IsoImageError extends Error {
  override readonly name = 'IsoImageError';
}

const both16 = (b: Buffer, at: number, v: number): void => {
  b.writeUInt16LE(v, at);
  b.writeUInt16BE(v, at + 2);
};
const both32 = (b: Buffer, at: number, v: number): void => {
  b.writeUInt32LE(v, at);
  b.writeUInt32BE(v, at + 4);
};
const sectors = (bytes: number): number => Math.max(1, Math.ceil(bytes / SECTOR));

/** A space-padded a/d-character field of a descriptor. */
function ascii(b: Buffer, at: number, len: number, s: string): void {
  b.fill(0x20, at, at + len);
  b.write(s.slice(0, len), at, 'latin1');
}
/** A Joliet field: UCS-2 big endian, padded with UCS-2 spaces. */
function ucs2(b: Buffer, at: number, len: number, s: string): void {
  for (let i = 0; i + 1 < len; i += 2) b.writeUInt16BE(0x0020, at + i);
  const enc = ucs2be(s).subarray(0, len - (len % 2));
  enc.copy(b, at);
}
function ucs2be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) {
    const t = le[i]!;
    le[i] = le[i + 1]!;
    le[i + 1] = t;
  }
  return le;
}

/** The 7-byte date of a directory record (ECMA-119 9.1.5), UTC. */
function recordDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}
/** The 17-byte date of a volume descriptor (ECMA-119 8.4.26.1), UTC. */
function descriptorDate(d: Date | undefined): Buffer {
  if (!d) return Buffer.concat([Buffer.from('0000000000000000', 'latin1'), Buffer.from([0])]);
  const p = (n: number, w: number): string => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}${p(d.getUTCHours(), 2)}${p(d.getUTCMinutes(), 2)}${p(d.getUTCSeconds(), 2)}00`;
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
}

/** A directory record (ECMA-119 9.1) with optional system use (SUSP) bytes. */
function dirRecord(id: Buffer, extent: number, size: number, isDir: boolean, date: Date, systemUse: Buffer = Buffer.alloc(0)): Buffer {
  const pad = id.length % 2 === 0 ? 1 : 0;
  const len = 33 + id.length + pad + systemUse.length;
  if (len > 255) throw new IsoImageError('a directory record is longer than 255 bytes');
  const r = Buffer.alloc(len);
  r[0] = len;
  both32(r, 2, extent);
  both32(r, 10, size);
  recordDate(date).copy(r, 18);
  r[25] = isDir ? 2 : 0;
  both16(r, 28, 1);
  r[32] = id.length;
  id.copy(r, 33);
  systemUse.copy(r, 33 + id.length + pad);
  return r;
}

/** SUSP/RRIP entries. */
const suspEntry = (sig: string, version: number, body: Buffer): Buffer => Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from([4 + body.length, version]), body]);
const SP = suspEntry('SP', 1, Buffer.from([0xbe, 0xef, 0]));
function ER(): Buffer {
  const id = Buffer.from('RRIP_1991A', 'latin1');
  const des = Buffer.from('ROCK RIDGE', 'latin1');
  const src = Buffer.from('SEE PUBLISHER', 'latin1');
  return suspEntry('ER', 1, Buffer.concat([Buffer.from([id.length, des.length, src.length, 1]), id, des, src]));
}
function PX(mode: number, links: number): Buffer {
  const b = Buffer.alloc(32);
  both32(b, 0, mode);
  both32(b, 8, links);
  both32(b, 16, 0);
  both32(b, 24, 0);
  return suspEntry('PX', 1, b);
}
const NM = (name: string): Buffer => suspEntry('NM', 1, Buffer.concat([Buffer.from([0]), Buffer.from(name, 'utf8')]));

/** The ISO 9660 level 1 name of a file: upper case d-characters, 8.3, version 1; unique among `taken`. */
function isoName(name: string, taken: Set<string>): string {
  const clean = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const dot = name.lastIndexOf('.');
  const base = clean(dot > 0 ? name.slice(0, dot) : name);
  const ext = clean(dot > 0 ? name.slice(dot + 1) : '').slice(0, 3);
  for (let n = 0; ; n++) {
    const b = n === 0 ? base.slice(0, 8) : `${base.slice(0, 8 - String(n).length - 1)}_${n}`;
    const full = `${b || '_'}.${ext};1`;
    if (!taken.has(full)) {
      taken.add(full);
      return full;
    }
  }
}

/** Writes the image. Names must be unique, without '/', at most 64 characters (Joliet's limit). */
export function buildIsoImage(opts: IsoOptions): Buffer {
  const date = opts.date ?? new Date();
  if (opts.volumeId === '' || opts.volumeId.length > 16 || !/^[A-Za-z0-9_ -]+$/.test(opts.volumeId)) throw new IsoImageError(`'${opts.volumeId}' cannot be an ISO volume id here (1–16 letters, digits, '_', '-' or spaces)`);
  const seen = new Set<string>();
  for (const f of opts.files) {
    if (f.name === '' || f.name.includes('/') || f.name.length > 64 || f.name === '.' || f.name === '..') throw new IsoImageError(`'${f.name}' cannot be a file name in the image`);
    if (seen.has(f.name)) throw new IsoImageError(`'${f.name}' is twice in the image`);
    seen.add(f.name);
  }
  const taken = new Set<string>();
  const files = opts.files.map((f) => ({ ...f, iso: isoName(f.name, taken) }));

  // Sectors: 16 PVD, 17 Joliet SVD, 18 terminator, 19–22 path tables, 23 ISO root, 24 Joliet root, then the files.
  const [PVD, SVD, TERM, L1, M1, L2, M2, ROOT1, ROOT2] = [16, 17, 18, 19, 20, 21, 22, 23, 24];
  let next = 25;
  const extents = files.map((f) => {
    const at = next;
    next += sectors(f.data.length);
    return at;
  });
  const total = next;

  // The ISO 9660 root, with Rock Ridge: SP and ER in ".", names and modes in the files' records.
  const rootRecords = (joliet: boolean, self: number): Buffer => {
    const dot = dirRecord(Buffer.from([0]), self, SECTOR, true, date, joliet ? undefined : Buffer.concat([SP, PX(0o40555, 2), ER()]));
    const dotdot = dirRecord(Buffer.from([1]), self, SECTOR, true, date, joliet ? undefined : PX(0o40555, 2));
    const entries = files
      .map((f, i) => ({ f, i, id: joliet ? ucs2be(`${f.name};1`) : Buffer.from(f.iso, 'latin1') }))
      // Records are sorted by identifier (ECMA-119 9.3).
      .sort((a, b) => Buffer.compare(a.id, b.id))
      .map(({ f, i, id }) => dirRecord(id, extents[i]!, f.data.length, false, date, joliet ? undefined : Buffer.concat([PX(0o100444, 1), NM(f.name)])));
    const all = [dot, dotdot, ...entries];
    if (all.reduce((n, r) => n + r.length, 0) > SECTOR) throw new IsoImageError('too many files for a one-sector directory');
    return Buffer.concat(all);
  };

  const img = Buffer.alloc(total * SECTOR);
  const sector = (n: number): Buffer => img.subarray(n * SECTOR, (n + 1) * SECTOR);

  const descriptor = (n: number, joliet: boolean, root: number, lPath: number, mPath: number): void => {
    const d = sector(n);
    d[0] = joliet ? 2 : 1;
    d.write('CD001', 1, 'latin1');
    d[6] = 1;
    (joliet ? ucs2 : ascii)(d, 8, 32, 'LINUX');
    (joliet ? ucs2 : ascii)(d, 40, 32, opts.volumeId);
    both32(d, 80, total);
    if (joliet) d.write('%/E', 88, 'latin1');
    both16(d, 120, 1);
    both16(d, 124, 1);
    both16(d, 128, SECTOR);
    both32(d, 132, 10);
    d.writeUInt32LE(lPath, 140);
    d.writeUInt32BE(mPath, 148);
    dirRecord(Buffer.from([0]), root, SECTOR, true, date).copy(d, 156);
    for (const [at, len] of [
      [190, 128],
      [318, 128],
      [446, 128],
      [574, 128],
      [702, 37],
      [739, 37],
      [776, 37],
    ] as const)
      (joliet ? ucs2 : ascii)(d, at, len, '');
    descriptorDate(date).copy(d, 813);
    descriptorDate(date).copy(d, 830);
    descriptorDate(undefined).copy(d, 847);
    descriptorDate(undefined).copy(d, 864);
    d[881] = 1;
  };
  descriptor(PVD, false, ROOT1, L1, M1);
  descriptor(SVD, true, ROOT2, L2, M2);
  const t = sector(TERM);
  t[0] = 255;
  t.write('CD001', 1, 'latin1');
  t[6] = 1;

  // Path tables: the root only (ECMA-119 9.4).
  const pathTable = (n: number, root: number, bigEndian: boolean): void => {
    const p = sector(n);
    p[0] = 1;
    if (bigEndian) {
      p.writeUInt32BE(root, 2);
      p.writeUInt16BE(1, 6);
    } else {
      p.writeUInt32LE(root, 2);
      p.writeUInt16LE(1, 6);
    }
  };
  pathTable(L1, ROOT1, false);
  pathTable(M1, ROOT1, true);
  pathTable(L2, ROOT2, false);
  pathTable(M2, ROOT2, true);

  rootRecords(false, ROOT1).copy(sector(ROOT1));
  rootRecords(true, ROOT2).copy(sector(ROOT2));
  files.forEach((f, i) => Buffer.from(f.data).copy(img, extents[i]! * SECTOR));
  return img;
}
