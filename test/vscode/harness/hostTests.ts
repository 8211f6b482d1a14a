// Runs the mocha suites inside a real VS Code extension host, the way @vscode/test-electron does,
// but against code-server: the workbench is opened with a payload naming the extension under
// development and the tests module; the exit code and the log come back through
// window.codeAutomationExit / window.codeAutomationLog.
import * as path from 'node:path';
import { format } from 'node:util';
import { launchChromium } from './browser';
import { HarnessError, repoRoot, startCodeServer } from './codeServer';

export interface HostTestOptions {
  /** Module whose run() the extension host calls (without .js). */
  testsModule?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** code-server's state (user data, global storage) in this directory, kept afterwards; a fresh temporary one otherwise. */
  stateDir?: string;
  /** More user settings, present before VS Code starts. */
  userSettings?: Readonly<Record<string, unknown>>;
}

function formatLogArgs(args: unknown): string {
  if (typeof args === 'string') return args;
  // console.log arguments from the extension host arrive as an array: apply the format string.
  if (Array.isArray(args)) return format(...(args as unknown[]));
  return JSON.stringify(args);
}

/** Returns the exit code the extension host reported (0 when every test passed). */
export async function runHostTests(options: HostTestOptions = {}): Promise<number> {
  const testsModule = options.testsModule ?? path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index');
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  // The extension under development is loaded from extensionDevelopmentPath; no installed copy.
  const server = await startCodeServer({ installExtension: false, env: options.env, ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(options.userSettings ? { userSettings: options.userSettings } : {}) });
  process.stdout.write(`[harness] code-server ${server.url} (state ${server.stateDir})\n`);
  const browser = await launchChromium(server.isolatedEnv);
  let timer: NodeJS.Timeout | undefined;
  try {
    const page = await browser.newPage();
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      resolveExit = resolve;
    });
    await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
      const line = formatLogArgs(args);
      process.stdout.write(type === 'error' || type === 'warn' ? `[${String(type)}] ${line}\n` : `${line}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: unknown) => {
      resolveExit(typeof code === 'number' ? code : 1);
    });
    page.on('pageerror', (err) => process.stdout.write(`[page error] ${err.message}\n`));
    // For debugging webviews: every frame's console output (webviews included).
    if (process.env['LIBVIRT_VMS_PAGE_CONSOLE'] === '1') page.on('console', (m) => process.stdout.write(`[page ${m.type()}] ${m.text()}\n`));
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(testsModule)],
    ]);
    const url = `${server.url}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(payload)}`;
    const timedOut = new Promise<number>((_, reject) => {
      // Deliberately not unref'd: playwright's browser pipe does not keep Node alive, so this
      // timer is what keeps the driver waiting for codeAutomationExit. Cleared in finally.
      timer = setTimeout(() => reject(new HarnessError(`extension host tests did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    await page.goto(url, { timeout: 60_000 });
    return await Promise.race([exited, timedOut]);
  } finally {
    if (timer) clearTimeout(timer);
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}
