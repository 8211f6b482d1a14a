// The guest agent through libvirt's APIs (src/libvirt/guestAgent.ts) against the real Debian guest
// (test/guestVm.ts): facts compared with what the guest itself says (hostname from cloud-init,
// uname, df, ip), a password set through the agent proven by a real login on the serial console
// (libvirt's console stream, getty and PAM: no guest-exec shortcut), fsfreeze then thaw as
// guest-fsfreeze-status reports it, the clock put back in the guest and synced again, and the
// typed errors of a VM without the channel, one whose agent never connects, and a VM that is off.
// Shut Down via Agent runs last (sharedGuest() starts the guest again for any later suite).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { Connection, DomainRef } from '../../../src/libvirt/connection';
import { agentChannelState, GuestAgent, GuestAgentError, type AgentProblem } from '../../../src/libvirt/guestAgent';
import { isLoopback, osLine } from '../../../src/libvirt/guestFacts';
import { VirDomainConsoleFlags, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { removeDeadRunObjects } from '../../leftovers';
import { sharedGuest, type Guest } from '../../guestVm';

const PREFIX = 'agt-';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Logs in on the guest's serial console through libvirt's console stream and runs `id -un`;
 * resolves with everything the console printed. Rejects when no shell prompt follows the password.
 */
async function consoleLogin(conn: Connection, dom: DomainRef, user: string, password: string, timeoutMs = 90_000): Promise<string> {
  // FORCE: the previous login's stream may still be closing on the daemon's side ("Active console session exists").
  const stream = await conn.domainOpenConsole(dom, null, VirDomainConsoleFlags.FORCE);
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('latin1')));
  stream.on('error', () => undefined);
  const waitFor = async (re: RegExp, from: number, what: string, poke?: string): Promise<number> => {
    const until = Date.now() + timeoutMs;
    let lastPoke = 0;
    while (Date.now() < until) {
      const m = re.exec(text.slice(from));
      if (m) return from + m.index + m[0].length;
      if (poke !== undefined && Date.now() - lastPoke > 5000) {
        stream.write(poke);
        lastPoke = Date.now();
      }
      await sleep(200);
    }
    throw new Error(`no ${what} on the serial console within ${timeoutMs} ms; it printed:\n${text.slice(-2000)}`);
  };
  try {
    // Enter until getty prints its prompt (it may be waiting since boot, or a session may still be open).
    let at = await waitFor(/login: $/m, 0, 'login prompt', '\r');
    stream.write(`${user}\r`);
    at = await waitFor(/Password: ?$/m, at, 'password prompt');
    stream.write(`${password}\r`);
    at = await waitFor(/(\$|#) $|Login incorrect/m, at, 'shell prompt');
    if (/Login incorrect/.test(text.slice(at - 20))) throw new Error(`login refused:\n${text.slice(-500)}`);
    stream.write('id -un; exit\r');
    await waitFor(new RegExp(`^${user}\\s*$`, 'm'), at, 'id output');
    return text;
  } finally {
    stream.destroy();
  }
}

describe('The guest agent through libvirt: facts and actions on a real guest (integration)', function () {
  this.timeout(900_000);
  let guest: Guest;
  let agent: GuestAgent;
  const created: string[] = [];
  const user = `agt${crypto.randomBytes(2).toString('hex')}`;

  before(async function () {
    guest = await sharedGuest();
    agent = new GuestAgent(guest.conn, guest.dom);
    await removeDeadRunObjects(guest.conn, PREFIX);
  });

  after(async function () {
    if (!guest) return;
    const conn = await guest.connection();
    for (const name of created) {
      const d = await conn.domainLookupByName(name).catch(() => undefined);
      if (!d) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    if (await conn.domainIsActive(guest.dom).catch(() => false)) await guest.exec('/usr/sbin/userdel', ['-r', user]).catch(() => undefined);
  });

  it('reads the OS, hostname, timezone, file systems with usage and addresses the guest itself reports', async () => {
    const facts = await agent.facts();
    assert.equal(facts.hostname, guest.hostname, 'the hostname cloud-init set from the seed');
    assert.equal(facts.os?.id, 'debian');
    assert.equal(facts.os?.versionId, '12');
    assert.match(osLine(facts.os) ?? '', /^Debian GNU\/Linux 12/);
    const uname = await guest.exec('/bin/uname', ['-r']);
    assert.equal(facts.os?.kernelRelease, uname.stdout.trim());
    assert.equal(typeof facts.timezone?.offsetSeconds, 'number');
    assert.ok(facts.timezone?.name, 'a timezone name');
    assert.ok(Array.isArray(facts.users), 'the users list is read (empty when nobody is logged in)');

    const root = facts.filesystems?.find((f) => f.mountpoint === '/');
    assert.ok(root, `a root file system among ${JSON.stringify(facts.filesystems)}`);
    assert.equal(root.fstype, 'ext4');
    assert.deepEqual(root.disks, ['vda'], 'the root file system is on the VM disk vda');
    // qemu-ga counts the blocks a user can have (used + available, without root's reserve), as df's used + avail.
    const df = await guest.exec('/bin/df', ['-B1', '--output=used,avail', '/']);
    const [used, avail] = df.stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
    const size = used! + avail!;
    assert.ok(root.totalBytes && Math.abs(root.totalBytes - size) / size < 0.02, `total ${root.totalBytes} vs df used + avail ${size}`);
    assert.ok(root.usedBytes && root.usedBytes > 100e6 && Math.abs(root.usedBytes - used!) < 64e6, `used ${root.usedBytes} vs df ${used}`);

    const nic = facts.interfaces?.find((i) => i.hwaddr === guest.mac);
    assert.ok(nic, `the VM's NIC ${guest.mac} among ${JSON.stringify(facts.interfaces)}`);
    assert.equal(isLoopback(nic), false);
    assert.ok(facts.interfaces?.some(isLoopback), 'the loopback is reported and recognised');
    const ip = await guest.exec('/sbin/ip', ['-4', '-o', 'addr', 'show', 'dev', nic.name]);
    const v4 = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(ip.stdout);
    assert.ok(v4, ip.stdout);
    assert.deepEqual(
      nic.addrs.filter((a) => a.type === 'ipv4'),
      [{ type: 'ipv4', addr: v4[1], prefix: Number(v4[2]) }],
    );
    assert.equal(agentChannelState(await guest.conn.domainGetXmlDesc(guest.dom, 0)), 'connected');
  });

  it('sets a user password through the agent, proven by a real login on the serial console (and a wrong one refused)', async () => {
    const add = await guest.exec('/usr/sbin/useradd', ['-m', '-s', '/bin/bash', user]);
    assert.equal(add.exitCode, 0, add.stderr);
    const password = `Pw-${crypto.randomBytes(6).toString('hex')}`;
    // A fresh account has a locked password: no login before the agent sets one.
    await assert.rejects(consoleLogin(guest.conn, guest.dom, user, password, 30_000), /login refused|no shell prompt/);
    await agent.setUserPassword(user, password);
    const out = await consoleLogin(guest.conn, guest.dom, user, password);
    assert.match(out, new RegExp(`^${user}\\s*$`, 'm'));
    // A wrong password is still refused (the login above is no accident of an open session).
    await assert.rejects(consoleLogin(guest.conn, guest.dom, user, `${password}x`, 30_000), /login refused|no shell prompt/);
  });

  it('freezes and thaws the file systems: guest-fsfreeze-status says frozen, then thawed', async () => {
    assert.equal(await agent.freezeStatus(), 'thawed');
    const frozen = await agent.freeze();
    try {
      assert.ok(frozen >= 1, `froze ${frozen} file systems`);
      assert.equal(await agent.freezeStatus(), 'frozen');
      assert.equal((await guest.agent<string>('guest-fsfreeze-status')), 'frozen', 'the agent itself says so');
    } finally {
      const thawed = await agent.thaw();
      assert.equal(thawed, frozen);
    }
    assert.equal(await agent.freezeStatus(), 'thawed');
  });

  it('syncs the guest clock after it was put back an hour', async () => {
    const back = Math.floor(Date.now() / 1000) - 3600;
    const set = await guest.exec('/bin/date', ['-u', '-s', `@${back}`]);
    assert.equal(set.exitCode, 0, set.stderr);
    const before = await agent.time();
    assert.ok(Date.now() - before > 3500_000, `the guest clock is an hour behind (${new Date(before).toISOString()})`);
    await agent.syncTime();
    const after = await agent.time();
    assert.ok(Math.abs(Date.now() - after) < 30_000, `after the sync the guest says ${new Date(after).toISOString()}, the host ${new Date().toISOString()}`);
  });

  it('names the problem: no channel, agent not connected, VM not running', async () => {
    const conn = await guest.connection();
    const tiny = (name: string, channel: boolean): string =>
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${
        channel ? "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" : ''
      }<graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
    const problem = async (dom: DomainRef): Promise<AgentProblem> => {
      try {
        await new GuestAgent(conn, dom).facts();
      } catch (e) {
        if (GuestAgentError.is(e)) return e.problem;
        throw e;
      }
      throw new Error('the agent answered');
    };
    const plain = `${PREFIX}${process.pid}-plain`;
    const withChannel = `${PREFIX}${process.pid}-chan`;
    created.push(plain, withChannel);
    const off = await conn.domainDefineXml(tiny(plain, false));
    assert.equal(await problem(off), 'notRunning');
    const running = await conn.domainCreate(off);
    assert.equal(await problem(running), 'noChannel');
    assert.equal(agentChannelState(await conn.domainGetXmlDesc(running, 0)), 'none');
    const chan = await conn.domainCreateXml(tiny(withChannel, true), 0);
    assert.equal(agentChannelState(await conn.domainGetXmlDesc(chan, 0)), 'disconnected');
    assert.equal(await problem(chan), 'notConnected');
  });

  it('shuts the guest down through the agent', async () => {
    await agent.shutdown();
    const until = Date.now() + 120_000;
    while (Date.now() < until && (await guest.conn.domainIsActive(guest.dom))) await sleep(1000);
    assert.equal(await guest.conn.domainIsActive(guest.dom), false, 'the guest powered off');
  });
});
