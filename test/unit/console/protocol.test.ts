import * as assert from 'node:assert/strict';
import { charKeyCode, connectedText, charKeysym, comboKeys, comboLabel, isKeyCombo, KEY_COMBOS, nextZoom, parseFromWebview, WebviewMessageError, ZOOM_LEVELS, zoomLabel, type FromWebview } from '../../../src/webviews/console/protocol';

describe('console webview protocol (unit)', () => {
  it('says how a connected display is protected and when the guest has more monitors than shown', () => {
    assert.equal(connectedText({ kind: 'connected', protocol: 'vnc', encryption: 'local', heads: 1 }), 'Connected');
    assert.equal(connectedText({ kind: 'connected', protocol: 'spice', encryption: 'tls', heads: 1 }), 'Connected (SPICE) — encrypted (TLS)');
    assert.equal(connectedText({ kind: 'connected', protocol: 'spice', encryption: 'none', heads: 2 }), 'Connected (SPICE) — not encrypted · 2 monitors');
    assert.equal(connectedText({ kind: 'connected', protocol: 'vnc', encryption: 'ssh', heads: 3 }), 'Connected — encrypted (SSH) · showing monitor 1 of 3');
  });

  it('maps key combinations to keysyms and KeyboardEvent codes', () => {
    assert.deepEqual(comboKeys('ctrl-alt-del').map((k) => k.keysym), [0xffe3, 0xffe9, 0xffff]);
    assert.deepEqual(comboKeys('ctrl-alt-f1').map((k) => k.code), ['ControlLeft', 'AltLeft', 'F1']);
    assert.equal(comboKeys('ctrl-alt-f12')[2]!.keysym, 0xffc9);
    assert.deepEqual(comboKeys('print-screen'), [{ keysym: 0xff61, code: 'PrintScreen', keyCode: 44 }]);
    // spice-html5 maps legacy keyCodes to scancodes: VK_CONTROL, VK_MENU, VK_DELETE, VK_F12.
    assert.deepEqual(comboKeys('ctrl-alt-del').map((k) => k.keyCode), [17, 18, 46]);
    assert.equal(comboKeys('ctrl-alt-f12')[2]!.keyCode, 123);
    assert.equal(KEY_COMBOS.length, 15);
    assert.equal(comboLabel('ctrl-alt-backspace'), 'Ctrl+Alt+Backspace');
    assert.ok(isKeyCombo('ctrl-alt-f7'));
    assert.ok(!isKeyCombo('ctrl-alt-f13'));
  });

  it('maps pasted characters to US-layout keys for SPICE', () => {
    assert.deepEqual(charKeyCode('a'), { keyCode: 65, shift: false });
    assert.deepEqual(charKeyCode('Z'), { keyCode: 90, shift: true });
    assert.deepEqual(charKeyCode('7'), { keyCode: 55, shift: false });
    assert.deepEqual(charKeyCode('&'), { keyCode: 55, shift: true });
    assert.deepEqual(charKeyCode(')'), { keyCode: 48, shift: true });
    assert.deepEqual(charKeyCode('_'), { keyCode: 189, shift: true });
    assert.deepEqual(charKeyCode('\n'), { keyCode: 13, shift: false });
    assert.deepEqual(charKeyCode('|'), { keyCode: 220, shift: true });
    assert.equal(charKeyCode('é'), undefined);
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
    { type: 'streamConnect', session: 1, stream: 4 },
    { type: 'streamSend', session: 1, stream: 0, data: new Uint8Array([1, 2, 3]) },
    { type: 'streamClose', session: 2, stream: 3 },
    { type: 'displayConnected', session: 3, width: 720, height: 400 },
    { type: 'displayDisconnected', session: 3, clean: true, reason: '' },
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
    const m = parseFromWebview({ type: 'streamSend', session: 1, stream: 2, data: 'AQID' });
    assert.ok(m.type === 'streamSend' && m.data instanceof Uint8Array && m.stream === 2);
    assert.deepEqual([...(m as { data: Uint8Array }).data], [1, 2, 3]);
    refused({ type: 'streamSend', session: 1, stream: 0, data: 'A*==' }, /malformed byte payload/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: 'A' }, /malformed byte payload/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: [1, 2, 256] }, /malformed byte payload/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: { 0: 1.5 } }, /malformed byte payload/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: 42 }, /malformed byte payload/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: new Uint8Array(1024 * 1024 + 1) }, /larger than/);
    refused({ type: 'streamSend', session: 1, stream: 0, data: 'A'.repeat(2 * 1024 * 1024) }, /larger than/);
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
    refused({ type: 'streamClose', session: -1, stream: 0 }, /streamClose\.session/);
    refused({ type: 'streamClose', session: 1.5, stream: 0 }, /streamClose\.session/);
    refused({ type: 'streamClose', session: '1', stream: 0 }, /streamClose\.session/);
    refused({ type: 'streamClose', session: 1 }, /missing field stream/);
    refused({ type: 'streamConnect', session: 1, stream: 1024 }, /streamConnect\.stream/);
    refused({ type: 'streamConnect', session: 1, stream: -1 }, /streamConnect\.stream/);
    refused({ type: 'streamSend', session: 1, stream: '0', data: 'AQID' }, /streamSend\.stream/);
    refused({ type: 'displayConnected', session: 1, width: 1e9, height: 400 }, /displayConnected\.width/);
    refused({ type: 'displayDisconnected', session: 1, clean: 'yes', reason: '' }, /displayDisconnected\.clean/);
    refused({ type: 'displayDisconnected', session: 1, clean: true, reason: 'x'.repeat(2000) }, /displayDisconnected\.reason/);
    refused({ type: 'credentialsRequired', types: [1] }, /credentialsRequired\.types/);
    refused({ type: 'securityFailure', reason: {} }, /securityFailure\.reason/);
  });

  it('refuses a clipboard request that was not started by a user action', () => {
    refused({ type: 'requestPaste' }, /missing field userAction/);
    refused({ type: 'requestPaste', userAction: false }, /requestPaste\.userAction: not started by a user action/);
    refused({ type: 'requestPaste', userAction: 'true' }, /requestPaste\.userAction/);
  });

  it('steps the zoom through browser-like levels from any factor, and stops at both ends', () => {
    assert.equal(nextZoom(1, 1), 1.1);
    assert.equal(nextZoom(1, -1), 0.9);
    assert.equal(nextZoom(0.62, 1), 0.67, 'from a fitted factor: the next level up');
    assert.equal(nextZoom(0.62, -1), 0.5);
    assert.equal(nextZoom(0.667, 1), 0.75, 'a factor that rounds to a level counts as that level');
    assert.equal(nextZoom(4, 1), 4);
    assert.equal(nextZoom(0.25, -1), 0.25);
    assert.equal(nextZoom(9, -1), 4);
    assert.deepEqual([...ZOOM_LEVELS].sort((a, b) => a - b), ZOOM_LEVELS, 'levels ascend');
    assert.equal(zoomLabel(1.25), '125%');
    assert.equal(zoomLabel(0.33), '33%');
  });
});
