// Runs the Playwright UI tests (out/test/vscode/ui/**/*.test.js) against one code-server with the
// extension installed and one Chromium.
import * as path from 'node:path';
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
    });
  } finally {
    setUiSession(undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}
