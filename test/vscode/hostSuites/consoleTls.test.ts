// Encrypted displays as libvirt sets them up, inside a real VS Code extension host: the test
// environment's TLS-display libvirtd (scripts/testenv.sh "tlshost": qemu.conf vnc_tls = 1,
// spice_tls = 1, client certificates verified) reached over qemu+tls:// with the test PKI. A VM's
// VNC display there offers nothing but VeNCrypt, and the console tab (noVNC in its webview) still
// connects and draws: the extension host did VeNCrypt and TLS with the connection's PKI files. A
// SPICE VM's channels link on the TLS port. A PKI directory without a client certificate gets an
// error that says where the certificate was looked for, and no connection.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PickItem, PickRequest, Prompts } from '../../../src/commands/prompts';
import { displayRouteStore } from '../../../src/commands/consoleCommands';
import { ConsoleManager } from '../../../src/console/consoleManager';
import { memoryConsoleContext, MemoryMemento } from './consoleStores';
import type { ConsoleTarget } from '../../../src/console/consoleTarget';
import { chooseDisplayRoute } from '../../../src/console/displayRoutePolicy';
import { parseDomainConsoles } from '../../../src/console/domainConsoles';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainRef } from '../../../src/libvirt/refs';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'htls-';
const TLS_HOST = process.env['LIBVIRT_TEST_TLSHOST_TLS'] ?? '127.0.0.1:16515';
const PKI = process.env['LIBVIRT_TEST_PKI'] ?? '/run/libvirt-vms-test/pki';
const URI = `qemu+tls://${TLS_HOST}/system?pkipath=${encodeURIComponent(PKI)}`;

function vmXml(name: string, graphics: 'vnc' | 'spice'): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <graphics type='${graphics}' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='${graphics === 'spice' ? 'qxl' : 'vga'}'/></video>
  </devices>
</domain>`;
}

/** Records every question; a display that is encrypted must not cause any. */
class RecordingPrompts implements Prompts {
  readonly asked: string[] = [];
  async confirm(req: { message: string }): Promise<boolean> {
    this.asked.push(`confirm:${req.message}`);
    return false;
  }
  async choose(req: { message: string }): Promise<string | undefined> {
    this.asked.push(`choose:${req.message}`);
    return undefined;
  }
  async pickOne<T>(req: PickRequest<T>): Promise<PickItem<T> | undefined> {
    this.asked.push(`pick:${req.title}`);
    return undefined;
  }
  async pickMany<T>(req: PickRequest<T>): Promise<readonly PickItem<T>[] | undefined> {
    this.asked.push(`pickMany:${req.title}`);
    return undefined;
  }
  async input(req: { prompt?: string }): Promise<string | undefined> {
    this.asked.push(`input:${req.prompt ?? ''}`);
    return undefined;
  }
}

/** The RFB security types a VNC server offers a client that says RFB 3.8. */
function vncSecurityTypes(port: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('no security types in 10 s')), 10_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    s.on('error', fail);
    s.on('data', (d: Buffer) => {
      const hadVersion = buf.length >= 12;
      buf = Buffer.concat([buf, d]);
      if (!hadVersion && buf.length >= 12) s.write('RFB 003.008\n');
      if (buf.length >= 13 && buf.length >= 13 + buf[12]!) {
        clearTimeout(timer);
        s.destroy();
        resolve([...buf.subarray(13, 13 + buf[12]!)]);
      }
    });
  });
}

describe('Encrypted consoles of a libvirt host with vnc_tls / spice_tls (extension host)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let manager: ConsoleManager;
  let prompts: RecordingPrompts;
  const created: DomainRef[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));

  /** A console target as the console commands build it: the route through the clear-text policy. */
  function target(dom: DomainRef, uri = URI): ConsoleTarget {
    const store = displayRouteStore(new MemoryMemento());
    return {
      connectionId: `tls-${dom.uuid}-${uri.length}`,
      uri,
      dom,
      connection: async () => conn,
      vncRoute: (o) =>
        chooseDisplayRoute(uri, {
          encrypted: o?.encrypted === true,
          saved: () => [],
          store,
          ask: async (q) => {
            prompts.asked.push(`clearText:${q.host}`);
            return undefined;
          },
        }),
    };
  }

  async function startVm(graphics: 'vnc' | 'spice'): Promise<DomainRef> {
    const d = await conn.domainCreateXml(vmXml(`${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`, graphics));
    created.push(d);
    return d;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    await ext.activate();
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainDestroy(d).catch(() => undefined);
    }
    prompts = new RecordingPrompts();
    const log = vscode.window.createOutputChannel('TLS console tests', { log: true });
    manager = new ConsoleManager(memoryConsoleContext(ext.extensionUri), log, prompts);
  });

  after(async () => {
    manager?.dispose();
    for (const d of created) await conn?.domainDestroy(d).catch(() => undefined);
    await conn?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('VNC: the display offers only VeNCrypt, and the console tab connects and draws through TLS', async () => {
    const d = await startVm('vnc');
    const listen = parseDomainConsoles(await conn.domainGetXmlDesc(d)).vnc[0]?.listen;
    assert.ok(listen?.kind === 'address', 'the VNC display has an address and port');
    assert.deepEqual(await vncSecurityTypes(listen.port), [19], 'libvirt gave QEMU x509 TLS: VeNCrypt (19) is the only security type');
    const panel = manager.openGraphical(target(d));
    try {
      const s = await waitFor('the console to connect', () => (panel.state.kind === 'connected' ? panel.state : undefined), 60_000);
      assert.equal(s.protocol, 'vnc');
      assert.equal(s.encryption, 'tls', 'the console says the display is encrypted with TLS');
      const t = await waitFor('the first frame', () => (panel.session.timings.firstFrame !== undefined ? panel.session.timings : undefined), 30_000);
      assert.ok(panel.session.relayBytes.in > 1000, `only ${panel.session.relayBytes.in} bytes came from the display`);
      assert.deepEqual(prompts.asked, [], 'an encrypted display needs no question');
      console.log(`      VNC over TLS: display connected ${t.displayConnected} ms, first frame ${t.firstFrame} ms`);
    } finally {
      panel.dispose();
    }
  });

  it('SPICE: every channel links on the TLS port and the first frame is drawn', async () => {
    const d = await startVm('spice');
    const g = parseDomainConsoles(await conn.domainGetXmlDesc(d)).spice[0];
    assert.ok(g?.tlsPort !== undefined && g.spiceTls, 'libvirt gave the SPICE display a TLS port');
    const panel = manager.openGraphical(target(d));
    try {
      const s = await waitFor('connected over SPICE', () => (panel.state.kind === 'connected' ? panel.state : undefined), 60_000);
      assert.equal(s.protocol, 'spice');
      assert.equal(s.encryption, 'tls');
      await waitFor('the SPICE channels', () => panel.session.openStreams.length >= 4, 30_000);
      await waitFor('the first SPICE frame', () => panel.session.timings.firstFrame !== undefined, 30_000);
      assert.deepEqual(prompts.asked, []);
    } finally {
      panel.dispose();
    }
  });

  it('over qemu+tcp:// (libvirt itself unencrypted) the display is still TLS, with the PKI named by pkipath=', async () => {
    const d = created[0];
    assert.ok(d, 'the VNC VM of the first test');
    const tcp = process.env['LIBVIRT_TEST_TLSHOST_TCP'] ?? '127.0.0.1:16511';
    const panel = manager.openGraphical(target(d, `qemu+tcp://${tcp}/system?pkipath=${encodeURIComponent(PKI)}`));
    try {
      const s = await waitFor('the console to connect', () => (panel.state.kind === 'connected' ? panel.state : undefined), 60_000);
      assert.equal(s.encryption, 'tls');
      await waitFor('the first frame', () => panel.session.timings.firstFrame !== undefined, 30_000);
      assert.deepEqual(prompts.asked, []);
    } finally {
      panel.dispose();
    }
  });

  it('a PKI directory without a client certificate: the console says where it looked, and connects nothing', async () => {
    const d = created[0];
    assert.ok(d, 'the VNC VM of the first test');
    const dir = path.join(tmp, 'ca-only');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(PKI, 'cacert.pem'), path.join(dir, 'cacert.pem'));
    const panel = manager.openGraphical(target(d, `qemu+tls://${TLS_HOST}/system?pkipath=${encodeURIComponent(dir)}`));
    try {
      const s = await waitFor('the missing certificate reported', () => (panel.state.kind === 'error' ? panel.state : undefined), 60_000);
      assert.match(s.message, new RegExp(`requires TLS but no client certificate was found in '${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/clientcert\\.pem'`));
      // A missing certificate does not appear by retrying: no reconnect attempts, no streams.
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(panel.state.kind, 'error', 'the console does not retry a lasting TLS problem');
      assert.deepEqual(panel.session.openStreams, []);
    } finally {
      panel.dispose();
    }
  });
});
