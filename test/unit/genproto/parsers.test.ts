import * as assert from 'node:assert/strict';
import { commonPrefix, memberKeys } from '../../../tools/genproto/emitConstants';
import { GenError, generateProtocols } from '../../../tools/genproto/emitProtocol';
import { evalCExpr, parseHeaders } from '../../../tools/genproto/headerParser';
import { ParseError } from '../../../tools/genproto/lexer';
import { parseXdr } from '../../../tools/genproto/xdrParser';

describe('genproto parsers (unit)', () => {
  it('parses consts, enums with doc comments, structs, unions and typedefs', () => {
    const f = parseXdr('t.x', `
%#include "x.h"
const MAX = 0x10; /* comment */
enum t_proc {
  /** @priority: high */
  T_PROC_A = 1,
  /**
   * @readstream: 1
   */
  T_PROC_B = 2
};
typedef string t_str<MAX>;
struct t_s { unsigned hyper a; t_str *b; opaque u[16]; char c[2]; int d<>; unsigned e; };
union t_u switch (int k) { case 1: case 2: int x; case 3: void; default: t_s y; };
`);
    assert.deepEqual(f.definitions.map((d) => `${d.kind}:${d.name}`), ['const:MAX', 'enum:t_proc', 'typedef:t_str', 'struct:t_s', 'union:t_u']);
    const e = f.definitions[1]!;
    assert.ok(e.kind === 'enum');
    assert.match(e.members[0]!.doc!, /@priority: high/);
    assert.match(e.members[1]!.doc!, /@readstream: 1/);
    const s = f.definitions[3]!;
    assert.ok(s.kind === 'struct');
    assert.deepEqual(s.fields.map((x) => [x.name, x.shape]), [['a', 'scalar'], ['b', 'optional'], ['u', 'fixed'], ['c', 'fixed'], ['d', 'var'], ['e', 'scalar']]);
    assert.deepEqual(s.fields[0]!.type, { kind: 'prim', name: 'uhyper' });
    const u = f.definitions[4]!;
    assert.ok(u.kind === 'union');
    assert.equal(u.arms[0]!.cases.length, 2);
    assert.equal(u.def?.name, 'y');
  });

  it('reports syntax errors with file and line', () => {
    assert.throws(() => parseXdr('bad.x', 'const A = 1;\nstruct s { int a }'), (e: unknown) => e instanceof ParseError && /bad\.x:2: expected ";"/.test(e.message));
    assert.throws(() => parseXdr('bad.x', 'struct s { string a; };'), ParseError);
    assert.throws(() => parseXdr('bad.x', '/* open'), /unterminated comment/);
  });

  it('rejects unknown types and constants when generating', () => {
    const run = (src: string): unknown => generateProtocols([{ source: 'g.x', module: 'g', parsed: parseXdr('g.x', src) }], new Map(), '1.0.0');
    assert.throws(() => run('struct s { nosuch a; };'), (e: unknown) => e instanceof GenError && /unknown type nosuch/.test(e.message));
    assert.throws(() => run('struct s { int a<NOSUCH>; };'), /unknown constant NOSUCH/);
    assert.throws(() => run('struct s { s *next; };'), /recursive type/);
  });

  it('evaluates the C constant expressions used in libvirt headers', () => {
    const known = new Map([['A', 4]]);
    assert.equal(evalCExpr('(1 << 3)', known), 8);
    assert.equal(evalCExpr('1U << 31', known), 2147483648);
    assert.equal(evalCExpr('0x10 | A', known), 20);
    assert.equal(evalCExpr('(4096 + 1)', known), 4097);
    assert.equal(evalCExpr('-1', known), -1);
    assert.equal(evalCExpr('B', known), undefined);
    assert.equal(evalCExpr('"str"', known), undefined);
  });

  it('parses enums (implicit values, references, sentinels) and defines', () => {
    const h = parseHeaders([{ file: 'x.h', text: `
# define VIR_X_MAX (VIR_X_B + 1)
# define VIR_X_NAME "name" /* c */
# define VIR_X_FN(a) (a)
typedef enum {
    VIR_X_A = 0, /* first (Since: 1.0) */
    VIR_X_B, /* second */
    VIR_X_C = VIR_X_A | (1 << 4),
# ifdef VIR_ENUM_SENTINELS
    VIR_X_LAST
# endif
} virX;` }]);
    assert.deepEqual(h.enums[0]!.members, [{ name: 'VIR_X_A', value: 0 }, { name: 'VIR_X_B', value: 1 }, { name: 'VIR_X_C', value: 16 }, { name: 'VIR_X_LAST', value: 17 }]);
    assert.deepEqual(h.defines.map((d) => [d.name, d.value]), [['VIR_X_MAX', 2], ['VIR_X_NAME', 'name']]);
  });

  it('strips member prefixes at word boundaries', () => {
    assert.equal(commonPrefix(['VIR_DOMAIN_NOSTATE', 'VIR_DOMAIN_RUNNING']), 'VIR_DOMAIN_');
    assert.equal(commonPrefix(['VIR_A_1X', 'VIR_A_2Y']), 'VIR_');
    assert.equal(commonPrefix(['VIR_ONLY_ONE']), 'VIR_ONLY_');
    const names = [...Array.from({ length: 12 }, (_, i) => `VIR_ERR_E${i}`), 'VIR_WAR_W'];
    assert.deepEqual(memberKeys(names).keys.slice(-2), ['E11', 'WAR_W']);
  });
});
