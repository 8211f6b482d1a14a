// UI test of the VM details tab's Guest section in a real VS Code (code-server + Chromium), with
// VMs that boot no OS (a booted guest costs minutes under TCG; its facts are tested against the
// real Debian guest in test/integration/guest/guestAgent.test.ts): a running VM without the agent
// channel says so and offers Add Guest Agent Channel with the install lines, and the one click adds
// the channel to the VM's definition; a VM with the channel whose agent never answers says the
// agent is not connected. Screenshots in the dark, light and high-contrast themes
// (test-results/screenshots/details-guest-*.png).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { agentChannelState } from '../../../src/libvirt/guestAgent';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { openWorkbench, type Workbench } from '../harness/workbench';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'agtui-';

function domainXml(name: string, channel: boolean): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>${channel ? "\n    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" : ''}
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>`;
}

describe('VM details Guest section (UI)', function () {
  this.timeout(240_000);
  const tag = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const plainName = `${PREFIX}${tag}-plain`;
  const chanName = `${PREFIX}${tag}-chan`;
  let wb: Workbench;
  let conn: Connection;
  const doms: DomainRef[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    for (const [name, channel] of [
      [plainName, false],
      [chanName, true],
    ] as const) {
      const d = await conn.domainDefineXml(domainXml(name, channel));
      doms.push(d);
      await conn.domainCreate(d);
    }
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
  });

  async function openGuestSection(name: string): Promise<ReturnType<Workbench['webview']>> {
    await wb.clickTreeMenuItem(new RegExp(`^${name}`), /^Open Details(\s|$)/);
    const view = wb.webview();
    await view.locator('#section-title', { hasText: 'Overview' }).waitFor({ timeout: 30_000 });
    await view.locator('vscode-tree-item[data-section="guest"]').click();
    await view.locator('#section-title', { hasText: 'Guest' }).waitFor({ timeout: 10_000 });
    return view;
  }

  it('a VM without the agent channel: says so, offers Add Guest Agent Channel and the install lines', async () => {
    await wb.setTheme('Default Dark Modern', 'vs-dark');
    await wb.clickActivityBar('Virtual Machines');
    const view = await openGuestSection(plainName);
    await view.locator('#guest .guest-message.warning', { hasText: 'no guest agent channel' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#guest-add-channel').isVisible(), true);
    const install = await view.locator('#guest .guest-install').innerText();
    assert.match(install, /apt install qemu-guest-agent/);
    assert.match(install, /dnf install qemu-guest-agent/);
    assert.match(install, /zypper install qemu-guest-agent/);
    assert.match(install, /virtio-win/);
    // No agent: its actions wait for one.
    assert.equal(await view.locator('#guest vscode-button[icon="key"]').getAttribute('disabled'), '');
    assert.equal(await view.locator('#edit-xml, vscode-button[icon="code"]').first().isVisible(), false, 'no Edit XML for the Guest section');
    await wb.screenshot('details-guest-nochannel-dark');
  });

  for (const [theme, cssClass, file] of [
    ['Default Light Modern', 'vs', 'light'],
    ['Default High Contrast', 'hc-black', 'hc'],
  ] as const) {
    it(`draws the no-channel state in ${theme}`, async () => {
      await wb.setTheme(theme, cssClass);
      await wb.webview().locator('#guest-add-channel').waitFor({ timeout: 10_000 });
      await wb.page.waitForTimeout(800);
      await wb.screenshot(`details-guest-nochannel-${file}`);
    });
  }

  it('Add Guest Agent Channel adds the channel to the definition in one click', async () => {
    await wb.setTheme('Default Dark Modern', 'vs-dark');
    const view = wb.webview();
    await view.locator('#guest-add-channel').click();
    const dom = doms[0]!;
    const until = Date.now() + 60_000;
    while (Date.now() < until && agentChannelState(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE)) === 'none') await wb.page.waitForTimeout(500);
    assert.notEqual(agentChannelState(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE)), 'none', 'the definition has the channel');
    // The section reads the agent again and says what holds now (plugged in live: not connected; else still no channel until the next boot).
    await view.locator('#guest .guest-status', { hasText: /^Added Channel qemu-ga to / }).waitFor({ timeout: 30_000 });
    if (agentChannelState(await conn.domainGetXmlDesc(dom, 0)) === 'none') {
      // Not plugged into the running VM (no virtio-serial controller yet): the section says it comes with the next boot, and no second Add.
      await view.locator('#guest .guest-message.info', { hasText: 'comes with the next boot' }).waitFor({ timeout: 30_000 });
      assert.equal(await view.locator('#guest-add-channel').count(), 0);
    } else {
      await view.locator('#guest .guest-message.warning', { hasText: 'not connected' }).waitFor({ timeout: 30_000 });
    }
    await wb.screenshot('details-guest-channel-added');
  });

  it('a VM with the channel but no agent running: not connected, with the install lines', async () => {
    // One details tab at a time, so the webview below is this VM's.
    await wb.runCommand('View: Close All Editors');
    const view = await openGuestSection(chanName);
    await view.locator('#guest .guest-message.warning', { hasText: 'not connected' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#guest-add-channel').count(), 0, 'no Add Channel for a VM that has one');
    assert.match(await view.locator('#guest .guest-install').innerText(), /apt install qemu-guest-agent/);
    await wb.screenshot('details-guest-notconnected-dark');
  });
});
