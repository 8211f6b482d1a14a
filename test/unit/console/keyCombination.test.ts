import * as assert from 'node:assert/strict';
import { KeyCombinationError, parseKeyCombination } from '../../../src/console/keyCombination';

describe('typed key combinations (unit)', () => {
  it('maps key names to Linux input keycodes, in the order typed', () => {
    // linux/input-event-codes.h: KEY_LEFTCTRL 29, KEY_LEFTALT 56, KEY_F2 60, KEY_DELETE 111.
    assert.deepEqual(parseKeyCombination('ctrl+alt+f2'), { label: 'Ctrl+Alt+F2', keycodes: [29, 56, 60] });
    assert.deepEqual(parseKeyCombination(' Ctrl + Alt + Del ').keycodes, [29, 56, 111]);
    assert.deepEqual(parseKeyCombination('alt+sysrq+h').keycodes, [56, 99, 35]);
    assert.deepEqual(parseKeyCombination('super+l').keycodes, [125, 38]);
    assert.deepEqual(parseKeyCombination('shift+1').keycodes, [42, 2]);
    assert.deepEqual(parseKeyCombination('f10+f11+f12').keycodes, [68, 87, 88]);
    assert.deepEqual(parseKeyCombination('ctrl+z').keycodes, [29, 44]);
    assert.deepEqual(parseKeyCombination('q+p+a+m+0').keycodes, [16, 25, 30, 50, 11]);
  });

  it('says what is wrong with a combination it cannot send', () => {
    const refused = (text: string, reason: RegExp): void => {
      assert.throws(() => parseKeyCombination(text), (e: unknown) => KeyCombinationError.is(e) && reason.test(e.message), text);
    };
    refused('', /type keys joined by/);
    refused('ctrl+', /empty key name/);
    refused('ctrl+alt+f13', /unknown key "f13"/);
    refused('ctrl+ctrl', /pressed twice/);
    refused(Array.from('abcdefghijklmnopq').join('+'), /at most 16 keys/);
  });
});
