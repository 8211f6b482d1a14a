// A real Debian 12 guest for the tests that need an operating system: the guest agent, cloud-init,
// ACPI shutdown, hot-unplug (a device leaves only when the guest releases it). The image comes
// from scripts/guest-image.sh (built once per machine into a cache outside the repository, see
// docs/testing.md); each boot gets its own copy-on-write overlay, so the cached image never changes.
//
// Booting takes about a minute under TCG, so the guest is booted only by the suites that ask
// for it, once per test process: sharedGuest() boots it on the first call, hands the same guest
// to every later caller (starting it again if a test shut it down) and removes it when the
// process's tests end. Everything it creates is named lvguest-<pid>-…: a later run removes the
// leftovers of a killed one (test/leftovers.ts) and never touches those of a run going on.
//
// The agent is driven through the product's own RPC client (Connection.qemuDomainAgentCommand).

import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection, type DomainRef, type StoragePoolRef } from '../src/libvirt/connection';
import { checkSeed, seedFiles, seedImage, type CloudInitSpec } from '../src/libvirt/cloudInit/seed';
import { cloudSpec, type WizardValues } from '../src/forms/newVmModel';
import { VirDomainUndefineFlagsValues } from '../src/libvirt/generated/libvirtConstants';
import { uploadBytes } from '../src/libvirt/resources/transfer';
import { leftoverOfDeadRun } from './leftovers';

export const GUEST_PREFIX = 'lvguest-';
const ROOT = path.resolve(__dirname, '..', '..');
const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
/** Where each guest's pool (overlay disk, seed ISO, console log) lives; QEMU must traverse it. */
const POOL_PARENT = '/var/lib/libvirt/images';
/**
 * The disk directory both daemons of scripts/testenv.sh see (the peer overlays its own
 * /var/lib/libvirt/images): a guest whose pool lives here can be live-migrated between them.
 */
export const SHARED_POOL_PARENT = process.env['LIBVIRT_TEST_SHARED_DIR'] ?? '/var/lib/libvirt-vms-test/shared';
/**
 * Start to cloud-init done: about 1.5 minutes on a quiet 2-core machine under TCG, measured up to
 * 3.6 minutes while other suites loaded the machine (load average above 20).
 */
const BOOT_TIMEOUT_MS = Number(process.env.LIBVIRT_VMS_GUEST_BOOT_TIMEOUT_MS ?? 480_000);

export interface GuestImage {
  readonly dir: string;
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly cmdline: string;
}

/** The cached image, built first when missing (scripts/guest-image.sh ensure; about 3 minutes cold). */
export function guestImage(): GuestImage {
  const dir = execFileSync('bash', [path.join(ROOT, 'scripts', 'guest-image.sh'), 'ensure'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 1_800_000,
  })
    .trim()
    .split('\n')
    .pop()!;
  const disk = path.join(dir, 'disk.qcow2');
  if (!fs.existsSync(disk)) throw new Error(`scripts/guest-image.sh ensure printed ${dir}, which holds no disk.qcow2`);
  return {
    dir,
    disk,
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    cmdline: fs.readFileSync(path.join(dir, 'cmdline'), 'utf8').trim(),
  };
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Runs one guest agent command through `conn` (the daemon the guest runs on now: after a
 * migration that is the destination) and returns its `return` member; throws the agent's or
 * libvirt's error.
 */
export async function agentCommand<T = unknown>(conn: Connection, dom: DomainRef, execute: string, args?: Record<string, unknown>, timeoutSeconds = 30): Promise<T> {
  const reply = await conn.qemuDomainAgentCommand(dom, JSON.stringify(args ? { execute, arguments: args } : { execute }), timeoutSeconds);
  if (reply === null) throw new Error(`guest agent ${execute}: no reply`);
  const parsed = JSON.parse(reply) as { return?: T; error?: { desc?: string } };
  if (parsed.error) throw new Error(`guest agent ${execute}: ${parsed.error.desc ?? JSON.stringify(parsed.error)}`);
  return parsed.return as T;
}

/** Runs a program in the guest through the agent of `conn` (guest-exec), waits for it and returns its output. */
export async function guestExec(conn: Connection, dom: DomainRef, file: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<ExecResult> {
  const { pid } = await agentCommand<{ pid: number }>(conn, dom, 'guest-exec', { path: file, arg: args, 'capture-output': true });
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await agentCommand<{ exited: boolean; exitcode?: number; 'out-data'?: string; 'err-data'?: string }>(conn, dom, 'guest-exec-status', { pid });
    if (s.exited) {
      const text = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
      return { exitCode: s.exitcode ?? -1, stdout: text(s['out-data']), stderr: text(s['err-data']) };
    }
    if (Date.now() > until) throw new Error(`${file} ${args.join(' ')} still runs in the guest after ${timeoutMs} ms`);
    await sleep(250);
  }
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** One booted guest: its domain, its NIC's MAC, the hostname cloud-init gave it, agent helpers. */
export class Guest {
  /** Milliseconds from the start call to the agent's first answer, for the last (re)start. */
  bootToAgentMs = 0;
  /** Milliseconds from the start call to cloud-init done, for the last (re)start. */
  bootToReadyMs = 0;

  constructor(
    /** Opened again when the daemon restarted under it (another suite may restart libvirtd). */
    public conn: Connection,
    public dom: DomainRef,
    readonly pool: StoragePoolRef,
    readonly poolDir: string,
    readonly mac: string,
    readonly hostname: string,
  ) {}

  get name(): string {
    return this.dom.name;
  }

  /** The serial console's log (everything the guest printed since its last start). */
  get consoleLog(): string {
    return path.join(this.poolDir, 'console.log');
  }

  /** The connection, opened again if it closed (a libvirtd restart by another test). */
  async connection(): Promise<Connection> {
    if (this.conn.closed) this.conn = await Connection.open(URI);
    return this.conn;
  }

  /** Runs one agent command and returns its `return` member; throws the agent's or libvirt's error. */
  async agent<T = unknown>(execute: string, args?: Record<string, unknown>, timeoutSeconds = 30): Promise<T> {
    return agentCommand<T>(await this.connection(), this.dom, execute, args, timeoutSeconds);
  }

  /** Runs a program in the guest through the agent (guest-exec), waits for it and returns its output. */
  async exec(file: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<ExecResult> {
    return guestExec(await this.connection(), this.dom, file, args, timeoutMs);
  }

  /** Waits until the agent answers guest-ping; the error names the last failure and the console's tail. */
  async waitForAgent(timeoutMs = BOOT_TIMEOUT_MS): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < until) {
      try {
        await this.agent('guest-ping', undefined, 5);
        return;
      } catch (e) {
        last = e;
        // A daemon restart is survived (agent() reconnects); a guest that stopped is not.
        if (!this.conn.closed && !(await this.conn.domainIsActive(this.dom).catch(() => true))) {
          throw new Error(`${this.name} stopped while booting; console:\n${this.consoleTail()}`);
        }
      }
      await sleep(1000);
    }
    throw new Error(`the guest agent of ${this.name} did not answer within ${timeoutMs} ms (${String(last)}); console:\n${this.consoleTail()}`);
  }

  /** The last lines the guest printed on its serial console. */
  consoleTail(lines = 30): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8').split('\n').slice(-lines).join('\n');
    } catch (e) {
      return `(no console log: ${String(e)})`;
    }
  }

  /**
   * Waits until cloud-init finished all its stages (hostname, network, runcmd); throws with its
   * own report when it ended in an error.
   */
  async waitForCloudInit(timeoutMs = BOOT_TIMEOUT_MS): Promise<void> {
    const r = await this.exec('/usr/bin/cloud-init', ['status', '--wait'], timeoutMs);
    if (!/status: done/.test(r.stdout)) {
      const long = await this.exec('/usr/bin/cloud-init', ['status', '--long']).catch((e: unknown) => ({ stdout: String(e) }));
      throw new Error(`cloud-init in ${this.name} did not finish cleanly: ${r.stdout.trim()} ${r.stderr.trim()}\n${long.stdout}`);
    }
  }

  /** Starts the (shut off) guest and waits for its agent, then for cloud-init to finish. */
  async start(): Promise<void> {
    const t0 = Date.now();
    this.dom = await (await this.connection()).domainCreate(this.dom);
    await this.waitForAgent(BOOT_TIMEOUT_MS);
    this.bootToAgentMs = Date.now() - t0;
    await this.waitForCloudInit(Math.max(60_000, BOOT_TIMEOUT_MS - this.bootToAgentMs));
    this.bootToReadyMs = Date.now() - t0;
  }

  /** Destroys and undefines the domain, then deletes the pool with its overlay, seed and log. */
  async remove(): Promise<void> {
    await removeGuestObjects(await this.connection(), (n) => n === this.dom.name);
    // The console log is no volume of the pool, so the pool's delete leaves the directory.
    fs.rmSync(this.poolDir, { recursive: true, force: true });
  }
}

/**
 * Destroys and undefines domains (with snapshot metadata and NVRAM) and pools whose name
 * `matches`, deleting the pools' volumes.
 */
async function removeGuestObjects(conn: Connection, matches: (name: string) => boolean): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!matches(d.name)) continue;
    if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!matches(p.name)) continue;
    for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
    await conn.storagePoolDestroy(p).catch(() => undefined);
    await conn.storagePoolDelete(p).catch(() => undefined);
    await conn.storagePoolUndefine(p).catch(() => undefined);
  }
}

/** Removes what killed runs of these helpers left behind (never a running run's objects). */
export async function removeGuestLeftovers(conn: Connection): Promise<void> {
  await removeGuestObjects(conn, (n) => leftoverOfDeadRun(n, GUEST_PREFIX));
  for (const parent of [POOL_PARENT, SHARED_POOL_PARENT]) {
    if (!fs.existsSync(parent)) continue;
    for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
      if (e.isDirectory() && leftoverOfDeadRun(e.name, GUEST_PREFIX)) fs.rmSync(path.join(parent, e.name), { recursive: true, force: true });
    }
  }
}

/**
 * A SPICE display (loopback) with the agent's channel, for the console tests that need the
 * guest's spice-vdagent: virt-manager's default set for a new VM with SPICE, with `heads` outputs.
 */
const spiceDevices = (heads: number): string => `
    <graphics type='spice' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='virtio' heads='${heads}' primary='yes'/></video>
    <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>`;

function domainXml(name: string, img: GuestImage, overlay: string, seed: string, consoleLog: string, mac: string, spiceHeads: number): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <title>Debian 12 test guest</title>
  <memory unit='MiB'>768</memory>
  <currentMemory unit='MiB'>768</currentMemory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${xmlEscape(img.kernel)}</kernel>
    <initrd>${xmlEscape(img.initrd)}</initrd>
    <cmdline>${xmlEscape(img.cmdline)}</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${xmlEscape(overlay)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${xmlEscape(seed)}'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <!-- Spare PCIe root ports: on q35 a hot-plugged virtio device needs an empty one. -->
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
    <controller type='pci' index='4' model='pcie-root-port'/>
    <controller type='pci' index='5' model='pcie-root-port'/>
    <controller type='pci' index='6' model='pcie-root-port'/>
    <controller type='pci' index='7' model='pcie-root-port'/>
    <interface type='network'>
      <mac address='${mac}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='${xmlEscape(consoleLog)}' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <!-- pvpanic: the guest kernel tells QEMU (and libvirt) when it panics (the alert tests). -->
    <panic model='isa'><address type='isa' iobase='0x505'/></panic>
    <memballoon model='virtio'/>${spiceHeads > 0 ? spiceDevices(spiceHeads) : ''}
  </devices>
</domain>`;
}

export interface BootOptions {
  /**
   * The directory the guest's pool directory is made in (default /var/lib/libvirt/images, which
   * the peer daemon does not see); SHARED_POOL_PARENT for a guest that migrates.
   */
  readonly poolParent?: string;
  /**
   * The New VM wizard's cloud-init fields (ciUser, ciKeys, ciPassword, ciNetwork, ciAddress…),
   * turned into the seed by the wizard's own cloudSpec. Without them: DHCP, no user, and the
   * runcmd marker the guest suites look for.
   */
  readonly cloudInit?: WizardValues;
  /** A SPICE display with a virtio video device of this many heads, and the SPICE agent's channel. */
  readonly spiceHeads?: number;
  /** Shell commands cloud-init runs (runcmd) after the marker the guest suites wait for. */
  readonly commands?: readonly string[];
}

/** What every guest's cloud-init does besides the chosen fields. */
const RUNCMD_MARKER = 'echo cloud-init ran runcmd > /var/tmp/runcmd-done';
/** The image has no `locales` package; C.UTF-8 is built into the C library. */
const BASE_USER_DATA = 'locale: C.UTF-8\n';

/**
 * Boots a new guest of its own (most tests want sharedGuest()). Resolves once the guest agent
 * answers; the caller removes it with guest.remove().
 */
export async function bootGuest(conn: Connection, opts: BootOptions = {}): Promise<Guest> {
  const img = guestImage();
  await removeGuestLeftovers(conn);
  const name = `${GUEST_PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const hostname = `guest-${crypto.randomBytes(3).toString('hex')}`;
  const mac = `52:54:00:${crypto.randomBytes(3).toString('hex').match(/../g)!.join(':')}`;
  const poolDir = path.join(opts.poolParent ?? POOL_PARENT, name);
  const pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}</name><target><path>${poolDir}</path></target></pool>`);
  let guest: Guest | undefined;
  try {
    await conn.storagePoolBuild(pool);
    await conn.storagePoolCreate(pool);
    fs.chmodSync(poolDir, 0o755);
    const overlay = await conn.storageVolCreateXml(
      pool,
      `<volume><name>root.qcow2</name><capacity unit='bytes'>${
        // The overlay has the backing image's size; cloud-init's growpart/resizefs have nothing to do.
        JSON.parse(execFileSync('qemu-img', ['info', '--output=json', img.disk], { encoding: 'utf8' }))['virtual-size']
      }</capacity><target><format type='qcow2'/></target><backingStore><path>${xmlEscape(img.disk)}</path><format type='qcow2'/></backingStore></volume>`,
    );
    // The NoCloud seed as the product writes it for a new VM (ISO image in TypeScript, uploaded
    // as a volume): the guest proves that cloud-init reads it.
    const spec: CloudInitSpec = opts.cloudInit
      ? { ...cloudSpec({ ciHostname: hostname, ciCommands: [RUNCMD_MARKER, ...(opts.commands ?? [])].join('\n'), ciUserData: BASE_USER_DATA, ...opts.cloudInit }, name), mac }
      : { instanceId: name, hostname, mac, network: { mode: 'dhcp' }, packages: [], commands: [RUNCMD_MARKER, ...(opts.commands ?? [])], userData: BASE_USER_DATA };
    const problems = checkSeed(spec);
    if (problems.length > 0) throw new Error(`the guest's cloud-init fields: ${JSON.stringify(problems)}`);
    // The NoCloud seed as the product writes it for a new VM (ISO image in TypeScript, uploaded
    // as a volume): the guest proves that cloud-init reads it.
    const image = seedImage(seedFiles(spec));
    const seed = await conn.storageVolCreateXml(pool, `<volume><name>seed.iso</name><capacity unit='bytes'>${image.length}</capacity><target><format type='raw'/></target></volume>`);
    await uploadBytes(conn, seed, image);
    const dom = await conn.domainDefineXml(domainXml(name, img, overlay.key, seed.key, path.join(poolDir, 'console.log'), mac, opts.spiceHeads ?? 0));
    guest = new Guest(conn, dom, pool, poolDir, mac, spec.hostname);
    await guest.start();
    return guest;
  } catch (e) {
    if (guest) await guest.remove().catch(() => undefined);
    else await removeGuestObjects(conn, (n) => n === name).catch(() => undefined);
    throw e;
  }
}

let shared: { conn: Promise<Connection>; guest: Promise<Guest> } | undefined;

/**
 * The guest shared by every suite of this test process: booted on the first call, started again
 * when an earlier test shut it down, its agent answering, removed after the last test (a
 * root-level after hook).
 */
export async function sharedGuest(): Promise<Guest> {
  if (!shared) {
    const conn = await Connection.open(URI);
    shared = { conn: Promise.resolve(conn), guest: bootGuest(conn) };
    shared.guest.catch(() => undefined);
  }
  const guest = await shared.guest;
  if (!(await (await guest.connection()).domainIsActive(guest.dom))) await guest.start();
  // Running is not ready: a suite may have started it again (the alert tests crash it), and a
  // guest still booting fails the next suite's agent calls. One guest-ping when it is up.
  else await guest.waitForAgent();
  return guest;
}

/**
 * With LIBVIRT_VMS_GUEST_PREBOOT=1 (scripts/test-all.sh sets it for the integration stage) the
 * shared guest starts booting when the run starts, in the background, instead of
 * when the first suite asks for it: the boot (about 50 s under TCG) overlaps the suites that come
 * before its first user. Nothing else changes: the guest suites still await sharedGuest(), and a
 * failed boot fails them with its error as a boot on demand does. It is meant for whole stages,
 * which always have shared-guest suites: the guest boots whenever this module is loaded, and the
 * root after hook below removes it.
 *
 * Guests a suite boots for itself (bootGuest) are not booted early: tried for the migration
 * suite's guest, a second boot right after the shared one ran during the CPU alert test, whose
 * busy loop then stayed below its threshold at load average 16.
 */
if (typeof before === 'function') {
  before(function () {
    if (process.env['LIBVIRT_VMS_GUEST_PREBOOT'] !== '1' || shared) return;
    const conn = Connection.open(URI);
    shared = { conn, guest: conn.then((c) => bootGuest(c)) };
    shared.guest.catch(() => undefined);
  });
}

// Registered on mocha's root suite when this module is loaded by a test file.
if (typeof after === 'function') {
  after(async function () {
    this.timeout(120_000);
    if (!shared) return;
    const { conn, guest } = shared;
    shared = undefined;
    const g = await guest.catch(() => undefined);
    await g?.remove().catch(() => undefined);
    await g?.conn.close().catch(() => undefined);
    await (await conn.catch(() => undefined))?.close().catch(() => undefined);
  });
}
