import * as assert from 'node:assert/strict';
import { formatDuration, formatKiB, vmDescription } from '../../../src/views/format';
import { stateName } from '../../../src/views/vmState';

describe('format (unit)', () => {
  it('formats memory like virt-manager', () => {
    assert.equal(formatKiB(262144), '256 MiB');
    assert.equal(formatKiB(4194304), '4 GiB');
    assert.equal(formatKiB(1572864), '1.5 GiB');
    assert.equal(formatKiB(0), '0 MiB');
  });

  it('formats durations', () => {
    assert.equal(formatDuration(12.7), '12 s');
    assert.equal(formatDuration(250), '4 min 10 s');
    assert.equal(formatDuration(7500), '2 h 5 min');
    assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3 d 4 h');
  });

  it('describes a VM as "state · vCPU · memory"', () => {
    assert.equal(vmDescription({ state: 'running', vcpus: 2, memoryKiB: 4194304 }), 'running · 2 vCPU · 4 GiB');
    assert.equal(vmDescription({ state: 'shutoff' }), 'shut off');
    assert.equal(vmDescription({ state: 'saved', vcpus: 1 }), 'saved · 1 vCPU');
  });

  it('derives the state name from virDomainState and the managed-save flag', () => {
    assert.equal(stateName(1, false), 'running');
    assert.equal(stateName(2, false), 'running');
    assert.equal(stateName(3, false), 'paused');
    assert.equal(stateName(5, false), 'shutoff');
    assert.equal(stateName(5, true), 'saved');
    assert.equal(stateName(6, false), 'crashed');
    assert.equal(stateName(7, false), 'pmsuspended');
    assert.equal(stateName(42, false), 'unknown');
  });
});
