import * as assert from 'node:assert/strict';
import { FilterSyntaxError, isEmptyFilter, matchesFilter, parseFilter } from '../../../src/views/filter';
import type { VmStateName } from '../../../src/views/vmState';

const vm = (name: string, state: VmStateName, tags: string[] = []): { name: string; state: VmStateName; tags: string[] } => ({ name, state, tags });

describe('filter (unit)', () => {
  it('matches plain words against the name, case-insensitively, all words required', () => {
    const f = parseFilter('Web prod');
    assert.ok(matchesFilter(f, vm('web-PROD-1', 'running')));
    assert.ok(!matchesFilter(f, vm('web-dev-1', 'running')));
  });

  it('matches state: terms (ORed) with aliases', () => {
    const f = parseFilter('state:running state:off');
    assert.deepEqual(f.states, ['running', 'shutoff']);
    assert.ok(matchesFilter(f, vm('a', 'running')));
    assert.ok(matchesFilter(f, vm('a', 'shutoff')));
    assert.ok(!matchesFilter(f, vm('a', 'paused')));
  });

  it('matches tag: terms and combines them with the name', () => {
    const f = parseFilter('tag:db sql');
    assert.ok(matchesFilter(f, vm('sql1', 'running', ['DB', 'x'])));
    assert.ok(!matchesFilter(f, vm('sql1', 'running', ['web'])));
    assert.ok(!matchesFilter(f, vm('pg1', 'running', ['db'])));
  });

  it('is empty for blank text and rejects unknown states and empty values', () => {
    assert.ok(isEmptyFilter(parseFilter('   ')));
    assert.throws(() => parseFilter('state:sleeping'), FilterSyntaxError);
    assert.throws(() => parseFilter('tag:'), FilterSyntaxError);
  });

  it('filters 1000 VMs quickly', () => {
    const vms = Array.from({ length: 1000 }, (_, i) => vm(`vm-${i}`, i % 2 ? 'running' : 'shutoff'));
    const f = parseFilter('state:running vm-9');
    const t0 = process.hrtime.bigint();
    const shown = vms.filter((v) => matchesFilter(f, v));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(shown.length, 56);
    assert.ok(ms < 50, `took ${ms} ms`);
  });
});
