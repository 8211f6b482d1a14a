import * as assert from 'node:assert/strict';
import { compareNatural, compareNaturalBase } from '../../src/libvirt/naturalOrder';

describe('natural name order', () => {
  const names = ['vm10', 'vm2', 'VM1', 'vm1', 'web-01', 'web-1', 'Web-2', 'db', 'Db', 'é', 'e', 'vm-100', 'vm-20', 'a b', 'a-b', ''];

  it('sorts like localeCompare with { numeric: true }: vm2 before vm10', () => {
    const expected = [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    assert.deepEqual([...names].sort(compareNatural), expected);
    assert.ok(compareNatural('vm2', 'vm10') < 0);
  });

  it("ignores case and accents with sensitivity 'base', as tag groups do", () => {
    const expected = [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }));
    assert.deepEqual([...names].sort(compareNaturalBase), expected);
    assert.equal(compareNaturalBase('Prod', 'prod'), 0);
    assert.notEqual(compareNatural('Prod', 'prod'), 0);
  });
});
