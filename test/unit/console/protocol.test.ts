import * as assert from 'node:assert/strict';
import { charKeysym, comboKeys, comboLabel, isFromWebview, isKeyCombo, KEY_COMBOS } from '../../../src/webviews/console/protocol';

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

  it('accepts only known message types from the webview', () => {
    assert.ok(isFromWebview({ type: 'ready' }));
    assert.ok(isFromWebview({ type: 'vncSend', session: 1, data: 'AA==' }));
    assert.ok(!isFromWebview({ type: 'eval', code: 'x' }));
    assert.ok(!isFromWebview('ready'));
    assert.ok(!isFromWebview(null));
  });
});
