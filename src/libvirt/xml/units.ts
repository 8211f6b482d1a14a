// Sizes as people read them (virt-manager's wording).

/** Formats a KiB amount the way virt-manager does: MiB below 1 GiB, GiB with at most one decimal. */
export function formatKiB(kib: number): string {
  if (!Number.isFinite(kib) || kib <= 0) return '0 MiB';
  const mib = kib / 1024;
  if (mib < 1024) return `${Math.round(mib)} MiB`;
  const gib = mib / 1024;
  const rounded = Math.round(gib * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} GiB`;
}
