import * as assert from 'node:assert/strict';
import { escapeMarkdown, md } from '../../../src/views/markdown';

/** CommonMark's backslash escapes undone (what the reader sees), then VS Code's escaped icons. */
const shown = (s: string): string => s.replace(/\\([!-/:-@[-`{-~])/g, '$1').replace(/\\\$\(/g, '$(');

describe('Markdown escaping of host data (unit)', () => {
  const hostile = [
    'vm-*bold*_em_',
    '[click](command:libvirtVms.showLog)',
    '![img](https://example.invalid/x.png)',
    '<img src=x onerror=alert(1)>',
    '# heading',
    '- item',
    '1. item',
    '> quote',
    '`code`',
    '| a | b |',
    '$(alert) $(zap~spin)',
    'back\\slash\\',
    '~~strike~~',
    'https://example.invalid/www.example.com',
    'a&amp;b &#36;(alert)',
  ];

  it('escapes every ASCII punctuation character and keeps the text readable', () => {
    for (const h of hostile) {
      const e = escapeMarkdown(h);
      assert.equal(shown(e), h, `round trip of ${h}`);
      // Every punctuation character is preceded by a backslash (an odd run of them).
      for (let i = 0; i < h.length; i++) assert.ok(/[A-Za-z0-9 \u0080-\uffff$]/.test(h[i]!) || e.includes(`\\${h[i]}`), `${h[i]} of ${h}`);
    }
    assert.equal(escapeMarkdown('plain name 42'), 'plain name 42');
    assert.equal(escapeMarkdown('*x*'), '\\*x\\*');
  });

  it('escapes theme icons as VS Code does (\\\\$\\( survives Markdown as an escaped icon)', () => {
    assert.equal(escapeMarkdown('$(alert)'), '\\\\$\\(alert\\)');
    assert.ok(!escapeMarkdown('x $(zap) y').includes('$('));
    assert.equal(escapeMarkdown('costs $5'), 'costs $5');
  });

  it('keeps host text on one line', () => {
    assert.equal(escapeMarkdown('a\nb\r\n\r\nc\u2028d'), 'a b c d');
  });

  it('md`` escapes only the interpolated values', () => {
    assert.equal(md`**${'*vm*'}** (${3} disks)\n\n`, '**\\*vm\\*** (3 disks)\n\n');
    assert.equal(md`no values`, 'no values');
  });
});
