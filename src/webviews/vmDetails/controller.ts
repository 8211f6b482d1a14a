// What the VM details panel does with each message from its webview, without VS Code: it holds
// the loaded sections, the user's pending changes and their problems, runs the checks while the
// user types (debounced), applies (nothing while an error remains or the connection is down; a
// refusal keeps the edits), removes devices after a confirmation, and follows changes made on
// the host. panel.ts connects it to a webview; unit tests drive it directly.

import { ApplyRefusedError, type ApplyOutcome, type DetailsModel, type DeviceStorage, type FieldChange, type FieldProblem, type FormSection, type HintChange, type HintView } from '../../forms/formSchema';
import type { PerfSource } from '../../libvirt/domainPerf';
import type { HistoryRange } from '../../libvirt/history/ranges';
import { AddHardwareController, type AddHardwareSource } from '../addHardware/controller';
import { GUEST_SECTION, type DetailsState, type PerfHistoryState, type RecordedRange, type FromWebview, type GuestAction, type GuestState, type PageTiming, type RequestResult, type ToWebview } from './protocol';

/** The guest agent of the panel's VM (the Guest section). */
export interface GuestSource {
  /** What the agent says now, or why it says nothing; `fresh` asks it again instead of using what is cached. */
  read(fresh: boolean): Promise<GuestState>;
  /** One of the section's buttons (the same commands as the VM's Guest Agent menu); resolves with what to show. */
  action(action: GuestAction): Promise<string>;
  /** Fires when the agent comes or goes, or its cached facts change. */
  onDidChange(listener: () => void): { dispose(): void };
}

/** The Guest section in the section list; its content is the `guest` message, not a form. */
const GUEST_FORM_SECTION: FormSection = { id: GUEST_SECTION, title: 'Guest', icon: 'vm-connect', description: 'guest agent', fields: [], values: {}, removable: false };

/** What the panel's owner provides (by injection: the tests answer the confirmation). */
export interface DetailsCallbacks {
  /** Opens the domain XML at this section's element (a returned promise is awaited, as for the others). */
  openXml(sectionId: string): unknown;
  /** Opens the Add Hardware tab (used only when `addHardwareForm` is not given). */
  addHardware(): unknown;
  /**
   * The VM's Add Hardware model, for the Add Hardware form shown inside this tab (the same form,
   * messages and checks as the Add Hardware tab, without a second webview). Omit: the button
   * opens the Add Hardware tab.
   */
  addHardwareForm?(): AddHardwareSource;
  /**
   * Asks before removing a device, naming its storage when it has any: false to cancel, true to
   * remove the device, 'deleteStorage' to delete `storage` as well (offered only when it can be).
   */
  confirmRemove(section: FormSection, storage?: DeviceStorage): Promise<RemoveAnswer>;
  /** Shows the pending changes against the definition on the host (omit to offer no diff). */
  showDiff?(pending: readonly FieldChange[]): unknown;
  /** Shows a suggestion's change (a diff) and asks whether to apply it; omit to offer no suggestion fixes. */
  confirmHint?(change: HintChange): Promise<boolean>;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  /** The VM's performance for the Overview charts, fed by the tree's bulk stats (omit: no charts). */
  readonly perf?: PerfSource;
  /**
   * The VM's recorded history over a range ending now, for the charts' range picker (omit: only
   * the live view is offered); undefined when nothing was recorded in that range.
   */
  perfHistory?(range: RecordedRange): PerfHistoryState | undefined;
  /** The guest agent for the Guest section (omit: no Guest section). */
  readonly guest?: GuestSource;
  /**
   * A VM the New VM wizard defined for "Customize configuration before install": starts its
   * install (New VM's Create continued); resolves to what happened. Omit: not offered.
   */
  beginInstall?(): Promise<string>;
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
  private hints: readonly HintView[] = [];
  private loadedProblems: readonly FieldProblem[] = [];
  private checkedProblems: readonly FieldProblem[] | undefined;
  private running = false;
  private pendingChanges: readonly FieldChange[] = [];
  private selected: string | undefined;
  private disconnected: string | undefined;
  private changedOnHost = false;
  /** Begin Installation was pressed and succeeded: no longer offered. */
  private installBegun = false;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every edit so a late check result for older edits is dropped. */
  private editVersion = 0;
  private readonly dirtyListeners = new Set<(dirty: boolean) => void>();
  private readonly subscription: { dispose(): void };
  private readonly perfSubscription: { dispose(): void } | undefined;
  private perfActive: boolean | undefined;
  /** The charts' range: 'live' (the host's recent samples) or a recorded one. */
  private perfRange: HistoryRange = 'live';
  /** When the recorded range was last sent (it is sent again as the history records, at most once per point). */
  private historySentAt = 0;
  private historyPointMs = 0;
  private readonly shownListeners = new Set<(section: string, fields: number, timing?: PageTiming) => void>();
  /** The sections the webview has drawn so far (a listener added late still learns of them). */
  private readonly drawn = new Set<string>();
  private readonly guestSubscription: { dispose(): void } | undefined;
  /** Bumped per guest read so an older answer never replaces a newer one. */
  private guestVersion = 0;
  private disposed = false;
  /** The Add Hardware form shown in this tab, while it is open. */
  private hardwareForm: AddHardwareController | undefined;
  private readonly hardwareShownListeners = new Set<(kind: string, fields: number) => void>();
  private changedBeforeAdd = false;
  /**
   * Messages posted so far that change what the page shows (the performance and guest messages
   * are sent again on every `ready` anyway). A page that drew the state embedded at this count
   * needs no second state on `ready`; any message since (dropped before `ready`) means it does.
   */
  private shownChanges = 0;

  constructor(
    readonly model: DetailsModel,
    private readonly sendToWebview: (m: ToWebview) => void,
    private readonly callbacks: DetailsCallbacks,
    private readonly checkDelayMs = CHECK_DELAY_MS,
  ) {
    this.subscription = model.onDidChangeDefinition(() => void this.definitionChanged());
    const perf = callbacks.perf;
    this.perfSubscription = perf?.watch((u) => {
      if (this.perfRange !== 'live') {
        // A stats refresh was recorded: the chart's newest point changes once per point length.
        if (Date.now() - this.historySentAt >= Math.max(5000, this.historyPointMs)) this.postHistory();
        this.perfActive = u.active;
        return;
      }
      if (u.active !== this.perfActive) this.postPerf();
      else if (u.sample) this.post({ type: 'perfSample', sample: u.sample });
    });
    this.guestSubscription = callbacks.guest?.onDidChange(() => void this.postGuest(false));
  }

  /** Called each time the webview has drawn a section's form (the benchmark waits for it). */
  onDidShowForm(listener: (section: string, fields: number, timing?: PageTiming) => void): { dispose(): void } {
    this.shownListeners.add(listener);
    return { dispose: () => this.shownListeners.delete(listener) };
  }

  /** The sections the webview has drawn since it opened. */
  get drawnSections(): ReadonlySet<string> {
    return this.drawn;
  }

  /** Called each time the Add Hardware form in this tab has drawn a kind's form (the benchmark and tests wait for it). */
  onDidShowHardwareForm(listener: (kind: string, fields: number) => void): { dispose(): void } {
    this.hardwareShownListeners.add(listener);
    return { dispose: () => this.hardwareShownListeners.delete(listener) };
  }

  /** The Add Hardware form shown in this tab, while it is open. */
  get hardware(): AddHardwareController | undefined {
    return this.hardwareForm;
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
    this.sections = this.callbacks.guest ? [...snap.sections, GUEST_FORM_SECTION] : snap.sections;
    this.hints = this.callbacks.confirmHint && this.model.applyHint ? (snap.hints ?? []) : (snap.hints ?? []).map((h) => ({ ...h, apply: 'manual' as const }));
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
      hints: this.hints,
      beginInstall: this.callbacks.beginInstall !== undefined && !this.installBegun,
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
    this.hardwareForm?.setConnected(connected, reason);
  }

  async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (m.stateVersion !== this.shownChanges) this.postState();
        // A recreated page shows the Add Hardware form again, with the values it had.
        if (this.hardwareForm) await this.hardwareForm.handle({ type: 'ready' });
        this.postPerf();
        await this.postGuest(false);
        return;
      case 'perfRange':
        this.perfRange = m.range;
        if (m.range === 'live') this.postPerf();
        else this.postHistory();
        return;
      case 'guestRefresh':
        await this.postGuest(true);
        return;
      case 'guestAction':
        this.reply(m.requestId, await this.guestAction(m.action));
        return;
      case 'shown':
        this.drawn.add(m.section);
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
      case 'applyHint':
        this.reply(m.requestId, await this.applyHint(m.key));
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
        await this.openHardwareForm();
        return;
      case 'hardware':
        // Whether the definition had changed on the host before this Finish (our own define is no such change).
        if (m.message.type === 'finish') this.changedBeforeAdd = this.changedOnHost;
        if (this.hardwareForm) await this.hardwareForm.handle(m.message);
        else if (m.message.type !== 'shown' && m.message.type !== 'log') this.callbacks.log.warn(`details ${this.model.title}: a ${m.message.type} message for an Add Hardware form that is not open`);
        return;
      case 'beginInstall':
        this.reply(m.requestId, await this.beginInstall());
        return;
      case 'log':
        this.callbacks.log[m.level](`details webview: ${m.message}`);
        return;
    }
  }

  /** Starts the install with the definition as applied; unapplied changes must be applied or reverted first. */
  async beginInstall(): Promise<RequestResult> {
    const begin = this.callbacks.beginInstall;
    if (!begin || this.installBegun) return { ok: false, message: 'The installation has already begun.', problems: [] };
    if (this.disconnected) return { ok: false, message: this.disconnected, problems: [] };
    if (this.pendingChanges.length > 0) return { ok: false, message: 'Apply or revert your changes first: the installation starts with the definition as it is on the host.', problems: [] };
    try {
      const summary = await begin();
      this.installBegun = true;
      await this.load([]);
      return { ok: true, summary };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.callbacks.log.error(`Begin Installation: ${message}`);
      return { ok: false, message: `Begin Installation failed: ${message}`, problems: [] };
    }
  }

  /**
   * Shows the Add Hardware form in this tab (the model is built and loaded now; the page swaps its
   * sections for the form when the form's first state arrives). Without `addHardwareForm` in the
   * callbacks: the Add Hardware tab. `kind` is the kind shown first (Add Hardware on a tree row
   * of that kind).
   */
  /** Whether this tab shows Add Hardware inside itself (else its button opens the Add Hardware tab). */
  get offersHardwareForm(): boolean {
    return this.callbacks.addHardwareForm !== undefined;
  }

  async openHardwareForm(kind?: string): Promise<void> {
    const source = this.callbacks.addHardwareForm;
    if (!source) {
      await this.callbacks.addHardware();
      return;
    }
    if (this.hardwareForm) {
      if (kind !== undefined) this.hardwareForm.select(kind);
      else await this.hardwareForm.handle({ type: 'ready' });
      return;
    }
    const form: AddHardwareController = new AddHardwareController(source(), (m) => this.post({ type: 'hardware', message: m }), {
      finished: (summary, device) => this.hardwareAdded(form, summary, device),
      cancel: () => this.closeHardwareForm(form),
      log: this.callbacks.log,
    });
    this.hardwareForm = form;
    form.onDidShowForm((kind, fields) => {
      for (const l of [...this.hardwareShownListeners]) l(kind, fields);
    });
    if (this.disconnected !== undefined) form.setConnected(false, this.disconnected);
    try {
      await form.load(kind);
    } catch (e) {
      this.callbacks.log.error(`Add Hardware for ${this.model.title}: ${errorText(e)}`);
      this.closeHardwareForm(form, `Add Hardware could not read the VM: ${errorText(e)}`);
    }
  }

  /** Closes the Add Hardware form (Cancel); the page shows the sections again, `summary` in its status line. */
  closeHardwareForm(form: AddHardwareController | undefined = this.hardwareForm, summary?: string): void {
    if (!form || form !== this.hardwareForm) return;
    form.dispose();
    this.hardwareForm = undefined;
    if (!this.disposed) this.post({ type: 'hardwareClosed', ...(summary !== undefined ? { summary } : {}) });
  }

  /**
   * A device was added through the form in this tab: the sections are read again (the user's
   * unapplied edits stay), the new device is selected, the form closes and the status line says
   * what was done. Our own define is no change "outside this tab".
   */
  private async hardwareAdded(form: AddHardwareController, summary: string, device: string): Promise<void> {
    const changedBefore = this.changedBeforeAdd;
    try {
      await this.load(this.pendingChanges);
    } catch (e) {
      this.callbacks.log.warn(`reloading ${this.model.title} after adding a device failed: ${errorText(e)}`);
    }
    if (!changedBefore && this.changedOnHost) {
      this.changedOnHost = false;
      this.postState();
    }
    if (this.sections.some((s) => s.id === device)) this.select(device);
    this.closeHardwareForm(form, summary);
  }

  dispose(): void {
    this.disposed = true;
    this.hardwareForm?.dispose();
    this.hardwareForm = undefined;
    this.hardwareShownListeners.clear();
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.subscription.dispose();
    this.perfSubscription?.dispose();
    this.guestSubscription?.dispose();
    this.dirtyListeners.clear();
    this.shownListeners.clear();
  }

  /** The state to embed in the page, drawn before the page says `ready` (saves a round trip through the workbench). */
  embeddedState(): ToWebview {
    return { type: 'state', state: this.state(), version: this.shownChanges };
  }

  private post(m: ToWebview): void {
    if (m.type !== 'perf' && m.type !== 'perfSample' && m.type !== 'guest') this.shownChanges++;
    this.sendToWebview(m);
  }

  private postState(): void {
    if (!this.disposed) this.post({ type: 'state', state: this.state() });
  }

  /** The whole performance history, when the panel has a source for it. */
  private postPerf(): void {
    const perf = this.callbacks.perf;
    if (!perf || this.disposed) return;
    this.perfActive = perf.active();
    this.post({ type: 'perf', perf: { active: this.perfActive, samples: perf.samples(), ...(this.callbacks.perfHistory ? { history: true } : {}) } });
  }

  /** The charts over the chosen recorded range. */
  private postHistory(): void {
    const range = this.perfRange;
    if (range === 'live' || this.disposed) return;
    const history = this.callbacks.perfHistory?.(range);
    this.historySentAt = Date.now();
    this.historyPointMs = history?.pointMs ?? 0;
    this.post({ type: 'perfHistory', range, ...(history ? { history } : {}) });
  }

  /** The Guest section's content: "loading" first when the agent has to be asked. */
  private async postGuest(fresh: boolean): Promise<void> {
    const guest = this.callbacks.guest;
    if (!guest || this.disposed) return;
    const version = ++this.guestVersion;
    const read = guest.read(fresh);
    const early = await Promise.race([read, new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
    if (early === undefined && version === this.guestVersion) this.post({ type: 'guest', guest: { status: 'loading' } });
    let state: GuestState;
    try {
      state = await read;
    } catch (e) {
      state = { status: 'unavailable', message: errorText(e) };
    }
    if (version === this.guestVersion && !this.disposed) this.post({ type: 'guest', guest: state });
  }

  private async guestAction(action: GuestAction): Promise<RequestResult> {
    const guest = this.callbacks.guest;
    if (!guest) return { ok: false, message: 'This panel has no guest agent.', problems: [] };
    try {
      const summary = await guest.action(action);
      return { ok: true, summary };
    } catch (e) {
      return { ok: false, message: errorText(e), problems: [] };
    } finally {
      await this.postGuest(true);
    }
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

  /**
   * A suggestion: its change to the definition as it is now, shown and asked about, then defined
   * (the model checks again that the definition is still the one shown). Not while the user has
   * unapplied edits: those are kept, and the suggestion waits.
   */
  private async applyHint(key: string): Promise<RequestResult> {
    const hint = this.hints.find((h) => h.key === key);
    if (!hint || hint.apply === 'manual' || !this.model.previewHint || !this.model.applyHint || !this.callbacks.confirmHint) return { ok: false, message: 'This suggestion has no automatic fix.', problems: [] };
    if (this.disconnected !== undefined) return { ok: false, message: `Cannot apply: ${this.disconnected}`, problems: [] };
    if (this.dirty) return { ok: false, message: 'Apply or revert your changes first: a suggestion changes the definition on the host.', problems: [] };
    let change: HintChange;
    try {
      change = await this.model.previewHint(key);
    } catch (e) {
      await this.load([]).catch(() => undefined);
      return { ok: false, message: errorText(e), problems: [] };
    }
    let yes: boolean;
    try {
      yes = await this.callbacks.confirmHint(change);
    } catch (e) {
      this.callbacks.log.warn(`Showing the suggestion "${change.title}" failed: ${errorText(e)}`);
      return { ok: false, message: `Nothing was applied: the change could not be shown (${errorText(e)}).`, problems: [] };
    }
    if (!yes) return { ok: false, message: 'Suggestion not applied.', problems: [] };
    let outcome: ApplyOutcome;
    try {
      outcome = await this.model.applyHint(change);
    } catch (e) {
      this.callbacks.log.warn(`Suggestion "${change.title}" for ${this.model.title} not applied: ${errorText(e)}`);
      return { ok: false, message: `Nothing was applied: ${errorText(e)}`, problems: [] };
    }
    this.changedOnHost = false;
    await this.load([]);
    const summary = `${change.fixTitle}. ${outcomeSummary(outcome, this.running)}`;
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
