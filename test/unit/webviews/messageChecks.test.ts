import { embeddedJson } from '../../../src/webviews/shared/initialMessage';
import * as assert from 'node:assert/strict';
import { parseFromWebview, MAX_CHANGES, type FromWebview } from '../../../src/webviews/vmDetails/protocol';
import { integer, listOf, optional, parseMessage, record, text, WebviewMessageError, type MessageTable } from '../../../src/webviews/shared/messageChecks';

const refused = (parse: (m: unknown) => unknown, m: unknown, reason: RegExp): void => {
  assert.throws(() => parse(m), (e: unknown) => WebviewMessageError.is(e) && reason.test(e.message), JSON.stringify(m)?.slice(0, 200));
};

describe('shared webview message checks (unit)', () => {
  type Msg = { readonly type: 'a'; readonly n: number; readonly tag?: string } | { readonly type: 'b'; readonly items: readonly { readonly k: string }[] };
  const table: MessageTable<Msg> = {
    a: { n: integer(0, 10), tag: optional(text(5)) },
    b: { items: listOf(record<{ k: string }>({ k: text(3) }), 2) },
  };
  const parse = (m: unknown): Msg => parseMessage(table, m);

  it('returns exactly the checked fields', () => {
    assert.deepEqual(parse({ type: 'a', n: 3 }), { type: 'a', n: 3 });
    assert.deepEqual(parse({ type: 'a', n: 3, tag: 'x' }), { type: 'a', n: 3, tag: 'x' });
    assert.deepEqual(parse({ type: 'b', items: [{ k: 'abc' }] }), { type: 'b', items: [{ k: 'abc' }] });
  });

  it('refuses unknown types, missing, extra and invalid fields, naming them', () => {
    refused(parse, [], /not an object/);
    refused(parse, { type: 'constructor' }, /unknown message type/);
    refused(parse, { type: 'a' }, /a: missing field n/);
    refused(parse, { type: 'a', n: 1, x: 1 }, /a: unexpected field "x"/);
    refused(parse, { type: 'a', n: 11 }, /a\.n: not an integer from 0 to 10/);
    refused(parse, { type: 'a', n: 1, tag: 'toolong' }, /a\.tag/);
    refused(parse, { type: 'b', items: [{ k: 'a' }, { k: 'b' }, { k: 'c' }] }, /b\.items: not a list of at most 2/);
    refused(parse, { type: 'b', items: [{ k: 'abcd' }] }, /b\.items: \[0\]: k: not a text/);
    refused(parse, { type: 'b', items: [{ k: 'a', type: 'x' }] }, /b\.items: \[0\]: unexpected field "type"/);
  });
});

describe('VM details protocol (unit)', () => {
  const valid: readonly FromWebview[] = [
    { type: 'ready' },
    { type: 'select', section: 'cpus' },
    { type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 512 }, { section: 'overview', field: 'title', value: 'x' }, { section: 'boot', field: 'menu', value: true }] },
    { type: 'apply', requestId: 7, changes: [{ section: 'overview', field: 'description', value: undefined }] },
    { type: 'remove', requestId: 8, section: 'disk:vda' },
    { type: 'reload' },
    { type: 'showDiff' },
    { type: 'openXml', section: 'overview' },
    { type: 'addHardware' },
    { type: 'log', level: 'error', message: 'CSP' },
  ];

  it('accepts one valid message of every kind', () => {
    for (const m of valid) assert.deepEqual(parseFromWebview(JSON.parse(JSON.stringify(m))), JSON.parse(JSON.stringify(m)));
  });

  it('reads an absent value as "not set"', () => {
    const m = parseFromWebview({ type: 'edit', changes: [{ section: 'overview', field: 'title' }] });
    assert.ok(m.type === 'edit');
    assert.equal(m.changes[0]!.value, undefined);
  });

  it('refuses every malformed field', () => {
    refused(parseFromWebview, { type: 'apply', changes: [] }, /apply: missing field requestId/);
    refused(parseFromWebview, { type: 'apply', requestId: -1, changes: [] }, /apply\.requestId/);
    refused(parseFromWebview, { type: 'apply', requestId: 1.5, changes: [] }, /apply\.requestId/);
    refused(parseFromWebview, { type: 'edit', changes: [{ section: 'a', field: 'b', value: {} }] }, /edit\.changes: \[0\]: value/);
    refused(parseFromWebview, { type: 'edit', changes: [{ section: 'a', field: 'b', value: Number.NaN }] }, /value: not a finite number/);
    refused(parseFromWebview, { type: 'edit', changes: [{ section: 'a', value: 1 }] }, /missing field field/);
    refused(parseFromWebview, { type: 'edit', changes: [{ section: 'a', field: 'b', value: 1, extra: 2 }] }, /unexpected field "extra"/);
    refused(parseFromWebview, { type: 'edit', changes: Array.from({ length: MAX_CHANGES + 1 }, () => ({ section: 'a', field: 'b', value: 1 })) }, /at most 2000/);
    refused(parseFromWebview, { type: 'select', section: 'x'.repeat(300) }, /select\.section/);
    refused(parseFromWebview, { type: 'remove', requestId: 1 }, /missing field section/);
    refused(parseFromWebview, { type: 'log', level: 'debug', message: 'x' }, /log\.level/);
    refused(parseFromWebview, { type: 'reload', now: true }, /unexpected field "now"/);
  });
});

describe('embedded first message (unit)', () => {
  it('keeps host text from closing the data block, and parses back to the same message', () => {
    const m = { type: 'state', state: { title: "</script><script>alert(1)</script><!-- \u2028 & 'x'" }, version: 3 };
    const text = embeddedJson(m);
    assert.ok(!text.includes('<'), text);
    assert.ok(!/[\u2028\u2029]/.test(text));
    assert.deepEqual(JSON.parse(text), m);
  });
});
