// The page's timing carried by the details webview's `shown` message: optional, and every field
// checked like the rest of the protocol.

import * as assert from 'node:assert/strict';
import { parseFromWebview } from '../../../src/webviews/vmDetails/protocol';

describe('details webview: page timing in `shown`', () => {
  it('accepts a `shown` with and without the page timing', () => {
    const timing = { scriptMs: 160.5, readyMs: 166, drawnMs: 290 };
    assert.deepEqual(parseFromWebview({ type: 'shown', section: 'overview', fields: 29, timing }), { type: 'shown', section: 'overview', fields: 29, timing });
    assert.deepEqual(parseFromWebview({ type: 'shown', section: 'overview', fields: 29 }), { type: 'shown', section: 'overview', fields: 29 });
  });

  it('refuses a timing with a missing or non-numeric time', () => {
    assert.throws(() => parseFromWebview({ type: 'shown', section: 'overview', fields: 29, timing: { scriptMs: 1, readyMs: 2 } }));
    assert.throws(() => parseFromWebview({ type: 'shown', section: 'overview', fields: 29, timing: { scriptMs: 1, readyMs: 'soon', drawnMs: 3 } }));
    assert.throws(() => parseFromWebview({ type: 'shown', section: 'overview', fields: 29, timing: 5 }));
  });
});
