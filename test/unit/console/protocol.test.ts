import * as assert from 'node:assert/strict';
import { charKeysym, comboKeys, comboLabel, isKeyCombo, KEY_COMBOS, parseFromWebview, WebviewMessageError, type FromWebview } from '../../../src/webviews/console/protocol';

describe('console webview protocol (unit)', () => {
  it('maps key combinations to keysyms and KeyboardEvent codes', () => {
    assert.deepEqual(comboKeys('ctrl-alt-del').map((k) => k.keysym), [0xffe3, 0xffe9, 0xffff]);
    assert.deepEqual(comboKeys('ctrl-alt-f1').map((k) => k.code), ['ControlLeft', 'AltLeft', 'F1']);
    assert.equal(comboKeys('ctrl-alt-f12')[2]!.keysym, 0xffc9);
    assert.deepEqual(comboKeys('print-screen'), [{ keysym: 0xff61, code: 'PrintScreen' }]);
    assert.equal(KEY_COMBOS.length, 15);
    assert.equal(comboLabel('ctrl-alt-backspace'), 'Ctrl+Alt+Backspace');
    assert.ok(isKeyCombo('ctrl-alt-f7'));
    assert.ok(!isKeyCombo('ctrl-alt-f13'));
  });

  it('maps pasted characters to keysyms', () => {
    assert.equal(charKeysym('a'), 0x61);
    assert.equal(charKeysym('é'), 0xe9);
    assert.equal(charKeysym('€'), 0x010020ac);
    assert.equal(charKeysym('\n'), 0xff0d);
    assert.equal(charKeysym('\u0007'), undefined);
  });

  // One valid example of every message the webview may send.
  const valid: readonly FromWebview[] = [
    { type: 'ready' },
    { type: 'vncSend', session: 1, data: new Uint8Array([1, 2, 3]) },
    { type: 'vncClose', session: 2 },
    { type: 'rfbConnected', session: 3, width: 720, height: 400 },
    { type: 'rfbDisconnected', session: 3, clean: true },
    { type: 'firstFrame', session: 3, blank: false },
    { type: 'credentialsRequired', types: ['password'] },
    { type: 'securityFailure', reason: 'Authentication failure' },
    { type: 'requestPaste', userAction: true },
    { type: 'screenshot' },
    { type: 'reconnect' },
    { type: 'startVm' },
    { type: 'addVnc' },
    { type: 'fullscreen' },
    { type: 'log', level: 'warn', message: 'hello' },
  ];

  const refused = (m: unknown, reason: RegExp): void => {
    assert.throws(() => parseFromWebview(m), (e: unknown) => WebviewMessageError.is(e) && reason.test(e.message), JSON.stringify(m));
  };

  it('accepts one valid message of every kind and returns exactly its fields', () => {
    for (const m of valid) assert.deepEqual(parseFromWebview(m), m);
  });

  it('decodes base64 relay bytes and refuses malformed or oversized payloads', () => {
    const m = parseFromWebview({ type: 'vncSend', session: 1, data: 'AQID' });
    assert.ok(m.type === 'vncSend' && m.data instanceof Uint8Array);
    assert.deepEqual([...(m as { data: Uint8Array }).data], [1, 2, 3]);
    refused({ type: 'vncSend', session: 1, data: 'A*==' }, /malformed byte payload/);
    refused({ type: 'vncSend', session: 1, data: 'A' }, /malformed byte payload/);
    refused({ type: 'vncSend', session: 1, data: [1, 2, 256] }, /malformed byte payload/);
    refused({ type: 'vncSend', session: 1, data: { 0: 1.5 } }, /malformed byte payload/);
    refused({ type: 'vncSend', session: 1, data: 42 }, /malformed byte payload/);
    refused({ type: 'vncSend', session: 1, data: new Uint8Array(1024 * 1024 + 1) }, /larger than/);
    refused({ type: 'vncSend', session: 1, data: 'A'.repeat(2 * 1024 * 1024) }, /larger than/);
  });

  it('refuses every field that is missing, of the wrong kind, or not expected', () => {
    refused('ready', /not an object/);
    refused(null, /not an object/);
    refused({ type: 'eval', code: 'x' }, /unknown message type/);
    refused({ type: 'toString' }, /unknown message type/);
    refused({ type: 'ready', extra: 1 }, /unexpected field "extra"/);
    refused({ type: 'log', level: 'debug', message: 'x' }, /log\.level: unknown log level/);
    refused({ type: 'log', level: 'info' }, /missing field message/);
    refused({ type: 'log', level: 'info', message: 'x'.repeat(20_000) }, /log\.message/);
    refused({ type: 'vncClose', session: -1 }, /vncClose\.session/);
    refused({ type: 'vncClose', session: 1.5 }, /vncClose\.session/);
    refused({ type: 'vncClose', session: '1' }, /vncClose\.session/);
    refused({ type: 'rfbConnected', session: 1, width: 1e9, height: 400 }, /rfbConnected\.width/);
    refused({ type: 'rfbDisconnected', session: 1, clean: 'yes' }, /rfbDisconnected\.clean/);
    refused({ type: 'credentialsRequired', types: [1] }, /credentialsRequired\.types/);
    refused({ type: 'securityFailure', reason: {} }, /securityFailure\.reason/);
  });

  it('refuses a clipboard request that was not started by a user action', () => {
    refused({ type: 'requestPaste' }, /missing field userAction/);
    refused({ type: 'requestPaste', userAction: false }, /requestPaste\.userAction: not started by a user action/);
    refused({ type: 'requestPaste', userAction: 'true' }, /requestPaste\.userAction/);
  });
});
