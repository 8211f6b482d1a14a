import * as assert from 'node:assert/strict';
import { describeData, matchesData, type DataPattern } from '../../../src/libvirt/xml/rngDatatypes';
import { acceptsValue, describeValueSet, RngGrammar } from '../../../src/libvirt/xml/rngGrammar';

const data = (type: string, params: Record<string, string> = {}, define?: string): DataPattern => ({ type, params: Object.entries(params).map(([name, value]) => ({ name, value })), ...(define ? { define } : {}) });

describe('RelaxNG datatypes (unit)', () => {
  it('checks integer types with their ranges and facets', () => {
    const countCPU = data('unsignedShort', { pattern: '[0-9]+', minInclusive: '1' }, 'countCPU');
    for (const ok of ['1', '65535', ' 2 ']) assert.equal(matchesData(countCPU, ok), true, ok);
    for (const bad of ['0', '65536', 'abc', '', '1.5', '-1']) assert.equal(matchesData(countCPU, bad), false, bad);
    assert.equal(describeData(countCPU), 'a positive integer up to 65535 (countCPU)');
    assert.equal(matchesData(data('unsignedLong'), '18446744073709551615'), true);
    assert.equal(matchesData(data('unsignedLong'), '18446744073709551616'), false);
    assert.equal(describeData(data('int', { minInclusive: '-1', maxInclusive: '65535' })), 'an integer from -1 to 65535');
  });

  it('checks string patterns anchored, as XML Schema does', () => {
    const mac = data('string', { pattern: '[a-fA-F0-9][02468aAcCeE](:[a-fA-F0-9]{2}){5}' });
    assert.equal(matchesData(mac, '52:54:00:12:34:56'), true);
    assert.equal(matchesData(mac, '53:54:00:12:34:56'), false, 'multicast');
    assert.equal(matchesData(mac, 'x52:54:00:12:34:56'), false, 'anchored at the start');
    assert.equal(matchesData(mac, '52:54:00:12:34:56:78'), false, 'anchored at the end');
    assert.equal(matchesData(data('string', { maxLength: '3' }), 'abcd'), false);
  });

  it('accepts what it cannot judge (unknown types, \\i and \\c classes, unknown facets)', () => {
    assert.equal(matchesData(data('dateTime'), 'yesterday'), true);
    assert.equal(matchesData(data('string', { pattern: '\\i\\c*' }), '1abc'), true);
    assert.equal(matchesData(data('integer', { totalDigits: '2' }), 'x'), true);
  });

  it('combines enumerations and datatypes of a value set', async () => {
    const g = await RngGrammar.load('t.rng', async () =>
      [
        '<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">',
        '<start><element name="r"><attribute name="n"><choice><value>auto</value><data type="unsignedInt"/></choice></attribute><text/></element></start>',
        '</grammar>',
      ].join(''),
    );
    const vs = g.info(g.rootDefs('r')).attributes.get('n')!;
    assert.equal(acceptsValue(vs, 'auto'), true);
    assert.equal(acceptsValue(vs, '12'), true);
    assert.equal(acceptsValue(vs, 'many'), false);
    assert.equal(describeValueSet(vs), "'auto' or an integer from 0 to 4294967295");
    assert.equal(g.info(g.rootDefs('r')).text.anyText, true);
  });
});
