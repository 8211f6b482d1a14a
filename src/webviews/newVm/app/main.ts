// The New VM wizard's webview: the steps on the left (a tree: arrow keys, Enter), the step's form
// on the right, Back / Next / Create below (Enter in a text field: Next; Ctrl+Enter: Create). The host holds the values; every change goes to it
// and it answers with the state (the OS's suggestions for the fields the user has not set, the
// problems of every step). See ../protocol.ts.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '../../shared/app/codiconStyles';
import vmDetailsCss from '../../../../media/vmDetails.css';
import formWidgetsCss from '../../../../media/formWidgets.css';
import newVmCss from '../../../../media/newVm.css';
import { adoptStyles } from '../../shared/app/pageStyles';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tree/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import { holds, type FormField, type FormSection, type FormValue } from '../../../forms/formSchema';
import { el } from '../../shared/app/dom';
import { FieldRow } from '../../shared/app/formFields';
import { HostChannel } from '../../shared/app/hostChannel';
import { valueProblems } from '../../shared/valueProblems';
import { SectionList } from '../../vmDetails/app/sectionList';
import type { FromWebview, ToWebview, WizardState } from '../protocol';

adoptStyles(vmDetailsCss, formWidgetsCss, newVmCss);

type Button = HTMLElementTagNameMap['vscode-button'];

let state: WizardState | undefined;
let rows = new Map<string, FieldRow>();
let shownStep: string | undefined;
let shownFields = '';
let creating = false;

const channel = new HostChannel<ToWebview, FromWebview>(onMessage);
document.addEventListener('securitypolicyviolation', (e) => channel.send({ type: 'log', level: 'error', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI}` }));

const root = document.getElementById('root')!;
const disconnectedBanner = el('div', { id: 'disconnected-banner', className: 'banner info', attrs: { role: 'alert' } });
disconnectedBanner.hidden = true;
// "From template X", with what of it this host could not take (a missing volume, no swtpm).
const templateBanner = el('div', { id: 'template-banner', className: 'banner info', attrs: { role: 'note' } });
templateBanner.hidden = true;
const list = new SectionList((id) => channel.send({ type: 'step', step: id }));
list.element.setAttribute('aria-label', 'Steps');
const formPane = el('main', { id: 'form', attrs: { 'aria-labelledby': 'section-title' } });
const stepTitle = el('h2', { id: 'section-title' });
const stepDescription = el('p', { className: 'section-description' });
const stepProblems = el('div', { className: 'problems', attrs: { 'aria-live': 'polite' } });
const fieldsBox = el('div', { id: 'fields' });
const footer = el('div', { className: 'footer' });
const status = el('div', { id: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const cancelButton = button('Cancel', 'Close the wizard; nothing is created', true, () => channel.send({ type: 'cancel' }));
const backButton = button('Back', 'The previous step', true, () => move(-1));
const nextButton = button('Next', 'The next step', true, () => move(1));
/** How the Create shortcut is written on this platform. */
const CREATE_KEYS = /Mac|iPhone|iPad/.test(navigator.userAgent) ? '⌘Enter' : 'Ctrl+Enter';
const createButton = button('Create', `Create the VM (${CREATE_KEYS})`, false, () => void create());
const saveTemplateButton = button('Save as Template…', "Keep these answers (without name and password) as a template for New VM from Template", true, () => channel.send({ type: 'saveTemplate' }));
saveTemplateButton.hidden = true;
footer.append(status, saveTemplateButton, cancelButton, backButton, nextButton, createButton);
formPane.append(stepTitle, stepDescription, stepProblems, fieldsBox);
const nav = el('nav', { id: 'nav' });
nav.append(list.element);
const body = el('div', { id: 'body' });
body.append(nav, formPane);
root.append(disconnectedBanner, templateBanner, body, footer);

// The keyboard, as in virt-manager's assistant and VS Code's dialogs: Enter in a one-line text
// field goes to the next step (on the last, creates), Ctrl+Enter (Cmd+Enter on macOS) creates
// from any step once nothing is in error. Selects, check boxes, the text areas and the buttons
// keep their own Enter.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.isComposing || e.altKey || e.shiftKey || e.defaultPrevented) return;
  if (e.ctrlKey || e.metaKey) {
    e.preventDefault();
    if (!createButton.disabled) void create();
    return;
  }
  if (!(e.target instanceof HTMLElement) || e.target.tagName !== 'VSCODE-TEXTFIELD') return;
  e.preventDefault();
  if (!nextButton.disabled) move(1);
  else if (!createButton.disabled) void create();
});

function button(label: string, title: string, secondary: boolean, onClick: () => void): Button {
  const b = el('vscode-button', { text: label, title });
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

function onMessage(m: ToWebview): void {
  switch (m.type) {
    case 'init':
      document.title = m.title;
      return;
    case 'state':
      state = m.state;
      render();
      return;
    case 'result':
      return;
    case 'notice':
      status.textContent = m.message;
      status.className = m.level === 'error' ? 'error' : '';
      return;
  }
}

const current = (): FormSection | undefined => state?.steps.find((s) => s.id === state?.step);

function render(): void {
  if (!state) return;
  const s = current();
  list.render(state.steps, state.step);
  const fieldKey = s ? `${s.id}:${s.fields.map((f) => `${f.id}=${(f.options ?? []).length}`).join(',')}` : '';
  // Redraw the form only when the step or its fields change: a redraw would take the focus away.
  if (s && (shownStep !== s.id || shownFields !== fieldKey)) {
    shownStep = s.id;
    shownFields = fieldKey;
    stepTitle.textContent = s.title;
    rows = new Map(s.fields.map((f) => [f.id, new FieldRow(f, state!.values[f.id], { onChange: (field, v) => edited(field, v), onAction: (field) => field.action && channel.send({ type: 'action', field: field.id, action: field.action.id }) })]));
    fieldsBox.replaceChildren(...[...rows.values()].map((r) => r.element));
    const first = [...rows.values()].find((r) => !r.element.hidden)?.element.querySelector<HTMLElement>('vscode-textfield, vscode-single-select, vscode-checkbox, vscode-textarea');
    first?.focus();
  } else {
    for (const [id, row] of rows) {
      const now = state.values[id];
      if (row.value() !== now && document.activeElement?.closest('.field') !== row.element) row.setValue(now);
    }
  }
  stepDescription.textContent = s?.description ?? '';
  stepDescription.hidden = !s?.description;
  refresh();
}

function edited(field: FormField, value: FormValue): void {
  channel.send({ type: 'edit', field: field.id, value });
}

function refresh(): void {
  if (!state) return;
  const s = current();
  const problems = [...state.problems];
  if (s) {
    for (const [id, row] of rows) {
      row.setHidden(row.field.when !== undefined && !holds(row.field.when, state.values));
      row.setDisabled(creating || state.busy !== undefined);
      const local = valueProblems(row.field, state.values[id], s.id);
      row.showProblems(row.element.hidden ? [] : local.length > 0 ? local : problems.filter((p) => p.section === s.id && p.field === id));
    }
    stepProblems.replaceChildren(...problems.filter((p) => p.section === s.id && (p.field === undefined || !rows.has(p.field))).map((p) => el('div', { className: `problem ${p.severity}`, text: p.message })));
  }
  for (const step of state.steps) list.mark(step.id, { modified: false, error: problems.some((p) => p.section === step.id && p.severity === 'error') });
  const i = state.steps.findIndex((x) => x.id === state?.step);
  const errors = problems.filter((p) => p.severity === 'error').length;
  backButton.disabled = i <= 0 || creating;
  nextButton.disabled = i >= state.steps.length - 1 || creating;
  createButton.disabled = creating || state.busy !== undefined || state.disconnected !== undefined || errors > 0;
  // While an upload or a download runs, Cancel stops it (and removes what it wrote).
  cancelButton.title = state.cancellable ? 'Stop the transfer; what it wrote is removed' : 'Close the wizard; nothing is created';
  createButton.title = state.disconnected ?? (errors > 0 ? `Fix ${errors === 1 ? 'the error' : `the ${errors} errors`} first (marked in the steps)` : `Create the VM (${CREATE_KEYS})`);
  saveTemplateButton.hidden = !state.canSaveTemplate;
  saveTemplateButton.disabled = creating || state.busy !== undefined;
  templateBanner.hidden = state.template === undefined;
  const t = state.template;
  templateBanner.textContent = t ? `From template ${t.name}.${t.notes.length > 0 ? ` ${t.notes.join(' ')}` : ''}` : '';
  disconnectedBanner.hidden = state.disconnected === undefined;
  disconnectedBanner.textContent = state.disconnected ? `Nothing can be created: ${state.disconnected}` : '';
  if (state.busy !== undefined) {
    status.textContent = state.busy;
    status.className = '';
  }
  else if (!creating && status.className !== 'error') status.textContent = '';
}

function move(delta: number): void {
  if (!state) return;
  const i = state.steps.findIndex((x) => x.id === state?.step);
  const next = state.steps[i + delta];
  if (next) channel.send({ type: 'step', step: next.id });
}

async function create(): Promise<void> {
  creating = true;
  status.className = '';
  refresh();
  const reply = await channel.request({ type: 'create' });
  creating = false;
  if (reply.type === 'result') {
    status.textContent = reply.result.ok ? reply.result.summary : reply.result.message;
    status.className = reply.result.ok ? '' : 'error';
  }
  refresh();
}
