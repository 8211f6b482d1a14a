// The VM details webview: the sections on the left, the selected section's form on the right,
// Apply / Revert / Remove below it, banners for a definition changed on the host and a closed
// connection. The user's edits live here (and are mirrored to the host on every change, which
// checks them and keeps them if the tab is recreated). See ../protocol.ts.

import { frameLoadedMs, scriptFetchEndMs, scriptFetchStartMs, scriptStartMs } from '../../shared/app/pageClock';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '../../shared/app/codiconStyles';
import vmDetailsCss from '../../../../media/vmDetails.css';
import formWidgetsCss from '../../../../media/formWidgets.css';
import addHardwareCss from '../../../../media/addHardware.css';
import { adoptStyles } from '../../shared/app/pageStyles';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tree/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import type { FieldProblem, FormField, FormSection, FormValue, HintView } from '../../../forms/formSchema';
import { el, icon } from '../../shared/app/dom';
import { FieldRow } from '../../shared/app/formFields';
import { HostChannel } from '../../shared/app/hostChannel';
import { Edits } from '../edits';
import { AddHardwareView, type AddHardwareLink } from '../../addHardware/app/addHardwareView';
import type { FromWebview as HardwareFromWebview, ToWebview as HardwareToWebview } from '../../addHardware/protocol';
import { GUEST_SECTION, parsePerfMessage, type DetailsState, type PerfMessage, type FromWebview, type PageTiming, type RequestResult, type ToWebview } from '../protocol';
import { GuestView } from './guestView';
import { PerfCharts } from './perfCharts';
import { SectionList } from './sectionList';

adoptStyles(vmDetailsCss, formWidgetsCss, addHardwareCss);

type Button = HTMLElementTagNameMap['vscode-button'];

let state: DetailsState | undefined;
let hostProblems: readonly FieldProblem[] = [];
let busy = false;
const edits = new Edits();
let rows = new Map<string, FieldRow>();

const channel = new HostChannel<ToWebview, FromWebview>(onMessage);
const readyMs = performance.now();
const pageTiming = (): PageTiming => ({
  scriptMs: scriptStartMs,
  ...(frameLoadedMs !== undefined ? { frameLoadedMs } : {}),
  ...(scriptFetchStartMs !== undefined ? { scriptFetchStartMs } : {}),
  ...(scriptFetchEndMs !== undefined ? { scriptFetchEndMs } : {}),
  readyMs,
  ...(firstStateMs !== undefined ? { stateMs: firstStateMs } : {}),
  drawnMs: performance.now(),
});
/** When the first state arrived (the page's clock). */
let firstStateMs: number | undefined;
document.addEventListener('securitypolicyviolation', (e) => channel.send({ type: 'log', level: 'error', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI}` }));

// ------------------------------------------------------------------ layout
const root = document.getElementById('root')!;
const changedBanner = banner('changed-banner', 'warning', 'This VM was changed outside this tab. Your unapplied changes are based on the previous definition.');
const reloadButton = button('Reload', 'Discard your changes and show the current definition', true, () => channel.send({ type: 'reload' }));
const diffButton = button('Show Diff', 'Compare your changes with the current definition', true, () => channel.send({ type: 'showDiff' }));
changedBanner.append(reloadButton, diffButton);
const disconnectedBanner = banner('disconnected-banner', 'info', '');
const installBanner = banner('install-banner', 'info', 'This VM is not installed yet. Change its configuration (Apply each change), then begin the installation.');
const beginButton = button('Begin Installation', 'Start the VM from its install media', false, () => void run(channel.request({ type: 'beginInstall' })));
beginButton.setAttribute('icon', 'play');
installBanner.setAttribute('role', 'region');
installBanner.setAttribute('aria-label', 'Installation');
installBanner.append(beginButton);
const list = new SectionList((id) => selectSection(id));
const perfCharts = new PerfCharts((range) => channel.send({ type: 'perfRange', range }));
const guestView = new GuestView(
  () => channel.send({ type: 'guestRefresh' }),
  async (action) => {
    const reply = await channel.request({ type: 'guestAction', action });
    if (reply.type !== 'result') return '';
    if (!reply.result.ok) throw new Error(reply.result.message);
    return reply.result.summary;
  },
);
const formPane = el('main', { id: 'form', attrs: { 'aria-labelledby': 'section-title' } });
const sectionTitle = el('h2', { id: 'section-title' });
const sectionDescription = el('p', { className: 'section-description' });
const sectionProblems = el('div', { className: 'problems', attrs: { 'aria-live': 'polite' } });
const fieldsBox = el('div', { id: 'fields' });
const footer = el('div', { className: 'footer' });
const status = el('div', { id: 'status', attrs: { role: 'status' } });
const editXmlButton = button('Edit XML', 'Open this section in the XML editor', true, () => state?.selected && channel.send({ type: 'openXml', section: state.selected }));
const addButton = button('Add Hardware', 'Add a device to this VM', true, () => channel.send({ type: 'addHardware' }));
const removeButton = button('Remove', 'Remove this device from the VM', true, () => void remove());
const revertButton = button('Revert', 'Discard the unapplied changes', true, () => revert());
const applyButton = button('Apply', 'Apply the changes to the VM', false, () => void apply());
addButton.setAttribute('icon', 'add');
editXmlButton.setAttribute('icon', 'code');
footer.append(status, removeButton, revertButton, applyButton);
const heading = el('div', { className: 'section-heading' });
heading.append(sectionTitle, editXmlButton);
const suggestions = el('details', { id: 'suggestions', className: 'suggestions' });
const suggestionsSummary = el('summary', { id: 'suggestions-summary' });
const suggestionsList = el('ul', { className: 'suggestion-list', attrs: { 'aria-labelledby': 'suggestions-summary' } });
suggestions.append(suggestionsSummary, suggestionsList);
suggestions.hidden = true;
formPane.append(suggestions, heading, sectionDescription, sectionProblems, fieldsBox);
const nav = el('nav', { id: 'nav' });
nav.append(list.element, addButton);
const body = el('div', { id: 'body' });
body.append(nav, formPane);
const detailsParts = [installBanner, changedBanner, disconnectedBanner, body, footer];
root.append(...detailsParts);

function banner(id: string, kind: 'warning' | 'info', text: string): HTMLElement {
  const b = el('div', { id, className: `banner ${kind}`, attrs: { role: 'alert' } });
  b.append(el('span', { className: 'banner-text', text }));
  b.hidden = true;
  return b;
}

function button(label: string, title: string, secondary: boolean, onClick: () => void): Button {
  const b = el('vscode-button', { text: label, title });
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

// ------------------------------------------------------------------ messages
function onMessage(m: ToWebview): void {
  switch (m.type) {
    case 'init':
      document.title = m.title;
      return;
    case 'state':
      firstStateMs ??= performance.now();
      state = m.state;
      hostProblems = m.state.problems;
      edits.reset(m.state.sections, m.state.pending);
      list.render(m.state.sections, m.state.selected);
      renderSuggestions(m.state.hints);
      renderForm();
      return;
    case 'problems':
      hostProblems = m.problems;
      refresh();
      return;
    case 'select':
      selectSection(m.section, false);
      return;
    case 'connection':
      if (state) state = { ...state, disconnected: m.disconnected };
      refresh();
      return;
    case 'changedOnHost':
      if (state) state = { ...state, changedOnHost: true };
      refresh();
      return;
    case 'result':
      return; // answers arrive through channel.request
    case 'perf':
    case 'perfSample':
    case 'perfHistory':
      perfMessage(m);
      return;
    case 'guest':
      guestView.set(m.guest);
      return;
    case 'hardware':
      hardwareMessage(m.message);
      return;
    case 'hardwareClosed':
      closeHardware(m.summary);
      return;
  }
}

// ------------------------------------------------------------------ Add Hardware in this tab
// Add Hardware… shows the Add Hardware form here, in place of the sections (the same view and
// messages as the Add Hardware tab, wrapped in `hardware`); Cancel or Finish brings them back.
let hardwareView: AddHardwareView | undefined;
let nextHardwareRequest = 1;
const hardwareWaiting = new Map<number, (reply: HardwareToWebview) => void>();
const hardwareLink: AddHardwareLink = {
  send: (m) => channel.send({ type: 'hardware', message: m }),
  request: (m) => {
    const requestId = nextHardwareRequest++;
    return new Promise<HardwareToWebview>((resolve) => {
      hardwareWaiting.set(requestId, resolve);
      channel.send({ type: 'hardware', message: { ...m, requestId } as HardwareFromWebview });
    });
  },
};

function hardwareMessage(m: HardwareToWebview): void {
  if (m.type === 'result') {
    const resolve = hardwareWaiting.get(m.inReplyTo);
    hardwareWaiting.delete(m.inReplyTo);
    resolve?.(m);
    return;
  }
  let opened = false;
  if (!hardwareView) {
    // The form's first state opens it.
    if (m.type !== 'state') return;
    hardwareView = new AddHardwareView(hardwareLink, 'Back to the details without adding anything');
    root.replaceChildren(...hardwareView.parts);
    opened = true;
  }
  hardwareView.onMessage(m);
  if (opened) hardwareView.focus();
}

function closeHardware(summary: string | undefined): void {
  const wasOpen = hardwareView !== undefined;
  hardwareView = undefined;
  hardwareWaiting.clear();
  root.replaceChildren(...detailsParts);
  if (summary !== undefined) {
    status.textContent = summary;
    status.className = '';
  }
  if (wasOpen) addButton.focus();
}

/** Draws only a performance message whose every field checks out. */
function perfMessage(raw: unknown): void {
  let m: PerfMessage;
  try {
    m = parsePerfMessage(raw);
  } catch (e) {
    channel.send({ type: 'log', level: 'warn', message: `refused a performance message: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }
  if (m.type === 'perf') perfCharts.set(m.perf);
  else if (m.type === 'perfHistory') perfCharts.setHistory(m.range, m.history);
  else perfCharts.add(m.sample);
}

function current(): FormSection | undefined {
  return state?.sections.find((s) => s.id === state?.selected);
}

function selectSection(id: string, tellHost = true): void {
  if (!state || !state.sections.some((s) => s.id === id)) return;
  state = { ...state, selected: id };
  list.select(id);
  renderForm();
  if (tellHost) channel.send({ type: 'select', section: id });
}

// ------------------------------------------------------------------ suggestions
const IMPORTANCE_LABEL: Record<HintView['importance'], string> = { high: 'High impact', medium: 'Medium impact', low: 'Low impact' };

/** The optimization hints, most important first: why, the expected effect, and Apply (a diff and a question first) or what to do by hand. */
function renderSuggestions(hints: readonly HintView[]): void {
  suggestions.hidden = hints.length === 0;
  suggestionsSummary.replaceChildren(icon('lightbulb'), el('span', { text: `Suggestions (${hints.length})` }));
  suggestionsList.replaceChildren(
    ...hints.map((h) => {
      const item = el('li', { className: `suggestion ${h.importance}`, attrs: { 'data-key': h.key, 'data-code': h.code } });
      const head = el('div', { className: 'suggestion-head' });
      head.append(el('span', { className: 'suggestion-title', text: h.title }), el('span', { className: `importance ${h.importance}`, text: IMPORTANCE_LABEL[h.importance] }));
      item.append(head, el('div', { className: 'suggestion-why', text: h.why }), el('div', { className: 'suggestion-effect', text: `Expected: ${h.effect}` }));
      if (h.note) item.append(el('div', { className: 'suggestion-note', text: h.apply === 'confirm' ? `Note: ${h.note}` : h.note }));
      const buttons = el('div', { className: 'suggestion-buttons' });
      if (h.apply !== 'manual') {
        const apply = button('Apply…', `Show the change to the XML, then apply "${h.title}"`, true, () => void applyHint(h));
        apply.setAttribute('aria-label', `Apply: ${h.title}`);
        buttons.append(apply);
      }
      if (state?.sections.some((x) => x.id === h.section)) {
        const show = button('Show', `Open the section this is about`, true, () => selectSection(h.section));
        show.setAttribute('aria-label', `Show the section of: ${h.title}`);
        buttons.append(show);
      }
      item.append(buttons);
      return item;
    }),
  );
}

async function applyHint(h: HintView): Promise<void> {
  await run(channel.request({ type: 'applyHint', key: h.key }));
}

// ------------------------------------------------------------------ the form
function renderForm(): void {
  const s = current();
  rows = new Map();
  sectionTitle.textContent = s?.title ?? '';
  sectionDescription.textContent = s?.description ?? '';
  sectionDescription.hidden = !s?.description;
  if (!s) {
    fieldsBox.replaceChildren();
    refresh();
    return;
  }
  const values = edits.values(s.id);
  for (const f of s.fields) {
    rows.set(
      f.id,
      new FieldRow(f, values[f.id], {
        ...(state?.running === true ? { applies: f.apply } : {}),
        onChange: (field, v) => edited(s.id, field, v),
        onAction: (field) => void fieldAction(s.id, field),
      }),
    );
  }
  if (s.id === GUEST_SECTION) {
    // Not a form: the guest agent's facts and actions.
    fieldsBox.replaceChildren(guestView.element);
    refresh();
    channel.send({ type: 'shown', section: s.id, fields: 0, timing: pageTiming() });
    return;
  }
  // The performance charts open the Overview, above its long list of settings (virt-manager's Performance page).
  fieldsBox.replaceChildren(...(s.id === 'overview' ? [perfCharts.element] : []), ...[...rows.values()].map((r) => r.element));
  refresh();
  channel.send({ type: 'shown', section: s.id, fields: rows.size, timing: pageTiming() });
}

function edited(section: string, field: FormField, value: FormValue): void {
  edits.set(section, field.id, value);
  status.textContent = '';
  channel.send({ type: 'edit', changes: edits.changes() });
  refresh();
}

/** Updates visibility, marks, problems and buttons after any change. */
function refresh(): void {
  if (!state) return;
  const s = current();
  const localSet = new Set<FieldProblem>(edits.localProblems());
  const problems = [...localSet, ...hostProblems];
  if (s) {
    const shown = new Set<string>();
    for (const [id, row] of rows) {
      row.setHidden(!edits.visible(s.id, row.field));
      row.setModified(edits.isModified(s.id, id));
      row.setDisabled(busy);
      // The row's own finding (e.g. out of range) stands for the host's words on the same value.
      const local = problems.filter((p) => p.section === s.id && p.field === id && localSet.has(p));
      const mine = local.length > 0 ? local : problems.filter((p) => p.section === s.id && p.field === id);
      row.showProblems(row.element.hidden ? [] : mine);
      if (!row.element.hidden) shown.add(id);
    }
    const rest = problems.filter((p) => p.section === s.id && (p.field === undefined || !shown.has(p.field)));
    sectionProblems.replaceChildren(...rest.map((p) => el('div', { className: `problem ${p.severity}`, text: p.field ? `${s.fields.find((f) => f.id === p.field)?.label ?? p.field}: ${p.message}` : p.message })));
  }
  for (const sec of state.sections) list.mark(sec.id, { modified: edits.isModified(sec.id), error: problems.some((p) => p.section === sec.id && p.severity === 'error') });
  const dirty = edits.changes().length > 0;
  const errors = problems.some((p) => p.severity === 'error');
  applyButton.disabled = busy || !dirty || errors || state.disconnected !== undefined;
  applyButton.title = state.disconnected ?? (errors ? 'Fix the errors first' : 'Apply the changes to the VM');
  revertButton.disabled = busy || !dirty;
  removeButton.hidden = !s?.removable;
  removeButton.disabled = busy || state.disconnected !== undefined;
  editXmlButton.hidden = !s || s.id === GUEST_SECTION;
  changedBanner.hidden = !state.changedOnHost;
  diffButton.hidden = !state.canDiff;
  installBanner.hidden = !state.beginInstall;
  beginButton.disabled = busy || dirty || state.disconnected !== undefined;
  beginButton.title = dirty ? 'Apply or revert your changes first' : 'Start the VM from its install media';
  disconnectedBanner.hidden = state.disconnected === undefined;
  disconnectedBanner.querySelector('.banner-text')!.textContent = `Changes cannot be applied: ${state.disconnected ?? ''}`;
}

function revert(): void {
  edits.clear();
  hostProblems = state?.problems ?? [];
  channel.send({ type: 'edit', changes: [] });
  status.textContent = 'Reverted.';
  renderForm();
}

async function run(request: Promise<ToWebview>): Promise<void> {
  busy = true;
  refresh();
  let result: RequestResult | undefined;
  try {
    const reply = await request;
    if (reply.type === 'result') result = reply.result;
  } finally {
    busy = false;
  }
  // A refusal's problems arrive as a `problems` message before the answer.
  status.textContent = result ? (result.ok ? result.summary : result.message) : '';
  status.className = result?.ok === false ? 'error' : '';
  refresh();
}

async function apply(): Promise<void> {
  await run(channel.request({ type: 'apply', changes: edits.changes() }));
}

/** A field's action button: the host computes the value, which becomes an edit like a typed one. */
async function fieldAction(section: string, field: FormField): Promise<void> {
  const reply = await channel.request({ type: 'fieldAction', section, field: field.id, changes: edits.changes() });
  if (reply.type !== 'result') return;
  if (!reply.result.ok) {
    status.textContent = reply.result.message;
    status.className = 'error';
    return;
  }
  const value = reply.result.value;
  if (state?.selected === section) rows.get(field.id)?.setValue(value);
  edited(section, field, value);
}

async function remove(): Promise<void> {
  const s = current();
  if (s) await run(channel.request({ type: 'remove', section: s.id }));
}

// The first state, embedded in the page by the host: drawn now, without waiting for the answer to
// `ready` (last, once everything above exists).
const initial = channel.takeInitial();
if (initial) onMessage(initial);
