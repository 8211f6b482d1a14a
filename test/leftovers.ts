// Test objects are named PREFIX<pid>-…: a run removes what it made itself, and leftovers only of
// runs whose process is gone, never those of another run going on at the same time.

/** True when `name` is PREFIX<pid>-… and that process no longer exists. */
export function leftoverOfDeadRun(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const m = /^(\d+)-/.exec(name.slice(prefix.length));
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
