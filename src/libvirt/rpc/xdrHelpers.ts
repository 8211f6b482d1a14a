// Small codec combinators used by the generated protocol code (src/libvirt/generated/), so that
// each XDR type there is one short declaration instead of repeated encode/decode bodies.
// Named codecs (structs, unions, typedefs) take their parts as a function and build them on
// first use: loading the protocol module then only allocates one small object per type, and a
// process that makes a handful of calls never builds the other few hundred codecs.

import type { AnyProcedureInfo, ProcedureInfo, StreamDirection } from './program';
import { XdrError, type XdrCodec, type XdrReader, type XdrWriter } from './xdr';

function codec<T>(name: string, encode: (w: XdrWriter, v: T) => void, decode: (r: XdrReader) => T): XdrCodec<T> {
  return { name, encode, decode };
}

export const xInt: XdrCodec<number> = codec('int', (w, v) => w.int(v), (r) => r.int());
export const xUint: XdrCodec<number> = codec('unsigned int', (w, v) => w.uint(v), (r) => r.uint());
export const xHyper: XdrCodec<bigint> = codec('hyper', (w, v) => w.hyper(v), (r) => r.hyper());
export const xUhyper: XdrCodec<bigint> = codec('unsigned hyper', (w, v) => w.uhyper(v), (r) => r.uhyper());
export const xBool: XdrCodec<boolean> = codec('bool', (w, v) => w.bool(v), (r) => r.bool());
export const xFloat: XdrCodec<number> = codec('float', (w, v) => w.float(v), (r) => r.float());
export const xDouble: XdrCodec<number> = codec('double', (w, v) => w.double(v), (r) => r.double());

interface MutableCodec<T> {
  readonly name: string;
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/**
 * A codec named `name` whose encoder and decoder come from `build()`, called once on the first
 * encode or decode; after that the built functions replace the forwarding ones, so later calls
 * cost nothing extra.
 */
export function xLazy<T>(name: string, build: () => XdrCodec<T>): XdrCodec<T> {
  let built: XdrCodec<T> | undefined;
  const get = (): XdrCodec<T> => {
    if (built === undefined) {
      built = build();
      self.encode = built.encode;
      self.decode = built.decode;
    }
    return built;
  };
  const self: MutableCodec<T> = {
    name,
    encode: (w, v) => get().encode(w, v),
    decode: (r) => get().decode(r),
  };
  return self;
}

/** The same codec under another XDR name (typedefs and enums); a function is called on first use. */
export function xAlias<T>(name: string, c: XdrCodec<T> | (() => XdrCodec<T>)): XdrCodec<T> {
  if (typeof c !== 'function') return codec(name, c.encode, c.decode);
  return xLazy(name, () => {
    const target = c();
    return codec(name, target.encode, target.decode);
  });
}

/** `string x<max>`. */
export function xString(max?: number): XdrCodec<string> {
  return codec('string', (w, v) => w.string(v, max), (r) => r.string(max));
}

/** `opaque x<max>`. */
export function xOpaque(max?: number): XdrCodec<Buffer> {
  return codec('opaque', (w, v) => w.opaqueVar(v, max), (r) => r.opaqueVar(max));
}

/** `opaque x[len]`. */
export function xOpaqueFixed(len: number): XdrCodec<Buffer> {
  return codec('opaque', (w, v) => w.opaqueFixed(v, len), (r) => r.opaqueFixed(len));
}

/** Optional data `T *x`: a bool, then the value when present. */
export function xOptional<T>(c: XdrCodec<T>): XdrCodec<T | null> {
  return codec(
    `${c.name} *`,
    (w, v) => {
      w.bool(v !== null);
      if (v !== null) c.encode(w, v);
    },
    (r) => (r.bool() ? c.decode(r) : null),
  );
}

/** Variable-length array `T x<max>`. */
export function xArray<T>(c: XdrCodec<T>, max?: number): XdrCodec<T[]> {
  return codec(
    `${c.name}<>`,
    (w, v) => {
      w.arrayLength(v.length, max);
      for (const e of v) c.encode(w, e);
    },
    (r) => {
      const n = r.arrayLength(max);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = c.decode(r);
      return out;
    },
  );
}

/** Fixed-length array `T x[n]`. */
export function xFixedArray<T>(c: XdrCodec<T>, n: number): XdrCodec<T[]> {
  return codec(
    `${c.name}[${n}]`,
    (w, v) => {
      if (v.length !== n) throw new XdrError(`fixed array needs ${n} elements, got ${v.length}`);
      for (const e of v) c.encode(w, e);
    },
    (r) => {
      r.fixedArray(n);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = c.decode(r);
      return out;
    },
  );
}

export type FieldCodecs<T> = { readonly [K in keyof T]: XdrCodec<T[K]> };

/** A struct: its fields in declaration order, from `fields()` on first use. */
export function xStruct<T extends object>(name: string, fields: () => FieldCodecs<T>): XdrCodec<T> {
  return xLazy(name, () => structCodec<T>(name, fields()));
}

function structCodec<T extends object>(name: string, fields: FieldCodecs<T>): XdrCodec<T> {
  // Parallel arrays and indexed loops: the decoder runs once per field of every record of a
  // bulk reply, mostly before the JIT has optimised it.
  const keys = Object.keys(fields);
  const codecs = Object.values(fields) as XdrCodec<unknown>[];
  const n = keys.length;
  return codec(
    name,
    (w, v) => {
      const rec = v as Record<string, unknown>;
      for (let i = 0; i < n; i++) codecs[i]!.encode(w, rec[keys[i]!]);
    },
    (r) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[keys[i]!] = codecs[i]!.decode(r);
      return out as T;
    },
  );
}

/** One union arm: the arm's field name and codec, or null for a void arm. */
export type UnionArm = readonly [string, XdrCodec<unknown>] | null;

/**
 * A discriminated union: `disc` is the discriminant's field name, `arms()` maps each case value
 * to its arm, `def()` gives the default arm (absent when the union has none, in which case an
 * unknown discriminant is an XdrError). Both are called on first use.
 */
export function xUnion<T extends object>(
  name: string,
  disc: string,
  discCodec: XdrCodec<number>,
  arms: () => ReadonlyMap<number, UnionArm>,
  def?: () => UnionArm,
): XdrCodec<T> {
  return xLazy(name, () => unionCodec<T>(name, disc, discCodec, arms(), def?.()));
}

function unionCodec<T extends object>(
  name: string,
  disc: string,
  discCodec: XdrCodec<number>,
  arms: ReadonlyMap<number, UnionArm>,
  def: UnionArm | undefined,
): XdrCodec<T> {
  // One map lookup per value (arms never maps to undefined).
  const armOf = (d: number): UnionArm => {
    const arm = arms.get(d);
    if (arm !== undefined) return arm;
    if (def === undefined) throw new XdrError(`${name}: unknown discriminant ${d}`);
    return def;
  };
  return codec(
    name,
    (w, v) => {
      const rec = v as Record<string, unknown>;
      const d = rec[disc];
      if (typeof d !== 'number') throw new XdrError(`${name}: discriminant ${disc} is not a number`);
      const arm = armOf(d);
      discCodec.encode(w, d);
      if (arm !== null) arm[1].encode(w, rec[arm[0]]);
    },
    (r) => {
      const d = discCodec.decode(r);
      const arm = armOf(d);
      const out: Record<string, unknown> = {};
      out[disc] = d;
      if (arm !== null) out[arm[0]] = arm[1].decode(r);
      return out as T;
    },
  );
}

export interface ProcedureOptions {
  readonly stream?: StreamDirection;
  readonly priority?: 'high' | 'low';
  readonly isEvent?: boolean;
}

/** Returns a factory of ProcedureInfo entries for one program and version. */
export function procedureFactory(program: number, version: number) {
  return <A, R>(proc: number, name: string, args: XdrCodec<A>, ret: XdrCodec<R>, opts: ProcedureOptions = {}): ProcedureInfo<A, R> => ({
    program,
    version,
    proc,
    name,
    args,
    ret,
    stream: opts.stream ?? 'none',
    priority: opts.priority ?? 'low',
    isEvent: opts.isEvent ?? false,
  });
}

/** Indexes a procedure table by procedure number. */
export function proceduresByNumber(table: Readonly<Record<string, AnyProcedureInfo>>): ReadonlyMap<number, AnyProcedureInfo> {
  const m = new Map<number, AnyProcedureInfo>();
  for (const p of Object.values(table)) m.set(p.proc, p);
  return m;
}
