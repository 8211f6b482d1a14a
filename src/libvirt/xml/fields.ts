// Table-driven typed fields over an XML element: each field names a path of child elements and
// either an attribute, the element's text, or the element's presence. Reads decode, writes go
// through XmlDocument's surgical edits (creating missing elements, removing emptied ones).

import { XmlDocument, XmlElement } from './xmlDocument';

/** A value that cannot be stored in a field (wrong enum value, not a number, ...). */
export class XmlValueError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'XmlValueError';
  }
  static is(e: unknown): e is XmlValueError {
    return e instanceof XmlValueError;
  }
}

interface Codec<T> {
  decode(raw: string): T | undefined;
  encode(value: T, field: string): string;
}

export interface Field<T> {
  /** Child element path below the view's element ('' segments are not allowed). */
  readonly path: readonly string[];
  /** Attribute name; undefined: the element's text; `presence` fields ignore both. */
  readonly attr?: string;
  readonly presence?: boolean;
  readonly codec: Codec<T>;
  /** What the codec stores: text, an integer, a switch, or one of `values`. */
  readonly type: 'string' | 'int' | 'bool' | 'enum';
  /** The allowed values of an enumerated field. */
  readonly values?: readonly string[];
}

export type FieldValue<F> = F extends Field<infer T> ? T : never;
export type FieldTable = Record<string, Field<unknown>>;

const stringCodec: Codec<string> = { decode: (r) => r, encode: (v) => v };

const intCodec: Codec<number> = {
  decode: (r) => {
    const t = r.trim();
    if (!/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) return undefined;
    return Number(t);
  },
  encode: (v, field) => {
    if (!Number.isSafeInteger(v)) throw new XmlValueError(`${field}: ${v} is not an integer`, field);
    return String(v);
  },
};

function switchCodec(on: string, off: string): Codec<boolean> {
  return {
    decode: (r) => (r === on ? true : r === off ? false : undefined),
    encode: (v) => (v ? on : off),
  };
}

function enumCodec<const V extends string>(values: readonly V[]): Codec<V> {
  return {
    decode: (r) => (values.includes(r as V) ? (r as V) : undefined),
    encode: (v, field) => {
      if (!values.includes(v)) throw new XmlValueError(`${field}: '${v}' is not one of ${values.join(', ')}`, field);
      return v;
    },
  };
}

const split = (path: string): string[] => (path === '' ? [] : path.split('/'));

export const str = (path: string, attr?: string): Field<string> => ({ path: split(path), attr, codec: stringCodec, type: 'string' });
export const int = (path: string, attr?: string): Field<number> => ({ path: split(path), attr, codec: intCodec, type: 'int' });
/** `yes`/`no` attribute or text. */
export const yesNo = (path: string, attr?: string): Field<boolean> => ({ path: split(path), attr, codec: switchCodec('yes', 'no'), type: 'bool' });
/** `on`/`off` attribute or text. */
export const onOff = (path: string, attr?: string): Field<boolean> => ({ path: split(path), attr, codec: switchCodec('on', 'off'), type: 'bool' });
export const oneOf = <const V extends string>(values: readonly V[], path: string, attr?: string): Field<V> => ({
  path: split(path),
  attr,
  codec: enumCodec(values),
  type: 'enum',
  values,
});
/** True when the element at `path` exists (e.g. `<readonly/>`, `<features><acpi/>`). */
export const presence = (path: string): Field<boolean> => ({ path: split(path), presence: true, codec: switchCodec('true', 'false'), type: 'bool' });

export function readField<T>(doc: XmlDocument, el: XmlElement, f: Field<T>): T | undefined {
  const target = el.find(f.path);
  if (f.presence) return (target !== undefined) as T;
  if (!target) return undefined;
  const raw = f.attr !== undefined ? target.attr(f.attr) : doc.textContent(target);
  if (raw === undefined) return undefined;
  return f.codec.decode(f.attr !== undefined ? raw : raw.trim());
}

/** Writes a field; `undefined` removes the attribute/element (and ancestors it leaves empty). */
export function writeField<T>(doc: XmlDocument, el: XmlElement, f: Field<T>, value: T | undefined, name: string): void {
  if (f.presence) {
    const target = el.find(f.path);
    if (value === true && !target) doc.ensurePath(el, f.path);
    else if (value !== true && target) doc.removeElementAndEmptyAncestors(target, el);
    return;
  }
  if (value === undefined) {
    const target = el.find(f.path);
    if (!target) return;
    if (f.attr !== undefined) {
      doc.removeAttribute(target, f.attr);
      if (target !== el && target.attributes.length === 0 && target.elements().length === 0 && doc.textContent(target).trim() === '') {
        doc.removeElementAndEmptyAncestors(target, el);
      }
    } else if (target !== el && target.attributes.length === 0 && target.elements().length === 0) {
      doc.removeElementAndEmptyAncestors(target, el);
    } else {
      doc.setTextContent(target, '');
    }
    return;
  }
  const enc = f.codec.encode(value, name);
  const target = doc.ensurePath(el, f.path);
  if (f.attr !== undefined) doc.setAttribute(target, f.attr, enc);
  else doc.setTextContent(target, enc);
}

/** Typed get/set over a field table; device views and the domain sections extend this. */
export class FieldView<S extends FieldTable> {
  constructor(
    readonly doc: XmlDocument,
    readonly element: XmlElement,
    protected readonly fields: S,
  ) {}

  get<K extends keyof S & string>(name: K): FieldValue<S[K]> | undefined {
    return readField(this.doc, this.element, this.fields[name]!) as FieldValue<S[K]> | undefined;
  }

  set<K extends keyof S & string>(name: K, value: FieldValue<S[K]> | undefined): void {
    writeField(this.doc, this.element, this.fields[name]!, value, name);
  }

  /** All fields that have a value, for display and tests. */
  values(): Partial<{ [K in keyof S]: FieldValue<S[K]> }> {
    const out: Partial<{ [K in keyof S]: FieldValue<S[K]> }> = {};
    for (const k of Object.keys(this.fields) as (keyof S & string)[]) {
      const v = this.get(k);
      if (v !== undefined && v !== false) out[k] = v;
    }
    return out;
  }
}
