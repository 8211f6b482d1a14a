import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { basicFtp, ssh2, yaml } from '../../src/libvirt/lazyModules';

const SRC = path.join(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('lazyModules: packages the tree does not need are loaded at first use', () => {
  it('no source file imports ssh2, yaml or basic-ftp at load time (only types; values through lazyModules.ts)', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      if (file.endsWith(path.join('libvirt', 'lazyModules.ts'))) continue;
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'(ssh2|yaml|basic-ftp)';/gms)) {
        if (!m[1]) offenders.push(`${path.relative(SRC, file)}: ${m[0].split('\n')[0]}`);
      }
      if (/require\('(ssh2|yaml|basic-ftp)'\)/.test(text)) offenders.push(`${path.relative(SRC, file)}: require`);
    }
    assert.deepEqual(offenders, []);
  });

  it('returns the real packages, loaded once', () => {
    assert.equal(typeof ssh2().Client, 'function');
    assert.equal(ssh2(), ssh2());
    assert.equal(yaml().stringify({ a: 1 }), 'a: 1\n');
    assert.equal(typeof basicFtp().Client, 'function');
    assert.equal(basicFtp(), basicFtp());
  });
});
