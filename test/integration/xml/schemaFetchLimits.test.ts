// Fetching a host's schemas over a real SSH session (the test sshd of scripts/testenv.sh) is
// bounded in time and size, and a failed fetch is retried later instead of staying cached. The
// remote command is replaced through the ExecFn seam by one that hangs or floods.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sshSessionOptionsForUri } from '../../../src/libvirt/transport/open';
import { SshSessionPool } from '../../../src/libvirt/transport/sshSession';
import { RemoteCommandLimitError } from '../../../src/libvirt/transport/transportErrors';
import { parseUri } from '../../../src/libvirt/uri';
import { ExecSchemaSource, type ExecFn, type ExecLimits } from '../../../src/libvirt/xml/schemaSource';
import { sshUri } from '../transport/testEnv';

const TAR = ExecSchemaSource.COMMAND.join(' ');

describe('schema fetch limits over SSH (integration)', function () {
  this.timeout(60_000);
  let pool: SshSessionPool;
  let command: string;
  let runs: number;
  /** Runs `command` (whatever argv asks for) on the test host over SSH, within `limits`. */
  const run = async (limits: ExecLimits): Promise<Buffer> => {
    runs++;
    const session = await pool.acquire(sshSessionOptionsForUri(parseUri(sshUri())));
    try {
      return await session.output(command, limits);
    } finally {
      session.release();
    }
  };
  const exec: ExecFn = (_argv, limits) => run(limits);
  beforeEach(() => {
    pool = new SshSessionPool();
    runs = 0;
  });

  /** Whether a process whose command line contains `marker` runs (the sshd is on this machine). */
  const running = (marker: string): boolean => {
    try {
      return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim() !== '';
    } catch {
      return false;
    }
  };

  it('stops a fetch that hangs at the time limit, and fetches again after the retry delay', async () => {
    // Waits for its stdin to end, which happens when the SSH channel closes.
    const marker = `lv-schema-hang-${process.pid}`;
    command = `sh -c 'cat >/dev/null; exit 0' ${marker}`;
    const source = new ExecSchemaSource(exec, { timeoutMs: 1500, retryDelayMs: 1000 });
    const started = Date.now();
    const fetching = source.listFiles().then(() => undefined, (e: unknown) => e);
    for (let i = 0; i < 10 && !running(marker); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(running(marker), 'the hanging command runs on the host');
    const err = await fetching;
    const elapsed = Date.now() - started;
    assert.ok(RemoteCommandLimitError.is(err) && err.limit === 'time', `expected a time limit error, got ${String(err)}`);
    assert.ok(elapsed >= 1400 && elapsed < 5000, `stopped after ${elapsed} ms`);
    for (let i = 0; i < 50 && running(marker); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(running(marker), false, 'the channel was closed: the remote command saw its input end');

    // Within the retry delay: the same error at once, the host is not asked again.
    command = TAR;
    await assert.rejects(source.listFiles(), (e) => e === err);
    assert.equal(runs, 1);
    await new Promise((r) => setTimeout(r, 1100));
    const files = await source.listFiles();
    assert.ok(files.includes('domain.rng'), files.join(','));
    assert.equal(runs, 2);
  });

  it('stops a fetch that sends more than the size limit, and fetches again after the retry delay', async () => {
    command = 'head -c 50000000 /dev/zero';
    const source = new ExecSchemaSource(exec, { maxBytes: 4 * 1024 * 1024, retryDelayMs: 200 });
    const err = await source.readFile('domain.rng').then(() => undefined, (e: unknown) => e);
    assert.ok(RemoteCommandLimitError.is(err) && err.limit === 'size', `expected a size limit error, got ${String(err)}`);
    await new Promise((r) => setTimeout(r, 300));
    command = TAR;
    assert.match((await source.readFile('domain.rng')).toString('utf8'), /<grammar/);
    assert.equal(runs, 2);
  });

  it('bounds the time even when the command runner does not keep the limits', async () => {
    const marker = `lv-schema-hang-${process.pid}-loose`;
    command = `sh -c 'cat >/dev/null; exit 0' ${marker}`;
    const loosePool = pool;
    // A runner with its own, much longer limits (like one built on the ssh binary).
    const loose: ExecFn = () => run({ maxBytes: 1024 ** 3, timeoutMs: 600_000 });
    const source = new ExecSchemaSource(loose, { timeoutMs: 1000, retryDelayMs: 100 });
    const started = Date.now();
    const err = await source.listFiles().then(() => undefined, (e: unknown) => e);
    assert.ok(RemoteCommandLimitError.is(err) && err.limit === 'time', `expected a time limit error, got ${String(err)}`);
    assert.ok(Date.now() - started < 4000);
    // The loose runner still holds its channel; the next fetch uses a fresh session.
    pool = new SshSessionPool();
    await new Promise((r) => setTimeout(r, 200));
    command = TAR;
    assert.ok((await source.listFiles()).includes('domain.rng'), 'fetched again');
    (await loosePool.acquire(sshSessionOptionsForUri(parseUri(sshUri())))).end();
    for (let i = 0; i < 50 && running(marker); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(running(marker), false, 'the abandoned command ended with its session');
  });
});
