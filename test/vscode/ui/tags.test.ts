// UI test of tags in a real VS Code: the tree grouped by tag (coloured tag rows with counts, a VM
// under each of its tags) in light, dark and high-contrast themes, and the Edit Tags quick pick
// with free entry of a new tag, applied for real. Screenshots in test-results/screenshots/.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { readDomainTags, updateDomainTags } from '../../../src/libvirt/tags';
import { leftoverOfDeadRun } from '../../leftovers';
import { openWorkbench, type Workbench } from '../harness/workbench';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'tgs-ui';

function domainXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>`;
}

describe('Tags and grouping (UI)', function () {
  this.timeout(180_000);
  let wb: Workbench;
  let conn: Connection;
  const doms: DomainRef[] = [];
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const suffix = run.slice(-4);
  const [web, db] = [`web-${suffix}`, `db-${suffix}`];
  const vmNames = [`${run}-a`, `${run}-b`, `${run}-c`];
  const grouping = { 'libvirtVms.treeGrouping': 'tag', 'libvirtVms.tagColors': { [web]: 'charts.blue', [db]: 'charts.orange' } };

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    for (const n of vmNames) doms.push(await conn.domainDefineXml(domainXml(n)));
    await updateDomainTags(conn, doms[0]!, () => [web]);
    await updateDomainTags(conn, doms[1]!, () => [web, db]);
    wb = await openWorkbench();
    await wb.clickActivityBar('Virtual Machines');
    // A wider sidebar, so VM rows show their whole description.
    const box = await wb.page.locator('.part.sidebar').boundingBox();
    if (box) {
      await wb.page.mouse.move(box.x + box.width, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 520, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    await wb.waitForTreeItem(/^QEMU\/KVM/);
    // Only this run's VMs (the daemon is shared).
    // The palette and the Filter input box share one widget: wait for the box by its placeholder.
    const input = wb.page.locator('.quick-input-widget input.input');
    await wb.page.keyboard.press('F1');
    await input.fill('>Virtual Machines: Filter…');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Virtual Machines: Filter…' }).first().waitFor();
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.quick-input-widget input.input[placeholder^="name words"]').waitFor();
    await input.fill(run);
    await wb.page.keyboard.press('Enter');
    await wb.waitForTreeItem(new RegExp(`^${vmNames[0]}`));
  });

  after(async () => {
    await wb?.runCommand('Virtual Machines: Clear Filter').catch(() => undefined);
    await wb?.close();
    for (const d of doms) await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    await conn?.close();
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default Dark Modern', 'vs-dark', 'dark'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`groups the tree by tag, with coloured tag rows and counts, in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass, grouping);
      // The rows' accessible names say what they are and how many VMs they hold.
      const webRow = await wb.waitForTreeItem(new RegExp(`^Tag ${web}, 2 VMs$`));
      const dbRow = await wb.waitForTreeItem(new RegExp(`^Tag ${db}, 1 VM$`));
      await wb.waitForTreeItem(/^Untagged, 1 VM$/);
      // b shows under both of its tags.
      await wb.page.getByRole('treeitem', { name: new RegExp(`^${vmNames[1]}`) }).nth(1).waitFor({ timeout: 30_000 });
      // The tag icon carries the tag's colour.
      type Styled = { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { color: string } } } };
      const iconColor = (row: typeof webRow): Promise<string> =>
        row
          .locator('.codicon-tag')
          .first()
          .evaluate((el) => {
            const e = el as unknown as Styled;
            return e.ownerDocument.defaultView.getComputedStyle(e).color;
          });
      const color = await iconColor(webRow);
      const orange = await iconColor(dbRow);
      assert.notEqual(color, orange, 'the two tags have different colours');
      await wb.screenshot(`tags-grouped-${file}`);
    });
  }

  it('edits tags with the quick pick: a new tag typed and added', async () => {
    await wb.clickTreeMenuItem(new RegExp(`^${vmNames[2]}`), /Edit Tags/);
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: web }).first().waitFor();
    const fresh = `ops-${suffix}`;
    await input.fill(fresh);
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: `Add "${fresh}"` }).waitFor();
    await wb.screenshot('tags-edit-quick-pick-new');
    await wb.page.keyboard.press('Enter');
    // Added (checked), the box empty again; then a refused name shows why.
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'new tag' }).waitFor();
    await input.fill('two words');
    await wb.page.locator('.quick-input-list', { hasText: /cannot contain spaces/ }).waitFor();
    await wb.screenshot('tags-edit-quick-pick-refused');
    await input.fill('');
    await wb.page.keyboard.press('Enter');
    await wb.waitForTreeItem(new RegExp(`^Tag ${fresh}, 1 VM$`));
    assert.deepEqual(await readDomainTags(conn, doms[2]!), [fresh]);
    await wb.screenshot('tags-edit-applied');
  });
});
