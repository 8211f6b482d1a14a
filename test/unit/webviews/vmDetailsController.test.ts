// The details panel's message handling, driven without VS Code over a small in-memory model of
// the DetailsModel contract (the libvirt-backed model is exercised by the extension-host suite).
import * as assert from 'node:assert/strict';
import { ApplyRefusedError, type ApplyOutcome, type DetailsModel, type DetailsSnapshot, type FieldChange, type FieldProblem, type FormSection, type FormValue, type HintChange } from '../../../src/forms/formSchema';
import { DetailsController, outcomeSummary, type DetailsCallbacks, type GuestSource } from '../../../src/webviews/vmDetails/controller';
import { Edits } from '../../../src/webviews/vmDetails/edits';
import { GUEST_SECTION, parseFromWebview, type GuestState, type ToWebview } from '../../../src/webviews/vmDetails/protocol';
import type { AddHardwareSource } from '../../../src/webviews/addHardware/controller';
import type { ToWebview as HardwareToWebview } from '../../../src/webviews/addHardware/protocol';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class MemoryModel implements DetailsModel {
  readonly title = 'vm1';
  values: Record<string, Record<string, FormValue>> = { overview: { name: 'vm1', title: undefined }, memory: { memory: 512 }, 'disk:vda': { bus: 'virtio' } };
  running = false;
  refuse: ApplyRefusedError | undefined;
  applied: FieldChange[][] = [];
  removed: string[] = [];
  checks = 0;
  /** Device sections added on the host (the Add Hardware form's Finish). */
  extra: FormSection[] = [];
  private listener: (() => void) | undefined;

  async load(): Promise<DetailsSnapshot> {
    const sections: FormSection[] = [
      { id: 'overview', title: 'Overview', icon: 'info', removable: false, values: this.values['overview']!, fields: [{ id: 'name', label: 'Name', widget: 'text', apply: 'next-boot' }, { id: 'title', label: 'Title', widget: 'text', apply: 'live' }] },
      { id: 'memory', title: 'Memory', icon: 'server', removable: false, values: this.values['memory']!, fields: [{ id: 'memory', label: 'Memory', widget: 'size', unit: 'MiB', apply: 'live' }] },
      { id: 'disk:vda', title: 'Disk vda', icon: 'database', removable: true, values: this.values['disk:vda']!, fields: [{ id: 'bus', label: 'Bus', widget: 'select', apply: 'next-boot', options: [{ value: 'virtio', label: 'VirtIO' }] }] },
      ...this.extra,
    ];
    return { sections, problems: [], running: this.running };
  }
  async check(changes: readonly FieldChange[]): Promise<readonly FieldProblem[]> {
    this.checks++;
    return changes.filter((c) => c.field === 'memory' && typeof c.value === 'number' && c.value < 64).map((c) => ({ section: c.section, field: c.field, severity: 'error' as const, message: 'At least 64 MiB.' }));
  }
  async apply(changes: readonly FieldChange[]): Promise<ApplyOutcome> {
    if (this.refuse) throw this.refuse;
    this.applied.push([...changes]);
    for (const c of changes) this.values[c.section]![c.field] = c.value;
    return { appliedLive: changes.filter((c) => c.field !== 'name').map((c) => c.field), nextBoot: changes.filter((c) => c.field === 'name').map((c) => c.field) };
  }
  async remove(section: string): Promise<ApplyOutcome> {
    this.removed.push(section);
    return { appliedLive: [], nextBoot: [section] };
  }
  onDidChangeDefinition(listener: () => void): { dispose(): void } {
    this.listener = listener;
    return { dispose: () => (this.listener = undefined) };
  }
  changeOnHost(section: string, field: string, value: FormValue): void {
    this.values[section]![field] = value;
    this.listener?.();
  }
}

function setup(): { model: MemoryModel; posted: ToWebview[]; ctl: DetailsController; confirms: string[]; answer: { remove: boolean } } {
  const model = new MemoryModel();
  const posted: ToWebview[] = [];
  const confirms: string[] = [];
  const answer = { remove: true };
  const callbacks: DetailsCallbacks = {
    openXml: () => undefined,
    addHardware: () => undefined,
    confirmRemove: async (s) => {
      confirms.push(s.title);
      return answer.remove;
    },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  return { model, posted, ctl: new DetailsController(model, (m) => posted.push(m), callbacks, 10), confirms, answer };
}

function last<T extends ToWebview['type']>(posted: readonly ToWebview[], type: T): Extract<ToWebview, { type: T }> {
  const m = [...posted].reverse().find((x) => x.type === type);
  assert.ok(m, `no ${type} message posted`);
  return m as Extract<ToWebview, { type: T }>;
}

describe('VM details controller (unit)', () => {
  it('sends the whole state on ready, first section selected', async () => {
    const { ctl, posted } = setup();
    await ctl.load();
    await ctl.handle({ type: 'ready' });
    const s = last(posted, 'state').state;
    assert.deepEqual(s.sections.map((x) => x.id), ['overview', 'memory', 'disk:vda']);
    assert.equal(s.selected, 'overview');
    assert.deepEqual(s.pending, []);
  });

  it('a page that drew the embedded state gets no second one on ready, unless something changed since', async () => {
    const { ctl, posted } = setup();
    await ctl.load();
    const embedded = ctl.embeddedState();
    assert.ok(embedded.type === 'state' && typeof embedded.version === 'number');
    assert.deepEqual(embedded.state.sections.map((x) => x.id), ['overview', 'memory', 'disk:vda']);
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'ready', stateVersion: embedded.version }));
    assert.equal(posted.filter((m) => m.type === 'state').length, 0, 'the page already shows this state');
    // A page recreated later, or one that drew an older state, gets the whole state.
    const old = ctl.embeddedState();
    ctl.setConnected(false, 'host1 is disconnected.');
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'ready', stateVersion: old.type === 'state' ? old.version : -1 }));
    assert.equal(last(posted, 'state').state.disconnected, 'host1 is disconnected.');
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'ready' }));
    assert.equal(posted.filter((m) => m.type === 'state').length, 1, 'a page without an embedded state gets it');
    assert.throws(() => parseFromWebview({ type: 'ready', stateVersion: 'x' }), /state version/);
  });

  it('checks while typing, debounced, reporting only the latest edit', async () => {
    const { ctl, posted, model } = setup();
    await ctl.load();
    const dirty: boolean[] = [];
    ctl.onDidChangeDirty((d) => dirty.push(d));
    await ctl.handle({ type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 3 }] });
    await ctl.handle({ type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 32 }] });
    await sleep(40);
    assert.equal(model.checks, 1, 'one check for two quick edits');
    const p = last(posted, 'problems').problems;
    assert.deepEqual(p.map((x) => [x.section, x.field, x.message]), [['memory', 'memory', 'At least 64 MiB.']]);
    assert.deepEqual(dirty, [true]);
    await ctl.handle({ type: 'edit', changes: [] });
    assert.deepEqual(last(posted, 'problems').problems, []);
    assert.deepEqual(dirty, [true, false]);
  });

  it('applies nothing while an error remains, and keeps the edits', async () => {
    const { ctl, posted, model } = setup();
    await ctl.load();
    const changes = [{ section: 'memory', field: 'memory', value: 10 }];
    await ctl.handle({ type: 'apply', requestId: 1, changes });
    const r = last(posted, 'result');
    assert.equal(r.inReplyTo, 1);
    assert.ok(!r.result.ok && /Fix the errors/.test(r.result.message));
    assert.deepEqual(model.applied, []);
    assert.deepEqual(ctl.pending, changes);
  });

  it('a refused Apply puts the problems on the fields and keeps the edits', async () => {
    const { ctl, posted, model } = setup();
    await ctl.load();
    model.refuse = new ApplyRefusedError('unsupported configuration: too much', [{ section: 'memory', field: 'memory', severity: 'error', message: 'unsupported configuration: too much' }]);
    const changes = [{ section: 'memory', field: 'memory', value: 1 << 30 }];
    await ctl.handle({ type: 'apply', requestId: 2, changes });
    const r = last(posted, 'result').result;
    assert.ok(!r.ok && /Nothing was applied: unsupported configuration/.test(r.message));
    assert.deepEqual(last(posted, 'problems').problems.map((p) => p.field), ['memory']);
    assert.deepEqual(ctl.pending, changes);
    assert.ok(ctl.dirty);
  });

  it('applies, reloads and says what applies now and what at next boot', async () => {
    const { ctl, posted, model } = setup();
    model.running = true;
    await ctl.load();
    await ctl.handle({ type: 'apply', requestId: 3, changes: [{ section: 'memory', field: 'memory', value: 1024 }, { section: 'overview', field: 'name', value: 'vm2' }] });
    const r = last(posted, 'result').result;
    assert.deepEqual(r, { ok: true, summary: 'Applied now: memory; at next boot: name.' });
    const s = last(posted, 'state').state;
    assert.deepEqual(s.pending, []);
    assert.equal(s.sections.find((x) => x.id === 'memory')!.values['memory'], 1024);
    assert.equal(ctl.dirty, false);
  });

  it('a closed connection disables Apply and says why', async () => {
    const { ctl, posted, model } = setup();
    await ctl.load();
    ctl.setConnected(false, 'host1 is disconnected (connection reset).');
    assert.equal(last(posted, 'connection').disconnected, 'host1 is disconnected (connection reset).');
    await ctl.handle({ type: 'apply', requestId: 4, changes: [{ section: 'memory', field: 'memory', value: 1024 }] });
    const r = last(posted, 'result').result;
    assert.ok(!r.ok && /Cannot apply: host1 is disconnected/.test(r.message));
    assert.deepEqual(model.applied, []);
    ctl.setConnected(true);
    assert.equal(last(posted, 'connection').disconnected, undefined);
  });

  it('a change on the host reloads a clean panel, and shows the banner over unapplied edits', async () => {
    const { ctl, posted, model } = setup();
    await ctl.load();
    model.changeOnHost('overview', 'title', 'from elsewhere');
    await sleep(5);
    assert.equal(last(posted, 'state').state.sections[0]!.values['title'], 'from elsewhere');
    await ctl.handle({ type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 2048 }] });
    const before = posted.filter((m) => m.type === 'state').length;
    model.changeOnHost('overview', 'title', 'again');
    await sleep(5);
    assert.ok(posted.some((m) => m.type === 'changedOnHost'));
    assert.equal(posted.filter((m) => m.type === 'state').length, before, 'no reload over the edits');
    assert.equal(ctl.state().changedOnHost, true);
    await ctl.handle({ type: 'reload' });
    const s = last(posted, 'state').state;
    assert.equal(s.changedOnHost, false);
    assert.deepEqual(s.pending, []);
    assert.equal(s.sections[0]!.values['title'], 'again');
  });

  it('removes a device only after the confirmation, and only removable sections', async () => {
    const { ctl, posted, model, confirms, answer } = setup();
    await ctl.load();
    await ctl.handle({ type: 'remove', requestId: 5, section: 'memory' });
    assert.ok(!last(posted, 'result').result.ok);
    answer.remove = false;
    await ctl.handle({ type: 'remove', requestId: 6, section: 'disk:vda' });
    assert.deepEqual(last(posted, 'result').result, { ok: false, message: 'Removal cancelled.', problems: [] });
    assert.deepEqual(model.removed, []);
    answer.remove = true;
    await ctl.handle({ type: 'remove', requestId: 7, section: 'disk:vda' });
    assert.deepEqual(model.removed, ['disk:vda']);
    assert.deepEqual(confirms, ['Disk vda', 'Disk vda']);
    const r = last(posted, 'result');
    assert.equal(r.inReplyTo, 7);
    assert.ok(r.result.ok && r.result.summary.startsWith('Removed Disk vda.'));
  });

  it('words the outcome as virt-manager does', () => {
    assert.equal(outcomeSummary({ appliedLive: ['Memory'], nextBoot: ['Machine type'] }, true), 'Applied now: Memory; at next boot: Machine type.');
    assert.equal(outcomeSummary({ appliedLive: [], nextBoot: ['Name'] }, true), 'At next boot: Name.');
    assert.equal(outcomeSummary({ appliedLive: ['Memory'], nextBoot: ['Name'] }, false), 'Saved: Memory, Name.');
    assert.equal(outcomeSummary({ appliedLive: [], nextBoot: [] }, false), 'Nothing to apply.');
  });
});

describe('VM details edits (unit)', () => {
  const section: FormSection = {
    id: 'cpus',
    title: 'CPUs',
    icon: 'chip',
    removable: false,
    values: { mode: 'host-passthrough', model: undefined, vcpus: 2 },
    fields: [
      { id: 'mode', label: 'Mode', widget: 'select', apply: 'next-boot', options: [{ value: 'custom', label: 'Custom' }, { value: 'host-passthrough', label: 'Host passthrough' }] },
      { id: 'model', label: 'Model', widget: 'text', apply: 'next-boot', required: true, when: { field: 'mode', equals: 'custom' } },
      { id: 'vcpus', label: 'vCPUs', widget: 'number', min: 1, max: 8, apply: 'live' },
    ],
  };

  it('drops a change back to the loaded value, and sends no change of a hidden field', () => {
    const e = new Edits();
    e.reset([section], []);
    e.set('cpus', 'vcpus', 4);
    assert.ok(e.isModified('cpus', 'vcpus'));
    e.set('cpus', 'vcpus', 2);
    assert.ok(!e.isModified('cpus'));
    e.set('cpus', 'model', 'qemu64');
    assert.deepEqual(e.changes(), [], 'model is hidden while mode is not custom');
    e.set('cpus', 'mode', 'custom');
    assert.deepEqual(e.changes(), [{ section: 'cpus', field: 'model', value: 'qemu64' }, { section: 'cpus', field: 'mode', value: 'custom' }]);
  });

  it('finds required, non-numeric and out-of-range values itself', () => {
    const e = new Edits();
    e.reset([section], [{ section: 'cpus', field: 'mode', value: 'custom' }]);
    e.set('cpus', 'vcpus', 9);
    e.set('cpus', 'model', undefined);
    assert.deepEqual(e.localProblems().map((p) => p.message), ['The largest value is 8.']);
    e.set('cpus', 'model', '');
    e.set('cpus', 'vcpus', 'abc');
    assert.deepEqual(e.localProblems().map((p) => p.message).sort(), ['Enter a number.', 'Model is required.']);
  });
});

describe('VM details controller: suggestions (unit)', () => {
  const HINT = { key: 'no-tablet@graphics', code: 'no-tablet', importance: 'low' as const, title: 'Add a tablet', why: 'why', effect: 'effect', apply: 'auto' as const, section: 'overview' };
  class HintModel extends MemoryModel {
    hinted = true;
    definition = '<domain/>';
    appliedHints: string[] = [];
    override async load(): Promise<DetailsSnapshot> {
      return { ...(await super.load()), hints: this.hinted ? [HINT] : [] };
    }
    async previewHint(key: string): Promise<HintChange> {
      return { key, title: HINT.title, fixTitle: 'Add a USB tablet', effect: HINT.effect, before: this.definition, after: '<domain><tablet/></domain>' };
    }
    async applyHint(change: HintChange): Promise<ApplyOutcome> {
      this.appliedHints.push(change.key);
      this.hinted = false;
      return { appliedLive: [change.title], nextBoot: [] };
    }
  }
  function hinted(confirm: boolean): { model: HintModel; ctl: DetailsController; posted: ToWebview[]; asked: HintChange[] } {
    const model = new HintModel();
    const posted: ToWebview[] = [];
    const asked: HintChange[] = [];
    const ctl = new DetailsController(model, (m) => posted.push(m), {
      openXml: () => undefined,
      addHardware: () => undefined,
      confirmRemove: async () => false,
      confirmHint: async (c) => {
        asked.push(c);
        return confirm;
      },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    }, 10);
    return { model, ctl, posted, asked };
  }

  it('lists the hints in the state, applies one after the question, and the list follows', async () => {
    const { model, ctl, posted, asked } = hinted(true);
    await ctl.load();
    assert.deepEqual(last(posted, 'state').state.hints.map((h) => h.key), [HINT.key]);
    await ctl.handle({ type: 'applyHint', requestId: 1, key: HINT.key });
    assert.equal(asked.length, 1, 'asked first, with the change');
    assert.equal(asked[0]!.after, '<domain><tablet/></domain>');
    assert.deepEqual(model.appliedHints, [HINT.key]);
    const r = last(posted, 'result');
    assert.ok(r.result.ok, JSON.stringify(r.result));
    assert.deepEqual(last(posted, 'state').state.hints, [], 'reloaded: the hint is gone');
  });

  it('a declined question applies nothing; unapplied edits are kept and block the suggestion', async () => {
    const declined = hinted(false);
    await declined.ctl.load();
    await declined.ctl.handle({ type: 'applyHint', requestId: 1, key: HINT.key });
    assert.deepEqual(declined.model.appliedHints, []);
    assert.equal(last(declined.posted, 'result').result.ok, false);

    const { model, ctl, posted, asked } = hinted(true);
    await ctl.load();
    await ctl.handle({ type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 1024 }] });
    await ctl.handle({ type: 'applyHint', requestId: 2, key: HINT.key });
    const r = last(posted, 'result').result;
    assert.ok(!r.ok && /Apply or revert your changes first/.test(r.message));
    assert.equal(asked.length, 0);
    assert.deepEqual(model.appliedHints, []);
    assert.deepEqual(ctl.pending, [{ section: 'memory', field: 'memory', value: 1024 }], 'the edits are kept');
  });

  it('without a way to ask, the hints are listed as manual and nothing is applied', async () => {
    const model = new HintModel();
    const posted: ToWebview[] = [];
    const ctl = new DetailsController(model, (m) => posted.push(m), { openXml: () => undefined, addHardware: () => undefined, confirmRemove: async () => false, log: { info: () => undefined, warn: () => undefined, error: () => undefined } }, 10);
    await ctl.load();
    assert.equal(last(posted, 'state').state.hints[0]!.apply, 'manual');
    await ctl.handle({ type: 'applyHint', requestId: 3, key: HINT.key });
    assert.deepEqual(model.appliedHints, []);
  });

  it('an applyHint message is checked field by field', () => {
    assert.throws(() => parseFromWebview({ type: 'applyHint', requestId: 1 }));
    assert.throws(() => parseFromWebview({ type: 'applyHint', requestId: 1, key: 7 }));
    assert.deepEqual(parseFromWebview({ type: 'applyHint', requestId: 1, key: 'k' }), { type: 'applyHint', requestId: 1, key: 'k' });
  });
});

describe('VM details Guest section (unit)', () => {
  function guestSetup(): { posted: ToWebview[]; ctl: DetailsController; reads: boolean[]; actions: string[]; fire: () => void; answer: { state: GuestState; fail?: Error } } {
    const model = new MemoryModel();
    const posted: ToWebview[] = [];
    const reads: boolean[] = [];
    const actions: string[] = [];
    const answer: { state: GuestState; fail?: Error } = { state: { status: 'facts', facts: { hostname: 'h1' }, at: 1 } };
    let listener: (() => void) | undefined;
    const guest: GuestSource = {
      read: async (fresh) => {
        reads.push(fresh);
        await sleep(5);
        return answer.state;
      },
      action: async (a) => {
        actions.push(a);
        if (answer.fail) throw answer.fail;
        return `did ${a}`;
      },
      onDidChange: (l) => {
        listener = l;
        return { dispose: () => (listener = undefined) };
      },
    };
    const callbacks: DetailsCallbacks = { openXml: () => undefined, addHardware: () => undefined, confirmRemove: async () => false, log: { info: () => undefined, warn: () => undefined, error: () => undefined }, guest };
    return { posted, ctl: new DetailsController(model, (m) => posted.push(m), callbacks, 10), reads, actions, fire: () => listener?.(), answer };
  }

  it('lists a Guest section last, says "loading" while the agent is asked, then its facts', async () => {
    const { posted, ctl, reads } = guestSetup();
    await ctl.load();
    assert.equal(last(posted, 'state').state.sections.at(-1)?.id, GUEST_SECTION);
    await ctl.handle({ type: 'ready' });
    const guests = posted.filter((m): m is Extract<ToWebview, { type: 'guest' }> => m.type === 'guest').map((m) => m.guest.status);
    assert.deepEqual(guests, ['loading', 'facts']);
    assert.deepEqual(reads, [false], 'the cached facts on open');
    await ctl.handle({ type: 'guestRefresh' });
    assert.deepEqual(reads, [false, true], 'Refresh asks the agent again');
  });

  it('runs a button, answers the request and reads the agent again; a failure is the answer, not a throw', async () => {
    const { posted, ctl, reads, actions, answer } = guestSetup();
    await ctl.load();
    await ctl.handle({ type: 'guestAction', requestId: 7, action: 'freezeFilesystems' });
    assert.deepEqual(actions, ['freezeFilesystems']);
    const reply = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 7);
    assert.deepEqual(reply?.result, { ok: true, summary: 'did freezeFilesystems' });
    assert.deepEqual(reads, [true]);
    answer.fail = new Error('The guest agent did not answer in time.');
    await ctl.handle({ type: 'guestAction', requestId: 8, action: 'syncClock' });
    const failed = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 8);
    assert.deepEqual(failed?.result, { ok: false, message: 'The guest agent did not answer in time.', problems: [] });
  });

  it('follows the agent coming and going; nothing is posted after dispose', async () => {
    const { posted, ctl, answer, fire } = guestSetup();
    await ctl.load();
    answer.state = { status: 'unavailable', problem: 'notConnected', message: 'not connected' };
    fire();
    await sleep(30);
    assert.equal(last(posted, 'guest').guest.status, 'unavailable');
    ctl.dispose();
    const before = posted.length;
    fire();
    await sleep(30);
    assert.equal(posted.length, before, 'nothing after dispose');
  });

  it('refuses an unknown action and a missing request id', () => {
    assert.throws(() => parseFromWebview({ type: 'guestAction', requestId: 1, action: 'rm -rf /' }));
    assert.throws(() => parseFromWebview({ type: 'guestAction', action: 'syncClock' }));
    assert.throws(() => parseFromWebview({ type: 'guestRefresh', extra: 1 }));
    assert.deepEqual(parseFromWebview({ type: 'guestAction', requestId: 1, action: 'syncClock' }), { type: 'guestAction', requestId: 1, action: 'syncClock' });
  });
});

describe('VM details controller: the Add Hardware form inside the tab (unit)', () => {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

  /** A details controller whose callbacks give an Add Hardware model; its Finish adds a watchdog section to the details model and fires the define event. */
  function withForm(): { model: MemoryModel; posted: ToWebview[]; ctl: DetailsController; tabsOpened: number[]; finishes: string[] } {
    const model = new MemoryModel();
    const posted: ToWebview[] = [];
    const tabsOpened: number[] = [];
    const finishes: string[] = [];
    const source: AddHardwareSource = {
      title: 'vm1',
      load: async () => ({ kinds: [{ id: 'watchdog', label: 'Watchdog', icon: 'eye', fields: [{ id: 'model', label: 'Model', widget: 'text', apply: 'next-boot' }], values: { model: 'i6300esb' }, live: false }], running: false }),
      check: async () => ({ problems: [], derived: {}, summary: 'Adds Watchdog.' }),
      finish: async (kind, values) => {
        finishes.push(`${kind} ${String(values['model'])}`);
        const id = `watchdog:${String(values['model'])}`;
        model.extra.push({ id, title: 'Watchdog', icon: 'eye', removable: true, values: { model: values['model'] }, fields: [] });
        // The define's event arrives before Finish returns (as libvirt's does).
        model.changeOnHost('overview', 'name', 'vm1');
        return { summary: `Added Watchdog to vm1.`, device: id, live: false };
      },
    };
    const callbacks: DetailsCallbacks = { openXml: () => undefined, addHardware: () => tabsOpened.push(1), addHardwareForm: () => source, confirmRemove: async () => false, log };
    return { model, posted, ctl: new DetailsController(model, (m) => posted.push(m), callbacks, 10), tabsOpened, finishes };
  }

  const hardware = (posted: readonly ToWebview[]): HardwareToWebview[] => posted.flatMap((m) => (m.type === 'hardware' ? [m.message] : []));

  it('shows the form in the tab, adds through it, then shows the new device with the unapplied edits kept', async () => {
    const { ctl, posted, tabsOpened, finishes } = withForm();
    await ctl.load();
    await ctl.handle(parseFromWebview({ type: 'edit', changes: [{ section: 'memory', field: 'memory', value: 1024 }] }));
    const shown: string[] = [];
    ctl.onDidShowHardwareForm((kind, fields) => shown.push(`${kind} ${fields}`));
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'addHardware' }));
    assert.deepEqual(tabsOpened, [], 'no Add Hardware tab');
    const state = hardware(posted).find((m) => m.type === 'state');
    assert.ok(state?.type === 'state');
    assert.deepEqual(state.state.kinds.map((k) => k.id), ['watchdog']);
    assert.equal(state.state.kinds[0]?.values['model'], 'i6300esb');
    // The page drew the form: the details panel hears of it.
    await ctl.handle(parseFromWebview({ type: 'hardware', message: { type: 'shown', kind: 'watchdog', fields: 1 } }));
    assert.deepEqual(shown, ['watchdog 1']);

    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'hardware', message: { type: 'finish', requestId: 7, kind: 'watchdog', values: { model: 'ib700' } } }));
    assert.deepEqual(finishes, ['watchdog ib700']);
    const reply = hardware(posted).find((m) => m.type === 'result');
    assert.ok(reply?.type === 'result' && reply.inReplyTo === 7 && reply.result.ok, JSON.stringify(reply));
    const after = last(posted, 'state').state;
    assert.ok(after.sections.some((s) => s.id === 'watchdog:ib700'), 'the new device is listed');
    assert.deepEqual(after.pending, [{ section: 'memory', field: 'memory', value: 1024 }], 'the unapplied edit stays');
    assert.equal(after.changedOnHost, false, 'our own define is no change outside the tab');
    assert.equal(last(posted, 'select').section, 'watchdog:ib700');
    assert.equal(ctl.selectedSection, 'watchdog:ib700');
    const closed = last(posted, 'hardwareClosed');
    assert.equal(closed.summary, 'Added Watchdog to vm1.');
    assert.equal(posted.at(-1)?.type, 'hardwareClosed', 'the form closes after the sections are read again');
    assert.equal(ctl.hardware, undefined);
    assert.deepEqual(ctl.pending, [{ section: 'memory', field: 'memory', value: 1024 }]);
  });

  it('Cancel closes the form; a recreated page gets the form back with its values; messages for a closed form do nothing', async () => {
    const { ctl, posted, finishes } = withForm();
    await ctl.load();
    await ctl.handle(parseFromWebview({ type: 'addHardware' }));
    await ctl.handle(parseFromWebview({ type: 'hardware', message: { type: 'edit', kind: 'watchdog', values: { model: 'diag288' }, version: 1 } }));
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'ready' }));
    const again = hardware(posted).find((m) => m.type === 'state');
    assert.ok(again?.type === 'state');
    assert.deepEqual(again.state.edited['watchdog'], { model: 'diag288' }, 'the typed value comes back');
    // Pressing Add Hardware again while it is open shows the same form.
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'addHardware' }));
    const same = hardware(posted).find((m) => m.type === 'state');
    assert.ok(same?.type === 'state' && same.state.edited['watchdog']?.['model'] === 'diag288');

    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'hardware', message: { type: 'cancel' } }));
    assert.deepEqual(posted.map((m) => m.type), ['hardwareClosed']);
    assert.equal(last(posted, 'hardwareClosed').summary, undefined);
    assert.equal(ctl.hardware, undefined);
    await ctl.handle(parseFromWebview({ type: 'hardware', message: { type: 'finish', requestId: 1, kind: 'watchdog', values: {} } }));
    assert.deepEqual(finishes, [], 'nothing added through a closed form');
    // Disconnected: the form opened then says why Finish is off.
    ctl.setConnected(false, 'host1 is disconnected.');
    posted.length = 0;
    await ctl.handle(parseFromWebview({ type: 'addHardware' }));
    assert.ok(hardware(posted).some((m) => m.type === 'state' && m.state.disconnected === 'host1 is disconnected.'));
    ctl.dispose();
  });

  it('checks a wrapped message field by field, as the Add Hardware tab does', () => {
    assert.throws(() => parseFromWebview({ type: 'hardware', message: { type: 'finish', requestId: 1, kind: 'disk', values: { x: { nested: true } } } }), /hardware\.message/);
    assert.throws(() => parseFromWebview({ type: 'hardware', message: { type: 'edit', kind: 'disk', values: {}, version: 1, extra: 1 } }), /unexpected field/);
    assert.throws(() => parseFromWebview({ type: 'hardware', message: { type: 'apply', requestId: 1, changes: [] } }), /unknown message type/);
    assert.throws(() => parseFromWebview({ type: 'hardware' }), /missing field message/);
    assert.deepEqual(parseFromWebview({ type: 'hardware', message: { type: 'select', kind: 'disk' } }), { type: 'hardware', message: { type: 'select', kind: 'disk' } });
  });

  it('without an Add Hardware model the button opens the Add Hardware tab', async () => {
    const { ctl } = setup();
    let opened = 0;
    const c2 = new DetailsController(ctl.model, () => undefined, { openXml: () => undefined, addHardware: () => opened++, confirmRemove: async () => false, log }, 10);
    await c2.handle(parseFromWebview({ type: 'addHardware' }));
    assert.equal(opened, 1);
    assert.equal(c2.hardware, undefined);
  });
});
