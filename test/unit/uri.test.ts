import * as assert from 'node:assert/strict';
import { parseUri, UriError } from '../../src/libvirt/uri';

interface Case {
  readonly uri: string;
  readonly driver: string;
  readonly transport: string;
  readonly user?: string;
  readonly host?: string;
  readonly port?: number;
  readonly path: string;
  readonly remoteName: string;
}

const valid: Case[] = [
  { uri: 'qemu:///system', driver: 'qemu', transport: 'unix', path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu:///session', driver: 'qemu', transport: 'unix', path: '/session', remoteName: 'qemu:///session' },
  { uri: 'test+unix:///default', driver: 'test', transport: 'unix', path: '/default', remoteName: 'test:///default' },
  { uri: 'qemu://host.example/system', driver: 'qemu', transport: 'tls', host: 'host.example', port: 16514, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+tcp://127.0.0.1:16509/system', driver: 'qemu', transport: 'tcp', host: '127.0.0.1', port: 16509, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+tcp://10.0.0.1/system', driver: 'qemu', transport: 'tcp', host: '10.0.0.1', port: 16509, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+ssh://root@kvm1:2222/system', driver: 'qemu', transport: 'ssh', user: 'root', host: 'kvm1', port: 2222, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+libssh2://kvm1/system', driver: 'qemu', transport: 'ssh', host: 'kvm1', port: 22, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+libssh://u@kvm1/session', driver: 'qemu', transport: 'ssh', user: 'u', host: 'kvm1', port: 22, path: '/session', remoteName: 'qemu:///session' },
  { uri: 'qemu+ssh:///system', driver: 'qemu', transport: 'ssh', host: 'localhost', port: 22, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+ssh://[::1]:2222/system', driver: 'qemu', transport: 'ssh', host: '::1', port: 2222, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+tls://[fe80::1%25eth0]/system', driver: 'qemu', transport: 'tls', host: 'fe80::1%eth0', port: 16514, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'QEMU+SSH://h/system', driver: 'qemu', transport: 'ssh', host: 'h', port: 22, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'qemu+ssh://us%65r@h/system', driver: 'qemu', transport: 'ssh', user: 'user', host: 'h', port: 22, path: '/system', remoteName: 'qemu:///system' },
  { uri: 'test:///tmp/my%20file.xml', driver: 'test', transport: 'unix', path: '/tmp/my file.xml', remoteName: 'test:///tmp/my%20file.xml' },
  { uri: 'qemu+ssh://h/system?name=qemu:///session', driver: 'qemu', transport: 'ssh', host: 'h', port: 22, path: '/system', remoteName: 'qemu:///session' },
  { uri: 'qemu+ssh://h/system?keyfile=/k&custom=a%20b', driver: 'qemu', transport: 'ssh', host: 'h', port: 22, path: '/system', remoteName: 'qemu:///system?custom=a%20b' },
];

const invalid: [string, RegExp][] = [
  ['', /empty/],
  ['   ', /empty/],
  ['system', /no scheme/],
  ['/run/libvirt/libvirt-sock', /no scheme/],
  ['qemu:/system', /expected '\/\/'/],
  ['qemu+ext:///system?command=/bin/sh', /'ext' transport .* not supported/],
  ['qemu+foo://h/system', /unknown transport 'foo'/],
  ['qemu+ssh+tls://h/system', /more than one '\+'/],
  ['qemu+tcp://h:0/system', /bad port '0'/],
  ['qemu+tcp://h:65536/system', /bad port '65536'/],
  ['qemu+tcp://h:abc/system', /bad port 'abc'/],
  ['qemu+tcp://h:/system', /bad port ''/],
  ['qemu+ssh://user:secret@h/system', /passwords in URIs are not supported/],
  ['qemu+ssh://[::1/system', /unterminated IPv6/],
  ['qemu+ssh://[nothex]/system', /not an IPv6 address/],
  ['qemu+unix://host/system', /unix transport cannot have a host/],
  ['qemu+ssh://h%2Fx/system', /not a valid host name/],
  ['qemu+ssh://h/system?no_verify=yes', /'no_verify' must be a number/],
  ['qemu+ssh://h/system?mode=fast', /'mode' must be one of auto, legacy, direct/],
  ['qemu+ssh://h/system?proxy=socat', /'proxy' must be one of/],
  ['qemu+ssh://h/system?known_hosts_verify=maybe', /'known_hosts_verify' must be one of/],
  ['qemu+ssh://h/system?sshauth=agent,telepathy', /unknown sshauth method 'telepathy'/],
  ['qemu+ssh://h/system?keyfile=', /'keyfile' is empty/],
  ['qemu+ssh://h/sys%ZZtem', /bad percent-encoding in the path/],
  ['qemu+ssh://h/system?a=%', /bad percent-encoding/],
  ['qemu+ssh://h/sys tem', /whitespace/],
  ['qemu+ssh://@h/system', /empty user name/],
  ['qemu+ssh://:22/system', /needs a host/],
  ['1qemu:///system', /no scheme/],
];

describe('libvirt URI parser (unit)', () => {
  for (const c of valid) {
    it(`parses ${c.uri}`, () => {
      const u = parseUri(c.uri);
      const { uri: _uri, ...expected } = c;
      assert.deepEqual(
        { driver: u.driver, transport: u.transport, user: u.user, host: u.host, port: u.port, path: u.path, remoteName: u.remoteName() },
        { user: undefined, host: undefined, port: undefined, ...expected },
      );
    });
  }

  for (const [uri, message] of invalid) {
    it(`refuses ${JSON.stringify(uri)}`, () => {
      assert.throws(() => parseUri(uri), (e: unknown) => UriError.is(e) && message.test(e.message) && e.uri === uri);
    });
  }

  it('types the client parameters and keeps unknown ones for reporting', () => {
    const u = parseUri(
      'qemu+ssh://h/system?keyfile=/k%20ey&no_verify=1&no_tty=0&known_hosts=/kh&known_hosts_verify=auto&mode=direct&proxy=netcat' +
        '&socket=/s&netcat=/bin/nc&sshauth=privkey,agent&pkipath=/pki&tls_priority=NORMAL&foo=bar',
    );
    assert.deepEqual(u.params, {
      name: undefined,
      socket: '/s',
      keyfile: '/k ey',
      noVerify: true,
      noTty: false,
      knownHosts: '/kh',
      knownHostsVerify: 'auto',
      pkipath: '/pki',
      mode: 'direct',
      proxy: 'netcat',
      netcat: '/bin/nc',
      command: undefined,
      sshauth: ['privkey', 'agent'],
      tlsPriority: 'NORMAL',
    });
    assert.deepEqual(u.unknownParams, ['foo']);
  });

  it('derives the daemon URI that virt-ssh-helper expects', () => {
    assert.equal(parseUri('qemu+ssh://h/system?name=qemu:///session').daemonUri(), 'qemu:///system');
    assert.equal(parseUri('qemu+ssh://h/session').daemonUri(), 'qemu:///session');
    assert.equal(parseUri('test+ssh://h/default').daemonUri(), 'test:///system');
  });
});
