// The Add Hardware form: the kinds on the left (a keyboard-navigable tree), the selected kind's
// form on the right, prefilled by the host with this VM's defaults; checks shown on the fields
// while typing (each value's own at once, the host's after a pause, with the values that follow a
// change), what Finish will do, and Finish / Cancel. See ../protocol.ts.
//
// One view, two homes: the Add Hardware tab (main.ts, its own webview) and the VM details tab,
// which shows it in place of its sections when its Add Hardware button is pressed (no second
// webview: VS Code in a browser spends about a second readying each new one). Both speak the same
// messages; the details page wraps them in its own (vmDetails/protocol.ts `hardware`).

import { holds, type AddKindForm, type FieldProblem, type FormField, type FormSection, type FormValue } from '../../../forms/formSchema';
import { el, icon } from '../../shared/app/dom';
import { FieldRow } from '../../shared/app/formFields';
import { valueProblems } from '../../shared/valueProblems';
import { SectionList } from '../../vmDetails/app/sectionList';
import type { AddHardwareState, FromWebview, ToWebview } from '../protocol';

type Button = HTMLElementTagNameMap['vscode-button'];
type WithoutRequestId<M> = M extends { readonly requestId: number } ? Omit<M, 'requestId'> : never;

/** How the view talks to its host: the tab's own channel, or the details page's wrapping of it. */
export interface AddHardwareLink {
  send(m: FromWebview): void;
  request(m: WithoutRequestId<FromWebview>): Promise<ToWebview>;
}

function button(label: string, title: string, secondary: boolean, onClick: () => void): Button {
  const b = el('vscode-button', { text: label, title });
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

/** The list shows kinds as the details panel shows sections. */
function asSection(k: AddKindForm): FormSection {
  return { id: k.id, title: k.label, icon: k.icon, fields: [], values: {}, removable: false };
}

export class AddHardwareView {
  /** The form's parts: the page mounts them (the tab under its root, the details page in place of its own). */
  readonly banner: HTMLElement;
  readonly body: HTMLElement;
  readonly footer: HTMLElement;

  private state: AddHardwareState | undefined;
  /** The form's values per kind (the host's defaults, then the user's edits). */
  private readonly values = new Map<string, Record<string, FormValue>>();
  /** The host's problems and summary per kind, for the latest edit it answered. */
  private readonly hostProblems = new Map<string, readonly FieldProblem[]>();
  private readonly summaries = new Map<string, string>();
  /** Edits sent per kind; an answer to an older one is ignored. */
  private readonly versions = new Map<string, number>();
  private rows = new Map<string, FieldRow>();
  private busy = false;
  /** Kinds the user has edited: only these are marked with their errors in the list. */
  private readonly touched = new Set<string>();

  private readonly list: SectionList;
  private readonly kindTitle = el('h2', { id: 'section-title' });
  private readonly runningNote = el('p', { className: 'section-description', attrs: { id: 'running-note' } });
  private readonly kindProblems = el('div', { className: 'problems', attrs: { 'aria-live': 'polite' } });
  private readonly fieldsBox = el('div', { id: 'fields' });
  private readonly summary = el('div', { id: 'summary', attrs: { 'aria-live': 'polite' } });
  private readonly status = el('div', { id: 'status', attrs: { role: 'status' } });
  private readonly cancelButton: Button;
  private readonly finishButton: Button;

  constructor(
    private readonly link: AddHardwareLink,
    /** What Cancel says it does ("Close without adding anything" in the tab, "Back to the details" embedded). */
    cancelTitle = 'Close without adding anything',
  ) {
    this.banner = el('div', { id: 'disconnected-banner', className: 'banner info', attrs: { role: 'alert' } });
    this.banner.hidden = true;
    this.list = new SectionList((id) => this.selectKind(id));
    this.list.element.setAttribute('aria-label', 'Device kinds');
    const formPane = el('main', { id: 'form', attrs: { 'aria-labelledby': 'section-title' } });
    formPane.append(this.kindTitle, this.runningNote, this.kindProblems, this.fieldsBox, this.summary);
    const nav = el('nav', { id: 'nav' });
    nav.append(this.list.element);
    this.body = el('div', { id: 'body' });
    this.body.append(nav, formPane);
    this.footer = el('div', { className: 'footer' });
    this.cancelButton = button('Cancel', cancelTitle, true, () => this.link.send({ type: 'cancel' }));
    this.finishButton = button('Finish', 'Add the device to the VM', false, () => void this.finish());
    this.footer.append(this.status, this.cancelButton, this.finishButton);
  }

  /** The banner, body and footer, in page order. */
  get parts(): HTMLElement[] {
    return [this.banner, this.body, this.footer];
  }

  /** Moves the keyboard to the list of kinds (the view was just shown). */
  focus(): void {
    this.list.element.focus();
  }

  onMessage(m: ToWebview): void {
    switch (m.type) {
      case 'init':
        return;
      case 'state':
        this.state = m.state;
        for (const k of m.state.kinds) this.values.set(k.id, { ...k.values, ...(m.state.edited[k.id] ?? {}) });
        this.list.render(m.state.kinds.map(asSection), m.state.selected);
        this.renderForm();
        return;
      case 'checked': {
        if (m.version !== (this.versions.get(m.kind) ?? 0)) return;
        const v = this.values.get(m.kind);
        if (v) Object.assign(v, m.derived);
        this.hostProblems.set(m.kind, m.problems);
        this.summaries.set(m.kind, m.summary);
        if (this.state?.selected === m.kind) for (const [id, value] of Object.entries(m.derived)) this.rows.get(id)?.setValue(value);
        this.refresh();
        return;
      }
      case 'connection':
        if (this.state) this.state = { ...this.state, disconnected: m.disconnected };
        this.refresh();
        return;
      case 'result':
        return; // answers arrive through link.request
    }
  }

  private current(): AddKindForm | undefined {
    return this.state?.kinds.find((k) => k.id === this.state?.selected);
  }

  private selectKind(id: string): void {
    if (!this.state || !this.state.kinds.some((k) => k.id === id) || this.state.selected === id) return;
    this.state = { ...this.state, selected: id };
    this.list.select(id);
    this.status.textContent = '';
    this.renderForm();
    this.link.send({ type: 'select', kind: id });
  }

  private renderForm(): void {
    const k = this.current();
    const state = this.state;
    this.rows = new Map();
    this.kindTitle.textContent = k ? `Add ${k.label}` : 'Add Hardware';
    this.runningNote.replaceChildren();
    if (k && state?.running) {
      this.runningNote.append(icon(k.live ? 'zap' : 'debug-restart'), el('span', { text: k.live ? ` ${state.vm} is running: the new device is plugged in at once where libvirt can.` : ` ${state.vm} is running: this device is added for the next boot.` }));
    }
    this.runningNote.hidden = !(k && state?.running);
    if (!k) {
      this.fieldsBox.replaceChildren();
      this.refresh();
      return;
    }
    const v = this.values.get(k.id) ?? {};
    for (const f of k.fields) this.rows.set(f.id, new FieldRow(f, v[f.id], { onChange: (field, value) => this.edited(k.id, field, value) }));
    this.fieldsBox.replaceChildren(...[...this.rows.values()].map((r) => r.element));
    this.refresh();
    // Ask the host for its checks and summary of the prefilled form.
    this.sendValues(k.id);
    this.link.send({ type: 'shown', kind: k.id, fields: this.rows.size });
  }

  private edited(kind: string, field: FormField, value: FormValue): void {
    const v = this.values.get(kind) ?? {};
    v[field.id] = value;
    this.values.set(kind, v);
    this.touched.add(kind);
    this.status.textContent = '';
    this.sendValues(kind, field.id);
    this.refresh();
  }

  private sendValues(kind: string, changed?: string): void {
    const version = (this.versions.get(kind) ?? 0) + 1;
    this.versions.set(kind, version);
    this.link.send({ type: 'edit', kind, values: this.shown(kind), version, ...(changed !== undefined ? { changed } : {}) });
  }

  /** The values of the fields that are shown (what the host checks and adds). */
  private shown(kind: string): Record<string, FormValue> {
    const k = this.state?.kinds.find((x) => x.id === kind);
    const v = this.values.get(kind) ?? {};
    const out: Record<string, FormValue> = {};
    for (const f of k?.fields ?? []) if (v[f.id] !== undefined && (f.when === undefined || holds(f.when, v))) out[f.id] = v[f.id];
    return out;
  }

  private localProblems(k: AddKindForm): FieldProblem[] {
    const v = this.values.get(k.id) ?? {};
    return k.fields.filter((f) => f.when === undefined || holds(f.when, v)).flatMap((f) => valueProblems(f, v[f.id], k.id));
  }

  /** Visibility, problems, summary and buttons after any change. */
  private refresh(): void {
    const state = this.state;
    if (!state) return;
    const k = this.current();
    const local = k ? this.localProblems(k) : [];
    const problems = [...local, ...(k ? (this.hostProblems.get(k.id) ?? []) : [])];
    if (k) {
      const v = this.values.get(k.id) ?? {};
      const shownIds = new Set<string>();
      for (const [id, row] of this.rows) {
        row.setHidden(row.field.when !== undefined && !holds(row.field.when, v));
        row.setDisabled(this.busy);
        const own = local.filter((p) => p.field === id);
        row.showProblems(row.element.hidden ? [] : own.length > 0 ? own : problems.filter((p) => p.field === id));
        if (!row.element.hidden) shownIds.add(id);
      }
      const rest = problems.filter((p) => p.field === undefined || !shownIds.has(p.field));
      this.kindProblems.replaceChildren(...rest.map((p) => el('div', { className: `problem ${p.severity}`, text: p.field ? `${k.fields.find((f) => f.id === p.field)?.label ?? p.field}: ${p.message}` : p.message })));
      for (const kind of state.kinds) this.list.mark(kind.id, { modified: this.touched.has(kind.id), error: this.touched.has(kind.id) && (this.hostProblems.get(kind.id) ?? []).some((p) => p.severity === 'error') });
    }
    const errors = problems.some((p) => p.severity === 'error');
    this.summary.textContent = k && !errors ? (this.summaries.get(k.id) ?? '') : '';
    this.finishButton.disabled = this.busy || !k || errors || state.disconnected !== undefined;
    this.finishButton.title = state.disconnected ?? (errors ? 'Fix the errors first' : 'Add the device to the VM');
    this.cancelButton.disabled = this.busy;
    this.banner.hidden = state.disconnected === undefined;
    this.banner.textContent = `Nothing can be added: ${state.disconnected ?? ''}`;
  }

  private async finish(): Promise<void> {
    const k = this.current();
    if (!k) return;
    this.busy = true;
    this.status.textContent = `Adding ${k.label}…`;
    this.status.className = '';
    this.refresh();
    let reply: ToWebview | undefined;
    try {
      reply = await this.link.request({ type: 'finish', kind: k.id, values: this.shown(k.id) });
    } finally {
      this.busy = false;
    }
    if (reply.type === 'result') {
      const r = reply.result;
      this.status.textContent = r.ok ? r.summary : r.message;
      this.status.className = r.ok ? '' : 'error';
      if (!r.ok) this.hostProblems.set(k.id, r.problems);
    }
    this.refresh();
  }
}
