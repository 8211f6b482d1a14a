// What the Add Hardware tab does with each message from its webview, without VS Code: it holds
// the kinds with their forms, the user's values per kind, runs the model's checks while the user
// types (debounced; the answer carries derived values and what Finish would do), and Finish
// (nothing while the connection is down; a refusal keeps the values and puts the problems on
// their fields). panel.ts connects it to a webview; tests drive it directly.

import type { AddHardwareModel } from '../../forms/addHardware';
import { ApplyRefusedError, type FormValue } from '../../forms/formSchema';
import type { AddHardwareState, FinishResult, FromWebview, ToWebview } from './protocol';

export interface AddHardwareCallbacks {
  /** A device was added (`device`: its identity in the definition): say so (and close the form). */
  finished(summary: string, device: string): unknown;
  /** Cancel: close the form. */
  cancel(): unknown;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

/** How long typing pauses before the checks run. */
export const CHECK_DELAY_MS = 200;

/** What the controller needs of the model (src/forms/addHardware.ts; tests give their own). */
export type AddHardwareSource = Pick<AddHardwareModel, 'title' | 'load' | 'check' | 'finish'>;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class AddHardwareController {
  private kinds: AddHardwareState['kinds'] = [];
  private running = false;
  private selected = '';
  private disconnected: string | undefined;
  private readonly edited = new Map<string, Readonly<Record<string, FormValue>>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private finishing = false;
  private readonly shownListeners = new Set<(kind: string, fields: number) => void>();

  constructor(
    readonly model: AddHardwareSource,
    private readonly post: (m: ToWebview) => void,
    private readonly callbacks: AddHardwareCallbacks,
    private readonly checkDelayMs = CHECK_DELAY_MS,
  ) {}

  /** Called each time the webview has drawn a kind's form (the benchmark and UI tests wait for it). */
  onDidShowForm(listener: (kind: string, fields: number) => void): { dispose(): void } {
    this.shownListeners.add(listener);
    return { dispose: () => this.shownListeners.delete(listener) };
  }

  get selectedKind(): string {
    return this.selected;
  }

  async load(selected?: string): Promise<void> {
    const snap = await this.model.load();
    this.kinds = snap.kinds;
    this.running = snap.running;
    if (selected !== undefined && this.kinds.some((k) => k.id === selected)) this.selected = selected;
    else if (!this.kinds.some((k) => k.id === this.selected)) this.selected = this.kinds[0]?.id ?? '';
    this.postState();
  }

  state(): AddHardwareState {
    return { vm: this.model.title, kinds: this.kinds, selected: this.selected, running: this.running, disconnected: this.disconnected, edited: Object.fromEntries(this.edited) };
  }

  select(kind: string): void {
    if (!this.kinds.some((k) => k.id === kind)) return;
    this.selected = kind;
    this.postState();
  }

  setConnected(connected: boolean, reason?: string): void {
    this.disconnected = connected ? undefined : (reason ?? 'The connection to the host is closed.');
    this.post({ type: 'connection', disconnected: this.disconnected });
  }

  async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.postState();
        return;
      case 'select':
        if (this.kinds.some((k) => k.id === m.kind)) this.selected = m.kind;
        return;
      case 'edit':
        this.edit(m.kind, m.values, m.changed, m.version);
        return;
      case 'finish': {
        const { result, device } = await this.finish(m.kind, m.values);
        this.reply(m.requestId, result);
        // After the answer: the owner may close the form.
        if (result.ok && device !== undefined) await this.callbacks.finished(result.summary, device);
        return;
      }
      case 'cancel':
        await this.callbacks.cancel();
        return;
      case 'shown':
        for (const l of [...this.shownListeners]) l(m.kind, m.fields);
        return;
      case 'log':
        this.callbacks.log[m.level](`add hardware webview: ${m.message}`);
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.shownListeners.clear();
  }

  private postState(): void {
    if (!this.disposed) this.post({ type: 'state', state: this.state() });
  }

  private reply(inReplyTo: number, result: FinishResult): void {
    if (!this.disposed) this.post({ type: 'result', inReplyTo, result });
  }

  private edit(kind: string, values: Readonly<Record<string, FormValue>>, changed: string | undefined, version: number): void {
    if (!this.kinds.some((k) => k.id === kind)) return;
    this.edited.set(kind, values);
    if (this.timer) clearTimeout(this.timer);
    // A change that moves other values (derive) is answered at once; typing waits for a pause.
    const delay = changed !== undefined && this.kinds.find((k) => k.id === kind)?.fields.find((f) => f.id === changed)?.widget === 'select' ? 0 : this.checkDelayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.model.check(kind, values, changed).then(
        (r) => {
          if (this.disposed) return;
          if (Object.keys(r.derived).length > 0) this.edited.set(kind, { ...values, ...r.derived });
          this.post({ type: 'checked', kind, version, problems: r.problems, derived: r.derived, summary: r.summary });
        },
        (e: unknown) => this.callbacks.log.warn(`checking the new ${kind} failed: ${errorText(e)}`),
      );
    }, delay);
  }

  private async finish(kind: string, values: Readonly<Record<string, FormValue>>): Promise<{ readonly result: FinishResult; readonly device?: string }> {
    this.edited.set(kind, values);
    if (this.disconnected !== undefined) return { result: { ok: false, message: `Cannot add: ${this.disconnected}`, problems: [] } };
    if (this.finishing) return { result: { ok: false, message: 'Already adding.', problems: [] } };
    this.finishing = true;
    try {
      const out = await this.model.finish(kind, values);
      this.callbacks.log.info(out.summary);
      this.edited.delete(kind);
      return { result: { ok: true, summary: out.summary }, device: out.device };
    } catch (e) {
      const problems = ApplyRefusedError.is(e) ? e.problems : [];
      this.callbacks.log.warn(`Add Hardware to ${this.model.title} refused: ${errorText(e)}`);
      return { result: { ok: false, message: ApplyRefusedError.is(e) && e.message.startsWith('Nothing was added') ? e.message : `Nothing was added: ${errorText(e)}`, problems } };
    } finally {
      this.finishing = false;
    }
  }
}
