// The stats each test stage writes name every file's wall time with its hooks, and the run's
// summary lists the slowest ones: run the real harness on generated test files whose hooks and
// tests take known times.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { MochaStats } from '../../vscode/harness/mochaRun';
import { formatSlowest, slowestFiles } from '../../vscode/harness/summary';

const run = promisify(execFile);
const harness = path.resolve(__dirname, '..', '..', 'vscode', 'harness', 'main.js');

const files: Record<string, string> = {
  // A slow before hook and a slow after hook around one fast test: the hooks are the file's cost.
  'hooks.test.js': `describe('hooks', function () {
  before((done) => setTimeout(done, 400));
  after((done) => setTimeout(done, 300));
  it('is fast', () => {});
});`,
  // Tests outside any describe and a root-level after hook (as test/guestVm.ts registers one).
  'root.test.js': `it('root test', (done) => setTimeout(done, 250));
after((done) => setTimeout(done, 200));`,
  // Two top-level suites in one file add up; a failing test still counts.
  'two.test.js': `describe('first', () => { it('a', (done) => setTimeout(done, 150)); });
describe('second', () => { it('b', (done) => setTimeout(() => done(new Error('boom')), 150)); });`,
  'fast.test.js': `describe('fast', () => { it('x', () => {}); });`,
};

describe('test stage stats: per-file durations with hooks', function () {
  this.timeout(30_000);
  let dir: string;
  let stats: MochaStats;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvms-filedur-'));
    const tests = path.join(dir, 'tests');
    fs.mkdirSync(tests);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(tests, name), text);
    const env = { ...process.env };
    delete env['LIBVIRT_VMS_TEST_FILES'];
    const statsFile = path.join(dir, 'stats', 'gen.json');
    // One test fails on purpose: the harness exits 1 and still writes its stats.
    await run(process.execPath, [harness, 'mocha', '--name', 'gen', '--dir', tests, '--stats', statsFile], { env }).then(
      () => assert.fail('the harness passed a run with a failing test'),
      (e: { code?: number }) => assert.equal(e.code, 1),
    );
    stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as MochaStats;
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ms = (name: string): number => {
    const found = (stats.fileDurations ?? []).filter((f) => path.basename(f.file) === name);
    assert.equal(found.length, 1, `one entry for ${name} in ${JSON.stringify(stats.fileDurations)}`);
    return found[0]!.ms;
  };

  it('records every file once, slowest first', () => {
    assert.deepEqual((stats.fileDurations ?? []).map((f) => path.basename(f.file)).sort(), Object.keys(files).sort());
    const list = stats.fileDurations!.map((f) => f.ms);
    assert.deepEqual(list, [...list].sort((a, b) => b - a));
    assert.equal(stats.passes, 4);
    assert.equal(stats.failures, 1);
  });

  it("counts a suite's before and after hooks for its file", () => {
    assert.ok(ms('hooks.test.js') >= 700, `hooks.test.js ${ms('hooks.test.js')} ms`);
    assert.ok(ms('fast.test.js') < 300, `fast.test.js ${ms('fast.test.js')} ms`);
  });

  it('counts root-level tests and hooks for the file that registered them', () => {
    assert.ok(ms('root.test.js') >= 450, `root.test.js ${ms('root.test.js')} ms`);
  });

  it('adds up the top-level suites of one file', () => {
    assert.ok(ms('two.test.js') >= 300, `two.test.js ${ms('two.test.js')} ms`);
  });

  it('names files relative to the repository', () => {
    for (const f of stats.fileDurations!) assert.ok(!path.isAbsolute(f.file), f.file);
  });
});

describe('test run summary: slowest files', () => {
  const stage = (name: string, durations: [string, number][]): MochaStats => ({
    name, passes: 0, failures: 0, pending: 0, files: durations.length, durationMs: 0,
    fileDurations: durations.map(([file, ms]) => ({ file, ms })),
  });

  it('merges the stages and keeps the slowest N', () => {
    const slow = slowestFiles([
      stage('unit', [['u1', 10], ['u2', 500]]),
      stage('integration', [['i1', 90_000], ['i2', 3_000]]),
      { name: 'old', passes: 1, failures: 0, pending: 0, files: 1, durationMs: 5 },
      stage('vscode-ui', [['ui1', 40_000]]),
    ], 3);
    assert.deepEqual(slow, [
      { stage: 'integration', file: 'i1', ms: 90_000 },
      { stage: 'vscode-ui', file: 'ui1', ms: 40_000 },
      { stage: 'integration', file: 'i2', ms: 3_000 },
    ]);
  });

  it('prints seconds, stage and file per line', () => {
    const text = formatSlowest([{ stage: 'integration', file: 'out/test/a.test.js', ms: 90_060 }, { stage: 'unit', file: 'b', ms: 500 }]);
    assert.equal(text, 'slowest 2 test file(s), hooks included:\n   90.1 s  integration  out/test/a.test.js\n    0.5 s  unit         b\n');
    assert.equal(formatSlowest([]), 'slowest test files: none recorded\n');
  });
});
