// cloud-init seeds written in TypeScript, checked with real tools: the ISO image read back by
// xorriso (Rock Ridge, Joliet and plain ISO 9660 trees) and blkid (the "cidata" label NoCloud looks
// for), SHA-512 crypt compared with `openssl passwd -6`, and the generated YAML parsed again.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { buildIsoImage, IsoImageError } from '../../src/libvirt/cloudInit/isoImage';
import { checkSeed, seedFiles, seedImage, SeedError, type CloudInitSpec } from '../../src/libvirt/cloudInit/seed';
import { sha512Crypt } from '../../src/libvirt/cloudInit/sha512crypt';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0/7B7O1T0yYyYr1qS7nKj5w1s0FZ1lI8vWjv2lq1T dev@laptop';

function xorrisoLs(iso: string, mode: string): string[] {
  const out = execFileSync('xorriso', ['-read_fs', mode, '-indev', iso, '-ls', '/'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  return out
    .split('\n')
    .filter((l) => /^'.*'$/.test(l))
    .map((l) => l.slice(1, -1))
    .sort();
}

describe('cloud-init seed (unit, real xorriso/blkid/openssl)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('SHA-512 crypt gives what `openssl passwd -6` gives (short, long, UTF-8, explicit rounds)', () => {
    for (const [pw, salt] of [
      ['password', 'saltsalt'],
      ['x'.repeat(100), '0123456789abcdef'],
      ['pässwörd ✓ with spaces', 'Zz./09'],
      ['password', 'rounds=10000$saltsalt'],
    ] as const) {
      const expected = execFileSync('openssl', ['passwd', '-6', '-salt', salt, pw]).toString().trim();
      const rounds = /^rounds=(\d+)\$(.*)$/.exec(salt);
      assert.equal(rounds ? sha512Crypt(pw, rounds[2]!, Number(rounds[1])) : sha512Crypt(pw, salt), expected);
    }
    assert.match(sha512Crypt('secret'), /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    assert.throws(() => sha512Crypt('x', 'bad salt!'), RangeError);
  });

  it('writes an ISO image that xorriso reads with Rock Ridge, Joliet and ISO 9660 names, labelled for blkid', () => {
    const files = [
      { name: 'user-data', data: Buffer.from('#cloud-config\nhostname: a\n') },
      { name: 'meta-data', data: Buffer.from('instance-id: i-1\n') },
      { name: 'network-config', data: Buffer.alloc(5000, 0x41) },
    ];
    const iso = path.join(dir, 'seed.iso');
    fs.writeFileSync(iso, buildIsoImage({ volumeId: 'cidata', files }));
    assert.deepEqual(xorrisoLs(iso, 'nojoliet'), ['meta-data', 'network-config', 'user-data'], 'Rock Ridge names');
    assert.deepEqual(xorrisoLs(iso, 'norock'), ['meta-data', 'network-config', 'user-data'], 'Joliet names');
    assert.deepEqual(xorrisoLs(iso, 'ecma119'), ['META_DAT', 'NETWORK_', 'USER_DAT'], 'ISO 9660 level 1 names');
    assert.equal(execFileSync('blkid', ['-p', '-s', 'LABEL', '-o', 'value', iso]).toString().trim(), 'cidata');
    assert.equal(execFileSync('blkid', ['-p', '-s', 'TYPE', '-o', 'value', iso]).toString().trim(), 'iso9660');
    const out = path.join(dir, 'extracted');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out], { stdio: 'pipe' });
    for (const f of files) assert.ok(fs.readFileSync(path.join(out, f.name)).equals(f.data), `${f.name} read back byte for byte`);
  });

  it('refuses names and labels an ISO cannot carry', () => {
    assert.throws(() => buildIsoImage({ volumeId: 'cidata', files: [{ name: 'a/b', data: Buffer.alloc(1) }] }), IsoImageError);
    assert.throws(() => buildIsoImage({ volumeId: 'cidata', files: [{ name: 'x', data: Buffer.alloc(1) }, { name: 'x', data: Buffer.alloc(1) }] }), IsoImageError);
    assert.throws(() => buildIsoImage({ volumeId: 'ci/data', files: [] }), IsoImageError);
  });

  const spec: CloudInitSpec = {
    instanceId: 'vm-1234',
    hostname: 'web-1',
    user: { name: 'dev', password: 'correct horse', sshKeys: [KEY], sudo: true },
    mac: '52:54:00:AB:CD:EF',
    network: { mode: 'static', address: '192.168.122.50/24', gateway: '192.168.122.1', dns: ['192.168.122.1', '9.9.9.9'] },
    packages: ['htop', 'qemu-guest-agent'],
    commands: ['systemctl enable --now qemu-guest-agent', "echo 'it ran' > /root/seed-ran"],
    userData: 'timezone: Europe/Berlin\nwrite_files:\n  - path: /etc/motd\n    content: hello\n',
  };

  it('generates meta-data, #cloud-config and network-config v2, with only the password hash in it', () => {
    const files = seedFiles(spec);
    assert.deepEqual(parse(files.metaData), { 'instance-id': 'vm-1234', 'local-hostname': 'web-1' });
    assert.ok(files.userData.startsWith('#cloud-config\n'));
    const ud = parse(files.userData) as Record<string, unknown>;
    assert.equal(ud['hostname'], 'web-1');
    assert.equal(ud['timezone'], 'Europe/Berlin', "the user's own YAML is merged in");
    assert.deepEqual(ud['packages'], ['htop', 'qemu-guest-agent']);
    assert.deepEqual(ud['runcmd'], spec.commands);
    const user = (ud['users'] as unknown[])[1] as Record<string, unknown>;
    assert.equal(user['name'], 'dev');
    assert.deepEqual(user['ssh_authorized_keys'], [KEY]);
    const hash = String(user['passwd']);
    const salt = /^\$6\$([^$]+)\$/.exec(hash)![1]!;
    assert.equal(sha512Crypt('correct horse', salt), hash, 'the hash verifies the password');
    const image = seedImage(files);
    assert.equal(image.includes(Buffer.from('correct horse')), false, 'the clear password is nowhere in the seed');
    const net = parse(files.networkConfig!) as { version: number; ethernets: { eth0: Record<string, unknown> } };
    assert.equal(net.version, 2);
    assert.deepEqual(net.ethernets.eth0['match'], { macaddress: '52:54:00:ab:cd:ef' });
    assert.deepEqual(net.ethernets.eth0['addresses'], ['192.168.122.50/24']);
    // A prefix, not netplan's `default`, which Debian 12's cloud-init (22.4) refuses.
    assert.deepEqual(net.ethernets.eth0['routes'], [{ to: '0.0.0.0/0', via: '192.168.122.1' }]);
    assert.deepEqual(net.ethernets.eth0['nameservers'], { addresses: ['192.168.122.1', '9.9.9.9'] });
    // cloud-init's YAML 1.1 reads an unquoted 52:54:00:12:34:56 as a base-60 integer: quoted.
    const digits = seedFiles({ ...spec, mac: '52:54:00:12:34:56', network: { mode: 'dhcp' } });
    assert.match(digits.networkConfig!, /macaddress: "52:54:00:12:34:56"/);
    assert.deepEqual((parse(digits.networkConfig!, { version: '1.1' }) as { ethernets: { eth0: { match: unknown } } }).ethernets.eth0.match, { macaddress: '52:54:00:12:34:56' });
    // DHCP without a MAC leaves the network to cloud-init's fallback (no network-config file).
    const dhcp = seedFiles({ ...spec, mac: undefined, network: { mode: 'dhcp' } });
    assert.equal(dhcp.networkConfig, undefined);
    const iso = path.join(dir, 'dhcp.iso');
    fs.writeFileSync(iso, seedImage(dhcp));
    assert.deepEqual(xorrisoLs(iso, 'any'), ['meta-data', 'user-data']);
  });

  it('reports every problem on its field, and YAML errors at their line', () => {
    const bad = checkSeed({
      ...spec,
      hostname: '-bad-',
      user: { name: '9user', sshKeys: ['not a key'], sudo: false },
      mac: undefined,
      network: { mode: 'static', address: '300.1.1.1/24', gateway: 'gw', dns: ['x'] },
      packages: ['ok', 'rm -rf'],
      userData: 'users:\n  - name: a\n   bad: indent\n',
    });
    const fields = bad.map((p) => p.field);
    for (const f of ['hostname', 'user.name', 'user.sshKeys', 'mac', 'network.address', 'network.gateway', 'network.dns', 'packages', 'userData']) assert.ok(fields.includes(f as never), `${f} in ${fields.join(', ')}`);
    const yamlProblem = bad.find((p) => p.field === 'userData');
    assert.equal(yamlProblem?.line, 3);
    assert.deepEqual(
      checkSeed({ ...spec, userData: '- a list\n- not a mapping\n' }).map((p) => p.field),
      ['userData'],
    );
    assert.deepEqual(checkSeed({ ...spec, user: { name: 'nobody', sshKeys: [], sudo: false } }).map((p) => p.field), ['user.password'], 'a user nobody could log in as');
    assert.throws(() => seedFiles({ ...spec, hostname: 'bad host' }), SeedError);
  });
});
