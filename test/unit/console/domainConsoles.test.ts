import * as assert from 'node:assert/strict';
import { DomainXmlError, describeCharDevice, parseDomainConsoles, withVncDisplay } from '../../../src/console/domainConsoles';

// Shapes as libvirt 9.0 writes them for a running domain (see formatdomain.rst).
const RUNNING = `<domain type='qemu' id='3'>
  <name>t</name>
  <devices>
    <serial type='pty'><source path='/dev/pts/0'/><target type='isa-serial' port='0'><model name='isa-serial'/></target><alias name='serial0'/></serial>
    <serial type='file'><source path='/tmp/x'/><target port='1'/><alias name='serial1'/></serial>
    <console type='pty' tty='/dev/pts/0'><source path='/dev/pts/0'/><target type='serial' port='0'/><alias name='serial0'/></console>
    <console type='pty'><target type='virtio' port='1'/><alias name='console1'/></console>
    <graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1' passwd='s3cret'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <graphics type='spice' autoport='yes'/>
  </devices>
</domain>`;

describe('console devices from domain XML (unit)', () => {
  it('finds the VNC address, port and password', () => {
    const c = parseDomainConsoles(RUNNING);
    assert.equal(c.vnc.length, 1);
    assert.deepEqual(c.vnc[0]!.listen, { kind: 'address', address: '127.0.0.1', port: 5901 });
    assert.equal(c.vnc[0]!.password, 's3cret');
    assert.deepEqual(c.otherGraphics.map((g) => g.type), ['spice']);
  });

  it('offers pty devices once per alias, skipping file-backed ones', () => {
    const c = parseDomainConsoles(RUNNING);
    assert.deepEqual(c.consoles.map((d) => d.alias), ['serial0', 'console1']);
    assert.equal(describeCharDevice(c.consoles[0]!), 'serial0 (isa-serial, port 0)');
    assert.equal(describeCharDevice(c.consoles[1]!), 'console1 (virtio, port 1)');
  });

  it('reads a unix-socket VNC listener and an inactive autoport display', () => {
    const sock = parseDomainConsoles(`<domain><devices><graphics type='vnc' socket='/run/x.sock'><listen type='socket' socket='/run/x.sock'/></graphics></devices></domain>`);
    assert.deepEqual(sock.vnc[0]!.listen, { kind: 'socket', path: '/run/x.sock' });
    const off = parseDomainConsoles(`<domain><devices><graphics type='vnc' port='-1' autoport='yes'/></devices></domain>`);
    assert.equal(off.vnc[0]!.listen, undefined);
    assert.equal(off.vnc[0]!.password, undefined);
  });

  it('a SPICE-only domain has no VNC display', () => {
    const c = parseDomainConsoles(`<domain><devices><graphics type='spice' port='5930'/></devices></domain>`);
    assert.equal(c.vnc.length, 0);
    assert.equal(c.otherGraphics[0]!.type, 'spice');
    assert.deepEqual(c.consoles, []);
  });

  it('rejects a document that is not a domain', () => {
    assert.throws(() => parseDomainConsoles('<network/>'), DomainXmlError);
  });
});

describe('adding a VNC display to domain XML (unit)', () => {
  const INACTIVE = `<domain type='qemu'>
  <name>t</name>
  <devices>
    <graphics type='spice' autoport='yes'/>
  </devices>
</domain>
`;

  it('adds one loopback VNC display inside <devices>, keeping the rest', () => {
    const out = withVncDisplay(INACTIVE);
    const c = parseDomainConsoles(out);
    assert.equal(c.vnc.length, 1);
    assert.deepEqual(c.otherGraphics.map((g) => g.type), ['spice']);
    assert.ok(out.startsWith(INACTIVE.slice(0, INACTIVE.indexOf('</devices>'))));
    assert.match(out, /listen='127\.0\.0\.1'/);
    assert.match(out, /\n {2}<\/devices>\n<\/domain>/);
  });

  it('leaves XML that already has VNC alone and rejects XML without <devices>', () => {
    const once = withVncDisplay(INACTIVE);
    assert.equal(withVncDisplay(once), once);
    assert.throws(() => withVncDisplay('<domain><name>x</name></domain>'), DomainXmlError);
  });
});
