import * as assert from 'node:assert/strict';
import { XmlDocument, XmlSyntaxError } from '../../../src/libvirt/xml/xmlDocument';
import { changedSpan, fixture, FIXTURES } from './helpers';

const HAND = `<?xml version="1.0"?>
<!-- leading comment -->
<domain type="qemu" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>a &amp; b</name>
  <metadata>
    <foo:bar xmlns:foo="urn:x"><foo:baz a='1'/></foo:bar>
  </metadata>
  <description><![CDATA[raw <text>]]></description>
  <devices>
    <!-- a disk -->
    <disk type = 'file' device="disk" >
      <target dev='vda' bus='virtio'/>
    </disk>
    <unknown-thing x="y"></unknown-thing>
  </devices>
</domain>
`;

describe('XmlDocument (unit)', () => {
  it('round-trips every fixture and a hand-written document byte-identical', () => {
    for (const name of FIXTURES) {
      const text = fixture(name);
      assert.equal(XmlDocument.parse(text).text, text, name);
    }
    assert.equal(XmlDocument.parse(HAND).text, HAND);
  });

  it('decodes entities and CDATA, keeps namespaces', () => {
    const d = XmlDocument.parse(HAND);
    assert.equal(d.textContent(d.root.child('name')!), 'a & b');
    assert.equal(d.textContent(d.root.child('description')!), 'raw <text>');
    const bar = d.root.find(['metadata'])!.elements()[0]!;
    assert.equal(bar.namespaceUri, 'urn:x');
    assert.equal(bar.localName, 'bar');
  });

  it('changes only the attribute value, keeping quotes and spacing', () => {
    const d = XmlDocument.parse(HAND);
    const disk = d.root.find(['devices', 'disk'])!;
    d.setAttribute(disk, 'device', 'cdrom');
    assert.deepEqual(changedSpan(HAND, d.text), { removed: 'disk', added: 'cdrom', at: HAND.indexOf('disk" >') });
    d.setAttribute(disk, 'type', "it's");
    assert.ok(d.text.includes("type = 'it&apos;s'"));
    assert.equal(XmlDocument.parse(d.text).text, d.text);
  });

  it('adds and removes attributes minimally', () => {
    const d = XmlDocument.parse(HAND);
    const target = d.root.find(['devices', 'disk', 'target'])!;
    d.setAttribute(target, 'removable', 'on');
    assert.deepEqual(changedSpan(HAND, d.text).added, ` removable='on'`);
    d.removeAttribute(target, 'removable');
    assert.equal(d.text, HAND);
  });

  it('sets text content, also on a self-closing element', () => {
    const d = XmlDocument.parse(HAND);
    d.setTextContent(d.root.child('name')!, 'x<y');
    assert.deepEqual(changedSpan(HAND, d.text), { removed: 'a &amp; b', added: 'x&lt;y', at: HAND.indexOf('a &amp;') });
    const baz = d.root.find(['metadata'])!.elements()[0]!.elements()[0]!;
    d.setTextContent(baz, 'v');
    assert.ok(d.text.includes(`<foo:baz a='1'>v</foo:baz>`));
    assert.equal(d.textContent(baz), 'v');
    // offsets stay exact after edits: edit an attribute after the changed region
    d.setAttribute(d.root.find(['devices', 'disk', 'target'])!, 'dev', 'vdb');
    assert.ok(d.text.includes(`<target dev='vdb' bus='virtio'/>`));
  });

  it('inserts a child with the siblings indentation and removes it again to the same bytes', () => {
    const d = XmlDocument.parse(HAND);
    const devices = d.root.child('devices')!;
    const [el] = d.insertElement(devices, `<input type='tablet' bus='usb'/>`);
    assert.equal(d.text, HAND.replace('</unknown-thing>\n', `</unknown-thing>\n    <input type='tablet' bus='usb'/>\n`));
    assert.equal(XmlDocument.parse(d.text).text, d.text);
    d.removeElement(el!);
    assert.equal(d.text, HAND);
  });

  it('inserts multi-line fragments before a sibling and into empty parents', () => {
    const d = XmlDocument.parse('<domain>\n  <devices/>\n  <os>\n  </os>\n</domain>\n');
    d.insertElement(d.root.child('devices')!, '<disk>\n  <target/>\n</disk>');
    assert.equal(d.text, '<domain>\n  <devices>\n    <disk>\n      <target/>\n    </disk>\n  </devices>\n  <os>\n  </os>\n</domain>\n');
    d.insertElement(d.root.child('os')!, '<boot/>');
    d.insertElement(d.root.child('os')!, '<type/>', { before: d.root.find(['os', 'boot'])! });
    assert.equal(d.text, '<domain>\n  <devices>\n    <disk>\n      <target/>\n    </disk>\n  </devices>\n  <os>\n    <type/>\n    <boot/>\n  </os>\n</domain>\n');
    // the tree matches a fresh parse of the edited text
    const fresh = XmlDocument.parse(d.text);
    assert.deepEqual(d.root.find(['os'])!.elements().map((e) => [e.start, e.end]), fresh.root.find(['os'])!.elements().map((e) => [e.start, e.end]));
  });

  it('reports malformed XML with line and column', () => {
    assert.throws(() => XmlDocument.parse('<a>\n  <b></c>\n</a>'), (e: unknown) => XmlSyntaxError.is(e) && e.line === 1 && e.col === 5);
    assert.throws(() => XmlDocument.parse('<a x="1" x="2"/>'), XmlSyntaxError);
    assert.throws(() => XmlDocument.parse('<a>'), XmlSyntaxError);
  });

  it('gives 0-based ranges of elements and attributes', () => {
    const d = XmlDocument.parse(HAND);
    const target = d.root.find(['devices', 'disk', 'target'])!;
    assert.deepEqual(d.startTagRange(target), { startLine: 11, startCol: 6, endLine: 11, endCol: 38 });
    assert.deepEqual(d.attributeRange(target, 'bus'), { startLine: 11, startCol: 24, endLine: 11, endCol: 36 });
    assert.equal(d.elementAt(d.offsetAt(11, 10)), target);
  });
});
