import * as assert from 'node:assert/strict';
import { expandHome, parseSshConfig } from '../../../src/connections/sshConfig';

describe('sshConfig (unit)', () => {
  it('reads concrete hosts with HostName, User, Port and IdentityFile', () => {
    const hosts = parseSshConfig(
      [
        '# comment',
        'Host kvm1 kvm1.lan',
        '  HostName 10.0.0.5',
        '  User root',
        '  Port 2222',
        '  IdentityFile ~/.ssh/id_kvm',
        '',
        'Host *',
        '  User nobody',
        '  ServerAliveInterval 30',
      ].join('\n'),
    );
    assert.deepEqual(hosts, [
      { alias: 'kvm1', hostName: '10.0.0.5', user: 'root', port: 2222, identityFile: '~/.ssh/id_kvm' },
      { alias: 'kvm1.lan', hostName: '10.0.0.5', user: 'root', port: 2222, identityFile: '~/.ssh/id_kvm' },
    ]);
  });

  it('skips wildcard and negated patterns but keeps concrete aliases on the same line', () => {
    const hosts = parseSshConfig('Host web-* !bastion db?\n  User x\nHost real *.example.com\n  User y\n');
    assert.deepEqual(hosts, [{ alias: 'real', user: 'y' }]);
  });

  it('accepts Key=Value, quoted values, CRLF and case-insensitive keywords', () => {
    const hosts = parseSshConfig('Host box\r\n  hostname=box.example.com\r\n  IDENTITYFILE "/keys/my key"\r\n  port = 22\r\n');
    assert.deepEqual(hosts, [{ alias: 'box', hostName: 'box.example.com', identityFile: '/keys/my key', port: 22 }]);
  });

  it('keeps the first value of an option, as ssh does, and ignores Match blocks', () => {
    const hosts = parseSshConfig('Host a\n User first\n User second\nMatch host a\n User fromMatch\n Port 1\n');
    assert.deepEqual(hosts, [{ alias: 'a', user: 'first' }]);
  });

  it('drops an invalid port', () => {
    assert.deepEqual(parseSshConfig('Host a\n Port 99999\n'), [{ alias: 'a' }]);
    assert.deepEqual(parseSshConfig('Host a\n Port abc\n'), [{ alias: 'a' }]);
  });

  it('returns nothing for an empty file', () => {
    assert.deepEqual(parseSshConfig(''), []);
  });

  it('expands ~/ in paths', () => {
    assert.equal(expandHome('~/.ssh/id', '/home/u'), '/home/u/.ssh/id');
    assert.equal(expandHome('/abs', '/home/u'), '/abs');
  });
});
