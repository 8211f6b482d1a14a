// The VM details webview: the sections on the left, the selected section's form on the right,
// Apply / Revert / Remove below it, banners for a definition changed on the host and a closed
// connection. The user's edits live here (and are mirrored to the host on every change, which
// checks them and keeps them if the tab is recreated). See ../protocol.ts.

import { scriptStartMs } from '../../shared/app/pageClock';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '../../shared/app/codiconStyles';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tree/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import type { FieldProblem, FormField, FormSection, FormValue } from '../../../forms/formSchema';
import { el } from '../../shared/app/dom';
import { FieldRow } from '../../shared/app/formFields';
import { HostChannel } from '../../shared/app/hostChannel';
import { Edits } from '../edits';
import { parsePerfMessage, type DetailsState, type PerfMessage, type FromWebview, type RequestResult, type ToWebview } from '../protocol';
import { PerfCharts } from './perfCharts';
import { SectionList } from './sectionList';

type Button = HTMLElementTagNameMap['vscode-button'];

let state: DetailsState | undefined;
let hostProblems: readonly FieldProblem[] = [];
let busy = false;
const edits = new Edits();
let rows = new Map<string, FieldRow>();

const channel = new HostChannel<ToWebview, FromWebview>(onMessage);
const readyMs = performance.now();
document.addEventListener('securitypolicyviolation', (e) => channel.send({ type: 'log', level: 'error', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI}` }));

// ------------------------------------------------------------------ layout
const root = document.getElementById('root')!;
const changedBanner = banner('changed-banner', 'warning', 'This VM was changed outside this tab. Your unapplied changes are based on the previous definition.');
const reloadButton = button('Reload', 'Discard your changes and show the current definition', true, () => channel.send({ type: 'reload' }));
const diffButton = button('Show Diff', 'Compare your changes with the current definition', true, () => channel.send({ type: 'showDiff' }));
changedBanner.append(reloadButton, diffButton);
const disconnectedBanner = banner('disconnected-banner', 'info', '');
const list = new SectionList((id) => selectSection(id));
const perfCharts = new PerfCharts();
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
formPane.append(heading, sectionDescription, sectionProblems, fieldsBox);
const nav = el('nav', { id: 'nav' });
nav.append(list.element, addButton);
const body = el('div', { id: 'body' });
body.append(nav, formPane);
root.append(changedBanner, disconnectedBanner, body, footer);

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
      state = m.state;
      hostProblems = m.state.problems;
      edits.reset(m.state.sections, m.state.pending);
      list.render(m.state.sections, m.state.selected);
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
      perfMessage(m);
      return;
  }
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
        nextBootHint: state?.running === true && f.apply === 'next-boot',
        onChange: (field, v) => edited(s.id, field, v),
        onAction: (field) => void fieldAction(s.id, field),
      }),
    );
  }
  // The performance charts open the Overview, above its long list of settings (virt-manager's Performance page).
  fieldsBox.replaceChildren(...(s.id === 'overview' ? [perfCharts.element] : []), ...[...rows.values()].map((r) => r.element));
  refresh();
  channel.send({ type: 'shown', section: s.id, fields: rows.size, timing: { scriptMs: scriptStartMs, readyMs, drawnMs: performance.now() } });
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
  editXmlButton.hidden = !s;
  changedBanner.hidden = !state.changedOnHost;
  diffButton.hidden = !state.canDiff;
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
