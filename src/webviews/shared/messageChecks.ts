// Field-by-field checks of messages coming from a webview, which is untrusted input. Each panel's
// protocol.ts declares one table: for every message type it may receive, a check per field.
// parseMessage() refuses unknown types, missing fields and fields the table does not name.
// No `vscode` or DOM imports: both the host and unit tests use this.

/** Why a message from a webview was refused (logged by the panel, never acted on). */
export class WebviewMessageError extends Error {
  override readonly name = 'WebviewMessageError';
  static is(e: unknown): e is WebviewMessageError {
    return e instanceof WebviewMessageError;
  }
}

/** Checks one field; returns the value to use (possibly decoded) or throws with the reason. */
export type FieldCheck<T = unknown> = (v: unknown) => T;

/** For each message type (without `type` itself), one check per field. */
export type MessageTable<M extends { readonly type: string }> = {
  readonly [K in M['type']]: Readonly<Record<Exclude<keyof Extract<M, { type: K }>, 'type'>, FieldCheck>>;
};

export const MAX_TEXT = 16 * 1024;

function fail(reason: string): never {
  throw new WebviewMessageError(reason);
}

export const flag: FieldCheck<boolean> = (v) => (typeof v === 'boolean' ? v : fail('expected true or false'));

/** Text of at most `max` characters. */
export function text(max = MAX_TEXT): FieldCheck<string> {
  return (v) => (typeof v === 'string' && v.length <= max ? v : fail(`not a text of at most ${max} characters`));
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number, what = 'an integer'): FieldCheck<number> {
  return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fail(`not ${what} from ${min} to ${max}`));
}

/** Any finite number (form values: the model checks their range). */
export const finite: FieldCheck<number> = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : fail('not a finite number'));

/** One of the given constants. */
export function oneOf<T extends string>(values: readonly T[], what = 'value'): FieldCheck<T> {
  return (v) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : fail(`unknown ${what}`));
}

/** A list of at most `max` items, each checked. */
export function listOf<T>(item: FieldCheck<T>, max: number): FieldCheck<T[]> {
  return (v) => {
    if (!Array.isArray(v) || v.length > max) fail(`not a list of at most ${max} items`);
    return v.map((x, i) => {
      try {
        return item(x);
      } catch (e) {
        throw new WebviewMessageError(`[${i}]: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  };
}

/** A plain object with exactly these fields, each checked (a nested record in a message). */
export function record<T>(fields: Readonly<Record<string, FieldCheck>>): FieldCheck<T> {
  return (v) => checkFields(v, fields) as T;
}

/** Allows the field to be absent or undefined (then the check is skipped). */
export function optional<T>(check: FieldCheck<T>): FieldCheck<T | undefined> & { readonly optional: true } {
  const f = (v: unknown): T | undefined => (v === undefined ? undefined : check(v));
  return Object.assign(f, { optional: true as const });
}

/** `true`, from a control that only a trusted click can reach. */
export const mustBeTrue: FieldCheck<true> = (v) => (v === true ? true : fail('not started by a user action'));

function isOptional(check: FieldCheck): boolean {
  return (check as { optional?: unknown }).optional === true;
}

/** Checks a plain object's fields; `type` (when given) names a message whose `type` key is skipped. */
function checkFields(m: unknown, fields: Readonly<Record<string, FieldCheck>>, type?: string): Record<string, unknown> {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('not an object');
  const rec = m as Record<string, unknown>;
  const where = type === undefined ? '' : `${type}: `;
  for (const key of Object.keys(rec)) {
    if (type !== undefined && key === 'type') continue;
    if (!Object.prototype.hasOwnProperty.call(fields, key)) fail(`${where}unexpected field ${JSON.stringify(key.slice(0, 40))}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(fields)) {
    if (!(key in rec) && !isOptional(check)) fail(`${where}missing field ${key}`);
    try {
      const value = check(rec[key]);
      if (value !== undefined) out[key] = value;
    } catch (e) {
      throw new WebviewMessageError(`${type === undefined ? '' : `${type}.`}${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/**
 * Checks every field of a message from a webview: the type must be one the table names, each of
 * its fields present (unless optional) and valid, no other field present. Returns the message
 * built from the checked values; throws WebviewMessageError saying what is wrong.
 */
export function parseMessage<M extends { readonly type: string }>(table: MessageTable<M>, m: unknown): M {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('not an object');
  const type = (m as Record<string, unknown>)['type'];
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(table, type)) fail(`unknown message type ${JSON.stringify(type)?.slice(0, 40)}`);
  const fields = table[type as M['type']] as Readonly<Record<string, FieldCheck>>;
  const out = checkFields(m, fields, type);
  return { type, ...out } as unknown as M;
}

/** A plain object of at most `maxKeys` keys (each at most `keyLength` characters), every value checked. */
export function dictionary<T>(value: FieldCheck<T>, maxKeys: number, keyLength = 256): FieldCheck<Record<string, T>> {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('not an object');
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length > maxKeys) fail(`more than ${maxKeys} entries`);
    const out: Record<string, T> = {};
    for (const [k, x] of entries) {
      if (k.length > keyLength || k === '__proto__') fail(`a key longer than ${keyLength} characters`);
      try {
        const checked = value(x);
        if (checked !== undefined) out[k] = checked;
      } catch (e) {
        throw new WebviewMessageError(`${JSON.stringify(k.slice(0, 40))}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return out;
  };
}
