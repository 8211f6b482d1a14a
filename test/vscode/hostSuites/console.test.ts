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
import { ConnectionSecrets } from '../../../src/connections/connectionSecrets';
import type { ConsoleTarget } from '../../../src/console/consoleTarget';
import { parseDomainConsoles } from '../../../src/console/domainConsoles';
import { pngSize, isPng, parsePpm } from '../../../src/console/image';
import { openVncStream } from '../../../src/console/vncEndpoint';
import { openRelaySocketCount, VncRelay } from '../../../src/console/vncRelay';
import { vncRouteForUri } from '../../../src/console/vncRoute';
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

function vmXml(name: string, graphics: 'vnc' | 'spice', vncPassword?: string, extraDevices = ''): string {
  const g =
    graphics === 'vnc'
      ? `<graphics type='vnc' autoport='yes' listen='127.0.0.1'${vncPassword ? ` passwd='${vncPassword}'` : ''}><listen type='address' address='127.0.0.1'/></graphics>`
      : "<graphics type='spice' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>";
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
  async input(): Promise<string | undefined> {
    return undefined;
  }
}

/** Secret storage kept in memory for the test's own console manager. */
class MemorySecrets implements vscode.SecretStorage {
  private readonly values = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.emitter.event;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/** Global state kept in memory (the index of remembered secrets). */
class MemoryMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : defaultValue;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
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

  async function startVm(graphics: 'vnc' | 'spice' = 'vnc', persistent = false, vncPassword?: string): Promise<DomainRef> {
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
    manager = new ConsoleManager({ extensionUri, secrets: new ConnectionSecrets(new MemorySecrets(), new MemoryMemento()) }, log, prompts);
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
    await waitFor('the console to connect', () => panel.state.kind === 'connected', 60_000);
    assert.equal(manager.openGraphical(t), panel, 'opening again must focus the same panel');
    assert.equal(manager.openPanelCount, 1);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => tab.label === `Console: ${dom.name}`);
    assert.equal(tabs.length, 1);
    const timings = await waitFor('the first frame', () => (panel.session.timings.firstFrame !== undefined ? panel.session.timings : undefined), 30_000);
    assert.ok(timings.rfbConnected! > 0 && timings.firstFrame! >= timings.rfbConnected!);
    console.log(`      open -> relay ${timings.relayOpen} ms, RFB connected ${timings.rfbConnected} ms, first frame ${timings.firstFrame} ms`);
    panel.dispose();
    assert.equal(manager.openPanelCount, 0);
  });

  it('acts on no malformed webview message, and reads the clipboard only for the active console tab', async () => {
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, dom));
    await waitFor('the console to connect', () => panel.state.kind === 'connected', 60_000);
    for (const bad of [
      { type: 'log', level: 'debug', message: 'x' },
      { type: 'vncSend', session: 1, data: '%%%%' },
      { type: 'vncClose', session: 'all' },
      { type: 'requestPaste' },
      { type: 'requestPaste', userAction: false },
      { type: 'startVm', now: true },
    ]) {
      assert.equal(panel.accept(bad), undefined, `accepted ${JSON.stringify(bad)}`);
    }
    await waitFor('the console tab active', () => panel.panel.active && panel.panel.visible);
    assert.deepEqual(panel.accept({ type: 'requestPaste', userAction: true }), { type: 'requestPaste', userAction: true });
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await waitFor('another editor in front', () => !panel.panel.active);
    assert.equal(panel.accept({ type: 'requestPaste', userAction: true }), undefined, 'a clipboard read for a background tab');
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
    await vscode.commands.executeCommand('libvirtVms.console.open', { connectionId: entry.config.id, ref: dom });
    await waitFor('the console tab focused again', () => consoleTabs()[0]?.isActive === true);
    assert.equal(consoleTabs().length, 1);
    await vscode.window.tabGroups.close(consoleTabs());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
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

  it('offers a VNC display for a SPICE-only VM and adds it to the configuration', async () => {
    const d = await startVm('spice', true);
    const panel = manager.openGraphical(target(conn, SYSTEM_URI, d));
    const s = await waitFor('the no-VNC state', () => (panel.state.kind === 'noVnc' ? panel.state : undefined), 60_000);
    assert.deepEqual(s.graphics, ['spice']);
    assert.equal(s.pendingRestart, false);
    panel.session.handle({ type: 'addVnc' });
    await waitFor('the pending-restart state', () => panel.state.kind === 'noVnc' && panel.state.pendingRestart);
    const inactive = parseDomainConsoles(await conn.domainGetXmlDesc(d, VirDomainXMLFlags.INACTIVE));
    assert.equal(inactive.vnc.length, 1);
    panel.dispose();
  });

  it('works over qemu+ssh:// the same way (serial text and VNC forward)', async function () {
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
    } finally {
      await sshConn.close();
    }
  });
});
