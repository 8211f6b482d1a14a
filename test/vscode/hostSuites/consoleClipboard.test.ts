// Clipboard sharing through the SPICE agent, end to end: the real Debian guest (test/guestVm.ts)
// with a SPICE display and the agent's channel runs Debian's spice-vdagent (spice-vdagentd and
// the session agent, on an X server of its own: Xvfb), the console tab's webview runs
// spice-html5 with the console's clipboard code, and this machine's clipboard is VS Code's.
// xclip in the guest copies and pastes there, run through the guest agent. The guest's video
// device has two heads: the console's monitor layout (through the agent) turns on the second.
//  - With sharing on, text the guest copies reaches VS Code's clipboard (a text longer than one
//    agent chunk too), and text copied in VS Code while another tab was active reaches the guest
//    when the console is active again.
//  - With sharing off (the default, and after turning it off), the guest's copies stay in the guest.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { PickItem, PickRequest, Prompts } from '../../../src/commands/prompts';
import { ConsoleManager } from '../../../src/console/consoleManager';
import type { ConsoleTarget } from '../../../src/console/consoleTarget';
import { vncRouteForUri } from '../../../src/console/vncRoute';
import { Connection } from '../../../src/libvirt/connection';
import type { ConsolePanel } from '../../../src/webviews/console/consolePanel';
import { bootGuest, type Guest } from '../../guestVm';
import { memoryConsoleContext } from './consoleStores';
import { sleep, waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const READY = '/var/tmp/spice-agent-ready';

/**
 * The guest's agent set-up, run by cloud-init: spice-vdagentd without the login-session check (-X:
 * no desktop login here; the socket unit starts it when the session agent connects), an X server,
 * and the session agent on it.
 */
const AGENT_COMMANDS = [
  'modprobe uinput || true',
  'echo SPICE_VDAGENTD_EXTRA_ARGS=-X > /etc/default/spice-vdagentd',
  'systemd-run --unit=lv-xvfb /usr/bin/Xvfb :0 -screen 0 1024x768x24 -nolisten tcp',
  'for i in $(seq 150); do [ -S /tmp/.X11-unix/X0 ] && break; sleep 0.2; done',
  'systemd-run --unit=lv-vdagent --setenv=DISPLAY=:0 /usr/bin/spice-vdagent -x -d',
  `echo ready > ${READY}`,
];

/** No test here asks anything. */
class NoPrompts implements Prompts {
  async confirm(): Promise<boolean> {
    return false;
  }
  async choose(): Promise<string | undefined> {
    return undefined;
  }
  async pickOne<T>(_req: PickRequest<T>): Promise<PickItem<T> | undefined> {
    return undefined;
  }
  async pickMany<T>(_req: PickRequest<T>): Promise<readonly PickItem<T>[] | undefined> {
    return undefined;
  }
  async input(): Promise<string | undefined> {
    return undefined;
  }
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('SPICE clipboard sharing with a real guest agent (extension host, real libvirtd)', function () {
  this.timeout(600_000);
  let conn: Connection;
  let guest: Guest;
  let manager: ConsoleManager;
  let context: ReturnType<typeof memoryConsoleContext>;
  let target: ConsoleTarget;
  let panel: ConsolePanel;
  const tag = crypto.randomBytes(4).toString('hex');
  const consoleLog: string[] = [];

  /** Copies `text` in the guest's X session (xclip stays the owner in the background). */
  const copyInGuest = async (text: string): Promise<void> => {
    const r = await guest.exec('/bin/sh', ['-c', `printf %s ${shellQuote(text)} | DISPLAY=:0 xclip -selection clipboard -i >/dev/null 2>&1`]);
    assert.equal(r.exitCode, 0, `xclip -i: ${r.stderr}`);
  };
  /** The guest's clipboard text, or undefined when nobody offers one in time. */
  const guestClipboard = async (): Promise<string | undefined> => {
    const r = await guest.exec('/bin/sh', ['-c', 'DISPLAY=:0 timeout 5 xclip -selection clipboard -o']);
    return r.exitCode === 0 ? r.stdout : undefined;
  };
  /** Says what the guest's agents logged, for a failure's message. */
  const agentLog = async (): Promise<string> => {
    const r = await guest.exec('/bin/sh', ['-c', "journalctl -b --no-pager -o short-monotonic -u lv-vdagent -u spice-vdagentd -u lv-xvfb | grep -v \"can't append\" | tail -n 60"]).catch((e: unknown) => ({ stdout: String(e) }));
    return `${r.stdout}\nconsole log:\n${consoleLog.slice(-30).join('\n')}`;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    await ext.activate();
    conn = await Connection.open(URI);
    guest = await bootGuest(conn, { spiceHeads: 2, commands: AGENT_COMMANDS });
    await waitFor('the guest to start its SPICE agent', async () => (await guest.exec('/bin/test', ['-f', READY])).exitCode === 0, 120_000, 1000);
    context = memoryConsoleContext(ext.extensionUri);
    // The console's log (the webview's messages included), kept for a failure's message.
    const channel = vscode.window.createOutputChannel('Console clipboard tests', { log: true });
    const record = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string): void => {
      consoleLog.push(`${new Date().toISOString().slice(11, 23)} ${level}: ${message}`);
      channel[level](message);
    };
    const log = Object.assign(Object.create(channel) as vscode.LogOutputChannel, { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') });
    manager = new ConsoleManager(context, log, new NoPrompts());
    target = { connectionId: URI, uri: URI, dom: guest.dom, connection: async () => guest.connection(), vncRoute: async () => vncRouteForUri(URI) };
  });

  after(async () => {
    manager?.dispose();
    await guest?.remove().catch(() => undefined);
    await conn?.close();
  });

  it('keeps the guest clipboard in the guest while sharing is off (the default)', async () => {
    assert.equal(context.clipboardSharing.isOn(target), false);
    await vscode.env.clipboard.writeText(`host before ${tag}`);
    // Nothing has enabled the guest's second output yet (see the next test).
    assert.equal((await guest.exec('/bin/sh', ['-c', 'cat /sys/class/drm/card*-Virtual-2/status'])).stdout.trim(), 'disconnected');
    panel = manager.openGraphical(target);
    panel.session.onState((st) => consoleLog.push(`${new Date().toISOString().slice(11, 23)} state: ${JSON.stringify(st)}`));
    await waitFor('the SPICE console to connect', () => panel.state.kind === 'connected' && panel.state.protocol === 'spice', 120_000);
    await copyInGuest(`guest while off ${tag}`);
    await sleep(4000);
    assert.equal(await vscode.env.clipboard.readText(), `host before ${tag}`);
  });

  it("enables the guest's second monitor through the agent: the layout names both heads", async () => {
    // Until a client's monitor layout enables it, QEMU keeps virtio-gpu's second output off and
    // the guest's DRM driver sees its connector disconnected; the console (fitted, agent
    // connected) sends a layout with both heads, and the guest's driver brings the output up.
    const status = async (): Promise<string> => (await guest.exec('/bin/sh', ['-c', 'cat /sys/class/drm/card*-Virtual-2/status'])).stdout.trim();
    await waitFor("the guest's second output to be connected", async () => (await status()) === 'connected', 60_000, 1000).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; Virtual-2 is ${JSON.stringify(await status())}`);
    });
    const modes = (await guest.exec('/bin/sh', ['-c', 'cat /sys/class/drm/card*-Virtual-2/modes'])).stdout.trim();
    assert.ok(modes.length > 0, 'the second output offers modes');
  });

  it('with sharing on, copies from the guest to VS Code and from VS Code to the guest', async () => {
    // The toolbar's switch, as a trusted click in the active console tab sends it.
    panel.reveal();
    const message = panel.accept({ type: 'setClipboardSharing', on: true, userAction: true });
    assert.ok(message, 'the switch was refused');
    panel.session.handle(message);
    await waitFor('sharing to be on', () => context.clipboardSharing.isOn(target), 10_000);
    // Turning it on exchanges what each side has (the guest's copy from before keeps priority,
    // else VS Code's text is offered after a second): let that settle before copying.
    await sleep(3000);

    const fromGuest = `from the guest ${tag} äöü €`;
    await copyInGuest(fromGuest);
    await waitFor('the guest text in VS Code', async () => (await vscode.env.clipboard.readText()) === fromGuest, 60_000, 500).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; VS Code has ${JSON.stringify(await vscode.env.clipboard.readText())}; agent log:\n${await agentLog()}`);
    });

    // Longer than one agent chunk (2 KiB): the webview joins the pieces.
    const long = Array.from({ length: 3000 }, (_, i) => String(i + 1)).join(' ');
    await copyInGuest(long);
    await waitFor('the long guest text in VS Code', async () => (await vscode.env.clipboard.readText()) === long, 60_000, 500);

    // Copied in VS Code while another tab is active; coming back to the console offers it.
    const fromHost = `from VS Code ${tag} ßñ`;
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await vscode.env.clipboard.writeText(fromHost);
    panel.reveal();
    await waitFor('the VS Code text in the guest', async () => (await guestClipboard()) === fromHost, 60_000, 1000).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; the guest has ${JSON.stringify(await guestClipboard())}; agent log:\n${await agentLog()}`);
    });

    // Copied while the console stayed the active editor (in the terminal, say): the console
    // getting the focus back asks for it.
    const fromTerminal = `from the terminal ${tag}`;
    await vscode.env.clipboard.writeText(fromTerminal);
    const focus = panel.accept({ type: 'requestHostClipboard', reason: 'focus' });
    assert.ok(focus, 'the focus request was refused');
    panel.session.handle(focus);
    await waitFor('the text copied meanwhile in the guest', async () => (await guestClipboard()) === fromTerminal, 60_000, 1000);
  });

  it('stops sharing when turned off', async () => {
    panel.reveal();
    const message = panel.accept({ type: 'setClipboardSharing', on: false, userAction: true });
    assert.ok(message);
    panel.session.handle(message);
    await waitFor('sharing to be off', () => !context.clipboardSharing.isOn(target), 10_000);
    const before = await vscode.env.clipboard.readText();
    await copyInGuest(`guest after off ${tag}`);
    await sleep(4000);
    assert.equal(await vscode.env.clipboard.readText(), before);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
