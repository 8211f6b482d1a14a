// Several runs of a benchmark in VS Code, reported as the one with the median time: a single run
// varies by 100-400 ms with what else the two cores do at activation (libvirtd, code-server,
// Chromium and the extension host share them). The median run's other figures are its own, so
// they stay consistent with each other.

/** The run with the median `key` (the lower middle of an even count). */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  if (runs.length === 0) throw new Error('no runs');
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
