// Typed input errors for host resources: raised before libvirt is called whenever the problem
// can be seen locally (bad path, size, name, address range...), so the user gets a clear message.

export class ResourceInputError extends Error {
  constructor(
    /** Which input is wrong (e.g. 'path', 'name', 'capacity'), for forms that mark a field. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ResourceInputError';
  }

  static is(e: unknown): e is ResourceInputError {
    return e instanceof ResourceInputError;
  }
}

/** A check's outcome: `error` blocks the action, `warning` asks for confirmation. */
export interface CheckResult {
  readonly errors: readonly ResourceInputError[];
  readonly warnings: readonly string[];
}

/** Throws the first error of a check. */
export function throwIfErrors(r: CheckResult): void {
  const first = r.errors[0];
  if (first) throw first;
}

// libvirt object names: not empty, no '/', no control characters (libvirt rejects '/' in pool,
// volume and network names; control characters would break file names and XML).
const MAX_NAME = 200;

/** A pool, volume or network name; returns an error message or undefined. */
export function nameProblem(name: string, what: string): string | undefined {
  if (name.trim() === '') return `The ${what} name is empty.`;
  if (name !== name.trim()) return `The ${what} name starts or ends with spaces.`;
  if (name.length > MAX_NAME) return `The ${what} name is longer than ${MAX_NAME} characters.`;
  if (name.includes('/')) return `The ${what} name contains "/".`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `The ${what} name contains a control character (newline, tab, NUL...).`;
  return undefined;
}

/** An absolute path on the libvirt host; returns an error message or undefined. */
export function absolutePathProblem(path: string, what = 'path'): string | undefined {
  if (path === '') return `The ${what} is empty.`;
  if (path.includes('\u0000')) return `The ${what} contains a NUL character.`;
  if (/[\n\r]/.test(path)) return `The ${what} contains a line break.`;
  if (!path.startsWith('/')) return `The ${what} must be absolute (start with "/"), got ${JSON.stringify(path)}.`;
  if (path.split('/').includes('..')) return `The ${what} must not contain "..".`;
  return undefined;
}

/** A name that must not already be taken; compares exactly, as libvirt does. */
export function duplicateNameProblem(name: string, existing: readonly string[], what: string): string | undefined {
  return existing.includes(name) ? `A ${what} named "${name}" already exists.` : undefined;
}

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?b?)\s*$/i;

/**
 * A size typed by a user: "20G", "20 GiB", "512M", "1.5T", "1048576" (bytes), "10GB" (decimal).
 * Binary units unless the unit is "KB", "MB"... (as libvirt's scaled integers).
 */
export function parseSize(input: string, defaultUnit: 'B' | 'M' | 'G' = 'G'): number {
  const m = SIZE_RE.exec(input);
  if (!m) throw new ResourceInputError('size', `Not a size: ${JSON.stringify(input)} (examples: 20G, 512M, 1.5T).`);
  const value = Number(m[1]);
  let letter = (m[2] ?? '').toLowerCase();
  const suffix = (m[3] ?? '').toLowerCase();
  if (letter === '' && suffix === '') letter = defaultUnit === 'B' ? '' : defaultUnit.toLowerCase();
  const power = letter === '' ? 0 : 'kmgtpe'.indexOf(letter) + 1;
  const base = suffix === 'b' && letter !== '' ? 1000 : 1024;
  const bytes = Math.round(value * base ** power);
  if (!Number.isSafeInteger(bytes)) throw new ResourceInputError('size', `The size ${input} is too large.`);
  return bytes;
}

/** Bytes as "12.3 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  const digits = Math.abs(v) >= 100 ? 0 : 1;
  return `${v.toFixed(digits).replace(/\.0$/, '')} ${units[i] ?? ''}`;
}
