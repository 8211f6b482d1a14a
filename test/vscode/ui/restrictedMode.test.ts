// UI test: a folder that is not trusted opens in Restricted Mode, and the extension still works
// there (it reads nothing from the workspace: package.json declares untrustedWorkspaces
// supported). A second code-server with workspace trust left on; the browser is the suite's.
import * as assert from 'node:assert/strict';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';

describe('Restricted Mode (UI)', function () {
  this.timeout(120_000);
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async () => {
    server = await startCodeServer({ installExtension: true, workspaceTrust: true });
    const { browser, screenshotDir } = uiSession();
    wb = await openWorkbench(60_000, { browser, url: server.url, workspace: server.workspace, screenshotDir });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  it('opens an untrusted folder in Restricted Mode with the Virtual Machines view working', async () => {
    const page = wb!.page;
    // VS Code's own Restricted Mode indicator in the status bar.
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await wb!.clickActivityBar('Virtual Machines');
    // The tree shows a connection row or the welcome view: the extension is enabled and active.
    const content = page.locator('.pane-body .monaco-list-row, .pane-body .welcome-view-content').first();
    await content.waitFor({ state: 'visible', timeout: 30_000 });
    await wb!.runCommand('Virtual Machines: Show Log');
    await page.locator('.part.panel', { hasText: 'Virtual Machines' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await wb!.screenshot('restricted-mode');
    assert.ok(await content.isVisible());
  });
});
