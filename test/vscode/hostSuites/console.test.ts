// Consoles inside a real VS Code extension host against the real libvirtd: a tiny TCG VM with
// SeaBIOS on its serial port and a VNC display. The serial pseudoterminal receives SeaBIOS'
// banner (locally and over qemu+ssh://), a busy console can be taken over, the screenshot is a
// PNG of the guest's resolution, the graphical console tab completes the RFB handshake in its
// webview (noVNC) and follows the VM off and on, the VNC relay leaks no sockets, and a SPICE-only
// VM gets a VNC display added to its configuration.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PickItem, PickRequest, Prompts } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { ConsoleManager } from '../../../src/console/consoleManager';
import { memoryConsoleContext, MemoryMemento } from './consoleStores';
import type { ConsoleTarget } from '../../../src/console/consoleTarget';
import type { ConsolePanel } from '../../../src/webviews/console/consolePanel';
import type { ConsoleState } from '../../../src/webviews/console/protocol';
import { parseDomainConsoles } from '../../../src/console/domainConsoles';
import { pngSize, isPng, parsePpm } from '../../../src/console/image';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { openRelaySocketCount, VncRelay } from '../../../src/console/vncRelay';
import { vncRouteForUri } from '../../../src/console/vncRoute';
import { chooseDisplayRoute } from '../../../src/console/displayRoutePolicy';
import { askClearText, displayRouteStore } from '../../../src/commands/consoleCommands';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { sleep, waitFor as waitForShared } from './wait';
import { leftoverOfDeadRun } from '../../leftovers';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hcons-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';


/** VM names carry the creating process id, so a run only removes leftovers of dead runs. */
function ownName(): string {
  return `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
}

const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> =>
  waitForShared(what, fn, timeoutMs);

/** Waits for a console panel's state; a timeout says the states the panel went through. */
async function waitForPanel<T>(panel: ConsolePanel, what: string, fn: (s: ConsoleState) => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const seen: string[] = [JSON.stringify(panel.state)];
  const sub = panel.session.onState((s) => seen.push(JSON.stringify(s)));
  try {
    return await waitFor(what, () => fn(panel.state), timeoutMs);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; states: ${seen.slice(-8).join(' → ')}`);
  } finally {
    sub.dispose();
  }
}

/** The process id of the QEMU that runs the VM `name` (its command line says -name guest=NAME). */
function qemuPid(name: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.startsWith(`guest=${name},`) || a === `guest=${name}`)) return Number(entry);
    } catch {
      // gone while listing
    }
  }
  throw new Error(`no QEMU process for ${name}`);
}

function vmXml(name: string, graphics: 'vnc' | 'spice' | 'none', password?: string, extraDevices = ''): string {
  const pw = password ? ` passwd='${password}'` : '';
  const g =
    graphics === 'none'
      ? ''
      : `<graphics type='${graphics}' autoport='yes' listen='127.0.0.1'${pw}><listen type='address' address='127.0.0.1'/></graphics>`;
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><bios useserial='yes'/></os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    ${extraDevices}
    ${g}
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

/** Answers the console's confirmations and picks; records what was asked. */
class TestPrompts implements Prompts {
  readonly asked: string[] = [];
  confirmAnswer = true;
  async confirm(req: { message: string; button: string }): Promise<boolean> {
    this.asked.push(`confirm:${req.button}`);
    return this.confirmAnswer;
  }
  async choose(req: { buttons: readonly string[] }): Promise<string | undefined> {
    this.asked.push(`choose:${req.buttons.join('|')}`);
    return this.confirmAnswer ? req.buttons[0] : undefined;
  }
  async pickOne<T>(req: PickRequest<T>): Promise<PickItem<T> | undefined> {
    this.asked.push(`pick:${req.title}`);
    return req.items[0];
  }
  async pickMany<T>(req: PickRequest<T>): Promise<readonly PickItem<T>[] | undefined> {
    this.asked.push(`pickMany:${req.title}`);
    return req.items;
  }
  /** What the next input boxes answer (undefined: cancelled). */
  inputAnswer: string | undefined;
  async input(req: { prompt?: string }): Promise<string | undefined> {
    this.asked.push(`input:${req.prompt ?? ''}`);
    return this.inputAnswer;
  }
}

function socketFds(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

function target(conn: Connection, uri: string, dom: DomainRef, connectionId = uri): ConsoleTarget {
  return { connectionId, uri, dom, connection: async () => conn, vncRoute: async () => vncRouteForUri(uri) };
}

describe('Consoles (extension host, real libvirtd)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let manager: ConsoleManager;
  let prompts: TestPrompts;
  let extensionUri: vscode.Uri;
  let dom: DomainRef;
  const created: DomainRef[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hcons-'));
  const unique = ownName;

  async function startVm(graphics: 'vnc' | 'spice' | 'none' = 'vnc', persistent = false, vncPassword?: string): Promise<DomainRef> {
    const name = unique();
    let d: DomainRef;
    if (persistent) {
      d = await conn.domainDefineXml(vmXml(name, graphics, vncPassword));
      created.push(d);
      d = await conn.domainCreate(d);
    } else {
      d = await conn.domainCreateXml(vmXml(name, graphics, vncPassword));
      created.push(d);
    }
    return d;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    await ext.activate();
    extensionUri = ext.extensionUri;
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    prompts = new TestPrompts();
    const log = vscode.window.createOutputChannel('Console tests', { log: true });
    manager = new ConsoleManager(memoryConsoleContext(extensionUri), log, prompts);
    dom = await startVm();
  });

  after(async () => {
    manager?.dispose();
    for (const d of created) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows SeaBIOS on the serial console in a terminal', async () => {
    const t = target(conn, SYSTEM_URI, dom);
    const serial = await manager.openSerial(t, 'serial0');
    assert.ok(vscode.window.terminals.includes(serial.terminal), 'the terminal is not open');
    assert.match(serial.terminal.name, /^Serial: hcons-.* \(serial0\)$/);
    await waitFor('the console to connect', () => serial.pty.state === 'connected');
    // Reset makes SeaBIOS print its banner again, now that the console is attached.
    await conn.domainReset(dom);
    await waitFor('SeaBIOS on the serial console', () => serial.pty.output.includes('SeaBIOS'), 60_000);
    // Input goes to the guest without error (SeaBIOS does not echo it).
    serial.pty.handleInput('\r');
    serial.terminal.dispose();
    await waitFor('the terminal to close', () => !vscode.window.terminals.includes(serial.terminal));
  });

  it('asks which device to attach to when the VM has several consoles', async () => {
    const name = unique();
    const d = await conn.domainCreateXml(vmXml(name, 'vnc', undefined, "<console type='pty'><target type='virtio' port='1'/></console>"));
    created.push(d);
    const before = prompts.asked.length;
    const serial = await manager.openSerial(target(conn, SYSTEM_URI, d));
    assert.deepEqual(prompts.asked.slice(before), [`pick:Serial console of ${name}`]);
    // The test's answer is the first item: serial0, offered before the virtio console.
    assert.equal(serial.terminal.name, `Serial: ${name} (serial0)`);
    await waitFor('the console to connect', () => serial.pty.state === 'connected');
    serial.terminal.dispose();
    await conn.domainDestroy(d);
  });

  it('offers to take over a console held by another client, and takes it', async () => {
    const holder = await conn.domainOpenConsole(dom, 'serial0', 0);
    let holderEnded = false;
    holder.on('error', () => (holderEnded = true));
    holder.on('end', () => (holderEnded = true));
    holder.on('close', () => (holderEnded = true));
    holder.resume();
    const before = prompts.asked.length;
    const serial = await manager.openSerial(target(conn, SYSTEM_URI, dom), 'serial0');
    await waitFor('the take-over to connect', () => serial.pty.state === 'connected');
    assert.deepEqual(prompts.asked.slice(before), ['confirm:Take Over']);
    await waitFor('the other client to be disconnected', () => holderEnded);
    serial.terminal.dispose();
    holder.destroy();
  });

  it('saves a PNG screenshot the size of the guest display', async () => {
    const raw = await conn.domainScreenshot(dom, 0);
    const expected = isPng(raw.data) ? pngSize(raw.data) : parsePpm(raw.data);
    assert.ok(
      (expected.width === 720 && expected.height === 400) || (expected.width === 640 && expected.height === 480),
      `unexpected guest resolution ${expected.width}x${expected.height}`,
    );
    const file = vscode.Uri.file(path.join(tmp, 'shot.png'));
    const res = await manager.screenshot(target(conn, SYSTEM_URI, dom), file);
    const png = fs.readFileSync(file.fsPath);
    assert.ok(isPng(png), 'not a PNG file');
    assert.deepEqual(pngSize(png), { width: expected.width, height: expected.height });
    assert.deepEqual({ width: res.width, height: res.height }, { width: expected.width, height: expected.height });
  });

  it('opens one graphical console tab per VM and completes the RFB handshake in the webview', async () => {
    const t = target(conn, SYSTEM_URI, dom);
    const panel = manager.openGraphical(t);
    const connected = await waitFor('the console to connect', () => (panel.state.kind === 'connected' ? panel.state : undefined), 60_000);
    assert.equal(connected.encryption, 'local', 'a display on this machine');
    assert.equal(manager.openGraphical(t), panel, 'opening again must focus the same panel');
    assert.equal(manager.openPanelCount, 1);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => tab.label === `Console: ${dom.name}`);
    assert.equal(tabs.length, 1);
    const timings = await waitFor('the first frame', () => (panel.session.timings.firstFrame !== undefined ? panel.session.timings : undefined), 30_000);
    assert.ok(timings.displayConnected! > 0 && timings.firstFrame! >= timings.displayConnected!);
    console.log(`      open -> relay ${timings.relayOpen} ms, display connected ${timings.displayConnected} ms, first frame ${timings.firstFrame} ms`);
    panel.dispose();
    assert.equal(manager.openPanelCount, 0);
  });

  it('acts on no malformed webview message, and reads the clipboard only for the active console tab', async () => {
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, dom));
    await waitFor('the console to connect', () => panel.state.kind === 'connected', 60_000);
    for (const bad of [
      { type: 'log', level: 'debug', message: 'x' },
      { type: 'streamSend', session: 1, stream: 0, data: '%%%%' },
      { type: 'streamClose', session: 'all', stream: 0 },
      { type: 'requestPaste' },
      { type: 'requestPaste', userAction: false },
      { type: 'startVm', now: true },
      { type: 'setClipboardSharing', on: true },
      { type: 'setClipboardSharing', on: 'yes', userAction: true },
      { type: 'guestClipboard', text: 42 },
      { type: 'guestClipboard', text: 'x'.repeat(1024 * 1024 + 1) },
      { type: 'requestHostClipboard' },
      { type: 'requestHostClipboard', reason: 'always' },
    ]) {
      assert.equal(panel.accept(bad), undefined, `accepted ${JSON.stringify(bad)}`);
    }
    await waitFor('the console tab active', () => panel.panel.active && panel.panel.visible);
    assert.deepEqual(panel.accept({ type: 'requestPaste', userAction: true }), { type: 'requestPaste', userAction: true });
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await waitFor('another editor in front', () => !panel.panel.active);
    assert.equal(panel.accept({ type: 'requestPaste', userAction: true }), undefined, 'a clipboard read for a background tab');
    assert.equal(panel.accept({ type: 'setClipboardSharing', on: true, userAction: true }), undefined, 'clipboard sharing switched from a background tab');
    assert.equal(panel.state.kind, 'connected', 'the refused messages changed nothing');
    panel.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the console from the command with a VM argument, and focuses it on the second call', async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    const api = await ext.activate();
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI));
    const label = `Console: ${dom.name}`;
    const consoleTabs = (): vscode.Tab[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === label);
    await vscode.commands.executeCommand('libvirtVms.console.open', { connectionId: entry.config.id, ref: dom });
    await waitFor('the console tab', () => consoleTabs().length === 1);
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await waitFor('another editor in front', () => !consoleTabs()[0]!.isActive);
    // The plain { connectionId, uuid } ref of the other VM commands (the wizard's Create and the
    // alerts' Open Console pass one) names the same VM.
    await vscode.commands.executeCommand('libvirtVms.console.open', { connectionId: entry.config.id, uuid: dom.uuid });
    await waitFor('the console tab focused again', () => consoleTabs()[0]?.isActive === true);
    assert.equal(consoleTabs().length, 1);
    await vscode.window.tabGroups.close(consoleTabs());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sends a typed key combination through libvirt (Ctrl+Alt+Del reboots SeaBIOS)', async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    const api = await ext.activate();
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI));
    let reboots = 0;
    const sub = conn.onDomainEvent((e) => {
      if (e.kind === 'reboot' && e.dom.uuid === dom.uuid) reboots++;
    });
    const validation: (string | undefined)[] = [];
    api.prompts.setResponder({
      pickOne: (req) => req.items.find((i) => i.label === 'Type a Key Combination…'),
      input: async (req) => {
        validation.push(await req.validate?.('ctrl+alt+f13'));
        return 'ctrl + alt + del';
      },
    });
    try {
      await sleep(500);
      await vscode.commands.executeCommand('libvirtVms.console.sendKey', { connectionId: entry.config.id, ref: dom });
      await waitFor('the reboot event', () => reboots > 0, 20_000);
      assert.match(validation[0] ?? '', /unknown key "f13"/);
    } finally {
      api.prompts.setResponder(undefined);
      sub.dispose();
    }
  });

  it('authenticates with the VNC password from the secure XML', async () => {
    // QEMU accepts at most 8 characters.
    const d = await startVm('vnc', false, 'pw' + crypto.randomBytes(3).toString('hex'));
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d));
    await waitFor('connected with VNC authentication', () => panel.state.kind === 'connected', 60_000);
    panel.dispose();
    await conn.domainDestroy(d);
  });

  it('says when the VM is off and reconnects after Start', async () => {
    const d = await startVm('vnc', true);
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d));
    await waitFor('connected', () => panel.state.kind === 'connected', 60_000);
    await conn.domainDestroy(d);
    await waitFor('the VM-off state', () => panel.state.kind === 'vmOff');
    panel.session.handle({ type: 'startVm' });
    await waitFor('connected again after Start', () => panel.state.kind === 'connected', 60_000);
    panel.dispose();
    await conn.domainDestroy(d).catch(() => undefined);
  });

  it('opens and closes the VNC relay 10 times without leaking sockets', async () => {
    const listen = parseDomainConsoles(await conn.domainGetXmlDesc(dom)).vnc[0]?.listen;
    assert.ok(listen, 'no VNC listener');
    await sleep(500);
    const fdsBefore = socketFds();
    const relaysBefore = openRelaySocketCount();
    for (let i = 0; i < 10; i++) {
      let first = '';
      const relay = await VncRelay.start(
        () => openVncStream(listen, { kind: 'local' }),
        (f) => {
          if (f.data instanceof Uint8Array) first += Buffer.from(f.data).toString('latin1');
        },
      );
      await waitFor('the RFB greeting', () => first.startsWith('RFB 003.'));
      relay.close();
    }
    // The graphical console reconnecting 10 times uses the same relay.
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, dom));
    await waitFor('connected', () => panel.state.kind === 'connected', 60_000);
    for (let i = 0; i < 10; i++) {
      panel.session.reconnectNow();
      await waitFor(`reconnect ${i + 1}`, () => panel.state.kind === 'connected', 30_000);
    }
    panel.dispose();
    assert.equal(openRelaySocketCount(), relaysBefore);
    await waitFor(`socket count back to ${fdsBefore}`, () => socketFds() <= fdsBefore, 10_000);
  });

  it('shows a SPICE-only VM over SPICE, one relay stream per channel', async () => {
    const d = await startVm('spice');
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d));
    await waitFor('connected over SPICE', () => panel.state.kind === 'connected' && panel.state.protocol === 'spice', 60_000);
    // main + display + inputs + cursor (+ playback when QEMU has a SPICE audio backend).
    const streams = await waitFor('the SPICE channels', () => (panel.session.openStreams.length >= 4 ? panel.session.openStreams : undefined), 30_000);
    assert.ok(streams.includes(0), `the main channel is stream 0 (${streams.join(',')})`);
    const timings = await waitFor('the first SPICE frame', () => (panel.session.timings.firstFrame !== undefined ? panel.session.timings : undefined), 30_000);
    assert.ok(panel.session.relayBytes.in > 10_000, `only ${panel.session.relayBytes.in} bytes from the SPICE server`);
    console.log(`      SPICE: ${streams.length} streams, first frame ${timings.firstFrame} ms`);
    panel.dispose();
    assert.equal(panel.session.openStreams.length, 0, 'closing the tab closes every stream');
    await conn.domainDestroy(d);
  });

  it('drops a SPICE connection whose handshake stalls, says so, and connects again once the display answers', async () => {
    // A stopped QEMU accepts the TCP connection (the kernel does) but never answers the link:
    // spice-html5 alone would wait; the session gives the handshake connectTimeoutMs.
    const log = vscode.window.createOutputChannel('Console tests (stall)', { log: true });
    const stallManager = new ConsoleManager(
      memoryConsoleContext(extensionUri, { connectTimeoutMs: 4000 }),
      log,
      prompts,
    );
    const d = await startVm('spice');
    const pid = qemuPid(d.name);
    process.kill(pid, 'SIGSTOP');
    let stopped = true;
    try {
      const panel = stallManager.openGraphical(target(conn, SYSTEM_URI, d, `stall-${d.uuid}`));
      const dropped = await waitForPanel(panel, 'the stalled handshake to be dropped', (s) => (s.kind === 'disconnected' ? s : undefined), 30_000);
      assert.match(dropped.reason, /SPICE display did not finish connecting within 4 s/);
      assert.equal(dropped.retrying, true);
      process.kill(pid, 'SIGCONT');
      stopped = false;
      await waitForPanel(panel, 'connected once QEMU runs again', (s) => s.kind === 'connected' && s.protocol === 'spice', 60_000);
      panel.dispose();
      assert.equal(panel.session.openStreams.length, 0);
    } finally {
      if (stopped) process.kill(pid, 'SIGCONT');
      stallManager.dispose();
      log.dispose();
      await conn.domainDestroy(d).catch(() => undefined);
    }
  });

  it('asks for the SPICE password when the display has one, and remembers it', async () => {
    const password = 'sp' + crypto.randomBytes(3).toString('hex');
    const d = await startVm('spice', false, password);
    // A read-only connection: libvirt refuses it the secure XML, and so the password.
    const readOnly = await Connection.open(SYSTEM_URI, { readOnly: true });
    const t = target(readOnly, SYSTEM_URI, d, `pw-${d.uuid}`);
    const before = prompts.asked.length;
    prompts.inputAnswer = password;
    try {
      const panel = manager.openGraphical(t);
      await waitForPanel(panel, 'connected after the password prompt', (s) => s.kind === 'connected' && s.protocol === 'spice');
      assert.deepEqual(prompts.asked.slice(before), [`input:SPICE password for ${d.name}`]);
      panel.dispose();
      // The second opening uses the remembered password: no prompt.
      const again = manager.openGraphical(t);
      await waitForPanel(again, 'connected with the remembered password', (s) => s.kind === 'connected', 90_000);
      assert.deepEqual(prompts.asked.slice(before), [`input:SPICE password for ${d.name}`], 'asked again for a remembered password');
      again.dispose();
    } finally {
      prompts.inputAnswer = undefined;
      await readOnly.close();
      await conn.domainDestroy(d).catch(() => undefined);
    }
  });

  it('says a VM that no longer exists is gone, and does not retry', async () => {
    const d = await startVm('spice');
    await conn.domainDestroy(d); // transient: gone with its QEMU
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d, `gone-${d.uuid}`));
    try {
      const s = await waitForPanel(panel, 'the error state', (st) => (st.kind === 'error' ? st : undefined), 30_000);
      assert.equal(s.message, `${d.name} no longer exists on this host`);
      const seen: string[] = [];
      const sub = panel.session.onState((st) => seen.push(st.kind));
      await sleep(1500);
      sub.dispose();
      assert.deepEqual(seen, [], 'the console tried again');
    } finally {
      panel.dispose();
    }
  });

  it('offers a VNC display for a VM without a display and adds it to the configuration', async () => {
    const d = await startVm('none', true);
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d));
    const s = await waitFor('the no-display state', () => (panel.state.kind === 'noDisplay' ? panel.state : undefined), 60_000);
    assert.deepEqual(s.graphics, []);
    assert.equal(s.pendingRestart, false);
    panel.session.handle({ type: 'addVnc' });
    await waitFor('the pending-restart state', () => panel.state.kind === 'noDisplay' && panel.state.pendingRestart);
    const inactive = parseDomainConsoles(await conn.domainGetXmlDesc(d, VirDomainXMLFlags.INACTIVE));
    assert.equal(inactive.vnc.length, 1);
    panel.dispose();
  });

  it('warns before a clear-text display connection to a TCP host, and remembers the answer per host', async () => {
    // The machine's own network address stands for a remote qemu+tcp:// host; the VM's VNC display
    // listens on every address, so the console reaches it over that address, unencrypted.
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    assert.ok(address, 'this machine has no non-loopback IPv4 address');
    const name = unique();
    const d = await conn.domainCreateXml(
      vmXml(name, 'none', undefined, "<graphics type='vnc' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>"),
    );
    created.push(d);
    const uri = `qemu+tcp://${address}/system`;
    const store = displayRouteStore(new MemoryMemento());
    const t: ConsoleTarget = {
      ...target(conn, uri, d, `tcp-${d.uuid}`),
      vncRoute: (o) => chooseDisplayRoute(uri, { encrypted: o?.encrypted === true, saved: () => [{ name: 'local', uri: SYSTEM_URI }], store, ask: (q) => askClearText(prompts, q) }),
    };
    // Declined: no connection and no retries.
    prompts.confirmAnswer = false;
    let before = prompts.asked.length;
    const declined = manager.openGraphical(t);
    try {
      const s = await waitFor('the declined state', () => (declined.state.kind === 'error' ? declined.state : undefined), 30_000);
      assert.match(s.message, /not be encrypted/);
      assert.deepEqual(prompts.asked.slice(before), ['choose:Connect Unencrypted'], 'no SSH connection to that host: no tunnel offered');
      await sleep(1500);
      assert.equal(declined.state.kind, 'error', 'a declined connection is not retried');
      assert.deepEqual(declined.session.openStreams, []);
    } finally {
      prompts.confirmAnswer = true;
      declined.dispose();
    }
    // Accepted: connects in clear text, and the next console on that host does not ask.
    before = prompts.asked.length;
    const panel = manager.openGraphical(t);
    const connected = await waitFor('connected over the network', () => (panel.state.kind === 'connected' ? panel.state : undefined), 60_000);
    assert.equal(connected.encryption, 'none', 'the console says the display is not encrypted');
    assert.deepEqual(prompts.asked.slice(before), ['choose:Connect Unencrypted']);
    assert.equal(store.get(address), 'clearText');
    panel.dispose();
    const again = manager.openGraphical(t);
    await waitFor('connected again', () => again.state.kind === 'connected', 60_000);
    assert.equal(prompts.asked.length, before + 1, 'asked again for a remembered host');
    again.dispose();
    await conn.domainDestroy(d);
  });

  it('works over qemu+ssh:// the same way (serial text, VNC forward, SPICE console)', async function () {
    const host = process.env['LIBVIRT_TEST_SSH_HOST'];
    const key = process.env['LIBVIRT_TEST_SSH_KEY'];
    assert.ok(host && key, 'LIBVIRT_TEST_SSH_* is not set: run the tests through scripts/testenv.sh env');
    const port = process.env['LIBVIRT_TEST_SSH_PORT'] ?? '22';
    const user = process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root';
    const knownHosts = process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'];
    const uri = `qemu+ssh://${user}@${host}:${port}/system?keyfile=${encodeURIComponent(key)}${knownHosts ? `&known_hosts=${encodeURIComponent(knownHosts)}` : ''}`;
    const sshConn = await Connection.open(uri);
    try {
      const remoteDom = await sshConn.domainLookupByUuid(dom.uuid);
      const serial = await manager.openSerial(target(sshConn, uri, remoteDom), 'serial0');
      await waitFor('the console to connect over SSH', () => serial.pty.state === 'connected');
      await sshConn.domainReset(remoteDom);
      await waitFor('SeaBIOS over SSH', () => serial.pty.output.includes('SeaBIOS'), 60_000);
      serial.terminal.dispose();
      const listen = parseDomainConsoles(await sshConn.domainGetXmlDesc(remoteDom)).vnc[0]?.listen;
      assert.ok(listen);
      let first = '';
      const relay = await VncRelay.start(
        () => openVncStream(listen, vncRouteForUri(uri)),
        (f) => {
          if (f.data instanceof Uint8Array) first += Buffer.from(f.data).toString('latin1');
        },
      );
      await waitFor('the RFB greeting through the SSH forward', () => first.startsWith('RFB 003.'));
      relay.close();
      // A SPICE console over SSH: every SPICE channel is its own forward on the one SSH session.
      const spiceVm = await startVm('spice');
      const panel = manager.openGraphical(target(sshConn, uri, await sshConn.domainLookupByUuid(spiceVm.uuid)));
      try {
        const overSsh = await waitFor('SPICE connected over SSH', () => (panel.state.kind === 'connected' && panel.state.protocol === 'spice' ? panel.state : undefined), 60_000);
        assert.equal(overSsh.encryption, 'ssh', 'the console says the SSH connection carries the display');
        await waitFor('the SPICE channels over SSH', () => panel.session.openStreams.length >= 4, 30_000);
        await waitFor('the first SPICE frame over SSH', () => panel.session.timings.firstFrame !== undefined, 30_000);
      } finally {
        panel.dispose();
        await conn.domainDestroy(spiceVm).catch(() => undefined);
      }
    } finally {
      await sshConn.close();
    }
  });
});
