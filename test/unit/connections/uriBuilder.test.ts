import * as assert from 'node:assert/strict';
import { buildRemoteUri, defaultName, InvalidTargetError, parseTarget } from '../../../src/connections/uriBuilder';
import { parseConnectionsSetting } from '../../../src/connections/connectionConfig';

describe('uriBuilder (unit)', () => {
  it('parses user@host:port', () => {
    assert.deepEqual(parseTarget('root@kvm.example.com:2222'), { user: 'root', host: 'kvm.example.com', port: 2222 });
    assert.deepEqual(parseTarget(' kvm '), { host: 'kvm' });
    assert.deepEqual(parseTarget('[::1]:22'), { host: '[::1]', port: 22 });
  });

  it('rejects malformed targets with a typed error', () => {
    assert.ok(InvalidTargetError.is(parseTarget('root@')));
    assert.ok(InvalidTargetError.is(parseTarget('a b')));
    assert.ok(InvalidTargetError.is(parseTarget('host:70000')));
    assert.ok(InvalidTargetError.is(parseTarget('host;rm -rf /')));
  });

  it('builds ssh, tls and tcp URIs with encoded query parameters', () => {
    assert.equal(buildRemoteUri({ transport: 'ssh', target: { user: 'root', host: 'h', port: 2222 }, mode: 'system', params: { keyfile: '/k/id rsa' } }), 'qemu+ssh://root@h:2222/system?keyfile=%2Fk%2Fid%20rsa');
    assert.equal(buildRemoteUri({ transport: 'tls', target: { host: 'h' }, mode: 'session' }), 'qemu+tls://h/session');
    assert.equal(buildRemoteUri({ transport: 'tcp', target: { host: '10.0.0.1', port: 16509 }, mode: 'system' }), 'qemu+tcp://10.0.0.1:16509/system');
  });

  it('derives a display name', () => {
    assert.equal(defaultName('qemu:///system'), 'localhost (system)');
    assert.equal(defaultName('qemu+ssh://root@kvm1:22/session?keyfile=x'), 'kvm1 (session)');
  });

  it('keeps only well-formed saved connections', () => {
    const parsed = parseConnectionsSetting([
      { id: 'a', name: 'A', uri: 'qemu:///system', autoconnect: false },
      { id: 'a', uri: 'qemu:///session' },
      { id: 'b', uri: 'qemu:///session' },
      { uri: 'x' },
      'junk',
    ]);
    assert.deepEqual(parsed, [
      { id: 'a', name: 'A', uri: 'qemu:///system', autoconnect: false },
      { id: 'b', name: 'qemu:///session', uri: 'qemu:///session', autoconnect: true },
    ]);
    assert.deepEqual(parseConnectionsSetting(undefined), []);
  });
});
