// Completion snippets from an inline RelaxNG grammar (pure logic): what is required, expected or
// optional, choices from the host first, and escaping of snippet syntax in names and values.
import * as assert from 'node:assert/strict';
import { attributeSnippet, elementSnippet, escapeSnippetText, preferredQuote, type SnippetSource } from '../../../src/xmlEditor/elementSnippet';
import { RngGrammar } from '../../../src/libvirt/xml/rngGrammar';

const GRAMMAR = `<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><element name="root"><zeroOrMore><ref name="dev"/></zeroOrMore></element></start>
  <define name="dev">
    <element name="dev">
      <choice>
        <group>
          <optional><attribute name="kind"><value>plain</value></attribute></optional>
          <optional><ref name="src"/></optional>
        </group>
        <group>
          <attribute name="kind"><choice><value>a,b</value><value>x|y</value><value>$v}\\</value></choice></attribute>
          <ref name="src"/>
        </group>
      </choice>
      <choice>
        <attribute name="left"/>
        <attribute name="right"/>
      </choice>
      <optional><attribute name="extra"><choice><value>p</value><value>q</value></choice></attribute></optional>
      <element name="target"><attribute name="dev"/><optional><attribute name="bus"/></optional></element>
      <optional><element name="note"><text/></element></optional>
      <ref name="chain"/>
      <choice><notAllowed/><element name="must"><empty/></element></choice>
    </element>
  </define>
  <define name="src"><element name="src"><optional><attribute name="file"/></optional></element></define>
  <define name="chain">
    <choice>
      <element name="chain"><ref name="chain"/></element>
      <optional><element name="chain"><empty/></element></optional>
    </choice>
  </define>
</grammar>`;

describe('completion snippets (unit)', () => {
  let src: SnippetSource;
  before(async () => {
    const grammar = await RngGrammar.load('g.rng', async () => GRAMMAR);
    src = { grammar, enums: new Map(), quote: "'" };
  });

  it('derives required and expected parts from optional, choice and notAllowed', () => {
    const g = src.grammar;
    const req = g.requirements(g.defsForPath(['root', 'dev'])!);
    // kind: optional in one branch, required in the other; src likewise; left/right: neither in
    // every branch; extra and note: optional; chain: nests itself; must: the only possible branch.
    assert.deepEqual(req, { attributes: ['kind'], children: ['src', 'target', 'must'] });
  });

  it('writes the snippet with tab stops, escaped choices and self-closing empty elements', () => {
    const s = elementSnippet(src, ['root'], 'dev', false);
    assert.equal(s, "<dev kind='${1|plain,a\\,b,x\\|y,\\$v\\}\\\\|}'>\n\t<src ${2}/>\n\t<target dev='${3}'/>\n\t<must/>\n</dev>$0");
    assert.equal(elementSnippet(src, ['root'], 'dev', true)?.startsWith('dev kind='), true);
    assert.equal(elementSnippet(src, ['root'], 'nope', false), undefined);
  });

  it("offers the host's values first and only", () => {
    const withHost = { ...src, enums: new Map([['dev@kind', ['plain']]]) };
    assert.equal(attributeSnippet(withHost, ['root', 'dev'], 'kind', undefined), "kind='${1|plain|}'");
    assert.equal(attributeSnippet({ ...src, quote: '"' }, ['root', 'dev'], 'left', { values: new Set(), free: true, data: [], anyText: true }), 'left="${1}"');
  });

  it('escapes snippet syntax in literal text and follows the document quote', () => {
    assert.equal(escapeSnippetText('a$b}c\\d'), 'a\\$b\\}c\\\\d');
    assert.equal(preferredQuote(`<a x='1' y='2' z="3"/>`), "'");
    assert.equal(preferredQuote(`<a x="1" y="2"/>`), '"');
  });
});
