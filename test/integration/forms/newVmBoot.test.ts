// What the New VM wizard makes, booted under TCG, through the wizard's controller (the webview's
// path):
// - Windows 11 (no media): the OS's profile gives UEFI with Secure Boot, SMM and a TPM 2.0; the VM
//   starts, OVMF's Secure Boot build runs and draws its screen, and libvirt runs swtpm for it;
// - PXE: a libvirt network that serves DHCP with a boot file and TFTP from a directory holding
//   Debian's netboot installer (its pxelinux.0 and ldlinux.c32, the installer's kernel and initrd,
//   and a pxelinux configuration that boots them at once on the serial console); the wizard's
//   PXE VM on that network gets an address from the network's DHCP, loads pxelinux and then the
//   installer's kernel over TFTP, and the kernel starts.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { createPool } from '../../../src/libvirt/resources/operations';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { WizardController } from '../../../src/webviews/newVm/controller';
import type { CreateResult, ToWebview } from '../../../src/webviews/newVm/protocol';
import type { FormValue } from '../../../src/forms/formSchema';
import { screenshotPixels } from '../../pngPixels';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'vmboot-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Command lines of the running `program`s (by file name) that mention `word` (the test runs as root, as CI does). */
function processesOf(program: string, word: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(args[0] ?? '') === program && args.some((a) => a.includes(word))) found.push(args.join(' '));
    } catch {
      // gone while listing
    }
  }
  return found;
}

describe('Booting what the New VM wizard makes: Windows 11 on OVMF with swtpm, PXE from a network (integration)', function () {
  this.timeout(420_000);
  let conn: Connection;
  let dir: string;
  let pool: StoragePoolRef;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const domains: DomainRef[] = [];

  /** Fills the wizard through its controller, as the webview does, and presses Create. */
  async function create(values: ReadonlyArray<readonly [string, FormValue]>): Promise<DomainRef> {
    // TCG as on CI (no KVM there).
    const facts = { ...(await newVmFacts(conn, new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined))), virtType: 'qemu' as const };
    const posted: ToWebview[] = [];
    const started: string[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const c = new WizardController(conn, facts, (m) => posted.push(m), {
      log,
      cancel: () => undefined,
      created: (_vm, name) => void started.push(name),
      pickLocalFile: async () => undefined,
      askExistingVolume: async () => undefined,
    });
    await c.handle({ type: 'ready' });
    for (const [field, value] of values) await c.handle({ type: 'edit', field, value });
    await c.handle({ type: 'create', requestId: 1 });
    const result = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 1)?.result as CreateResult;
    const state = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state')?.state;
    assert.equal(result.ok, true, result.ok ? '' : `${result.message}; the wizard's values: ${JSON.stringify(state?.values)}`);
    const name = String(values.find(([f]) => f === 'name')?.[1]);
    assert.deepEqual(started, [name], 'the wizard started the VM');
    const dom = await conn.domainLookupByName(name);
    domains.push(dom);
    return dom;
  }

  /** The VM's serial console from now until `until` shows (or `timeoutMs` passes), on a connection of its own. */
  async function readSerial(dom: DomainRef, until: RegExp, timeoutMs: number): Promise<string> {
    const chunks: Buffer[] = [];
    const watcher = await Connection.open(URI);
    try {
      const stream = await watcher.domainOpenConsole(await watcher.domainLookupByName(dom.name), null, 0);
      stream.on('data', (b: Buffer) => chunks.push(b));
      // Closing the watcher's connection ends the stream with an error: expected then.
      stream.on('error', () => undefined);
      const text = (): string => Buffer.concat(chunks).toString('latin1');
      for (const end = Date.now() + timeoutMs; Date.now() < end && !until.test(text()); ) await sleep(100);
      return text();
    } finally {
      await watcher.close().catch(() => undefined);
    }
  }

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: run, targetPath: path.join(dir, 'pool') });
  });

  after(async () => {
    for (const d of domains) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
    await removeRunObjects(conn, { domains: (n) => n.startsWith(run), networks: (n) => n.startsWith(run), pool, dir });
    await conn?.close();
  });

  it('Windows 11: OVMF with Secure Boot runs and draws its screen, and swtpm runs for the VM', async () => {
    const dom = await create([
      ['method', 'manual'],
      ['os', 'http://microsoft.com/win/11'],
      // A small thin disk: the firmware has something to look at and nothing to boot.
      ['diskPool', pool.name],
      ['diskSizeGiB', 1],
      ['network', 'none'],
      ['name', `${run}-win11`],
      ['start', true],
    ]);
    // The definition asks for UEFI with Secure Boot; the running VM has the firmware libvirt chose for it.
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(def.get('firmware'), 'efi');
    assert.equal(def.firmwareFeature('secure-boot'), true);
    assert.equal(def.get('smmState'), true);
    const liveText = await conn.domainGetXmlDesc(dom, 0);
    const live = DomainXml.parse(liveText);
    assert.equal(live.get('smmState'), true);
    const loader = /<loader[^>]*>([^<]+)<\/loader>/.exec(liveText);
    assert.ok(loader, 'the live XML names the firmware libvirt chose');
    assert.match(loader[0], /secure=['"]yes['"]/, `a Secure Boot loader: ${loader[0]}`);
    assert.ok(fs.existsSync(loader[1]!), `${loader[1]} exists`);
    assert.equal(live.devicesOf('tpm')[0]?.get('version'), '2.0');
    // libvirt starts one swtpm per VM, its state in /var/lib/libvirt/swtpm/<uuid>.
    const uuid = String(live.get('uuid'));
    const swtpm = processesOf('swtpm', uuid);
    assert.equal(swtpm.length, 1, `one swtpm process for ${uuid}: ${JSON.stringify(swtpm)}`);
    assert.ok(fs.existsSync(`/var/lib/libvirt/swtpm/${uuid}/tpm2`), 'the TPM state directory');
    // OVMF's own words on the serial console (its boot manager, BdsDxe, saying what it tries to
    // boot), within a minute or two under TCG; and its screen, which QEMU shows black before.
    const serial = await readSerial(dom, /BdsDxe/, 180_000);
    assert.match(serial, /BdsDxe/, `OVMF's boot manager on the serial console: ${serial.slice(-600)}`);
    const img = screenshotPixels((await conn.domainScreenshot(dom, 0)).data);
    let lit = 0;
    for (let p = 0; p < img.rgb.length; p += 3) if (img.rgb[p]! + img.rgb[p + 1]! + img.rgb[p + 2]! > 96) lit++;
    assert.ok(lit >= 500, `the firmware drew on the screen (${lit} lit pixels)`);
    fs.writeFileSync(path.join(dir, 'win11-serial.log'), serial);
    const plain = serial.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;=?]*[A-Za-z]`, 'g'), '');
    console.log(`      OVMF (Secure Boot, TCG) reached its boot manager: ${plain.split(/\r?\n/).find((l) => /BdsDxe/.test(l))?.slice(0, 160)}`);
    assert.equal(processesOf('swtpm', uuid).length, 1, 'swtpm still runs while the firmware does');
  });

  it('PXE: the VM gets an address from the network, loads pxelinux and the installer kernel over TFTP, and the kernel starts', async () => {
    const images = execFileSync('bash', ['scripts/guest-image.sh', 'netboot'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
    const text = fs.existsSync(path.join(images, 'text')) ? path.join(images, 'text') : images;
    const di = path.join(text, 'debian-installer', 'amd64');
    const tftp = path.join(dir, 'tftp');
    fs.mkdirSync(path.join(tftp, 'pxelinux.cfg'), { recursive: true });
    fs.copyFileSync(path.join(di, 'pxelinux.0'), path.join(tftp, 'pxelinux.0'));
    fs.copyFileSync(fs.realpathSync(path.join(text, 'ldlinux.c32')), path.join(tftp, 'ldlinux.c32'));
    fs.copyFileSync(path.join(di, 'linux'), path.join(tftp, 'linux'));
    fs.copyFileSync(path.join(di, 'initrd.gz'), path.join(tftp, 'initrd.gz'));
    // Debian's own menu is graphical (vesamenu); this one boots the installer at once, on ttyS0.
    fs.writeFileSync(
      path.join(tftp, 'pxelinux.cfg', 'default'),
      ['serial 0 115200', 'prompt 0', 'timeout 1', 'default install', 'label install', '  kernel linux', '  append initrd=initrd.gz console=ttyS0,115200n8 ---', ''].join('\n'),
    );
    for (const f of fs.readdirSync(tftp, { recursive: true, encoding: 'utf8' })) fs.chmodSync(path.join(tftp, f), fs.statSync(path.join(tftp, f)).isDirectory() ? 0o755 : 0o644);
    fs.chmodSync(tftp, 0o755);
    const third = 200 + (process.pid % 50);
    const netName = `${run}-pxe`;
    const net = await conn.networkDefineXml(
      `<network><name>${netName}</name><ip address='10.253.${third}.1' prefix='24'><tftp root='${tftp}'/><dhcp><range start='10.253.${third}.10' end='10.253.${third}.20'/><bootp file='pxelinux.0'/></dhcp></ip></network>`,
    );
    await conn.networkCreate(net);
    const dom = await create([
      ['method', 'pxe'],
      ['os', 'http://debian.org/debian/11'],
      ['firmware', 'bios'],
      ['memory', 1024],
      ['diskMode', 'none'],
      ['network', `network:${netName}`],
      ['name', `${run}-pxe`],
      ['start', true],
    ]);
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    const mac = String(def.devicesOf('interface')[0]?.get('mac')).toLowerCase();
    assert.match(mac, /^52:54:00:/);
    // The serial console from the start: pxelinux's banner, then the kernel it loaded over TFTP.
    try {
      const kernel = /Linux version \d/;
      const serial = await readSerial(dom, kernel, 300_000);
      fs.writeFileSync(path.join(dir, 'pxe-serial.log'), serial);
      assert.match(serial, /PXELINUX/, `pxelinux's banner on the serial console: ${serial.slice(-800)}`);
      assert.match(serial, kernel, `the installer's kernel started: ${serial.slice(-800)}`);
      const leases = await conn.networkGetDhcpLeases(net);
      const lease = leases.find((l) => (l.mac ?? '').toLowerCase() === mac);
      assert.ok(lease, `a DHCP lease of ${netName} for ${mac}: ${JSON.stringify(leases)}`);
      assert.match(lease.ipaddr, new RegExp(`^10\\.253\\.${third}\\.(1\\d|20)$`));
    } finally {
      await conn.domainDestroy(dom).catch(() => undefined);
    }
  });
});
