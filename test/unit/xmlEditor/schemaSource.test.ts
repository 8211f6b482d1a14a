import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { SchemaSourceError } from '../../../src/libvirt/xml/schemaSource';
import { localReader, SchemaCache, sshExec } from '../../../src/xmlEditor/schema/schemaSource';

describe('schema sources (unit)', () => {
  it('never passes anything but plain words to a remote shell', async () => {
    const exec = sshExec('qemu+ssh://user@host.invalid/system');
    const limits = { maxBytes: 1024, timeoutMs: 1000 };
    for (const argv of [['cat', '/x; rm -rf /'], ['cat', '$(id)'], ['cat', 'a b']]) {
      await assert.rejects(exec(argv, limits), SchemaSourceError, argv.join(' '));
    }
    const remote = new SchemaCache().sourceFor('qemu+ssh://user@host.invalid/system').source;
    await assert.rejects(remote.readFile('../etc/passwd'), SchemaSourceError);
    await assert.rejects(localReader()('domain.rng; id'), SchemaSourceError);
  });

  it('caches a grammar per source, version and entry', async () => {
    {
      const cache = new SchemaCache();
      await assert.rejects(cache.grammar(undefined, 1, 'no-such-schema.rng').then(() => undefined), /Cannot read schema no-such-schema\.rng/);
      assert.ok(fs.existsSync('/usr/share/libvirt/schemas/network.rng'), 'libvirt schemas are installed');
      const a = await cache.grammar(undefined, 1, 'network.rng');
      const b = await cache.grammar(undefined, 1, 'network.rng');
      assert.equal(a, b);
      assert.equal(a.origin.where, 'local');
      assert.notEqual(await cache.grammar('qemu:///system', 1, 'network.rng'), a, 'another source');
      assert.equal((await cache.grammar('qemu:///system', 1, 'network.rng')).origin.where, 'host');
    }
  });
});
