import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeCacheFile, loadBundle } from '../../src/boot';

describe('boot: the bundle compiled through the V8 code cache', () => {
  let dir: string;
  let bundle: string;
  let cacheDir: string;
  const source = (n: number): string =>
    `'use strict';\nconst path = require('node:path');\nexports.value = ${n};\nexports.here = path.basename(__filename);\nexports.sum = (a, b) => a + b;\n`;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boot-test-'));
    bundle = path.join(dir, 'bundle.js');
    cacheDir = path.join(dir, 'storage');
    fs.writeFileSync(bundle, source(1));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const exported = (b: ReturnType<typeof loadBundle>): Record<string, unknown> => b.main as unknown as Record<string, unknown>;
  const caches = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.bin')) : []);

  it('runs the module with its own require, __filename and exports, then uses the cache it wrote', () => {
    const first = loadBundle(bundle, cacheDir);
    assert.equal(first.cache, 'none');
    assert.equal(exported(first)['value'], 1);
    assert.equal(exported(first)['here'], 'bundle.js');
    assert.equal((exported(first)['sum'] as (a: number, b: number) => number)(2, 3), 5);
    first.writeCache();
    assert.equal(caches().length, 1);
    const second = loadBundle(bundle, cacheDir);
    assert.equal(second.cache, 'used');
    assert.equal(exported(second)['value'], 1);
  });

  it('never offers one build the cache of another (same length, other content): a new file, the old one removed on write', () => {
    loadBundle(bundle, cacheDir).writeCache();
    const old = caches();
    fs.writeFileSync(bundle, source(2)); // the same length as before
    const next = loadBundle(bundle, cacheDir);
    assert.equal(next.cache, 'none');
    assert.equal(exported(next)['value'], 2);
    next.writeCache();
    assert.equal(caches().length, 1);
    assert.notDeepEqual(caches(), old);
  });

  it('compiles normally when the cache file is damaged, and says it was rejected', () => {
    // Content this process has never compiled (V8 also keeps compiled scripts in memory).
    fs.writeFileSync(bundle, source(3));
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(codeCacheFile(cacheDir, fs.readFileSync(bundle, 'utf8')), Buffer.from('not a code cache'));
    const b = loadBundle(bundle, cacheDir);
    assert.equal(b.cache, 'rejected');
    assert.equal(exported(b)['value'], 3);
  });

  it('requires the bundle plainly without a storage directory', () => {
    const b = loadBundle(bundle, undefined);
    assert.equal(b.cache, 'unavailable');
    assert.equal(exported(b)['value'], 1);
  });
});
