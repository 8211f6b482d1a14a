import * as assert from 'node:assert/strict';
import { localSocketPath } from '../../../src/libvirt/transport/discovery';
import { locatePkiFiles } from '../../../src/libvirt/transport/pki';
import { parseUri } from '../../../src/libvirt/uri';

const env = (present: string[]) => ({ xdgRuntimeDir: '/run/user/1000', uid: 1000, exists: (p: string) => present.includes(p) });

describe('local socket discovery (unit)', () => {
  const table: [string, boolean, string[], string][] = [
    ['qemu:///system', false, ['/run/libvirt/libvirt-sock'], '/run/libvirt/libvirt-sock'],
    ['qemu:///system', true, ['/run/libvirt/libvirt-sock'], '/run/libvirt/libvirt-sock-ro'],
    ['qemu:///system', false, ['/run/libvirt/virtqemud-sock'], '/run/libvirt/virtqemud-sock'],
    ['qemu:///system', true, ['/run/libvirt/virtqemud-sock-ro'], '/run/libvirt/virtqemud-sock-ro'],
    ['qemu:///system?mode=legacy', false, ['/run/libvirt/virtqemud-sock'], '/run/libvirt/libvirt-sock'],
    ['qemu:///system?mode=direct', false, [], '/run/libvirt/virtqemud-sock'],
    ['lxc:///system', false, ['/run/libvirt/virtlxcd-sock'], '/run/libvirt/virtlxcd-sock'],
    ['test+unix:///default', false, [], '/run/libvirt/libvirt-sock'],
    ['qemu:///session', false, [], '/run/user/1000/libvirt/libvirt-sock'],
    ['qemu:///session', true, ['/run/user/1000/libvirt/virtqemud-sock'], '/run/user/1000/libvirt/virtqemud-sock'],
    ['qemu:///system?socket=/tmp/x.sock', true, [], '/tmp/x.sock'],
  ];
  for (const [uri, ro, present, expected] of table) {
    it(`${uri}${ro ? ' read-only' : ''} with [${present.join(', ')}] -> ${expected}`, () => {
      assert.equal(localSocketPath(parseUri(uri), ro, env(present)), expected);
    });
  }
});

describe('TLS PKI layout (unit)', () => {
  it('uses pkipath for all three files', () => {
    assert.deepEqual(locatePkiFiles('/p', { uid: 1000, home: '/h' }, () => false), {
      caCert: '/p/cacert.pem',
      clientCert: '/p/clientcert.pem',
      clientKey: '/p/clientkey.pem',
    });
    assert.equal(locatePkiFiles('/p', { uid: 1000, home: '/h' }, (f) => f === '/p/private/clientkey.pem').clientKey, '/p/private/clientkey.pem');
  });

  it('uses the system layout for root and the per-user one with fallbacks otherwise', () => {
    assert.deepEqual(locatePkiFiles(undefined, { uid: 0, home: '/root' }, () => true), {
      caCert: '/etc/pki/CA/cacert.pem',
      clientCert: '/etc/pki/libvirt/clientcert.pem',
      clientKey: '/etc/pki/libvirt/private/clientkey.pem',
    });
    assert.deepEqual(locatePkiFiles(undefined, { uid: 1000, home: '/h' }, (f) => f !== '/h/.pki/libvirt/cacert.pem'), {
      caCert: '/etc/pki/CA/cacert.pem',
      clientCert: '/h/.pki/libvirt/clientcert.pem',
      clientKey: '/h/.pki/libvirt/clientkey.pem',
    });
  });
});
