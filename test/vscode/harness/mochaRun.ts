// Runs mocha programmatically over every *.test.js below a directory and records its counts in a
// small JSON file, so scripts/test-all.sh can sum passing/failing over all stages reliably.
// Used for the plain Node stages, inside the extension host, and for the UI tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface MochaStats {
  name: string;
  passes: number;
  failures: number;
  pending: number;
  files: number;
  durationMs: number;
}

export interface MochaRunOptions {
  name: string;
  files: readonly string[];
  timeoutMs: number;
  /** Where to write the stats as JSON; nothing is written when omitted. */
  statsFile?: string;
  rootHooks?: Mocha.RootHookObject;
  /** Print through console.log (needed inside the extension host) and without colours. */
  color?: boolean;
}

/** Every file ending in `suffix` under `dir` (recursively), sorted; [] when `dir` does not exist. */
export function findTestFiles(dir: string, suffix = '.test.js'): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(suffix)) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

export function writeStats(statsFile: string | undefined, stats: MochaStats): void {
  if (!statsFile) return;
  fs.mkdirSync(path.dirname(statsFile), { recursive: true });
  fs.writeFileSync(statsFile, JSON.stringify(stats) + '\n');
}

export async function runMocha(options: MochaRunOptions): Promise<MochaStats> {
  const started = Date.now();
  if (options.files.length === 0) {
    console.log(`[${options.name}] no test files: nothing to run (0 passing)`);
    const empty: MochaStats = { name: options.name, passes: 0, failures: 0, pending: 0, files: 0, durationMs: 0 };
    writeStats(options.statsFile, empty);
    return empty;
  }
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: options.color ?? false,
    timeout: options.timeoutMs,
    ...(options.rootHooks ? { rootHooks: options.rootHooks } : {}),
  });
  for (const f of options.files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const stats = await new Promise<MochaStats>((resolve) => {
    const runner = mocha.run(() => {
      const s = runner.stats;
      resolve({
        name: options.name,
        passes: s?.passes ?? 0,
        failures: s?.failures ?? 0,
        pending: s?.pending ?? 0,
        files: options.files.length,
        durationMs: Date.now() - started,
      });
    });
  });
  writeStats(options.statsFile, stats);
  return stats;
}
