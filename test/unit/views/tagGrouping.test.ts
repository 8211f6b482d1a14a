import * as assert from 'node:assert/strict';
import { changeFromPick, tagChoices } from '../../../src/commands/tags/tagPick';
import { filterWithTags, parseFilter } from '../../../src/views/filter';
import { colorIdProblem, parseGrouping, parseTagColors } from '../../../src/views/grouping';

describe('tag pick, filter terms and grouping settings (unit)', () => {
  it('offers every known tag: checked on all selected, partial said so and unchecked', () => {
    const items = tagChoices(
      [
        { tag: 'web', count: 5 },
        { tag: 'DB', count: 1 },
      ],
      [['web', 'ops'], ['web']],
    );
    assert.deepEqual(
      items.map((i) => [i.label, i.picked, i.value.had]),
      [
        ['DB', false, 'none'],
        ['ops', false, 'some'],
        ['web', true, 'all'],
      ],
    );
    assert.equal(items[0]!.description, '1 VM in all');
    assert.match(String(items[1]!.description), /^on 1 of 2 selected VMs; check to add to all/);
  });

  it('reads a pick: checked adds to all, unchecking a tag all had removes it, an unchecked partial stays', () => {
    const items = tagChoices([], [['web', 'ops', 'x'], ['web', 'x']]);
    const byLabel = (l: string): (typeof items)[number] => items.find((i) => i.label === l)!;
    // web unchecked (was on all), x kept checked, ops (partial) left unchecked, a new tag added.
    const fresh = { label: 'new', picked: true, value: { tag: 'new', had: 'none' as const } };
    assert.deepEqual(changeFromPick(items, [byLabel('x'), fresh]), { add: ['new'], remove: ['web'] });
    // Checking the partial one adds it to all.
    assert.deepEqual(changeFromPick(items, [byLabel('x'), byLabel('web'), byLabel('ops')]), { add: ['ops'], remove: [] });
  });

  it('replaces only the tag: terms of the filter text', () => {
    assert.equal(filterWithTags('db state:running tag:old', ['web', 'Ops']), 'db state:running tag:web tag:Ops');
    assert.equal(filterWithTags('tag:a', []), '');
    assert.deepEqual(parseFilter(filterWithTags('x', ['web'])).tags, ['web']);
  });

  it('validates the grouping and tag colour settings, keeping the valid entries', () => {
    assert.equal(parseGrouping('allHostsByTag'), 'allHostsByTag');
    assert.equal(parseGrouping('nonsense'), 'connection');
    assert.equal(colorIdProblem('charts.red'), undefined);
    assert.equal(colorIdProblem('terminal.ansiBrightCyan'), undefined);
    assert.match(colorIdProblem('#ff0000') ?? '', /not a theme colour id/);
    const warnings: string[] = [];
    const colors = parseTagColors({ Web: 'charts.blue', bad: 'red; }', n: 3 }, (m) => warnings.push(m));
    assert.deepEqual([...colors], [['web', 'charts.blue']]);
    assert.equal(warnings.length, 2);
    assert.equal(parseTagColors([], (m) => warnings.push(m)).size, 0);
    assert.equal(warnings.length, 3);
  });
});
