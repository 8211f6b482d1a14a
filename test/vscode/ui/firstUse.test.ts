// UI test of a new user's first click on the Virtual Machines view: a fresh VS Code (its own
// code-server, no saved connection, extension not yet activated). The tree's skeleton, the local
// connection row, must show at once, before the connection is even open; the VMs fill in after.
// The measured times are printed and written to test-results/first-use.json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, startCodeServer, type CodeServer } from '../harness/codeServer';
import { openWorkbench, uiSession, type Workbench } from '../harness/workbench';

/**
 * A loose bound on the time from the click to the first row. The click comes right after the
 * workbench loads, so VS Code's own extension-host start-up (about 1 s on a busy machine) is part
 * of it; on a settled workbench the first row shows in about 0.25 s (0.6 s when it waited for the
 * settings write).
 */
const FIRST_ROW_BUDGET_MS = 3000;

/**
 * Runs in the page: samples the Virtual Machines tree every animation frame from the click on
 * (a Playwright round trip per sample would miss frames) and resolves with when the first row
 * showed and what it said, when the "no connections" welcome showed (it must not, on first use),
 * and when the connection had rows below it other than the "Connecting…"/"Loading…" placeholder.
 */
const WATCH_SCRIPT = `new Promise((resolve) => {
  const t0 = performance.now();
  let first;
  let welcomeMs = -1;
  const rows = () => [...document.querySelectorAll('.pane-body .monaco-list-row')].map((r) => (r.getAttribute('aria-label') || r.textContent || '').trim());
  const tick = () => {
    const now = rows();
    const ms = performance.now() - t0;
    if (!first && now.length > 0) first = { ms, text: now[0] };
    const welcome = [...document.querySelectorAll('.pane-body .welcome-view-content')].find((w) => w.offsetParent !== null && /No libvirt connections/.test(w.textContent || ''));
    if (welcomeMs < 0 && welcome) welcomeMs = ms;
    if ((first && now.length > 1 && !now.some((r) => /Connecting…|Loading…/.test(r))) || ms > 60000) {
      resolve({ firstRowMs: first ? first.ms : -1, firstRowText: first ? first.text : '', welcomeMs, filledMs: ms > 60000 ? -1 : ms });
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})`;

describe('First use of the Virtual Machines view (UI)', function () {
  this.timeout(120_000);
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async () => {
    server = await startCodeServer({ installExtension: true });
    const { browser, screenshotDir } = uiSession();
    wb = await openWorkbench(60_000, { browser, url: server.url, workspace: server.workspace, screenshotDir });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  it('shows the connection row at once and fills in the VMs after', async () => {
    const page = wb!.page;
    // Rows of the Virtual Machines tree, and what each says, sampled in the page itself so that
    // the first frame with a row is caught (a Playwright round trip per sample would be too slow).
    const item = wb!.activityBarItem('Virtual Machines');
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    const watch = page.evaluate<{ firstRowMs: number; firstRowText: string; welcomeMs: number; filledMs: number }>(WATCH_SCRIPT);
    await item.click();
    const r = await watch;
    const report = { firstRowMs: Math.round(r.firstRowMs), firstRowText: r.firstRowText, welcomeMs: Math.round(r.welcomeMs), filledMs: Math.round(r.filledMs) };
    process.stdout.write(`      first use: ${JSON.stringify(report)}\n`);
    fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, 'test-results', 'first-use.json'), JSON.stringify(report, null, 2));
    await wb!.screenshot('first-use');
    assert.ok(r.firstRowMs >= 0, 'no tree row appeared within 60 s');
    assert.match(r.firstRowText, /^QEMU\/KVM/, 'the first row is the local connection');
    // Starting, connected with its VMs still loading, or done — never idle ("not connected").
    assert.match(r.firstRowText, /connecting…|connected$|VMs?$/, 'the first row shows the connection starting (or done)');
    assert.doesNotMatch(r.firstRowText, /not connected/, 'the first row says "not connected"');
    assert.equal(r.welcomeMs, -1, 'the "No libvirt connections yet" welcome flashed before the local connection showed');
    assert.ok(r.filledMs > 0, 'the connection never showed its VMs and groups');
    assert.ok(r.firstRowMs <= FIRST_ROW_BUDGET_MS, `the first row took ${Math.round(r.firstRowMs)} ms (budget ${FIRST_ROW_BUDGET_MS} ms)`);
  });
});
