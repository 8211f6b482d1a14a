// The guest agent in the product, on the real Debian 12 guest (test/guestVm.ts), inside a real VS
// Code extension host: the tree's tooltip and OS row name the OS the agent reports (instead of
// "unknown"), the tooltip its hostname and addresses; the details tab's Guest section receives the
// agent's facts and its buttons freeze, thaw and sync the clock; Resume syncs the clock when the
// setting says so; Set User Password asks for the user and the password twice in masked boxes and
// changes the guest's password (the login itself is proven on the serial console in
// test/integration/guest/guestAgent.test.ts).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { GuestState, RequestResult, ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { sharedGuest, type Guest } from '../../guestVm';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

/** The text a Markdown tooltip shows (backslash escapes removed). */
const shownText = (markdown: string | undefined): string => (markdown ?? '').replace(/\\([!-/:-@[-`{-~])/g, '$1');

describe('The guest agent in the tree, the details tab and the commands (extension host, real guest)', function () {
  this.timeout(600_000);
  let api: ExtensionApi;
  let guest: Guest;
  let connectionId: string;
  let addedConnection = false;
  const user = `agth${crypto.randomBytes(2).toString('hex')}`;
  const ref = (): { connectionId: string; uuid: string } => ({ connectionId, uuid: guest.dom.uuid });

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    guest = await sharedGuest();
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'guest agent test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('the guest in the tree, running', () => api.tree.vmItem(connectionId, guest.name)?.contextValue?.startsWith('vm.running.') === true, 30_000);
  });

  beforeEach(() => guest.connection());
  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    api?.details.get(connectionId, guest?.dom.uuid ?? '')?.dispose();
    if (guest && (await guest.conn.domainIsActive(guest.dom).catch(() => false))) await guest.exec('/usr/sbin/userdel', ['-r', user]).catch(() => undefined);
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it("the tooltip shows the agent's OS, hostname and address instead of OS: unknown", async () => {
    const tooltip = shownText(await api.tree.vmTooltip(connectionId, guest.name));
    assert.match(tooltip, /OS: Debian GNU\/Linux 12 \(bookworm\) \(guest agent\)/, tooltip);
    assert.ok(tooltip.includes(`Hostname: ${guest.hostname}`), tooltip);
    assert.match(tooltip, /Kernel: \d+\.\d+\.\d+-\d+-amd64/);
    assert.match(tooltip, /File system \/: \d+ % used of /);
    const ip = await guest.exec('/sbin/ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    const v4 = /inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(ip.stdout)?.[1];
    assert.ok(v4, ip.stdout);
    assert.ok(tooltip.includes(`Guest IPs: ${v4} (eth0)`), tooltip);
    // The definition names no OS: its OS row shows the agent's answer instead of "unknown".
    const rows = await api.tree.vmChildren(connectionId, guest.name);
    assert.ok(rows.includes('OS: Debian GNU/Linux 12 (bookworm) (guest agent)'), rows.join(' | '));
  });

  it("the details tab's Guest section gets the facts; its buttons freeze, thaw and sync the clock", async () => {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { ...ref(), section: 'guest' });
    const panel = api.details.get(connectionId, guest.dom.uuid);
    assert.ok(panel, 'the details tab opened');
    const posted: ToWebview[] = [];
    panel.host.onDidPost((m) => posted.push(m));
    await panel.receive({ type: 'ready' });
    const guestState = (): GuestState | undefined => [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'guest' }> => m.type === 'guest')?.guest;
    const state = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.equal(state?.state.sections.at(-1)?.id, 'guest', 'a Guest section in the list');
    const facts = await waitFor('the Guest section facts', () => (guestState()?.status === 'facts' ? guestState()?.facts : undefined), 60_000);
    assert.equal(facts.hostname, guest.hostname);
    assert.equal(facts.os?.id, 'debian');
    assert.ok(facts.filesystems?.some((f) => f.mountpoint === '/' && (f.usedBytes ?? 0) > 0));

    let id = 9000;
    const action = async (name: string): Promise<RequestResult> => {
      const requestId = id++;
      assert.ok(await panel.receive({ type: 'guestAction', requestId, action: name }), 'the message was accepted');
      const reply = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === requestId);
      assert.ok(reply, `no answer to ${name}`);
      return reply.result;
    };
    assert.equal(await panel.receive({ type: 'guestAction', requestId: 1, action: 'rm -rf' }), false, 'an unknown action is refused');
    try {
      const frozen = await action('freezeFilesystems');
      assert.ok(frozen.ok, JSON.stringify(frozen));
      assert.equal(await guest.agent<string>('guest-fsfreeze-status'), 'frozen');
    } finally {
      const thawed = await action('thawFilesystems');
      assert.ok(thawed.ok, JSON.stringify(thawed));
    }
    assert.equal(await guest.agent<string>('guest-fsfreeze-status'), 'thawed');
    const synced = await action('syncClock');
    assert.ok(synced.ok, JSON.stringify(synced));
    assert.match(synced.ok ? synced.summary : '', /Synced the clock of/);
  });

  it('Resume syncs the guest clock through the agent when libvirtVms.guestAgent.syncClockAfterResume is "always"', async () => {
    const config = vscode.workspace.getConfiguration('libvirtVms.guestAgent');
    await config.update('syncClockAfterResume', 'always', vscode.ConfigurationTarget.Global);
    try {
      const back = Math.floor(Date.now() / 1000) - 3600;
      assert.equal((await guest.exec('/bin/date', ['-u', '-s', `@${back}`])).exitCode, 0);
      const guestNow = async (): Promise<number> => {
        const t = await guest.conn.domainGetTime(guest.dom);
        return t.seconds * 1000;
      };
      assert.ok(Date.now() - (await guestNow()) > 3500_000, 'the guest clock is an hour behind');
      await guest.conn.domainSuspend(guest.dom);
      await waitFor('the tree to show the guest paused', () => api.tree.vmItem(connectionId, guest.name)?.contextValue?.startsWith('vm.paused.') === true, 30_000);
      await vscode.commands.executeCommand('libvirtVms.vm.resume', ref());
      await waitFor('the guest clock synced after Resume', async () => Math.abs(Date.now() - (await guestNow())) < 30_000, 60_000, 1000);
    } finally {
      await config.update('syncClockAfterResume', undefined, vscode.ConfigurationTarget.Global);
      if ((await guest.conn.domainGetState(guest.dom)).state === VirDomainState.PAUSED) await guest.conn.domainResume(guest.dom);
    }
  });

  it('Set User Password asks for the user and the password twice, masked, and sets it in the guest', async () => {
    const add = await guest.exec('/usr/sbin/useradd', ['-m', user]);
    assert.equal(add.exitCode, 0, add.stderr);
    const shadow = async (): Promise<string> => (await guest.exec('/usr/bin/getent', ['shadow', user])).stdout.split(':')[1] ?? '';
    assert.match(await shadow(), /^!/, 'a new account has a locked password');
    const password = `Pw-${crypto.randomBytes(6).toString('hex')}`;
    const inputs: { prompt?: string; password?: boolean }[] = [];
    api.prompts.setResponder({
      pickOne: (req) => req.items.find((i) => i.label === 'Other user…'),
      input: (req) => {
        inputs.push({ prompt: req.prompt, password: req.password });
        return req.password ? password : user;
      },
    });
    const result = await vscode.commands.executeCommand('libvirtVms.vm.guest.setUserPassword', ref());
    assert.equal(result, user);
    assert.deepEqual(
      inputs.map((i) => i.password === true),
      [false, true, true],
      'the user name in the clear, the password twice masked',
    );
    assert.match(await shadow(), /^\$/, 'the account now has a password hash');
  });
});
