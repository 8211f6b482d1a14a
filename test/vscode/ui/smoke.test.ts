// UI smoke test: the workbench of a real VS Code loads in Chromium with the extension installed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { openWorkbench, type Workbench } from '../harness/workbench';

describe('workbench smoke', () => {
  let wb: Workbench;

  before(async () => {
    wb = await openWorkbench();
  });

  after(async () => {
    await wb.close();
  });

  it('shows the workbench with its activity bar and status bar', async () => {
    assert.equal(await wb.page.locator('.monaco-workbench').count(), 1);
    assert.ok((await wb.page.locator('.activitybar .action-item').count()) > 0, 'activity bar has no items');
    await wb.page.locator('.part.statusbar').waitFor({ state: 'visible' });
  });

  it('runs a command from the palette', async () => {
    await wb.runCommand('View: Toggle Status Bar Visibility');
    await wb.page.locator('.part.statusbar').waitFor({ state: 'hidden' });
    await wb.runCommand('View: Toggle Status Bar Visibility');
    await wb.page.locator('.part.statusbar').waitFor({ state: 'visible' });
  });

  it('saves a screenshot', async () => {
    const file = await wb.screenshot('workbench-smoke');
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 10_000, `screenshot is suspiciously small (${png.length} bytes)`);
  });
});
