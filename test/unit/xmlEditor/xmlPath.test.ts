import * as assert from 'node:assert/strict';
import { BadXmlPathError, escapeSegment, formatXmlPath, hostSegment, parseXmlPath, unescapeSegment, type XmlLocation } from '../../../src/xmlEditor/xmlPath';

describe('XML editor paths (unit)', () => {
  const cases: XmlLocation[] = [
    { connectionId: 'c1', object: { kind: 'domain', name: 'plain' } },
    { connectionId: 'c1', object: { kind: 'domain', name: `it's a "vm" with spaces` } },
    { connectionId: 'c1', object: { kind: 'network', name: 'réseau-ñ-网络-🙂' } },
    { connectionId: 'c1', object: { kind: 'pool', name: 'a/b%2Fc%25d' } },
    { connectionId: '3f0e-uuid', object: { kind: 'volume', name: 'disk.qcow2', parent: 'my pool/x' } },
    { connectionId: 'c1', object: { kind: 'snapshot', name: 'before upgrade', parent: 'vm #1?' } },
    { connectionId: 'c1', object: { kind: 'domain', name: 'ends.xml' } },
  ];

  for (const loc of cases) {
    it(`round-trips ${loc.object.kind} ${JSON.stringify(loc.object.name)}`, () => {
      const path = formatXmlPath(loc.connectionId, loc.object);
      assert.ok(path.endsWith('.xml'));
      assert.deepEqual(parseXmlPath(path), { host: loc.connectionId, object: loc.object });
      const labelled = formatXmlPath(loc.connectionId, loc.object, 'live, read-only');
      assert.ok(labelled.endsWith('.xml (live, read-only)'));
      assert.deepEqual(parseXmlPath(labelled), { host: loc.connectionId, object: loc.object });
    });
  }

  it('keeps a name that looks like a view label', () => {
    const object = { kind: 'domain', name: 'vm.xml (live, read-only)' } as const;
    assert.deepEqual(parseXmlPath(formatXmlPath('h', object)).object, object);
    assert.deepEqual(parseXmlPath(formatXmlPath('h', object, 'live, read-only')).object, object);
  });

  it('shows a connection name as one readable segment', () => {
    assert.equal(hostSegment('QEMU/KVM (local)'), 'QEMU\u2215KVM (local)');
    assert.equal(formatXmlPath(hostSegment('QEMU/KVM'), { kind: 'domain', name: 'vm1' }), '/QEMU\u2215KVM/domain/vm1.xml');
    assert.equal(hostSegment(hostSegment('a/b')), hostSegment('a/b'));
    for (const odd of ['', ' ', '.', '..']) assert.equal(hostSegment(odd), 'connection');
  });

  it('keeps names readable: only % and / are escaped', () => {
    assert.equal(formatXmlPath('c', { kind: 'domain', name: 'my vm é' }), '/c/domain/my vm é.xml');
    assert.equal(escapeSegment('a/b%c'), 'a%2Fb%25c');
    assert.equal(unescapeSegment('a%2Fb%25c%252F'), 'a/b%c%2F');
  });

  it('rejects malformed paths with a typed error', () => {
    for (const bad of ['c/domain/x.xml', '/c/bogus/x.xml', '/c/domain/x.txt', '/c/domain/.xml', '/c/volume/x.xml', '/c/domain/a/b.xml', '/']) {
      assert.throws(() => parseXmlPath(bad), BadXmlPathError, bad);
    }
  });

  it('refuses a volume without its pool', () => {
    assert.throws(() => formatXmlPath('c', { kind: 'volume', name: 'v' }), BadXmlPathError);
  });
});
