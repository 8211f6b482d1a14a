// The OS list from libosinfo's database, read from the real /usr/share/osinfo (Debian's osinfo-db,
// installed by scripts/testenv.sh install) and through a real `tar` standing in for the SSH channel.

import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecFn } from '../../src/libvirt/xml/schemaSource';
import { OSINFO_DIR, OSINFO_REMOTE_COMMAND, OsinfoCatalog, osinfoOptions, parseOsinfoXml, readLocalOsinfo, readLocalOsinfoFiles, readRemoteOsinfo } from '../../src/libvirt/osinfo';

/** Runs the argument vector here (no shell), as the SSH channel runs it on a host. */
const localExec: ExecFn = (argv, limits) =>
  new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'buffer', maxBuffer: limits.maxBytes, timeout: limits.timeoutMs }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

describe('libosinfo OS list (unit, real osinfo-db)', () => {
  before(() => {
    assert.ok(fs.existsSync(path.join(OSINFO_DIR, 'os')), `${OSINFO_DIR}/os is missing: install osinfo-db (scripts/testenv.sh install)`);
  });

  it('reads an OS file\'s own facts, not its translations or its variants\' names', () => {
    const [debian] = parseOsinfoXml(fs.readFileSync(path.join(OSINFO_DIR, 'os/debian.org/debian-11.xml'), 'utf8'));
    assert.deepEqual(debian, { id: 'http://debian.org/debian/11', shortId: 'debian11', name: 'Debian 11', version: '11', vendor: 'Debian Project', releaseDate: '2021-08-14', eolDate: undefined });
    const [win] = parseOsinfoXml(fs.readFileSync(path.join(OSINFO_DIR, 'os/microsoft.com/win-10.xml'), 'utf8'));
    assert.equal(win?.name, 'Microsoft Windows 10');
    assert.equal(win?.eolDate, '2029-01-09');
    assert.deepEqual(parseOsinfoXml('<libosinfo><os id="x:&amp;y"><name>A &lt;B&gt;</name></os></libosinfo>'), [{ id: 'x:&y', shortId: undefined, name: 'A <B>', version: undefined, vendor: undefined, releaseDate: undefined, eolDate: undefined }]);
  });

  it('reads the whole local database quickly, sorted by name with numbers in order', async () => {
    const t0 = performance.now();
    const all = await readLocalOsinfo();
    const ms = performance.now() - t0;
    assert.ok(all && all.length > 500, `only ${all?.length} OSes`);
    assert.ok(ms < 2000, `reading took ${Math.round(ms)} ms`);
    const debians = all.filter((e) => e.vendor === 'Debian Project' && /^\d+$/.test(e.version ?? '')).map((e) => e.name);
    assert.ok(debians.indexOf('Debian 9') < debians.indexOf('Debian 10') && debians.indexOf('Debian 10') < debians.indexOf('Debian 11'), debians.join(', '));
    assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'ids are unique');
    const opt = osinfoOptions(all).find((o) => o.value === 'http://debian.org/debian/11');
    assert.deepEqual(opt, { value: 'http://debian.org/debian/11', label: 'Debian 11 (debian11)', detail: 'http://debian.org/debian/11 · released 2021-08-14' });
    assert.equal(await readLocalOsinfo('/nonexistent-osinfo'), undefined);
  });

  it('reads a host\'s database through one bounded tar command, with the same result', async () => {
    const argvs: (readonly string[])[] = [];
    const remote = await readRemoteOsinfo((argv, limits) => {
      argvs.push(argv);
      return localExec(argv, limits);
    });
    assert.deepEqual(argvs, [OSINFO_REMOTE_COMMAND]);
    assert.deepEqual(remote, await readLocalOsinfo());
  });

  it('prefers this machine\'s list, asks the host only when this machine has none, and keeps the answer', async () => {
    let calls = 0;
    const counting: ExecFn = (argv, limits) => {
      calls++;
      return localExec(argv, limits);
    };
    const here = new OsinfoCatalog(() => readLocalOsinfoFiles(), counting);
    assert.ok((await here.entries())!.length > 500);
    assert.equal(calls, 0, 'no remote command when osinfo-db is installed here');

    const remoteOnly = new OsinfoCatalog(() => readLocalOsinfoFiles('/nonexistent-osinfo'), counting);
    const a = await remoteOnly.entries();
    const b = await remoteOnly.entries();
    assert.ok(a && a.some((e) => e.id === 'http://debian.org/debian/11'));
    assert.equal(a, b);
    assert.equal(calls, 1, 'the host is asked once');

    const errors: string[] = [];
    const broken = new OsinfoCatalog(
      () => Promise.resolve(undefined),
      (argv, limits) => localExec(['tar', '-C', '/nonexistent-osinfo', ...argv.slice(3)], limits),
      (m) => errors.push(m),
    );
    assert.equal(await broken.entries(), undefined);
    assert.equal(await broken.entries(), undefined);
    assert.equal(errors.length, 1, 'a host without osinfo-db is asked once, not on every panel load');
    assert.match(errors[0]!, /Reading the host's OS list \(osinfo-db\) failed/);
  });
});
