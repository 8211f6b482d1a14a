// The details panel's message handling, driven without VS Code over a small in-memory model of
// the DetailsModel contract (the libvirt-backed model is exercised by the extension-host suite).
import * as assert from 'node:assert/strict';
import { ApplyRefusedError, type ApplyOutcome, type DetailsModel, type DetailsSnapshot, type FieldChange, type FieldProblem, type FormSection, type FormValue } from '../../../src/forms/formSchema';
import { DetailsController, outcomeSummary, type DetailsCallbacks } from '../../../src/webviews/vmDetails/controller';
import { Edits } from '../../../src/webviews/vmDetails/edits';
import type { ToWebview } from '../../../src/webviews/vmDetails/protocol';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class MemoryModel implements DetailsModel {
  readonly title = 'vm1';
  values: Record<string, Record<string, FormValue>> = { overview: { name: 'vm1', title: undefined }, memory: { memory: 512 }, 'disk:vda': { bus: 'virtio' } };
  running = false;
  refuse: ApplyRefusedError | undefined;
  applied: FieldChange[][] = [];
  removed: string[] = [];
  checks = 0;
  private listener: (() => void) | undefined;

  async load(): Promise<DetailsSnapshot> {
    const sections: FormSection[] = [
      { id: 'overview', title: 'Overview', icon: 'info', removable: false, values: this.values['overview']!, fields: [{ id: 'name', label: 'Name', widget: 'text', apply: 'next-boot' }, { id: 'title', label: 'Title', widget: 'text', apply: 'live' }] },
      { id: 'memory', title: 'Memory', icon: 'server', removable: false, values: this.values['memory']!, fields: [{ id: 'memory', label: 'Memory', widget: 'size', unit: 'MiB', apply: 'live' }] },
      { id: 'disk:vda', title: 'Disk vda', icon: 'database', removable: true, values: this.values['disk:vda']!, fields: [{ id: 'bus', label: 'Bus', widget: 'select', apply: 'next-boot', options: [{ value: 'virtio', label: 'VirtIO' }] }] },
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
