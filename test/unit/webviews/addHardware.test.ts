// The Add Hardware tab without VS Code: every field of every incoming message is checked (a
// forged value map is refused), and the controller keeps the values of a refused Finish, answers
// before the tab may close, and refuses Finish while the connection is down. The forms come from
// the descriptions: every offered kind has a label, an icon and fields with labels.
import * as assert from 'node:assert/strict';
import { addFields, addableKinds } from '../../../src/forms/addHardware';
import { ApplyRefusedError, type FormValue } from '../../../src/forms/formSchema';
import { AddHardwareController } from '../../../src/webviews/addHardware/controller';
import { parseFromWebview, type ToWebview } from '../../../src/webviews/addHardware/protocol';
import { WebviewMessageError } from '../../../src/webviews/shared/messageChecks';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('Add Hardware protocol and controller (unit)', () => {
  it('checks every field of the messages from the webview', () => {
    assert.deepEqual(parseFromWebview({ type: 'edit', kind: 'disk', values: { bus: 'sata', capacity: 2, readonly: true }, changed: 'bus', version: 3 }), {
      type: 'edit',
      kind: 'disk',
      values: { bus: 'sata', capacity: 2, readonly: true },
      changed: 'bus',
      version: 3,
    });
    const refused = [
      { type: 'edit', kind: 'disk', values: { bus: { x: 1 } }, version: 1 },
      { type: 'edit', kind: 'disk', values: [], version: 1 },
      { type: 'edit', kind: 'disk', values: {}, version: -1 },
      { type: 'finish', requestId: 1, kind: 'disk', values: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, 1])) },
      { type: 'finish', requestId: 1, kind: 'disk', values: {}, extra: true },
      { type: 'finish', kind: 'disk', values: {} },
      { type: 'select' },
      { type: 'nope' },
    ];
    for (const m of refused) assert.throws(() => parseFromWebview(m), WebviewMessageError, JSON.stringify(m).slice(0, 80));
  });

  it('every kind offered has a label, an icon and labelled fields; ids are unique', () => {
    const kinds = addableKinds();
    assert.ok(kinds.length >= 19, kinds.map((k) => k.kind).join(' '));
    for (const d of kinds) {
      assert.ok(d.add?.label && d.add.icon, d.kind);
      const ids = addFields(d).map((f) => f.id);
      assert.equal(new Set(ids).size, ids.length, `${d.kind}: ${ids.join(' ')}`);
      for (const f of addFields(d)) assert.ok(f.label.length > 0 && f.widget !== 'readonly', `${d.kind}.${f.id}`);
    }
  });

  it('keeps the values of a refused Finish and answers before the tab closes', async () => {
    const posted: ToWebview[] = [];
    const order: string[] = [];
    let fail = true;
    const model = {
      title: 'vm1',
      load: async () => ({ kinds: [{ id: 'watchdog', label: 'Watchdog', icon: 'eye', fields: [], values: { model: 'i6300esb' }, live: false }], running: false }),
      check: async () => ({ problems: [], derived: {}, summary: 'Adds Watchdog.' }),
      finish: async (_k: string, _v: Readonly<Record<string, FormValue>>) => {
        if (fail) throw new ApplyRefusedError('Nothing was added: no', [{ section: 'watchdog', field: 'model', severity: 'error', message: 'no' }]);
        return { summary: 'Added Watchdog to vm1.', device: 'watchdog:i6300esb', live: false };
      },
    };
    const c = new AddHardwareController(model, (m) => {
      posted.push(m);
      if (m.type === 'result') order.push('result');
    }, { log, cancel: () => undefined, finished: () => order.push('finished') });
    await c.load();
    await c.handle({ type: 'finish', requestId: 1, kind: 'watchdog', values: { model: 'ib700' } });
    const r1 = posted.find((m) => m.type === 'result');
    assert.ok(r1 && r1.type === 'result' && !r1.result.ok && r1.result.problems[0]?.field === 'model');
    assert.deepEqual(c.state().edited['watchdog'], { model: 'ib700' }, 'the values are kept');
    assert.deepEqual(order, ['result']);
    fail = false;
    await c.handle({ type: 'finish', requestId: 2, kind: 'watchdog', values: { model: 'ib700' } });
    assert.deepEqual(order, ['result', 'result', 'finished'], 'the answer goes out before the tab may close');
    c.setConnected(false, 'host1 is disconnected.');
    await c.handle({ type: 'finish', requestId: 3, kind: 'watchdog', values: {} });
    const r3 = posted.filter((m) => m.type === 'result').at(-1);
    assert.ok(r3 && r3.type === 'result' && !r3.result.ok && /disconnected/.test(r3.result.message));
    c.dispose();
  });
});
