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

/** How Workbench.openTreeMenu and clickTreeMenuItem retry. */
export interface TreeMenuOptions {
  /** How long the row may take to show (waitForTreeItem). Default 60 s. */
  readonly timeoutMs?: number;
  /** Tries in all before the last failure is thrown. Default 4. */
  readonly attempts?: number;
  /** The wait between two right-clicks. Default 500 ms. */
  readonly pauseMs?: number;
}

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

  /**
   * Waits for a tree row. VS Code's tree draws only the rows in view, so a row below a long list
   * (many VMs, several groups) exists only once scrolled to: between looks, the sidebar's tree is
   * scrolled down step by step, then back to the top.
   */
  async waitForTreeItem(label: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
    const item = this.treeItem(label).first();
    const deadline = Date.now() + timeoutMs;
    for (let step = 0; ; step++) {
      const left = deadline - Date.now();
      try {
        await item.waitFor({ state: 'visible', timeout: Math.max(1, Math.min(step === 0 ? 3_000 : 1_500, left)) });
        return item;
      } catch (e) {
        if (Date.now() >= deadline) throw e;
      }
      const list = this.page.locator('.part.sidebar .monaco-list').first();
      const box = await list.boundingBox().catch(() => null);
      if (!box) continue;
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await this.page.mouse.wheel(0, step % 6 === 5 ? -100_000 : box.height * 0.6);
    }
  }

  /**
   * Right-clicks a tree row until its context menu shows `item` (a menu entry whose text matches, or
   * a locator of one), and returns that entry. The mouse is moved off first: a row tooltip left by
   * waitForTreeItem can lie over the row. A refresh that redraws the row as it is clicked leaves no
   * menu, or another row's; and a row may offer an entry only once its host has loaded: then the
   * menu is closed and, after `pauseMs`, the row found and right-clicked again, up to `attempts`
   * times in all.
   */
  async openTreeMenu(row: string | RegExp, item: RegExp | Locator, opts: TreeMenuOptions = {}): Promise<Locator> {
    const menuItem = item instanceof RegExp ? this.page.locator('.context-view .action-item', { hasText: item }).first() : item;
    const attempts = opts.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.rightClickRow(row, menuItem, opts);
      if (failure === undefined) return menuItem;
      if (attempt >= attempts) throw new Error(`the context menu of the row ${String(row)} did not show ${item instanceof RegExp ? String(item) : 'the entry'} in ${attempts} right-clicks`, { cause: failure });
      await this.page.waitForTimeout(opts.pauseMs ?? 500);
    }
  }

  /** The context menu entry of a tree row whose accessible name matches `name`. */
  menuItem(name: RegExp): Locator {
    return this.page.getByRole('menuitem', { name }).first();
  }

  /**
   * Opens a tree row's context menu as openTreeMenu does and clicks the entry named `name`: hovered
   * first and clicked 300 ms later, as the menu ignores a click that lands while it is still
   * opening. A refresh can also close the menu between the two; either failure counts as one of the
   * `attempts`. `whenShown` runs each time the entry shows, before it is clicked (a screenshot).
   */
  async clickTreeMenuItem(row: string | RegExp, name: RegExp, opts: TreeMenuOptions & { readonly whenShown?: () => Promise<void> } = {}): Promise<void> {
    const item = this.menuItem(name);
    const attempts = opts.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let failure = await this.rightClickRow(row, item, opts);
      if (failure === undefined) {
        await opts.whenShown?.();
        try {
          await item.hover({ timeout: 5_000 });
          await this.page.waitForTimeout(300);
          await item.click({ timeout: 5_000 });
          return;
        } catch (e) {
          failure = e;
          await this.page.keyboard.press('Escape');
        }
      }
      if (attempt >= attempts) throw new Error(`the context menu of the row ${String(row)} did not let ${String(name)} be clicked in ${attempts} tries`, { cause: failure });
      await this.page.waitForTimeout(opts.pauseMs ?? 500);
    }
  }

  /**
   * One try of openTreeMenu: the row found, the hover moved away, the row right-clicked and
   * `menuItem` waited for. Returns the failure (after closing whatever menu opened), or undefined.
   */
  private async rightClickRow(row: string | RegExp, menuItem: Locator, opts: TreeMenuOptions): Promise<unknown> {
    const target = await this.waitForTreeItem(row, opts.timeoutMs ?? 60_000);
    await this.dismissHover();
    try {
      await target.click({ button: 'right', timeout: 5_000 });
      await menuItem.waitFor({ state: 'visible', timeout: 8_000 });
      return undefined;
    } catch (e) {
      await this.page.keyboard.press('Escape');
      return e ?? new Error('the right-click failed');
    }
  }

  /**
   * Moves the mouse off the workbench and waits for a hover to go: a tree row's tooltip (shown
   * where waitForTreeItem left the mouse while scrolling) can lie over the row to be clicked.
   */
  async dismissHover(): Promise<void> {
    await this.page.mouse.move(0, 0);
    const hover = this.page.locator('.context-view .monaco-hover, .workbench-hover').first();
    if (await hover.isVisible().catch(() => false)) {
      await hover.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => this.page.keyboard.press('Escape'));
    }
  }

  /** Runs a command by its palette title (without the "> "), e.g. "Virtual Machines: Refresh". */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    // F1 is sometimes swallowed, and an opened palette is sometimes closed again at once (focus moving
    // between editors, into a webview, or a notification appearing): open and fill again until it holds.
    // A webview with the keyboard (a console sends keys to its guest) never lets F1 through: then
    // the command center in the title bar opens the same input with a click.
    const end = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (attempt % 2 === 0) await this.page.keyboard.press('F1');
      else await this.page.locator('.command-center .search-label, .command-center-center').first().click({ timeout: 3_000 }).catch(() => undefined);
      const shown = await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
      if (shown && await input.fill(`>${title}`, { timeout: 3_000 }).then(() => true, () => false)) break;
      if (Date.now() > end) throw new HarnessError(`the command palette did not open to run "${title}"`);
    }
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

  /**
   * The content frame of the one webview open now, still that one after other webviews open (a
   * console tab opened by the panel, say): `webview()` would then match several.
   */
  async pinnedWebview(): Promise<ReturnType<Page['frameLocator']>> {
    const name = await this.page.locator('iframe.webview.ready').getAttribute('name', { timeout: 30_000 });
    if (!name || !/^[0-9a-f-]+$/i.test(name)) throw new HarnessError(`unexpected webview frame name: ${String(name)}`);
    return this.page.frameLocator(`iframe.webview.ready[name="${name}"]`).frameLocator('iframe#active-frame');
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
