import * as assert from 'node:assert/strict';
import { VirDomainJobType, VirDomainMigrateFlags as F, VirTypedParameterType } from '../../../src/libvirt/generated/libvirtConstants';
import { migrationFlags, migrationParams, optionProblems, progressFromJobStats, type MigrationOptions } from '../../../src/libvirt/migration';
import { describeProgress } from '../../../src/commands/migrate/progressText';

const LIVE: MigrationOptions = {
  mode: 'live',
  persistent: true,
  undefineSource: true,
  copyStorage: 'none',
  peerToPeer: false,
  tunnelled: false,
  autoConverge: false,
  compressed: false,
  postCopy: false,
  unsafe: false,
};

describe('migration options (unit)', () => {
  it('turns each option into its VIR_MIGRATE_* flag', () => {
    assert.equal(migrationFlags(LIVE), F.LIVE | F.PERSIST_DEST | F.UNDEFINE_SOURCE | F.ABORT_ON_ERROR);
    assert.equal(migrationFlags({ ...LIVE, mode: 'offline' }), F.OFFLINE | F.PERSIST_DEST | F.UNDEFINE_SOURCE);
    const all = migrationFlags({ ...LIVE, copyStorage: 'incremental', peerToPeer: true, tunnelled: true, autoConverge: true, compressed: true, postCopy: true, unsafe: true });
    for (const f of [F.NON_SHARED_INC, F.PEER2PEER, F.TUNNELLED, F.AUTO_CONVERGE, F.COMPRESSED, F.POSTCOPY, F.UNSAFE]) assert.ok(all & f, `flag ${f}`);
    assert.equal(migrationFlags({ ...LIVE, copyStorage: 'full' }) & (F.NON_SHARED_DISK | F.NON_SHARED_INC), F.NON_SHARED_DISK);
    assert.equal(migrationFlags({ ...LIVE, persistent: false, undefineSource: false }) & (F.PERSIST_DEST | F.UNDEFINE_SOURCE), 0);
  });

  it('sends typed parameters with libvirt\'s types: names and URIs as strings, bandwidth as ullong', () => {
    const ps = migrationParams({ ...LIVE, bandwidthMiBs: 5, migrateUri: 'tcp://10.0.0.2', migrateDisks: ['vda', 'vdb'] }, 'web');
    assert.deepEqual(ps, [
      { field: 'destination_name', value: { type: VirTypedParameterType.STRING, s: 'web' } },
      { field: 'bandwidth', value: { type: VirTypedParameterType.ULLONG, ul: 5n } },
      { field: 'migrate_uri', value: { type: VirTypedParameterType.STRING, s: 'tcp://10.0.0.2' } },
      { field: 'migrate_disks', value: { type: VirTypedParameterType.STRING, s: 'vda' } },
      { field: 'migrate_disks', value: { type: VirTypedParameterType.STRING, s: 'vdb' } },
    ]);
    assert.deepEqual(migrationParams(LIVE, 'web').map((p) => p.field), ['destination_name']);
  });

  it('names impossible combinations in words', () => {
    assert.deepEqual(optionProblems(LIVE), []);
    assert.equal(optionProblems({ ...LIVE, tunnelled: true }).length, 1);
    assert.match(optionProblems({ ...LIVE, tunnelled: true })[0] ?? '', /peer-to-peer/);
    assert.equal(optionProblems({ ...LIVE, mode: 'offline', persistent: false, copyStorage: 'full', postCopy: true }).length, 3);
    assert.match(optionProblems({ ...LIVE, bandwidthMiBs: 1.5 })[0] ?? '', /whole number/);
  });

  it('reads progress from job statistics and describes it', () => {
    assert.deepEqual(progressFromJobStats(VirDomainJobType.NONE, {}), { active: false });
    const p = progressFromJobStats(VirDomainJobType.UNBOUNDED, {
      data_total: 400 * 1024 * 1024,
      data_processed: 100 * 1024 * 1024,
      data_remaining: 300 * 1024 * 1024,
      memory_bps: 3 * 1024 * 1024,
      disk_bps: 1024 * 1024,
      downtime: 300,
      time_elapsed: 2500,
    });
    assert.equal(p.active, true);
    assert.equal(p.percent, 25);
    assert.equal(p.bytesPerSecond, 4 * 1024 * 1024);
    assert.equal(p.expectedDowntimeMs, 300);
    assert.equal(describeProgress(p), '25% · 300 MiB left · 4 MiB/s · downtime 300 ms');
    assert.equal(describeProgress({ active: false }), 'starting…');
  });
});
