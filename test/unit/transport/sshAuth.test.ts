import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils, type AnyAuthMethod, type AuthenticationType } from 'ssh2';
import { createAuthHandler, type SshAuthSetup } from '../../../src/libvirt/transport/sshAuth';

/**
 * Drives the handler like ssh2 does: returns every method offered until it gives up, without
 * the "none" probe (see the test of that below).
 */
async function offered(setup: SshAuthSetup, authsLeft: AuthenticationType[] | null = null): Promise<AnyAuthMethod[]> {
  return (await offeredWithProbe(setup, authsLeft)).filter((m) => m.type !== 'none');
}

async function offeredWithProbe(setup: SshAuthSetup, authsLeft: AuthenticationType[] | null): Promise<AnyAuthMethod[]> {
  const { handler } = createAuthHandler(setup);
  const out: AnyAuthMethod[] = [];
  for (let i = 0; i < 20; i++) {
    const next = await new Promise<AnyAuthMethod | false>((resolve) =>
      handler(authsLeft as AuthenticationType[], false, (m) => resolve(m as AnyAuthMethod | false)),
    );
    if (next === false) return out;
    out.push(next);
  }
  throw new Error('the handler never gave up');
}

describe('SSH authentication order (unit)', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-auth-'));
    fs.mkdirSync(path.join(home, '.ssh'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const base = (over: Partial<SshAuthSetup> = {}): SshAuthSetup => ({
    user: 'u',
    host: 'h',
    methods: ['agent', 'privkey', 'password', 'keyboard-interactive'],
    prompts: {},
    home,
    ...over,
  });

  it('tries agent, the default identities that exist, password, then keyboard-interactive', async () => {
    const key = utils.generateKeyPairSync('ed25519').private;
    fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), key);
    fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), key);
    const methods = await offered(
      base({ agentSocket: '/tmp/agent.sock', prompts: { password: async () => 'pw', keyboardInteractive: async () => ['a'] } }),
    );
    assert.deepEqual(methods.map((m) => m.type), ['agent', 'publickey', 'publickey', 'password', 'keyboard-interactive']);
    assert.deepEqual(methods.map((m) => m.username), ['u', 'u', 'u', 'u', 'u']);
    const pw = methods[3];
    assert.ok(pw && pw.type === 'password' && pw.password === 'pw');
  });

  it('skips what is unavailable: no agent socket, no keys, no prompt, a cancelled prompt', async () => {
    assert.deepEqual(await offered(base()), []);
    assert.deepEqual(await offered(base({ prompts: { password: async () => undefined } })), []);
  });

  it('honours the sshauth order and keyfile=', async () => {
    const file = path.join(home, 'custom_key');
    fs.writeFileSync(file, utils.generateKeyPairSync('ecdsa', { bits: 256 }).private);
    const methods = await offered(base({ methods: ['password', 'privkey'], keyFile: file, prompts: { password: async () => 'x' } }));
    assert.deepEqual(methods.map((m) => m.type), ['password', 'publickey']);
  });

  it('asks for the passphrase of an encrypted key and skips it when wrong', async () => {
    const file = path.join(home, 'enc_key');
    fs.writeFileSync(file, utils.generateKeyPairSync('ed25519', { passphrase: 'secret', cipher: 'aes256-ctr', rounds: 4 }).private);
    const asked: string[] = [];
    const good = await offered(base({ methods: ['privkey'], keyFile: file, prompts: { passphrase: async (r) => (asked.push(r.keyFile), 'secret') } }));
    assert.equal(good.length, 1);
    assert.ok(good[0]!.type === 'publickey' && good[0]!.passphrase === 'secret');
    assert.deepEqual(asked, [file]);
    assert.deepEqual(await offered(base({ methods: ['privkey'], keyFile: file, prompts: { passphrase: async () => 'wrong' } })), []);
  });

  it('offers only what the server still accepts', async () => {
    const methods = await offered(
      base({ agentSocket: '/tmp/agent.sock', prompts: { password: async () => 'pw' } }),
      ['password'],
    );
    assert.deepEqual(methods.map((m) => m.type), ['password']);
  });

  it('asks the server for its methods before the first prompt, and prompts only for what it accepts', async () => {
    const asked: string[] = [];
    const prompts = { password: async () => (asked.push('password'), 'pw'), keyboardInteractive: async () => ['a'] };
    const first = await offeredWithProbe(base({ agentSocket: '/tmp/agent.sock', prompts }), null);
    assert.deepEqual(first.map((m) => m.type), ['agent', 'none', 'password', 'keyboard-interactive']);
    asked.length = 0;
    assert.deepEqual(await offered(base({ prompts }), ['publickey']), []);
    assert.deepEqual(asked, [], 'no password prompt for a server that does not take passwords');
  });

  it('passes keyboard-interactive prompts to the callback and its answers back', async () => {
    const seen: string[] = [];
    const [m] = await offered(
      base({
        methods: ['keyboard-interactive'],
        prompts: { keyboardInteractive: async (r) => (seen.push(...r.prompts.map((p) => `${p.prompt}:${p.echo}`)), ['123456']) },
      }),
    );
    assert.ok(m && m.type === 'keyboard-interactive');
    const answers = await new Promise<string[]>((resolve) => m.prompt('n', 'i', '', [{ prompt: 'OTP: ', echo: false }], resolve));
    assert.deepEqual(answers, ['123456']);
    assert.deepEqual(seen, ['OTP: :false']);
  });
});
