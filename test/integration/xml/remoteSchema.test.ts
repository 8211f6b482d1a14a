import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { DomainSchemaValidator, schemaSetHash } from '../../../src/libvirt/xml/schemaValidator';
import { ExecSchemaSource, LocalSchemaSource } from '../../../src/libvirt/xml/schemaSource';
import { validateDomainXml } from '../../../src/libvirt/xml/validation';
import { fixture } from '../../unit/xml/helpers';

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with the environment of scripts/testenv.sh (eval "$(scripts/testenv.sh env)")`);
  return v;
}

/** Runs a fixed argument vector on the test host over ssh (no shell on our side). */
function sshExec(argv: readonly string[]): Promise<Buffer> {
  const args = [
    '-p', requireEnv('LIBVIRT_TEST_SSH_PORT'),
    '-i', requireEnv('LIBVIRT_TEST_SSH_KEY'),
    '-o', `UserKnownHostsFile=${requireEnv('LIBVIRT_TEST_SSH_KNOWN_HOSTS')}`,
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    `${process.env.LIBVIRT_TEST_SSH_USER ?? 'root'}@${requireEnv('LIBVIRT_TEST_SSH_HOST')}`,
    '--',
    ...argv,
  ];
  return new Promise((resolve, reject) => {
    execFile('ssh', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ssh failed: ${err.message} ${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

describe('libvirt schemas fetched over SSH (integration)', function () {
  this.timeout(120000);

  it('fetches the host schemas with the fixed tar command and validates with them', async () => {
    const remote = new ExecSchemaSource(sshExec);
    const files = await remote.listFiles();
    assert.ok(files.includes('domain.rng') && files.includes('domaincommon.rng'), files.join(','));
    // same host, same libvirt: the same schema set as the local directory, so the same compiled validator
    const [r, l] = await Promise.all([schemaSetHash(remote), schemaSetHash(new LocalSchemaSource())]);
    assert.equal(r.hash, l.hash);
    const schema = await DomainSchemaValidator.forSource(remote);
    assert.equal(schema, await DomainSchemaValidator.forSource(new LocalSchemaSource()));
    assert.deepEqual(validateDomainXml(fixture('minimal'), { schema }), []);
    const bad = fixture('minimal').replace("device='disk'", "device='bogus'");
    assert.equal(validateDomainXml(bad, { schema })[0]?.code, 'schema');
  });
});
