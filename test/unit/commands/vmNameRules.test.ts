import * as assert from 'node:assert/strict';
import { MAX_VM_NAME_LENGTH, vmNameProblem } from '../../../src/commands/vm/vmNameRules';

describe('vmNameRules (unit)', () => {
  const taken = new Set(['web1', 'db']);

  it('accepts ordinary names and the current name', () => {
    assert.equal(vmNameProblem('web2', taken), undefined);
    assert.equal(vmNameProblem('web1', taken, 'web1'), undefined);
    assert.equal(vmNameProblem('Ubuntu 24.04 (test)', taken), undefined);
  });

  it('refuses empty, padded, slashed, control-character, taken and over-long names', () => {
    assert.match(vmNameProblem('', taken) ?? '', /Enter a name/);
    assert.match(vmNameProblem('   ', taken) ?? '', /Enter a name/);
    assert.match(vmNameProblem(' web2', taken) ?? '', /spaces/);
    assert.match(vmNameProblem('a/b', taken) ?? '', /"\/"/);
    assert.match(vmNameProblem('a\nb', taken) ?? '', /control/);
    assert.match(vmNameProblem('db', taken) ?? '', /already exists/);
    assert.match(vmNameProblem('x'.repeat(MAX_VM_NAME_LENGTH + 1), taken) ?? '', /longer/);
    assert.equal(vmNameProblem('x'.repeat(MAX_VM_NAME_LENGTH), taken), undefined);
  });
});
