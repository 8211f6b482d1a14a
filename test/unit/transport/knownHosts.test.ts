import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkHostKey, knownHostsName, parseKnownHosts, sha256Fingerprint } from '../../../src/libvirt/transport/knownHosts';
import { verifyHostKey, type UnknownHostKey } from '../../../src/libvirt/transport/sshHostKey';
import { HostKeyMismatchError, HostKeyRejectedError } from '../../../src/libvirt/transport/transportErrors';

/** A syntactically real SSH public key blob: string type, then key material. */
function keyBlob(type: string, seed: number): Buffer {
  const t = Buffer.from(type);
  const material = crypto.createHash('sha256').update(String(seed)).digest();
  const out = Buffer.alloc(4 + t.length + 4 + material.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(material.length, 4 + t.length);
  material.copy(out, 8 + t.length);
  return out;
}

function hashedName(name: string, salt = crypto.randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`;
}

const ED = 'ssh-ed25519';
const keyA = keyBlob(ED, 1);
const keyB = keyBlob(ED, 2);
const rsa = keyBlob('ssh-rsa', 3);
const line = (hosts: string, key: Buffer, type = ED): string => `${hosts} ${type} ${key.toString('base64')}`;

describe('known_hosts (unit)', () => {
  it('formats host names and SHA256 fingerprints like OpenSSH', () => {
    assert.equal(knownHostsName('h', 22), 'h');
    assert.equal(knownHostsName('h', 2222), '[h]:2222');
    const fp = sha256Fingerprint(keyA);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  const cases: [string, string, string, number, Buffer, string][] = [
    ['plain host', line('kvm1,10.0.0.1', keyA), 'kvm1', 22, keyA, 'known'],
    ['plain IP in a list', line('kvm1,10.0.0.1', keyA), '10.0.0.1', 22, keyA, 'known'],
    ['[host]:port', line('[127.0.0.1]:2222', keyA), '127.0.0.1', 2222, keyA, 'known'],
    ['port mismatch is unknown', line('[127.0.0.1]:2222', keyA), '127.0.0.1', 22, keyA, 'unknown'],
    ['hashed host', line(hashedName('kvm1'), keyA), 'kvm1', 22, keyA, 'known'],
    ['hashed [host]:port', line(hashedName('[::1]:2222'), keyA), '::1', 2222, keyA, 'known'],
    ['hashed other host', line(hashedName('other'), keyA), 'kvm1', 22, keyA, 'unknown'],
    ['wildcard', line('*.lab.example', keyA), 'kvm1.lab.example', 22, keyA, 'known'],
    ['negated wildcard', line('*.lab.example,!bad.lab.example', keyA), 'bad.lab.example', 22, keyA, 'unknown'],
    ['changed key of the same type', line('kvm1', keyA), 'kvm1', 22, keyB, 'changed'],
    ['changed hashed key', line(hashedName('[h]:2222'), keyA), 'h', 2222, keyB, 'changed'],
    ['other type known only', line('kvm1', rsa, 'ssh-rsa'), 'kvm1', 22, keyA, 'unknown'],
    ['revoked', `@revoked ${line('kvm1', keyA)}`, 'kvm1', 22, keyA, 'revoked'],
    ['cert-authority lines are not host keys', `@cert-authority ${line('kvm1', keyB)}`, 'kvm1', 22, keyA, 'unknown'],
    ['comments and junk are skipped', `# c\n\nnot-a-line\n${line('kvm1', keyA)} comment here`, 'kvm1', 22, keyA, 'known'],
  ];
  for (const [name, text, host, port, key, expected] of cases) {
    it(`classifies: ${name}`, () => {
      assert.equal(checkHostKey(parseKnownHosts(text), host, port, key).kind, expected);
    });
  }
});

describe('SSH host key policy (unit)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-kh-'));
    file = path.join(dir, 'sub', 'known_hosts');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('asks about an unknown key with its fingerprint and records it when accepted', async () => {
    const asked: UnknownHostKey[] = [];
    const policy = { knownHostsFile: file, verify: 'normal' as const, noVerify: false, confirmUnknownHost: async (k: UnknownHostKey) => (asked.push(k), true) };
    await verifyHostKey(policy, '127.0.0.1', 2222, keyA);
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0], { host: '127.0.0.1', port: 2222, keyType: ED, fingerprint: sha256Fingerprint(keyA), otherKeyTypes: [] });
    assert.equal(fs.readFileSync(file, 'utf8'), `[127.0.0.1]:2222 ${ED} ${keyA.toString('base64')}\n`);
    await verifyHostKey(policy, '127.0.0.1', 2222, keyA);
    assert.equal(asked.length, 1, 'a recorded key is not asked about again');
  });

  it('refuses an unknown key that the user declines, or when nobody can be asked', async () => {
    await assert.rejects(
      verifyHostKey({ knownHostsFile: file, verify: 'normal', noVerify: false, confirmUnknownHost: async () => false }, 'h', 22, keyA),
      HostKeyRejectedError.is,
    );
    await assert.rejects(verifyHostKey({ knownHostsFile: file, verify: 'normal', noVerify: false }, 'h', 22, keyA), HostKeyRejectedError.is);
    assert.equal(fs.existsSync(file), false);
  });

  it('refuses a changed key with HostKeyMismatchError without asking', async () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, `${line('h', keyA)}\n`);
    let asked = false;
    const err = await verifyHostKey(
      { knownHostsFile: file, verify: 'normal', noVerify: true, confirmUnknownHost: async () => (asked = true) },
      'h',
      22,
      keyB,
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(HostKeyMismatchError.is(err));
    assert.equal(err.fingerprint, sha256Fingerprint(keyB));
    assert.match(err.message, /CHANGED/);
    assert.equal(asked, false);
  });

  it('no_verify=1 accepts an unknown key without writing anything', async () => {
    await verifyHostKey({ knownHostsFile: file, verify: 'normal', noVerify: true }, 'h', 22, keyA);
    assert.equal(fs.existsSync(file), false);
  });

  it('known_hosts_verify=auto records without asking; ignore checks nothing', async () => {
    await verifyHostKey({ knownHostsFile: file, verify: 'auto', noVerify: false }, 'h', 22, keyA);
    assert.match(fs.readFileSync(file, 'utf8'), /^h ssh-ed25519 /);
    await verifyHostKey({ knownHostsFile: file, verify: 'ignore', noVerify: false }, 'h', 22, keyB);
    await assert.rejects(verifyHostKey({ knownHostsFile: file, verify: 'auto', noVerify: false }, 'h', 22, keyB), HostKeyMismatchError.is);
  });
});
