// The XML Schema datatypes libvirt's RelaxNG schemas use in `<data>` patterns (integers with
// ranges, strings with patterns, doubles), checked the way libxml2 checks them, and described in
// words for messages ("a positive integer up to 65535"). A type or facet we do not know accepts
// every value, so a check here never reports a value libxml2 would accept.
// XML Schema Part 2: https://www.w3.org/TR/xmlschema-2/

/** One `<data type=…>` pattern with its `<param>` facets. */
export interface DataPattern {
  readonly type: string;
  readonly params: readonly { readonly name: string; readonly value: string }[];
  /** The nearest enclosing `<define name=…>`, e.g. uniMacAddr: named in messages. An `<except>`
   * inside the pattern only removes values, so checking without it never refuses a valid one. */
  readonly define?: string;
}

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint | undefined, bigint | undefined]>> = {
  integer: [undefined, undefined],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  byte: [-128n, 127n],
  nonNegativeInteger: [0n, undefined],
  positiveInteger: [1n, undefined],
  nonPositiveInteger: [undefined, 0n],
  negativeInteger: [undefined, -1n],
  unsignedLong: [0n, 2n ** 64n - 1n],
  unsignedInt: [0n, 2n ** 32n - 1n],
  unsignedShort: [0n, 2n ** 16n - 1n],
  unsignedByte: [0n, 255n],
};

const DOUBLE_RE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-?INF|NaN)$/;

const patternCache = new Map<string, RegExp | null>();

/** An XML Schema regular expression as a JavaScript one (implicitly anchored); null when it uses
 * what JavaScript cannot express the same way (\i, \c, \p{…}, character class subtraction). */
function schemaRegExp(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re !== undefined) return re;
  re = null;
  if (!/\\[iIcCpP]|-\[/.test(pattern)) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch {
      re = null;
    }
  }
  patternCache.set(pattern, re);
  return re;
}

function param(p: DataPattern, name: string): string | undefined {
  return p.params.find((x) => x.name === name)?.value.trim();
}

function bigOrUndefined(s: string | undefined): bigint | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return BigInt(s);
}

/** The inclusive integer range of an integer pattern (type range narrowed by its facets). */
function integerRange(p: DataPattern): [bigint | undefined, bigint | undefined] | undefined {
  const base = INTEGER_RANGES[p.type];
  if (!base) return undefined;
  let [lo, hi] = base;
  const minI = bigOrUndefined(param(p, 'minInclusive'));
  const maxI = bigOrUndefined(param(p, 'maxInclusive'));
  const minE = bigOrUndefined(param(p, 'minExclusive'));
  const maxE = bigOrUndefined(param(p, 'maxExclusive'));
  if (minI !== undefined && (lo === undefined || minI > lo)) lo = minI;
  if (minE !== undefined && (lo === undefined || minE + 1n > lo)) lo = minE + 1n;
  if (maxI !== undefined && (hi === undefined || maxI < hi)) hi = maxI;
  if (maxE !== undefined && (hi === undefined || maxE - 1n < hi)) hi = maxE - 1n;
  return [lo, hi];
}

const KNOWN_PARAMS = new Set(['pattern', 'minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive', 'minLength', 'maxLength', 'length']);

/** Whether `raw` is a value of `p`; true when we cannot tell (unknown type or facet). */
export function matchesData(p: DataPattern, raw: string): boolean {
  if (p.params.some((x) => !KNOWN_PARAMS.has(x.name))) return true;
  const isString = p.type === 'string' || p.type === 'normalizedString';
  // Every type but string collapses whitespace before checking (XML Schema's whiteSpace facet).
  const value = isString ? raw : raw.trim();
  const pattern = param(p, 'pattern');
  if (pattern !== undefined) {
    const re = schemaRegExp(pattern);
    if (re && !re.test(value)) return false;
  }
  const len = [...value].length;
  const minL = param(p, 'minLength');
  const maxL = param(p, 'maxLength');
  const exactL = param(p, 'length');
  if (minL !== undefined && len < Number(minL)) return false;
  if (maxL !== undefined && len > Number(maxL)) return false;
  if (exactL !== undefined && len !== Number(exactL)) return false;
  const range = integerRange(p);
  if (range) {
    if (!/^[+-]?\d+$/.test(value)) return false;
    const n = BigInt(value);
    return (range[0] === undefined || n >= range[0]) && (range[1] === undefined || n <= range[1]);
  }
  if (p.type === 'double' || p.type === 'float' || p.type === 'decimal') {
    if (p.type === 'decimal' ? !/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) : !DOUBLE_RE.test(value)) return false;
    const n = Number(value.replace(/^-?INF$/, (m) => (m.startsWith('-') ? '-Infinity' : 'Infinity')));
    const min = param(p, 'minInclusive');
    const max = param(p, 'maxInclusive');
    if (min !== undefined && n < Number(min)) return false;
    if (max !== undefined && n > Number(max)) return false;
    return true;
  }
  if (p.type === 'boolean') return /^(?:true|false|1|0)$/.test(value);
  return true;
}

/** What a pattern accepts, in words: "a positive integer up to 65535", "text matching …". */
export function describeData(p: DataPattern): string {
  const range = integerRange(p);
  const pattern = param(p, 'pattern');
  const named = p.define ? ` (${p.define})` : '';
  if (range) {
    const [lo, hi] = range;
    let words: string;
    if (lo === 1n) words = hi === undefined ? 'a positive integer' : `a positive integer up to ${hi}`;
    else if (lo === 0n) words = hi === undefined ? 'a non-negative integer' : `an integer from 0 to ${hi}`;
    else if (lo !== undefined && hi !== undefined) words = `an integer from ${lo} to ${hi}`;
    else if (lo !== undefined) words = `an integer of at least ${lo}`;
    else if (hi !== undefined) words = `an integer of at most ${hi}`;
    else words = 'an integer';
    // A pattern that only restates decimal digits says nothing more; any other one is shown.
    return pattern !== undefined && !/^\[0-9\][+*]$/.test(pattern) ? `${words} written as ${pattern}${named}` : `${words}${named}`;
  }
  if (p.type === 'double' || p.type === 'float' || p.type === 'decimal') return `a number${named}`;
  if (p.type === 'boolean') return `true or false${named}`;
  const parts: string[] = [];
  if (pattern !== undefined) parts.push(`text matching ${pattern}`);
  const maxL = param(p, 'maxLength');
  if (maxL !== undefined) parts.push(`at most ${maxL} characters`);
  return parts.length ? `${parts.join(', ')}${named}` : `${p.type}${named}`;
}
