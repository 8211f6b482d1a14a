// Command line of the test driver (compiled to out/test/vscode/harness/main.js):
//
//   main.js mocha --name NAME --dir DIR [--timeout MS] [--stats FILE]
//       plain mocha over DIR/**/*.test.js (an empty or missing DIR passes with a note)
//   main.js host [--stats FILE]   mocha suites inside a real VS Code extension host
//   main.js ui [--stats FILE]     Playwright UI tests against the workbench
//   main.js slowest --dir STATS_DIR [--count N]
//       the N (default 10) slowest test files over every stats file in STATS_DIR
//   main.js serve [--port N] [--state DIR] [--workspace DIR]
//       code-server with the extension installed, in the foreground until Ctrl-C
//
// Every command has a hard overall timeout (LIBVIRT_VMS_HARNESS_TIMEOUT ms, default 20 min) and
// kills the code-server process group it started, whatever the way out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HarnessError, extensionId, startCodeServer } from './codeServer';
import { runHostTests } from './hostTests';
import { findTestFiles, runMocha, writeStats, type MochaStats } from './mochaRun';
import { formatSlowest, readStats, slowestFiles } from './summary';
import { runUiTests } from './uiTests';

type Flags = Map<string, string>;

function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new HarnessError(`unexpected argument: ${a}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new HarnessError(`${a} needs a value`);
    flags.set(a.slice(2), value);
    i++;
  }
  return flags;
}

function intFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HarnessError(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

function exitCodeFor(stats: MochaStats): number {
  return stats.failures > 0 ? 1 : 0;
}

async function cmdMocha(flags: Flags): Promise<number> {
  const dir = flags.get('dir');
  const name = flags.get('name');
  if (!dir || !name) throw new HarnessError('mocha needs --name and --dir');
  const stats = await runMocha({
    name,
    files: findTestFiles(path.resolve(dir)),
    timeoutMs: intFlag(flags, 'timeout', 2000),
    statsFile: flags.get('stats'),
    color: process.stdout.isTTY,
  });
  return exitCodeFor(stats);
}

async function cmdHost(flags: Flags): Promise<number> {
  const statsFile = flags.get('stats') ? path.resolve(flags.get('stats')!) : undefined;
  if (statsFile) fs.rmSync(statsFile, { force: true });
  const code = await runHostTests({ env: statsFile ? { LIBVIRT_VMS_HOST_STATS_FILE: statsFile } : {} });
  process.stdout.write(`[harness] extension host exit code ${code}\n`);
  if (statsFile && !fs.existsSync(statsFile)) {
    // The host never reached the end of mocha (load error, crash): count that as one failure.
    writeStats(statsFile, { name: 'vscode-host', passes: 0, failures: 1, pending: 0, files: 0, durationMs: 0 });
    return 1;
  }
  return code;
}

async function cmdUi(flags: Flags): Promise<number> {
  const stats = await runUiTests({ statsFile: flags.get('stats') });
  return exitCodeFor(stats);
}

function cmdSlowest(flags: Flags): number {
  const dir = flags.get('dir');
  if (!dir) throw new HarnessError('slowest needs --dir');
  process.stdout.write(formatSlowest(slowestFiles(readStats(path.resolve(dir)), intFlag(flags, 'count', 10))));
  return 0;
}

async function cmdServe(flags: Flags): Promise<number> {
  const port = intFlag(flags, 'port', 8080);
  const server = await startCodeServer({
    installExtension: true,
    port,
    ...(flags.get('state') ? { stateDir: path.resolve(flags.get('state')!) } : {}),
    ...(flags.get('workspace') ? { workspace: path.resolve(flags.get('workspace')!) } : {}),
  });
  process.stdout.write(
    `\nVS Code with ${extensionId()} is running at ${server.url}/\n` +
      `(code-server log: ${server.logFile}). Press Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping code-server\n');
  await server.stop();
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = parseFlags(rest);
  switch (command) {
    case 'mocha':
      return cmdMocha(flags);
    case 'host':
      return cmdHost(flags);
    case 'ui':
      return cmdUi(flags);
    case 'slowest':
      return cmdSlowest(flags);
    case 'serve':
      return cmdServe(flags);
    default:
      throw new HarnessError(`unknown command ${String(command)}; use mocha, host, ui, slowest or serve`);
  }
}

const command = process.argv[2];
if (command !== 'serve') {
  const hardTimeoutMs = Number(process.env.LIBVIRT_VMS_HARNESS_TIMEOUT ?? 20 * 60_000);
  setTimeout(() => {
    process.stderr.write(`[harness] hard timeout of ${hardTimeoutMs} ms reached: giving up\n`);
    process.exit(124);
  }, hardTimeoutMs).unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => process.exit(130));
  }
}

let settled = false;
process.on('beforeExit', () => {
  // The event loop drained while a command was still waiting: never report that as success.
  if (!settled) {
    process.stderr.write('[harness] nothing left to wait for before the command finished\n');
    process.exit(3);
  }
});

main(process.argv.slice(2)).finally(() => {
  settled = true;
}).then(
  // Exit explicitly: a test that leaks a socket or timer must not keep the run alive.
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[harness] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
