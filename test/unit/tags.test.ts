import * as assert from 'node:assert/strict';
import { applyTagChange, domainTags, metadataWithTags, normalizeTag, normalizeTags, setDomainTags, TagError, tagKey, tagProblem, tagsFromMetadata, MAX_TAG_LENGTH } from '../../src/libvirt/tags';
import { APP_METADATA_NS, DomainXml } from '../../src/libvirt/xml/domainXml';
import { summarizeDomainXml } from '../../src/libvirt/xml/summary';
import { fixture } from './xml/helpers';

const NS = APP_METADATA_NS;

describe('VM tags (unit)', () => {
  it('trims and accepts punctuation, markup characters and unicode', () => {
    assert.equal(normalizeTag('  web '), 'web');
    assert.equal(normalizeTag('a&b<c>"\'$(x)%'), 'a&b<c>"\'$(x)%');
    assert.equal(normalizeTag('prod-ü-日本'), 'prod-ü-日本');
    // NFC: a decomposed "é" is stored composed.
    assert.equal(normalizeTag('cafe\u0301'), 'caf\u00e9');
  });

  it('refuses empty, too long, control characters, spaces and bidi overrides, saying why', () => {
    assert.match(tagProblem('   ') ?? '', /empty/);
    assert.match(tagProblem('x'.repeat(MAX_TAG_LENGTH + 1)) ?? '', /at most 64/);
    assert.equal(tagProblem('x'.repeat(MAX_TAG_LENGTH)), undefined);
    assert.match(tagProblem('a\tb') ?? '', /control characters/);
    assert.match(tagProblem('a\u0000b') ?? '', /control characters/);
    assert.match(tagProblem('web server') ?? '', /spaces.*tag:NAME/);
    assert.match(tagProblem('abc\u202edef') ?? '', /bidirectional/);
    assert.throws(() => normalizeTag('a\nb'), (e: unknown) => TagError.is(e) && /"a\nb": .*control/.test(e.message));
  });

  it('de-duplicates without case, keeping the first spelling', () => {
    assert.deepEqual(normalizeTags(['Web', 'db', 'web', ' DB ']), ['Web', 'db']);
    assert.equal(tagKey('Web'), tagKey('wEB'));
    assert.deepEqual(applyTagChange(['Web', 'db', 'x'], { add: ['new', 'WEB'], remove: ['DB'] }), ['Web', 'x', 'new']);
  });

  it('reads the element virDomainGetMetadata returns, in both layouts', () => {
    assert.deepEqual(tagsFromMetadata(''), []);
    assert.deepEqual(tagsFromMetadata('<data>\n  <tags>\n    <tag>web</tag>\n    <tag>a&amp;b</tag>\n  </tags>\n</data>'), ['web', 'a&b']);
    // The older layout: tags directly under the element.
    assert.deepEqual(tagsFromMetadata('<data><tag>old</tag><note>n</note></data>'), ['old']);
  });

  it('writes tags into the metadata element and keeps every other child byte-identical', () => {
    const current = '<data>\n  <schedule id="s1">\n    <at>daily 02:00</at>\n  </schedule>\n  <tags>\n    <tag>old</tag>\n  </tags>\n  <note x="1">keep &amp; me</note>\n</data>';
    const next = metadataWithTags(current, ['web', 'a<b']);
    assert.ok(next);
    assert.deepEqual(tagsFromMetadata(next), ['web', 'a<b']);
    assert.ok(next.includes('<schedule id="s1">\n    <at>daily 02:00</at>\n  </schedule>'), next);
    assert.ok(next.includes('<note x="1">keep &amp; me</note>'), next);
    assert.ok(next.includes('<tag>a&lt;b</tag>'), next);
    // Removing every tag keeps the other children; with nothing else left the element goes.
    const without = metadataWithTags(next, []);
    assert.equal(without, '<data>\n  <schedule id="s1">\n    <at>daily 02:00</at>\n  </schedule>\n  <note x="1">keep &amp; me</note>\n</data>');
    assert.equal(metadataWithTags('<data><tags><tag>x</tag></tags></data>', []), undefined);
    assert.equal(metadataWithTags(undefined, []), undefined);
    assert.deepEqual(tagsFromMetadata(metadataWithTags(undefined, ['first'])), ['first']);
  });

  it('migrates the older layout on write: loose tags become one list', () => {
    const next = metadataWithTags('<data><tag>a</tag><group><tag>b</tag></group></data>', ['a', 'c']);
    assert.ok(next);
    assert.deepEqual(tagsFromMetadata(next), ['a', 'c']);
    assert.equal((next.match(/<tag>/g) ?? []).length, 2, next);
    assert.ok(next.includes('<group></group>') || next.includes('<group/>') || next.includes('<group>'), next);
  });

  it('round-trips through a full domain XML: only the tag lines change, the rest stays byte-identical', () => {
    const xml = fixture('minimal').replace(
      '</on_crash>\n',
      `</on_crash>\n  <metadata>\n    <other:x xmlns:other="urn:other">o</other:x>\n    <vmm:data xmlns:vmm="${NS}">\n      <vmm:note>n</vmm:note>\n    </vmm:data>\n  </metadata>\n`,
    );
    const dom = DomainXml.parse(xml);
    assert.deepEqual(domainTags(dom), []);
    setDomainTags(dom, ['web', 'db']);
    const text = dom.toString();
    assert.deepEqual(summarizeDomainXml(text).tags, ['web', 'db']);
    assert.ok(text.includes(`<vmm:data xmlns:vmm="${NS}">\n      <vmm:note>n</vmm:note>\n      <vmm:tags>\n        <vmm:tag>web</vmm:tag>\n        <vmm:tag>db</vmm:tag>\n      </vmm:tags>\n    </vmm:data>`), text);
    setDomainTags(dom, []);
    assert.equal(dom.toString(), xml);
  });

  it('adds and removes the whole element on a domain without metadata', () => {
    const xml = fixture('minimal');
    const dom = DomainXml.parse(xml);
    setDomainTags(dom, ['x']);
    assert.deepEqual(domainTags(DomainXml.parse(dom.toString())), ['x']);
    setDomainTags(dom, []);
    assert.equal(dom.toString(), xml);
  });
});
