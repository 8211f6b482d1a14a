// What the console says protects a display's bytes (the status line and the status bar's lock):
// the display's own TLS first, then the SSH route, then "on this machine" for a unix socket or a
// loopback address, and "not encrypted" only for a network address reached in clear text.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseDomainConsoles } from '../../../src/console/domainConsoles';
import { displayEncryption } from '../../../src/console/graphicalSession';
import type { SshForwarder, VncRoute } from '../../../src/console/vncEndpoint';
import type { PreparedDisplayStream } from '../../../src/console/vncSecurity';

const display = (graphics: string) =>
  parseDomainConsoles(`<domain type='qemu' id='1'><name>t</name><devices>${graphics}</devices></domain>`).displays[0]!;

const VNC = display("<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>");
const SPICE_TLS = display("<graphics type='spice' port='5902' tlsPort='5903' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>");
const SPICE_PLAIN = display("<graphics type='spice' port='5902' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>");

const prepared = (encrypted: boolean): PreparedDisplayStream => ({ socket: new PassThrough(), greeting: new Uint8Array(12), skipClientBytes: 12, encrypted });
const ssh: VncRoute = { kind: 'ssh', ssh: {} as SshForwarder };
const remote: VncRoute = { kind: 'remote', host: 'vmhost.example' };

describe('display encryption (unit)', () => {
  it('VNC: VeNCrypt TLS is "tls" on any route', () => {
    for (const route of [remote, ssh, { kind: 'local' } as const]) assert.equal(displayEncryption(VNC, route, prepared(true)), 'tls');
  });

  it('VNC without VeNCrypt: the route decides', () => {
    assert.equal(displayEncryption(VNC, remote, new PassThrough()), 'none');
    assert.equal(displayEncryption(VNC, remote, prepared(false)), 'none');
    assert.equal(displayEncryption(VNC, ssh, new PassThrough()), 'ssh');
    assert.equal(displayEncryption(VNC, { kind: 'local' }, new PassThrough()), 'local');
    assert.equal(displayEncryption(VNC, { kind: 'remote', host: '127.0.0.1' }, new PassThrough()), 'local', 'a loopback TCP host never leaves the machine');
  });

  it('SPICE: a TLS port is "tls"; a plain one follows the route', () => {
    assert.equal(SPICE_TLS.spiceTls, true);
    assert.equal(displayEncryption(SPICE_TLS, remote, new PassThrough()), 'tls');
    assert.equal(displayEncryption(SPICE_PLAIN, remote, new PassThrough()), 'none');
    assert.equal(displayEncryption(SPICE_PLAIN, ssh, new PassThrough()), 'ssh');
  });
});
