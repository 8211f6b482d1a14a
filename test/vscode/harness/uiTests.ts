// Runs the Playwright UI tests (out/test/vscode/ui/**/*.test.js) against one code-server with the
// extension installed and one Chromium.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type Mocha from 'mocha';
import { launchChromium } from './browser';
import { repoRoot, startCodeServer } from './codeServer';
import { findTestFiles, runMocha, type MochaStats } from './mochaRun';
import { defaultScreenshotDir, setUiSession } from './workbench';

export interface UiTestOptions {
  statsFile?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function runUiTests(options: UiTestOptions = {}): Promise<MochaStats> {
  const files = findTestFiles(path.join(repoRoot, 'out', 'test', 'vscode', 'ui'));
  if (files.length === 0) {
    return runMocha({ name: 'vscode-ui', files, timeoutMs: 0, statsFile: options.statsFile });
  }
  const server = await startCodeServer({ installExtension: true, env: options.env });
  process.stdout.write(`[harness] code-server ${server.url} (state ${server.stateDir})\n`);
  const browser = await launchChromium(server.isolatedEnv);
  setUiSession({ browser, url: server.url, workspace: server.workspace, screenshotDir: defaultScreenshotDir });
  try {
    return await runMocha({
      name: 'vscode-ui',
      files,
      timeoutMs: options.timeoutMs ?? 120_000,
      statsFile: options.statsFile,
      rootHooks: { afterEach: screenshotOnFailure(browser, defaultScreenshotDir) },
    });
  } finally {
    setUiSession(undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

/**
 * After a failed test, every open workbench page is saved as FAILED-<test>-<n>.png: the state the
 * test saw when it gave up is what explains a failure that does not happen on a second run.
 */
function screenshotOnFailure(browser: Browser, dir: string): Mocha.Func {
  return async function (this: Mocha.Context): Promise<void> {
    const test = this.currentTest;
    if (!test || test.state !== 'failed') return;
    const name = `FAILED-${test.fullTitle().replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 120)}`;
    fs.mkdirSync(dir, { recursive: true });
    const pages = browser.contexts().flatMap((c) => c.pages());
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: path.join(dir, `${name}-${i}.png`), timeout: 10_000 }).catch(() => undefined);
    }
  };
}
