// A real Debian 12 guest (test/guestVm.ts) with its disk on the directory both daemons of
// scripts/testenv.sh see, booted once for this file:
// - cloud-init from the New VM wizard's fields (turned into the seed by the wizard's own code): a
//   static address, a user who logs in over SSH with the key and with the password (hashed by the
//   extension), in the sudo and adm groups with cloud-init's passwordless sudo rule;
// - snapshots: a marker file written through the guest agent is back to its old contents and a
//   file written after the snapshot is gone once the snapshot is reverted (read after dropping the
//   guest's page cache, so from the reverted disk); a quiesced external snapshot freezes and thaws
//   the guest's file systems through the real agent; pre-flight names the snapshots libvirt would
//   refuse to migrate with;
// - live migration: client-driven to the peer, peer-to-peer back, and client-driven with either
//   side reached over SSH (the test sshd logs into this machine, whose daemon is the main one).
//   After each move the guest runs on the other daemon and its agent answers there with the same
//   boot id and an uptime that went on (no reboot, no reset).
// Under TCG and a loaded machine the boot takes minutes: everything waits by polling, with
// generous limits. Every object is named lvguest-<pid>-… and removed from both daemons afterwards.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { Client, utils } from 'ssh2';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainSnapshotDeleteFlags, VirDomainState, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { migrateClientDriven, migratePeerToPeer, type MigrationOptions, type MigrationStep } from '../../../src/libvirt/migration';
import { pingGuestAgent, takeSnapshot, type SnapshotKind } from '../../../src/libvirt/snapshots/snapshotPlan';
import { loadSnapshotTree } from '../../../src/libvirt/snapshots/snapshotTree';
import { snapshotSupport } from '../../../src/commands/snapshots/snapshotSupport';
import { migrationPreflight } from '../../../src/commands/migrate/preflight';
import { agentCommand, bootGuest, guestExec, removeGuestLeftovers, SHARED_POOL_PARENT, type Guest } from '../../guestVm';
import { migEnv, sleep } from './migrationEnv';

const LIVE: MigrationOptions = {
  mode: 'live',
  persistent: true,
  undefineSource: true,
  copyStorage: 'none',
  peerToPeer: false,
  tunnelled: false,
  autoConverge: false,
  compressed: false,
  postCopy: false,
  // A local directory both daemons see: libvirt cannot know it is shared (see migration.test.ts).
  unsafe: true,
  migrateUri: 'tcp://127.0.0.1',
};

const ssh = {
  host: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  port: process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222',
  user: process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root',
  key: process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519',
  knownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts',
};
/** This machine's daemon over SSH, with the host key checked against the test known_hosts. */
const sshUri = `qemu+ssh://${ssh.user}@${ssh.host}:${ssh.port}/system?${new URLSearchParams({ keyfile: ssh.key, known_hosts: ssh.knownHosts }).toString()}`;

/** The user the wizard's cloud-init step creates in the guest. */
const LOGIN = {
  user: 'tester',
  password: `pw-${crypto.randomBytes(6).toString('hex')}`,
  keys: utils.generateKeyPairSync('ed25519'),
};

/** An address of the main daemon's default network (192.168.122.0/24) that no DHCP lease holds. */
async function freeAddress(conn: Connection): Promise<string> {
  const leased = new Set((await conn.networkGetDhcpLeases(await conn.networkLookupByName('default'))).map((l) => l.ipaddr));
  const free = Array.from({ length: 50 }, (_, i) => `192.168.122.${200 + i}`).filter((a) => !leased.has(a));
  const pick = free[crypto.randomInt(free.length)];
  if (!pick) throw new Error('no free address in 192.168.122.200-249');
  return pick;
}

/**
 * Runs `command` over SSH on the guest at `host` and returns its output; the host key must be
 * `hostKey` (the guest's, read through the agent). sshd comes up with the guest: connection
 * refusals and resets are retried for a minute, authentication failures are not.
 */
async function sshRun(host: string, auth: { username: string; privateKey?: string; password?: string }, hostKey: Buffer, command: string): Promise<string> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const client = new Client();
        let out = '';
        client
          .on('ready', () => {
            client.exec(command, (err, stream) => {
              if (err) return reject(err);
              let code: number | null = null;
              stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
              stream.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
              stream.on('exit', (c: number | null) => (code = c));
              stream.on('close', () => {
                client.end();
                if (code === 0) resolve(out);
                else reject(new Error(`${command} exited with ${String(code)}: ${out}`));
              });
            });
          })
          .on('error', reject)
          .connect({
            host,
            port: 22,
            username: auth.username,
            ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
            ...(auth.password ? { password: auth.password } : {}),
            tryKeyboard: false,
            readyTimeout: 30_000,
            hostVerifier: (key: Buffer) => key.equals(hostKey),
          });
      });
    } catch (e) {
      const retry = e instanceof Error && /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|Timed out while waiting for handshake/.test(e.message);
      if (!retry || Date.now() > until) throw e;
      await sleep(2000);
    }
  }
}

/** Where the guest runs now. */
interface At {
  readonly conn: Connection;
  readonly dom: DomainRef;
  readonly label: string;
}

interface Clock {
  readonly bootId: string;
  readonly uptimeSec: number;
  /** Host time of the reading. */
  readonly atMs: number;
}

/** Polls until the agent at `at` answers (after a migration or a revert it reconnects first). */
async function agentAnswers(at: At, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      await agentCommand(at.conn, at.dom, 'guest-ping', undefined, 5);
      return;
    } catch (e) {
      last = e;
    }
    await sleep(1000);
  }
  throw new Error(`the guest agent on ${at.label} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

async function sh(at: At, script: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return guestExec(at.conn, at.dom, '/bin/sh', ['-c', script], 120_000);
}

async function clock(at: At): Promise<Clock> {
  await agentAnswers(at);
  const r = await sh(at, 'cat /proc/sys/kernel/random/boot_id /proc/uptime');
  assert.equal(r.exitCode, 0, r.stderr);
  const [bootId, uptime] = r.stdout.trim().split('\n');
  return { bootId: (bootId ?? '').trim(), uptimeSec: Number((uptime ?? '').split(' ')[0]), atMs: Date.now() };
}

/** The guest kept running: same boot, uptime grew, and by no more than the host's clock did. */
function assertContinues(before: Clock, after: Clock, what: string): void {
  assert.match(before.bootId, /^[0-9a-f-]{36}$/, `boot id read before ${what}`);
  assert.equal(after.bootId, before.bootId, `the guest did not reboot across ${what}`);
  assert.ok(after.uptimeSec > before.uptimeSec, `uptime went on across ${what}: ${before.uptimeSec} s, then ${after.uptimeSec} s`);
  const hostSec = (after.atMs - before.atMs) / 1000;
  assert.ok(after.uptimeSec - before.uptimeSec <= hostSec + 5, `uptime grew by ${after.uptimeSec - before.uptimeSec} s in ${hostSec} s of host time across ${what}`);
}

describe("A real Debian guest: the wizard's cloud-init applies, snapshots revert its files, live migration keeps it running (integration)", function () {
  // Boot (minutes under TCG on a loaded machine) plus four migrations of a 768 MiB guest.
  this.timeout(900_000);
  let src: Connection;
  let dst: Connection;
  let guest: Guest | undefined;
  let main: At;
  let address = '';

  before(async function () {
    this.timeout(1_200_000);
    src = await Connection.open(migEnv.srcUri);
    dst = await Connection.open(migEnv.dstUri);
    await removeGuestLeftovers(src);
    await removeGuestLeftovers(dst);
    address = await freeAddress(src);
    guest = await bootGuest(src, {
      poolParent: SHARED_POOL_PARENT,
      // The New VM wizard's cloud-init step as a user fills it in: a user with an SSH key and a
      // password, and a static address on the default network.
      cloudInit: {
        ciUser: LOGIN.user,
        ciKeys: LOGIN.keys.public,
        ciPassword: LOGIN.password,
        ciNetwork: 'static',
        ciAddress: `${address}/24`,
        ciGateway: '192.168.122.1',
        ciDns: '192.168.122.1',
      },
    });
    // The same pool on the peer: it sees the guest's files as its own volumes, as a shared pool
    // (NFS, Ceph) defined on two hosts would, so pre-flight finds every disk there.
    await dst.storagePoolCreate(await dst.storagePoolDefineXml(`<pool type='dir'><name>${guest.pool.name}</name><target><path>${guest.poolDir}</path></target></pool>`));
    main = { conn: src, dom: guest.dom, label: 'this machine' };
    const s = (ms: number): string => (ms / 1000).toFixed(1);
    console.log(`      guest ${guest.name}: start to guest agent in ${s(guest.bootToAgentMs)} s, to cloud-init done in ${s(guest.bootToReadyMs)} s`);
  });

  after(async function () {
    this.timeout(120_000);
    if (guest) {
      const name = guest.name;
      // Wherever a failed test left it. On the peer the domain and the pool's definition go; the
      // files are the same as here, deleted once, by guest.remove().
      if (dst) {
        const d = await dst.domainLookupByName(name).catch(() => undefined);
        if (d) {
          await dst.domainDestroy(d).catch(() => undefined);
          await dst.domainUndefine(d, VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA | VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
        }
        const p = await dst.storagePoolLookupByName(name).catch(() => undefined);
        if (p) {
          await dst.storagePoolDestroy(p).catch(() => undefined);
          await dst.storagePoolUndefine(p).catch(() => undefined);
        }
      }
      await guest.remove().catch(() => undefined);
    }
    await dst?.close().catch(() => undefined);
    await src?.close().catch(() => undefined);
  });

  const take = async (at: At, name: string, kind: SnapshotKind, quiesce = false): Promise<void> => {
    const s = snapshotSupport(await at.conn.domainGetXmlDesc(at.dom, 0), true);
    const offered = s.options.find((o) => o.kind === kind);
    assert.equal(offered?.unavailable, undefined, `${kind} is offered for the running guest: ${JSON.stringify(s.options)}`);
    await takeSnapshot(at.conn, at.dom, { name, kind, externalDisks: s.externalDisks, skippedDisks: s.skippedDisks, quiesce });
  };

  /** Writes a file in the guest through the agent's file calls (guest-file-open/write/close). */
  const writeFile = async (at: At, file: string, text: string): Promise<void> => {
    const handle = await agentCommand<number>(at.conn, at.dom, 'guest-file-open', { path: file, mode: 'w' });
    try {
      await agentCommand(at.conn, at.dom, 'guest-file-write', { handle, 'buf-b64': Buffer.from(text).toString('base64') });
    } finally {
      await agentCommand(at.conn, at.dom, 'guest-file-close', { handle });
    }
    const synced = await sh(at, 'sync');
    assert.equal(synced.exitCode, 0, synced.stderr);
  };

  /** A file's contents as read from the disk (page cache dropped first), or undefined when it does not exist. */
  const readFromDisk = async (at: At, file: string): Promise<string | undefined> => {
    const r = await sh(at, `sync; echo 3 > /proc/sys/vm/drop_caches; if [ -e '${file}' ]; then cat '${file}'; else echo MISSING >&2; exit 3; fi`);
    if (r.exitCode === 3 && r.stderr.includes('MISSING')) return undefined;
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  };

  it("applied the New VM wizard's cloud-init fields: the static address, SSH logins as the user with the key and with the password", async () => {
    const shown = await sh(main, 'ip -4 -o addr show dev eth0');
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.ok(shown.stdout.includes(` ${address}/24 `), `eth0 has ${address}/24: ${shown.stdout}`);
    assert.doesNotMatch(shown.stdout, / dynamic /, 'a static address, not a DHCP lease');
    // The guest's own host key, read through the agent, is the only one the SSH client accepts.
    const hostKey = await sh(main, 'cat /etc/ssh/ssh_host_ed25519_key.pub');
    assert.equal(hostKey.exitCode, 0, hostKey.stderr);
    const expected = Buffer.from(hostKey.stdout.trim().split(/\s+/)[1] ?? '', 'base64');
    const byKey = await sshRun(address, { username: LOGIN.user, privateKey: LOGIN.keys.private }, expected, 'id -un; hostname');
    assert.deepEqual(byKey.trim().split('\n'), [LOGIN.user, guest!.hostname]);
    // The password went in as a SHA-512 crypt hash made in TypeScript: the guest's own crypt accepts it.
    const byPassword = await sshRun(address, { username: LOGIN.user, password: LOGIN.password }, expected, 'id -Gn');
    assert.deepEqual(byPassword.trim().split(/\s+/).filter((g) => g === 'sudo' || g === 'adm').sort(), ['adm', 'sudo'], `the user's groups: ${byPassword}`);
    // Passwordless sudo, as the wizard sets up (the test image has no sudo program; the rule is cloud-init's).
    const rule = await sh(main, 'cat /etc/sudoers.d/90-cloud-init-users');
    assert.match(rule.stdout, new RegExp(`^${LOGIN.user} ALL=\\(ALL\\) NOPASSWD:ALL$`, 'm'), rule.stdout + rule.stderr);
    const wrong = await sshRun(address, { username: LOGIN.user, password: `${LOGIN.password}x` }, expected, 'true').catch((e: unknown) => e);
    assert.ok(wrong instanceof Error && /authentication/i.test(wrong.message), `a wrong password is refused: ${String(wrong)}`);
  });

  it('reverting an internal snapshot brings back a file written through the agent and removes one written after it', async () => {
    const keep = '/var/tmp/lv-marker';
    const later = '/var/tmp/lv-after-snapshot';
    await agentAnswers(main);
    await writeFile(main, keep, 'before the snapshot\n');
    // Internal, of a running guest: disks and memory in the qcow2 overlay (libvirt's savevm).
    await take(main, 'marker', 'internal');
    const tree = await loadSnapshotTree(src, main.dom);
    assert.equal(tree.byName.get('marker')?.info.state, 'running');
    assert.equal(tree.byName.get('marker')?.info.memory, 'internal');

    await writeFile(main, keep, 'changed after the snapshot\n');
    await writeFile(main, later, 'written after the snapshot\n');
    assert.equal(await readFromDisk(main, keep), 'changed after the snapshot\n');
    assert.equal(await readFromDisk(main, later), 'written after the snapshot\n');

    await src.domainRevertToSnapshot({ dom: main.dom, name: 'marker' });
    assert.equal((await src.domainGetState(main.dom)).state, VirDomainState.RUNNING, 'running again, as the snapshot was taken');
    // libvirt may report the agent "not connected" for a while after the memory is loaded (seen on a
    // loaded machine): wait until it answers again.
    await agentAnswers(main);
    assert.equal(await readFromDisk(main, keep), 'before the snapshot\n', 'the marker has its contents from before the snapshot');
    assert.equal(await readFromDisk(main, later), undefined, 'the file written after the snapshot is gone');

    // Deleting it removes it from the image too; the guest keeps running.
    await src.domainSnapshotDelete({ dom: main.dom, name: 'marker' }, 0);
    assert.equal(await src.domainSnapshotNum(main.dom), 0);
    assert.equal(await readFromDisk(main, keep), 'before the snapshot\n');
  });

  it('a quiesced external snapshot freezes and thaws the guest file systems through the agent; pre-flight then names it', async () => {
    await agentAnswers(main);
    const ping = await pingGuestAgent(src, main.dom, 10);
    assert.equal(ping.answers, true, JSON.stringify(ping));
    const frozenBefore = await agentCommand<{ count?: number } | string>(src, main.dom, 'guest-fsfreeze-status');
    assert.equal(frozenBefore, 'thawed');
    // qemu-ga logs every freeze; the count grows only if libvirt really froze through it.
    const freezes = async (): Promise<number> => {
      const r = await sh(main, "journalctl -u qemu-guest-agent --no-pager -o cat | grep -c 'guest-fsfreeze called' || true");
      return Number(r.stdout.trim() || '0');
    };
    const n0 = await freezes();
    await take(main, 'quiet', 'externalDisk', true);
    assert.ok((await freezes()) > n0, 'qemu-ga logged a freeze for the snapshot');
    assert.equal(await agentCommand(src, main.dom, 'guest-fsfreeze-status'), 'thawed', 'thawed again afterwards');
    await writeFile(main, '/var/tmp/lv-writable', 'the file systems are writable again\n');
    const info = (await loadSnapshotTree(src, main.dom)).byName.get('quiet')?.info;
    assert.equal(info?.state, 'disk-snapshot');

    await dst.storagePoolRefresh(await dst.storagePoolLookupByName(guest!.pool.name));
    const problems = await migrationPreflight({ src, dst, dom: main.dom, dstName: 'peer', options: LIVE });
    assert.deepEqual(
      problems.filter((p) => p.severity === 'error').map((p) => `${p.check}: ${p.message}`),
      [`snapshots: "${main.dom.name}" has a snapshot, and libvirt does not migrate a VM with snapshots. Delete it first (Delete Snapshot, "metadata only" keeps the data in the disk images).`],
    );
    // Metadata only: the overlay stays the guest's disk, nothing is merged.
    await src.domainSnapshotDelete({ dom: main.dom, name: 'quiet' }, VirDomainSnapshotDeleteFlags.METADATA_ONLY);
    assert.equal(await src.domainSnapshotNum(main.dom), 0);
  });

  it('keeps running across live migrations: client-driven there, peer-to-peer back, and client-driven with either side over SSH', async () => {
    let at = main;
    const steps: MigrationStep[][] = [];
    const move = async (what: string, run: () => Promise<At>): Promise<void> => {
      const before = await clock(at);
      const next = await run();
      assert.equal((await next.conn.domainGetState(next.dom)).state, VirDomainState.RUNNING, `running on ${next.label} after ${what}`);
      assert.equal(await next.conn.domainIsPersistent(next.dom), true, `defined on ${next.label}`);
      assert.equal(await at.conn.domainLookupByName(at.dom.name).catch(() => undefined), undefined, `gone from ${at.label}`);
      assertContinues(before, await clock(next), what);
      at = next;
    };
    const clientDriven = async (from: At, to: Connection, label: string): Promise<At> => {
      const s: MigrationStep[] = [];
      steps.push(s);
      const dom = await migrateClientDriven(from.conn, to, from.dom, LIVE, { step: (x) => s.push(x) });
      return { conn: to, dom, label };
    };

    // Nothing in the way: the disks are in a pool the peer has, its network exists, no snapshots,
    // and the kernel and initrd of the direct kernel boot (in the image cache, which both see but
    // no pool holds) are found there by the pre-flight's probe of their directory.
    await dst.storagePoolRefresh(await dst.storagePoolLookupByName(guest!.pool.name));
    const problems = await migrationPreflight({ src, dst, dom: main.dom, dstName: 'peer', options: LIVE });
    assert.deepEqual(problems, [], JSON.stringify(problems));

    await move('a client-driven migration to the peer', () => clientDriven(at, dst, 'the peer'));
    await move('a peer-to-peer migration back', async () => {
      // The peer daemon opens this machine's daemon over TCP itself.
      await migratePeerToPeer(at.conn, at.dom, migEnv.srcTcpUri, LIVE);
      return { conn: src, dom: await src.domainLookupByName(at.dom.name), label: 'this machine' };
    });

    const overSsh = await Connection.open(sshUri);
    try {
      // The source reached over SSH (Begin, Perform, Confirm go through it).
      const here: At = { conn: overSsh, dom: await overSsh.domainLookupByName(at.dom.name), label: 'this machine over SSH' };
      at = here;
      await move('a client-driven migration from a host reached over SSH', () => clientDriven(here, dst, 'the peer'));
      // The destination reached over SSH (Prepare, Finish go through it).
      await move('a client-driven migration to a host reached over SSH', () => clientDriven(at, overSsh, 'this machine over SSH'));
    } finally {
      await overSsh.close().catch(() => undefined);
    }
    for (const s of steps) assert.deepEqual(s, ['begin', 'prepare', 'perform', 'finish', 'confirm']);
    const back = await src.domainLookupByName(main.dom.name);
    assert.equal((await src.domainGetState(back)).state, VirDomainState.RUNNING, 'back on this machine');
  });
});
