// Checks for a VM name typed by the user. libvirt accepts almost any name, but the QEMU driver uses
// it in file names (logs, NVRAM, save images), so '/' is refused (see formatdomain.rst, "name").

/** Longest name accepted here; file names on the host are limited to 255 bytes. */
export const MAX_VM_NAME_LENGTH = 200;

/** Returns what is wrong with `name`, or undefined when it is acceptable. */
export function vmNameProblem(name: string, takenNames: ReadonlySet<string>, currentName?: string): string | undefined {
  if (name.trim() === '') return 'Enter a name.';
  if (name !== name.trim()) return 'The name cannot start or end with spaces.';
  if (name.includes('/')) return 'The name cannot contain "/".';
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'The name cannot contain control characters.';
  if (Buffer.byteLength(name, 'utf8') > MAX_VM_NAME_LENGTH) return `The name is longer than ${MAX_VM_NAME_LENGTH} bytes.`;
  if (name !== currentName && takenNames.has(name)) return `A VM named "${name}" already exists on this host.`;
  return undefined;
}
