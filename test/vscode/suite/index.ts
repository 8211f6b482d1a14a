// The tests module the VS Code extension host loads (extensionTestsPath): runs every
// out/test/vscode/hostSuites/**/*.test.js with mocha inside the extension host, where
// `import * as vscode from 'vscode'` is the real API. The spec reporter prints through console.log,
// which reaches the driver (test/vscode/harness/hostTests.ts).
import * as path from 'node:path';
import { findTestFiles, runMocha } from '../harness/mochaRun';

export async function run(): Promise<void> {
  const suitesDir = path.resolve(__dirname, '..', 'hostSuites');
  const stats = await runMocha({
    name: 'vscode-host',
    files: findTestFiles(suitesDir),
    timeoutMs: Number(process.env.LIBVIRT_VMS_HOST_TEST_TIMEOUT ?? 120_000),
    statsFile: process.env.LIBVIRT_VMS_HOST_STATS_FILE,
  });
  if (stats.files === 0) throw new Error(`no extension host suites under ${suitesDir}`);
  if (stats.failures > 0) throw new Error(`${stats.failures} extension host test(s) failed`);
}
