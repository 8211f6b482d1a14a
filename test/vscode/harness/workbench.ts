// Helper API for the Playwright UI tests (test/vscode/ui/*.test.ts). The UI runner
// (uiTests.ts) starts one code-server with the extension installed and one Chromium, then
// runs the tests; each test file opens its own workbench page with openWorkbench().
//
// Selectors were checked against VS Code 1.100 (code-server 4.100.3).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { HarnessError, repoRoot } from './codeServer';

export interface UiSession {
  readonly browser: Browser;
  readonly url: string;
  readonly workspace: string;
  readonly screenshotDir: string;
}

let current: UiSession | undefined;

export function setUiSession(session: UiSession | undefined): void {
  current = session;
}

export function uiSession(): UiSession {
  if (!current) {
    throw new HarnessError('no UI session: UI tests run through `node out/test/vscode/harness/main.js ui`');
  }
  return current;
}

export const defaultScreenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly session: UiSession,
  ) {}

  /** The activity bar icon of a view container, by its title (e.g. "Virtual Machines"). */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.activitybar a.action-label[aria-label="${cssString(title)}"]`).first();
  }

  async clickActivityBar(title: string, timeoutMs = 30_000): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    await item.click();
  }

  /** Tree rows in any visible tree whose accessible name matches. */
  treeItem(label: string | RegExp): Locator {
    return this.page.getByRole('treeitem', { name: label });
  }

  async waitForTreeItem(label: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
    const item = this.treeItem(label).first();
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    return item;
  }

  /** Runs a command by its palette title (without the "> "), e.g. "Virtual Machines: Refresh". */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    // F1 is sometimes swallowed (focus moving between editors or inside a webview): press again.
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('F1');
      const shown = await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
      if (shown) break;
      if (Date.now() > end) throw new HarnessError(`the command palette did not open to run "${title}"`);
    }
    await input.fill(`>${title}`);
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Text of the active editor, with non-breaking spaces turned back into spaces. */
  async activeEditorText(): Promise<string> {
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines');
    const text = await lines.first().innerText();
    return text.replace(/\u00a0/g, ' ');
  }

  editorTab(name: string | RegExp): Locator {
    return this.page.locator('.tabs-container .tab', { hasText: name });
  }

  /**
   * Writes the test workspace's settings with `workbench.colorTheme` (plus `extra`) and waits until
   * the workbench shows the theme (`cssClass`, e.g. vs, vs-dark, hc-black) and a webview has it too.
   */
  async setTheme(theme: string, cssClass: string, extra: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const dir = path.join(this.session.workspace, '.vscode');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ 'workbench.colorTheme': theme, ...extra }, null, 2));
    await this.page.locator(`.monaco-workbench.${cssClass}`).waitFor({ timeout: 20_000 });
    // The webview receives the new theme variables a moment later.
    await this.page.waitForTimeout(1000);
  }

  /** The content frame of the visible webview panel. */
  webview(): ReturnType<Page['frameLocator']> {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** Saves test-results/screenshots/NAME.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new HarnessError(`bad screenshot name: ${name}`);
    fs.mkdirSync(this.session.screenshotDir, { recursive: true });
    const file = path.join(this.session.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.page.close().catch(() => undefined);
  }
}

function cssString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Opens a new page on the workbench and waits until it is ready (about 10 s). */
export async function openWorkbench(timeoutMs = 60_000, session: UiSession = uiSession()): Promise<Workbench> {
  const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  await page.goto(`${session.url}/?folder=${encodeURIComponent(session.workspace)}`, { timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  // The activity bar is the last part of the workbench layout to appear.
  await page.locator('.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
  return new Workbench(page, session);
}
