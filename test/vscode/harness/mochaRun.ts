// Runs mocha programmatically over every *.test.js below a directory and records its counts in a
// small JSON file, so scripts/test-all.sh can sum passing/failing over all stages reliably.
// Used for the plain Node stages, inside the extension host, and for the UI tests.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface MochaStats {
  name: string;
  passes: number;
  failures: number;
  pending: number;
  files: number;
  durationMs: number;
  /** Full title and first error line of each failed test, so the run's summary can name them. */
  failed?: string[];
  /**
   * Wall time of each test file, hooks included (a guest booted in a before hook counts for the
   * file that boots it), slowest first; paths relative to the repository. See fileTimer().
   */
  fileDurations?: FileDuration[];
}

export interface FileDuration {
  file: string;
  ms: number;
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
  return onlySelected(found.sort());
}

/**
 * For a developer's quick run: LIBVIRT_VMS_TEST_FILES=a,b keeps only the files whose path contains
 * one of those parts, and says so. `npm test` and CI never set it.
 */
function onlySelected(files: string[]): string[] {
  const parts = (process.env.LIBVIRT_VMS_TEST_FILES ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return files;
  const kept = files.filter((f) => parts.some((p) => f.includes(p)));
  console.log(`[mocha] LIBVIRT_VMS_TEST_FILES=${parts.join(',')}: running ${kept.length} of ${files.length} test files`);
  return kept;
}

export function writeStats(statsFile: string | undefined, stats: MochaStats): void {
  if (!statsFile) return;
  fs.mkdirSync(path.dirname(statsFile), { recursive: true });
  fs.writeFileSync(statsFile, JSON.stringify(stats) + '\n');
}

/** The hooks registered on the root suite (outside any describe) so far. */
function rootHooks(root: Mocha.Suite): Mocha.Hook[] {
  const r = root as unknown as Record<'_beforeAll' | '_beforeEach' | '_afterEach' | '_afterAll', Mocha.Hook[] | undefined>;
  return [...(r._beforeAll ?? []), ...(r._beforeEach ?? []), ...(r._afterEach ?? []), ...(r._afterAll ?? [])];
}

/**
 * Loads the test files one by one the way mocha does (pre-require, require, post-require), but a
 * file that throws while loading becomes one failing test named after it instead of aborting the
 * whole run: the other files still run and the stage still fails.
 */
function loadIsolated(mocha: Mocha, files: readonly string[]): void {
  const root = mocha.suite;
  const load = createRequire(__filename);
  for (const file of files) {
    const resolved = path.resolve(file);
    const hooksBefore = new Set(rootHooks(root));
    root.emit('pre-require', globalThis, resolved, mocha);
    try {
      root.emit('require', load(resolved), resolved, mocha);
      // Mocha gives hooks outside any describe no file: they belong to the file that registered them.
      for (const h of rootHooks(root)) if (!hooksBefore.has(h)) h.file ??= resolved;
    } catch (err: unknown) {
      const failure = err instanceof Error ? err : new Error(String(err));
      const suite = Mocha.Suite.create(root, path.relative(process.cwd(), resolved));
      suite.addTest(new Mocha.Test('loads', () => {
        throw failure;
      }));
    }
    root.emit('post-require', globalThis, resolved, mocha);
  }
}

/** The repository (this file is compiled to out/test/vscode/harness/mochaRun.js). */
const repoDir = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * Measures each test file's wall time on a runner: from the start to the end of each of its
 * top-level suites (so its before/after hooks are in), plus tests and hooks a file registers at
 * the root outside any describe (test/guestVm.ts's after hook, which removes the shared guest,
 * counts for the first file that loaded it). Root hooks of no file (the UI runner's screenshot
 * hook) count for the suite they ran in, or as "(root hooks)" when they ran outside every suite.
 */
export function fileTimer(runner: Mocha.Runner): () => FileDuration[] {
  const totals = new Map<string, number>();
  const add = (file: string | undefined, ms: number): void => {
    const key = file ? path.relative(repoDir, file) : '(root hooks)';
    totals.set(key, (totals.get(key) ?? 0) + ms);
  };
  let top: { suite: Mocha.Suite; started: number } | undefined;
  const hookStarts = new Map<Mocha.Hook, number>();
  runner.on('suite', (suite: Mocha.Suite) => {
    if (!top && suite.parent?.root) top = { suite, started: Date.now() };
  });
  runner.on('suite end', (suite: Mocha.Suite) => {
    if (top?.suite !== suite) return;
    add(suite.file, Date.now() - top.started);
    top = undefined;
  });
  runner.on('test end', (test: Mocha.Test) => {
    if (!top && test.parent?.root) add(test.file, test.duration ?? 0);
  });
  runner.on('hook', (hook: Mocha.Hook) => {
    if (!top && hook.parent?.root) hookStarts.set(hook, Date.now());
  });
  runner.on('hook end', (hook: Mocha.Hook) => {
    const started = hookStarts.get(hook);
    if (started === undefined) return;
    hookStarts.delete(hook);
    add(hook.file, Date.now() - started);
  });
  return () => [...totals].map(([file, ms]) => ({ file, ms })).sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file));
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
  loadIsolated(mocha, options.files);
  const failed: string[] = [];
  const stats = await new Promise<MochaStats>((resolve) => {
    let durations: () => FileDuration[] = () => [];
    const runner = mocha.run(() => {
      const s = runner.stats;
      resolve({
        name: options.name,
        passes: s?.passes ?? 0,
        failures: s?.failures ?? 0,
        pending: s?.pending ?? 0,
        files: options.files.length,
        durationMs: Date.now() - started,
        failed,
        fileDurations: durations(),
      });
    });
    durations = fileTimer(runner);
    runner.on('fail', (test: Mocha.Runnable, err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      failed.push(`${test.fullTitle()}: ${message.split('\n')[0].slice(0, 300)}`);
    });
  });
  writeStats(options.statsFile, stats);
  return stats;
}
