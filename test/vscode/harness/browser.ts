// Debian's Chromium driven through playwright-core (no browser download).
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { HarnessError } from './codeServer';

export const chromiumPath = process.env.LIBVIRT_VMS_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(isolatedEnv: NodeJS.ProcessEnv): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new HarnessError(`${chromiumPath} is missing: run scripts/vscode-env.sh install`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--disable-crash-reporter',
    ],
    env: { ...process.env, ...isolatedEnv },
    timeout: 60_000,
  });
}
