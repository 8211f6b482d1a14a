// SSH password prompts against the test sshds (scripts/testenv.sh): the key-only server on
// sshPort and the password-only server on sshPasswordPort. A password is asked for only when
// the server takes passwords, and the "login succeeded" hook (where the UI offers to remember
// it) runs only after the server accepted it.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils } from 'ssh2';
import { knownHostsName } from '../../../src/libvirt/transport/knownHosts';
import type { SshPrompts, UsedSecret } from '../../../src/libvirt/transport/sshAuth';
import { SshSessionPool, type SshSessionOptions } from '../../../src/libvirt/transport/sshSession';
import { TransportError } from '../../../src/libvirt/transport/transportErrors';
import { testEnv } from './testEnv';

/** Prompts that answer with fixed values and record every call in order. */
function recordingPrompts(password: string): { prompts: SshPrompts; calls: string[]; remembered: UsedSecret[] } {
  const calls: string[] = [];
  const remembered: UsedSecret[] = [];
  return {
    calls,
    remembered,
    prompts: {
      password: async (req) => (calls.push(`password ${req.user}@${req.host}`), password),
      keyboardInteractive: async () => (calls.push('keyboard-interactive'), [password]),
      loginSucceeded: (used) => (calls.push(`succeeded ${used.kind}`), remembered.push(used)),
    },
  };
}

/**
 * A known_hosts file for the password server: it has the same host key as the key-only one,
 * whose entry testenv.sh writes.
 */
function passwordServerKnownHosts(dir: string): string {
  const name = knownHostsName(testEnv.sshHost, testEnv.sshPort);
  const line = fs.readFileSync(testEnv.sshKnownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no entry for ${name} in ${testEnv.sshKnownHosts}`);
  const file = path.join(dir, 'known_hosts');
  fs.writeFileSync(file, `${knownHostsName(testEnv.sshHost, testEnv.sshPasswordPort)}${line.slice(name.length)}\n`);
  return file;
}

function passwordServer(prompts: SshPrompts, knownHostsFile: string): SshSessionOptions {
  return {
    host: testEnv.sshHost,
    port: testEnv.sshPasswordPort,
    user: testEnv.sshPasswordUser,
    auth: ['password', 'keyboard-interactive'],
    agentSocket: '',
    prompts,
    hostKey: { knownHostsFile, verify: 'normal', noVerify: false },
  };
}

async function exitStatus(pool: SshSessionPool, opts: SshSessionOptions, command: string): Promise<number | null> {
  const session = await pool.acquire(opts);
  try {
    const channel = await session.exec(command);
    channel.resume();
    return await new Promise((resolve) => channel.on('exit', (code: number | null) => resolve(code)));
  } finally {
    session.release();
  }
}

describe('ssh password prompts (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  let pool: SshSessionPool;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `lv-sshpw-${process.pid}-`));
    pool = new SshSessionPool();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('never asks for a password when the server takes only keys', async () => {
    const unauthorized = path.join(dir, 'id_unauthorized');
    fs.writeFileSync(unauthorized, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    const { prompts, calls } = recordingPrompts('anything');
    const err = await pool
      .acquire({
        host: testEnv.sshHost,
        port: testEnv.sshPort,
        user: testEnv.sshUser,
        keyFile: unauthorized,
        agentSocket: '',
        prompts,
        hostKey: { knownHostsFile: testEnv.sshKnownHosts, verify: 'normal', noVerify: false },
      })
      .then((s) => (s.release(), undefined), (e: unknown) => e);
    assert.ok(TransportError.is(err), `expected the login to fail, got ${String(err)}`);
    assert.match(err.message, /authentication methods failed/i);
    assert.deepEqual(calls, [], 'no prompt at all');
  });

  it('does not report a wrong password as a successful login', async () => {
    const { prompts, calls, remembered } = recordingPrompts('not-the-password');
    const err = await pool.acquire(passwordServer(prompts, passwordServerKnownHosts(dir))).then((s) => (s.release(), undefined), (e: unknown) => e);
    assert.ok(TransportError.is(err), `expected the login to fail, got ${String(err)}`);
    assert.deepEqual(calls, [`password ${testEnv.sshPasswordUser}@${testEnv.sshHost}`]);
    assert.deepEqual(remembered, []);
  });

  it('reports the password as used only after the server accepted it', async () => {
    const password = fs.readFileSync(testEnv.sshPasswordFile, 'utf8').trim();
    const { prompts, calls, remembered } = recordingPrompts(password);
    const opts = passwordServer(prompts, passwordServerKnownHosts(dir));
    assert.equal(await exitStatus(pool, opts, 'true'), 0, 'logged in and ran a command');
    assert.deepEqual(calls, [`password ${testEnv.sshPasswordUser}@${testEnv.sshHost}`, 'succeeded password']);
    assert.deepEqual(remembered, [{ kind: 'password', value: password }]);
  });
});
