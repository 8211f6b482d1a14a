// The browser-side form renderer shared by the panels: one row per FormField built from
// @vscode-elements/elements controls (label bound to its control for screen readers, help,
// when a change applies on a running VM (now, or at the next boot), problems under the field, VS Code's modified-setting bar).

import type { FieldProblem, FormField, FormValue } from '../../../forms/formSchema';
import { el, icon } from './dom';
import './orderList';
import '@vscode-elements/elements/dist/vscode-button/index.js';

/** What a row reports when the user changes its control. */
export type ValueListener = (field: FormField, value: FormValue) => void;

/** A press of the field's action button (e.g. "Generate new MAC"). */
export type ActionListener = (field: FormField) => void;

/** The element the row's value is read from and written to. */
type Control = HTMLElement & { value?: string; checked?: boolean; invalid?: boolean; disabled?: boolean };

let nextId = 0;

export class FieldRow {
  readonly element: HTMLElement;
  private readonly control: Control;
  private readonly problemsBox: HTMLElement;
  private actionButton: HTMLElementTagNameMap['vscode-button'] | undefined;

  constructor(
    readonly field: FormField,
    value: FormValue,
    opts: {
      /** On a running VM: say whether a change applies now or at the next boot (as virt-manager's details do); absent: nothing to say. */
      readonly applies?: FormField['apply'];
      readonly onChange: ValueListener;
      readonly onAction?: ActionListener;
    },
  ) {
    const id = `field-${nextId++}`;
    this.element = el('div', { className: 'field', attrs: { 'data-field': field.id } });
    this.control = makeControl(field, id, value);
    this.setValue(value);
    const event = field.widget === 'checkbox' || field.widget === 'select' ? 'change' : 'input';
    this.control.addEventListener(event, () => opts.onChange(field, this.value()));
    if (field.widget === 'checkbox') {
      // The checkbox carries its own label (VS Code's settings show the title above it too).
      this.element.append(el('div', { className: 'field-title', text: field.label, ...(field.help ? { title: field.help } : {}) }));
    } else {
      const label = el('vscode-label', { text: field.label, attrs: { for: id }, ...(field.help ? { title: field.help } : {}) });
      if (field.required) label.setAttribute('required', '');
      this.element.append(label);
    }
    if (field.help) {
      this.element.append(el('vscode-form-helper', { className: 'help', text: field.help }));
      // The description's help also as the control's hover and as what a screen reader says
      // after the label (the helper line above is read only when browsing, not on focus).
      this.control.title = field.help;
      this.control.setAttribute('aria-description', field.help);
    }
    const line = el('div', { className: 'control-line' });
    line.append(this.control);
    if (field.widget === 'size' && field.unit) line.append(el('span', { className: 'unit', text: field.unit }));
    const action = field.action;
    if (action && opts.onAction) {
      const b = el('vscode-button', { className: 'field-action', text: action.label, attrs: { secondary: '', 'aria-label': `${action.label} for ${field.label}` } });
      if (action.icon) b.setAttribute('icon', action.icon);
      b.addEventListener('click', () => opts.onAction?.(field));
      this.actionButton = b;
      line.append(b);
    }
    this.element.append(line);
    if (opts.applies !== undefined && field.widget !== 'readonly') {
      const now = opts.applies === 'live';
      const hint = el('div', { className: now ? 'applies-now' : 'next-boot' });
      hint.append(icon(now ? 'zap' : 'debug-restart'), el('span', { text: now ? 'Applies now' : 'Applies at the next boot' }));
      this.element.append(hint);
    }
    this.problemsBox = el('div', { className: 'problems', attrs: { id: `${id}-problems`, 'aria-live': 'polite' } });
    this.control.setAttribute('aria-describedby', `${id}-problems`);
    this.element.append(this.problemsBox);
  }

  /** The control's value in form terms (numbers parsed; empty text means "not set"). */
  value(): FormValue {
    const f = this.field;
    if (f.widget === 'checkbox') return this.control.checked === true;
    const raw = (f.widget === 'readonly' ? this.control.textContent : this.control.value) ?? '';
    if (raw === '') return undefined;
    if (f.widget === 'number' || f.widget === 'size') {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw;
    }
    return raw;
  }

  setValue(v: FormValue): void {
    if (this.field.widget === 'checkbox') this.control.checked = v === true;
    else if (this.field.widget === 'readonly') this.control.textContent = v === undefined ? '' : String(v);
    else this.control.value = v === undefined ? '' : String(v);
  }

  setModified(modified: boolean): void {
    this.element.classList.toggle('modified', modified);
  }

  setHidden(hidden: boolean): void {
    this.element.hidden = hidden;
  }

  setDisabled(disabled: boolean): void {
    if (this.field.widget !== 'readonly') this.control.disabled = disabled;
    if (this.actionButton) this.actionButton.disabled = disabled;
  }

  /** Shows the problems on this field (the host's checks and valueProblems). */
  showProblems(all: readonly FieldProblem[]): void {
    this.problemsBox.replaceChildren(
      ...all.map((p) => {
        const line = el('div', { className: `problem ${p.severity}` });
        line.append(icon(p.severity === 'error' ? 'error' : 'warning'), el('span', { text: p.message }));
        return line;
      }),
    );
    this.control.invalid = all.some((p) => p.severity === 'error');
  }
}

function makeControl(f: FormField, id: string, value: FormValue): Control {
  switch (f.widget) {
    case 'checkbox':
      return el('vscode-checkbox', { id, text: f.label });
    case 'select': {
      const s = el('vscode-single-select', { id });
      if (f.allowCustom) {
        s.setAttribute('combobox', '');
        s.setAttribute('creatable', '');
      }
      // A field that is not set shows "Default" (libvirt's default applies), not the first choice.
      if (!f.required) s.append(el('vscode-option', { text: 'Default', attrs: { value: '', description: 'Not set: libvirt chooses' } }));
      // A required one with no value yet says so, instead of showing its first choice as if it
      // were chosen (which the keyboard could then not choose: Enter on it changes nothing).
      else if (!f.allowCustom && (value === undefined || value === '') && (f.options ?? []).length > 0) {
        s.append(el('vscode-option', { text: `Choose…`, attrs: { value: '', disabled: '', description: 'Not chosen yet' } }));
      }
      for (const o of f.options ?? []) {
        const opt = el('vscode-option', { text: o.label, attrs: { value: o.value } });
        if (o.disabledReason) opt.setAttribute('disabled', '');
        if (o.disabledReason ?? o.detail) opt.setAttribute('description', o.disabledReason ?? o.detail ?? '');
        s.append(opt);
      }
      return s;
    }
    case 'textarea':
      return el('vscode-textarea', { id, attrs: { rows: '4', resize: 'vertical' } });
    case 'order': {
      const o = el('lv-order-list', { id });
      o.setOptions(f.options ?? [], f.label);
      return o;
    }
    case 'readonly':
      // Shown as text (selectable, reachable with Tab), not as an input that looks editable.
      return el('div', { id, className: 'readonly-value', attrs: { role: 'textbox', 'aria-readonly': 'true', tabindex: '0' } });
    case 'number':
    case 'size': {
      const t = el('vscode-textfield', { id, attrs: { type: 'number' } });
      if (f.min !== undefined) t.setAttribute('min', String(f.min));
      if (f.max !== undefined) t.setAttribute('max', String(f.max));
      if (f.step !== undefined) t.setAttribute('step', String(f.step));
      return t;
    }
    case 'password':
      return el('vscode-textfield', { id, attrs: { type: 'password', autocomplete: 'new-password' } });
    case 'text': {
      const t = el('vscode-textfield', { id });
      if (f.placeholder) t.setAttribute('placeholder', f.placeholder);
      return t;
    }
  }
}
