// What the VM details panel does with each message from its webview, without VS Code: it holds
// the loaded sections, the user's pending changes and their problems, runs the checks while the
// user types (debounced), applies (nothing while an error remains or the connection is down; a
// refusal keeps the edits), removes devices after a confirmation, and follows changes made on
// the host. panel.ts connects it to a webview; unit tests drive it directly.

import { ApplyRefusedError, type ApplyOutcome, type DetailsModel, type DeviceStorage, type FieldChange, type FieldProblem, type FormSection } from '../../forms/formSchema';
import type { PerfSource } from '../../libvirt/domainPerf';
import type { DetailsState, FromWebview, PageTiming, RequestResult, ToWebview } from './protocol';

/** What the panel's owner provides (by injection: the tests answer the confirmation). */
export interface DetailsCallbacks {
  /** Opens the domain XML at this section's element (a returned promise is awaited, as for the others). */
  openXml(sectionId: string): unknown;
  addHardware(): unknown;
  /**
   * Asks before removing a device, naming its storage when it has any: false to cancel, true to
   * remove the device, 'deleteStorage' to delete `storage` as well (offered only when it can be).
   */
  confirmRemove(section: FormSection, storage?: DeviceStorage): Promise<RemoveAnswer>;
  /** Shows the pending changes against the definition on the host (omit to offer no diff). */
  showDiff?(pending: readonly FieldChange[]): unknown;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  /** The VM's performance for the Overview charts, fed by the tree's bulk stats (omit: no charts). */
  readonly perf?: PerfSource;
}

export type RemoveAnswer = boolean | 'deleteStorage';

/** How long typing pauses before the checks run. */
export const CHECK_DELAY_MS = 250;

/** "Applied now: Memory; at next boot: Machine type." in the words the panel shows. */
export function outcomeSummary(o: ApplyOutcome, running: boolean): string {
  if (!running) {
    const all = [...o.appliedLive, ...o.nextBoot];
    return all.length === 0 ? 'Nothing to apply.' : `Saved: ${all.join(', ')}.`;
  }
  const parts: string[] = [];
  if (o.appliedLive.length > 0) parts.push(`Applied now: ${o.appliedLive.join(', ')}`);
  if (o.nextBoot.length > 0) parts.push(`at next boot: ${o.nextBoot.join(', ')}`);
  if (parts.length === 0) return 'Nothing to apply.';
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function hasError(problems: readonly FieldProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class DetailsController {
  private sections: readonly FormSection[] = [];
  private loadedProblems: readonly FieldProblem[] = [];
  private checkedProblems: readonly FieldProblem[] | undefined;
  private running = false;
  private pendingChanges: readonly FieldChange[] = [];
  private selected: string | undefined;
  private disconnected: string | undefined;
  private changedOnHost = false;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every edit so a late check result for older edits is dropped. */
  private editVersion = 0;
  private readonly dirtyListeners = new Set<(dirty: boolean) => void>();
  private readonly subscription: { dispose(): void };
  private readonly perfSubscription: { dispose(): void } | undefined;
  private perfActive: boolean | undefined;
  private readonly shownListeners = new Set<(section: string, fields: number, timing?: PageTiming) => void>();
  private disposed = false;

  constructor(
    readonly model: DetailsModel,
    private readonly post: (m: ToWebview) => void,
    private readonly callbacks: DetailsCallbacks,
    private readonly checkDelayMs = CHECK_DELAY_MS,
  ) {
    this.subscription = model.onDidChangeDefinition(() => void this.definitionChanged());
    const perf = callbacks.perf;
    this.perfSubscription = perf?.watch((u) => {
      if (u.active !== this.perfActive) this.postPerf();
      else if (u.sample) this.post({ type: 'perfSample', sample: u.sample });
    });
  }

  /** Called each time the webview has drawn a section's form (the benchmark waits for it). */
  onDidShowForm(listener: (section: string, fields: number, timing?: PageTiming) => void): { dispose(): void } {
    this.shownListeners.add(listener);
    return { dispose: () => this.shownListeners.delete(listener) };
  }

  get pending(): readonly FieldChange[] {
    return this.pendingChanges;
  }

  get dirty(): boolean {
    return this.pendingChanges.length > 0;
  }

  get selectedSection(): string | undefined {
    return this.selected;
  }

  /** The problems the panel shows now. */
  get problems(): readonly FieldProblem[] {
    return this.checkedProblems ?? this.loadedProblems;
  }

  onDidChangeDirty(listener: (dirty: boolean) => void): { dispose(): void } {
    this.dirtyListeners.add(listener);
    return { dispose: () => this.dirtyListeners.delete(listener) };
  }

  /** Reads the definition; keeps `pending` (e.g. edits restored after the tab was closed). */
  async load(pending: readonly FieldChange[] = this.pendingChanges): Promise<void> {
    const snap = await this.model.load();
    this.sections = snap.sections;
    this.loadedProblems = snap.problems;
    this.running = snap.running ?? false;
    this.setPending(pending);
    this.checkedProblems = undefined;
    if (this.selected === undefined || !this.sections.some((s) => s.id === this.selected)) this.selected = this.sections[0]?.id;
    if (pending.length > 0) this.checkedProblems = await this.model.check(pending);
    this.postState();
  }

  state(): DetailsState {
    return {
      sections: this.sections,
      problems: this.problems,
      pending: this.pendingChanges,
      selected: this.selected,
      running: this.running,
      disconnected: this.disconnected,
      changedOnHost: this.changedOnHost,
      canDiff: this.callbacks.showDiff !== undefined,
    };
  }

  /** Shows this section (the webview follows). */
  select(section: string): void {
    this.selected = section;
    this.post({ type: 'select', section });
  }

  /** A dead connection disables Apply and says why; `undefined` reason when connected again. */
  setConnected(connected: boolean, reason?: string): void {
    this.disconnected = connected ? undefined : (reason ?? 'The connection to the host is closed.');
    this.post({ type: 'connection', disconnected: this.disconnected });
  }

  async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.postState();
        this.postPerf();
        return;
      case 'shown':
        for (const l of [...this.shownListeners]) l(m.section, m.fields, m.timing);
        return;
      case 'select':
        this.selected = m.section;
        return;
      case 'edit':
        this.edited(m.changes);
        return;
      case 'apply':
        this.reply(m.requestId, await this.apply(m.changes));
        return;
      case 'remove':
        this.reply(m.requestId, await this.remove(m.section));
        return;
      case 'fieldAction':
        this.reply(m.requestId, await this.fieldAction(m.section, m.field, m.changes));
        return;
      case 'reload':
        this.changedOnHost = false;
        await this.load([]);
        return;
      case 'showDiff':
        await this.callbacks.showDiff?.(this.pendingChanges);
        return;
      case 'openXml':
        await this.callbacks.openXml(m.section);
        return;
      case 'addHardware':
        await this.callbacks.addHardware();
        return;
      case 'log':
        this.callbacks.log[m.level](`details webview: ${m.message}`);
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.subscription.dispose();
    this.perfSubscription?.dispose();
    this.dirtyListeners.clear();
    this.shownListeners.clear();
  }

  private postState(): void {
    if (!this.disposed) this.post({ type: 'state', state: this.state() });
  }

  /** The whole performance history, when the panel has a source for it. */
  private postPerf(): void {
    const perf = this.callbacks.perf;
    if (!perf || this.disposed) return;
    this.perfActive = perf.active();
    this.post({ type: 'perf', perf: { active: this.perfActive, samples: perf.samples() } });
  }

  private reply(inReplyTo: number, result: RequestResult): void {
    if (!this.disposed) this.post({ type: 'result', inReplyTo, result });
  }

  private setPending(changes: readonly FieldChange[]): void {
    const was = this.dirty;
    this.pendingChanges = changes;
    this.editVersion++;
    if (was !== this.dirty) for (const l of [...this.dirtyListeners]) l(this.dirty);
  }

  private edited(changes: readonly FieldChange[]): void {
    this.setPending(changes);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    if (changes.length === 0) {
      this.checkedProblems = undefined;
      this.post({ type: 'problems', problems: this.problems });
      return;
    }
    const version = this.editVersion;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      this.model.check(changes).then(
        (problems) => {
          if (version !== this.editVersion || this.disposed) return;
          this.checkedProblems = problems;
          this.post({ type: 'problems', problems });
        },
        (e: unknown) => this.callbacks.log.warn(`checking the pending changes failed: ${errorText(e)}`),
      );
    }, this.checkDelayMs);
  }

  private async apply(changes: readonly FieldChange[]): Promise<RequestResult> {
    this.setPending(changes);
    if (this.disconnected !== undefined) return { ok: false, message: `Cannot apply: ${this.disconnected}`, problems: [] };
    if (changes.length === 0) return { ok: true, summary: 'Nothing to apply.' };
    const problems = await this.model.check(changes);
    this.checkedProblems = problems;
    if (hasError(problems)) {
      this.post({ type: 'problems', problems });
      return { ok: false, message: 'Fix the errors shown on the fields first; nothing was applied.', problems };
    }
    let outcome: ApplyOutcome;
    try {
      outcome = await this.model.apply(changes);
    } catch (e) {
      const placed = ApplyRefusedError.is(e) ? e.problems : [];
      this.checkedProblems = [...problems, ...placed];
      this.post({ type: 'problems', problems: this.problems });
      this.callbacks.log.warn(`Apply refused for ${this.model.title}: ${errorText(e)}`);
      return { ok: false, message: `Nothing was applied: ${errorText(e)}`, problems: placed };
    }
    const summary = outcomeSummary(outcome, this.running);
    this.changedOnHost = false;
    await this.load([]);
    this.callbacks.log.info(`${this.model.title}: ${summary}`);
    return { ok: true, summary };
  }

  private async fieldAction(section: string, field: string, changes: readonly FieldChange[]): Promise<RequestResult> {
    const f = this.sections.find((s) => s.id === section)?.fields.find((x) => x.id === field);
    if (!f?.action || !this.model.fieldAction) return { ok: false, message: `${field} has no action.`, problems: [] };
    try {
      const value = await this.model.fieldAction(section, field, changes);
      return { ok: true, summary: '', value };
    } catch (e) {
      return { ok: false, message: `${f.action.label} failed: ${errorText(e)}`, problems: ApplyRefusedError.is(e) ? e.problems : [] };
    }
  }

  private async remove(sectionId: string): Promise<RequestResult> {
    const section = this.sections.find((s) => s.id === sectionId);
    if (!section || !section.removable) return { ok: false, message: `${sectionId} cannot be removed.`, problems: [] };
    if (this.disconnected !== undefined) return { ok: false, message: `Cannot remove: ${this.disconnected}`, problems: [] };
    let storage: DeviceStorage | undefined;
    try {
      storage = await this.model.storageOf?.(sectionId);
    } catch (e) {
      this.callbacks.log.warn(`reading the storage of ${section.title} failed: ${errorText(e)}`);
    }
    const answer = await this.callbacks.confirmRemove(section, storage);
    if (answer === false) return { ok: false, message: 'Removal cancelled.', problems: [] };
    const deleteStorage = answer === 'deleteStorage' && storage?.volume !== undefined && storage.keepReason === undefined ? storage : undefined;
    // The definition may have changed while the question was open: remove only what still exists
    // (the model checks the storage again itself).
    const now = await this.model.load();
    if (!now.sections.some((s) => s.id === sectionId && s.removable)) return { ok: false, message: `${section.title} is no longer part of the VM.`, problems: [] };
    let outcome: ApplyOutcome;
    try {
      outcome = await this.model.remove(sectionId, deleteStorage ? { deleteStorage } : {});
    } catch (e) {
      return { ok: false, message: `${section.title} was not removed: ${errorText(e)}`, problems: ApplyRefusedError.is(e) ? e.problems : [] };
    }
    await this.load();
    const summary = outcomeSummary(outcome, this.running);
    this.callbacks.log.info(`${this.model.title}: removed ${section.title}. ${summary}`);
    return { ok: true, summary: `Removed ${section.title}. ${summary}` };
  }

  private async definitionChanged(): Promise<void> {
    if (this.disposed) return;
    if (this.dirty) {
      this.changedOnHost = true;
      this.post({ type: 'changedOnHost' });
      return;
    }
    try {
      await this.load([]);
    } catch (e) {
      this.callbacks.log.warn(`reloading ${this.model.title} after a change on the host failed: ${errorText(e)}`);
    }
  }
}
