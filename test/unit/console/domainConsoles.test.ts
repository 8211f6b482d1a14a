import * as assert from 'node:assert/strict';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { describeCharDevice, parseDomainConsoles, withVncDisplay } from '../../../src/console/domainConsoles';
import { DomainXmlError } from '../../../src/libvirt/xml/summary';

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
    assert.deepEqual(c.otherGraphics, []);
    // Both displays, in document order; the SPICE one has no port while inactive.
    assert.deepEqual(c.displays.map((g) => g.type), ['vnc', 'spice']);
    assert.equal(c.spice[0]!.listen, undefined);
  });

  it('reads a SPICE display: port, TLS port, password and the number of heads', () => {
    const c = parseDomainConsoles(`<domain><devices>
      <graphics type='spice' port='5902' tlsPort='5903' autoport='yes' listen='0.0.0.0' passwd='pw'><listen type='address' address='0.0.0.0'/></graphics>
      <graphics type='sdl'/>
      <video><model type='qxl' heads='2'/></video>
    </devices></domain>`);
    assert.deepEqual(c.spice, [
      {
        type: 'spice',
        listen: { kind: 'address', address: '0.0.0.0', port: 5902 },
        tlsPort: 5903,
        tlsListen: { kind: 'address', address: '0.0.0.0', port: 5903 },
        spiceTls: true,
        password: 'pw',
        heads: 2,
      },
    ]);
    assert.deepEqual(c.displays, c.spice);
    assert.deepEqual(c.otherGraphics, [{ type: 'sdl' }]);
    const tlsOnly = parseDomainConsoles(`<domain><devices><graphics type='spice' tlsPort='5904' defaultMode='secure'/></devices></domain>`);
    assert.equal(tlsOnly.spice[0]!.listen, undefined);
    assert.equal(tlsOnly.spice[0]!.tlsPort, 5904);
    assert.equal(tlsOnly.spice[0]!.heads, 1);
    assert.equal(tlsOnly.spice[0]!.spiceTls, true);
    assert.deepEqual(tlsOnly.spice[0]!.tlsListen, { kind: 'address', address: '127.0.0.1', port: 5904 });
  });

  it('counts the monitors of every video device (heads of each; a "none" model has none)', () => {
    const heads = (video: string): number => parseDomainConsoles(`<domain><devices><graphics type='spice' port='5902'/>${video}</devices></domain>`).spice[0]!.heads;
    assert.equal(heads(''), 1);
    assert.equal(heads(`<video><model type='qxl' heads='1' primary='yes'/></video><video><model type='qxl' heads='1'/></video>`), 2);
    assert.equal(heads(`<video><model type='virtio' heads='2'/></video><video><model type='qxl'/></video>`), 3);
    assert.equal(heads(`<video><model type='none'/></video>`), 1);
  });

  it('picks the SPICE TLS port unless the channels are insecure-only and a plain port exists', () => {
    const spice = (inner: string, attrs = ''): boolean =>
      parseDomainConsoles(`<domain><devices><graphics type='spice' port='5902' tlsPort='5903' listen='127.0.0.1' ${attrs}>${inner}</graphics></devices></domain>`).spice[0]!.spiceTls;
    assert.equal(spice(''), true);
    assert.equal(spice("<channel name='main' mode='insecure'/><channel name='inputs' mode='insecure'/>"), false);
    assert.equal(spice("<channel name='main' mode='secure'/><channel name='display' mode='insecure'/>"), true);
    assert.equal(spice("<channel name='main' mode='insecure'/>", "defaultMode='secure'"), true);
    const plainOnly = parseDomainConsoles(`<domain><devices><graphics type='spice' port='5902' listen='127.0.0.1'/></devices></domain>`).spice[0]!;
    assert.equal(plainOnly.spiceTls, false);
    assert.equal(plainOnly.tlsListen, undefined);
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

  it('a SPICE-only domain has a display but no VNC display', () => {
    const c = parseDomainConsoles(`<domain><devices><graphics type='spice' port='5930'/></devices></domain>`);
    assert.equal(c.vnc.length, 0);
    assert.equal(c.displays[0]!.type, 'spice');
    assert.deepEqual(c.displays[0]!.listen, { kind: 'address', address: '127.0.0.1', port: 5930 });
    assert.deepEqual(c.otherGraphics, []);
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
    <graphics type='sdl'/>
  </devices>
</domain>
`;

  it('adds one loopback VNC display inside <devices>, keeping the rest', () => {
    const out = withVncDisplay(INACTIVE);
    const c = parseDomainConsoles(out);
    assert.equal(c.vnc.length, 1);
    assert.deepEqual(c.otherGraphics.map((g) => g.type), ['sdl']);
    assert.ok(out.startsWith(INACTIVE.slice(0, INACTIVE.indexOf('</devices>'))));
    const [vnc] = DomainXml.parse(out).devicesOf('graphics').filter((g) => g.get('type') === 'vnc');
    assert.ok(vnc, 'a VNC display');
    assert.equal(vnc.get('autoport'), true);
    assert.equal(vnc.get('listenType'), 'address');
    assert.equal(vnc.get('listenAddress'), '127.0.0.1', 'listens on the loopback only');
    assert.match(out, /\n {2}<\/devices>\n<\/domain>/);
  });

  it('leaves XML that already has VNC or SPICE alone and rejects XML without <devices>', () => {
    const once = withVncDisplay(INACTIVE);
    assert.equal(withVncDisplay(once), once);
    const spice = INACTIVE.replace("type='sdl'", "type='spice'");
    assert.equal(withVncDisplay(spice), spice);
    assert.throws(() => withVncDisplay('<domain><name>x</name></domain>'), DomainXmlError);
  });
});
