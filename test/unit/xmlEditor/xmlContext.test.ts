import * as assert from 'node:assert/strict';
import { cursorContext, wordAt } from '../../../src/xmlEditor/schema/xmlContext';

/** The context at the `|` marker. */
function at(marked: string): ReturnType<typeof cursorContext> {
  const offset = marked.indexOf('|');
  return cursorContext(marked.replace('|', ''), offset);
}

describe('XML cursor context (unit)', () => {
  it('element content with the open-element path', () => {
    assert.deepEqual(at('<domain><devices>|</devices></domain>'), { kind: 'content', path: ['domain', 'devices'] });
    assert.deepEqual(at('<domain><devices><disk/><!-- <x> -->|'), { kind: 'content', path: ['domain', 'devices'] });
    assert.deepEqual(at('<domain><os><type>hvm</type></os>|'), { kind: 'content', path: ['domain'] });
  });

  it('an element name being typed, in unfinished text', () => {
    assert.deepEqual(at('<domain>\n  <devices>\n    <tp|\n'), { kind: 'elementName', path: ['domain', 'devices'], partial: 'tp', start: 26, closing: false });
    const closing = at('<domain><devices></|');
    assert.equal(closing.kind, 'elementName');
    assert.ok(closing.kind === 'elementName' && closing.closing);
  });

  it('attribute names and values', () => {
    assert.deepEqual(at(`<domain><devices><video><model type='vga' h|`), { kind: 'attributeName', path: ['domain', 'devices', 'video', 'model'], partial: 'h', start: 42, present: ['type'] });
    assert.deepEqual(at(`<domain type="kv|"`), { kind: 'attributeValue', path: ['domain'], attribute: 'type', partial: 'kv', start: 14 });
    assert.deepEqual(at(`<a x='>' |`), { kind: 'attributeName', path: ['a'], partial: '', start: 9, present: ['x'] });
  });

  it('comments and CDATA are "other"', () => {
    assert.equal(at('<a><!-- <b |').kind, 'other');
    assert.equal(at('<a><![CDATA[ <b |').kind, 'other');
  });

  it('finds the word under the cursor', () => {
    assert.deepEqual(wordAt('<on_poweroff>', 5), { word: 'on_poweroff', start: 1, end: 12 });
    assert.equal(wordAt('<a> </a>', 3), undefined);
  });
});
