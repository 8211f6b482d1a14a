// The 'order' widget of the forms (the boot order): every option in a list, a checkbox to choose
// it and its place in the list as its rank. Reordered by drag and drop, by Alt+Up/Alt+Down on a
// row, or by the row's up/down buttons; each move is announced to screen readers. Its value is
// the chosen options' values, first to last, one per line (the form's value stays a string).

import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { FieldOption } from '../../../forms/formSchema';
import { el, icon } from './dom';

type Checkbox = HTMLElementTagNameMap['vscode-checkbox'];

interface Row {
  readonly option: FieldOption;
  readonly element: HTMLElement;
  readonly checkbox: Checkbox;
  readonly rank: HTMLElement;
}

/** The ordered choice of some options; fires `input` on every change (check, uncheck, move). */
export class OrderList extends HTMLElement {
  private rows: Row[] = [];
  private readonly list = el('div', { className: 'order-items', attrs: { role: 'list' } });
  private readonly announcer = el('div', { className: 'sr-only', attrs: { 'aria-live': 'assertive' } });
  private dragged: Row | undefined;
  private isDisabled = false;
  private built = false;

  /** The options to order (replaces the list; the value is kept where the options still exist). */
  setOptions(options: readonly FieldOption[], label: string): void {
    // Built here, not in the constructor: a custom element made by createElement may not gain children there.
    if (!this.built) {
      this.built = true;
      this.classList.add('order-list');
      this.append(this.list, this.announcer);
      this.list.addEventListener('dragover', (e) => this.dragOver(e));
      this.list.addEventListener('dragleave', (e) => {
        if (!this.list.contains(e.relatedTarget as Node | null)) this.clearDropMarks();
      });
      this.list.addEventListener('drop', (e) => this.drop(e));
    }
    const value = this.value;
    this.list.setAttribute('aria-label', label);
    this.rows = options.map((o) => this.makeRow(o));
    this.value = value;
  }

  get value(): string {
    return this.rows
      .filter((r) => r.checkbox.checked)
      .map((r) => r.option.value)
      .join('\n');
  }

  set value(v: string) {
    const chosen = v.split('\n').filter((s) => s !== '');
    const rank = (r: Row): number => {
      const i = chosen.indexOf(r.option.value);
      return i < 0 ? chosen.length : i;
    };
    // Chosen options first in their order, the others after them in the options' order.
    this.rows = [...this.rows].sort((a, b) => rank(a) - rank(b));
    for (const r of this.rows) r.checkbox.checked = chosen.includes(r.option.value);
    this.render();
  }

  get disabled(): boolean {
    return this.isDisabled;
  }

  set disabled(d: boolean) {
    this.isDisabled = d;
    this.classList.toggle('disabled', d);
    for (const r of this.rows) {
      r.checkbox.disabled = d;
      r.element.draggable = !d;
    }
  }

  get invalid(): boolean {
    return this.classList.contains('invalid');
  }

  set invalid(i: boolean) {
    this.classList.toggle('invalid', i);
  }

  /** Moves the row of `value` by `delta` places; false when it cannot move (first, last, disabled). */
  move(value: string, delta: number): boolean {
    const from = this.rows.findIndex((r) => r.option.value === value);
    const to = from + delta;
    if (this.isDisabled || from < 0 || to < 0 || to >= this.rows.length) return false;
    this.moveTo(from, to);
    return true;
  }

  private makeRow(option: FieldOption): Row {
    const element = el('div', { className: 'order-item', attrs: { role: 'listitem', draggable: 'true', 'data-value': option.value } });
    const handle = icon('gripper');
    handle.classList.add('drag-handle');
    const checkbox = el('vscode-checkbox', { text: option.label, title: 'Boot from this device' });
    const rank = el('span', { className: 'order-rank', attrs: { 'aria-hidden': 'true' } });
    const text = el('div', { className: 'order-text' });
    text.append(checkbox);
    if (option.detail) text.append(el('span', { className: 'order-detail', text: option.detail }));
    const up = el('vscode-toolbar-button', { className: 'move-up', attrs: { icon: 'arrow-up', label: `Move ${option.label} up`, title: 'Move up (Alt+Up)' } });
    const down = el('vscode-toolbar-button', { className: 'move-down', attrs: { icon: 'arrow-down', label: `Move ${option.label} down`, title: 'Move down (Alt+Down)' } });
    element.append(handle, rank, text, up, down);
    const row: Row = { option, element, checkbox, rank };
    checkbox.addEventListener('change', () => {
      this.render();
      this.changed(checkbox.checked ? `${option.label} is boot device ${this.rankOf(row)}` : `${option.label} is not booted from`);
    });
    up.addEventListener('click', () => this.move(option.value, -1));
    down.addEventListener('click', () => this.move(option.value, 1));
    element.addEventListener('keydown', (e) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      e.stopPropagation();
      this.move(option.value, e.key === 'ArrowUp' ? -1 : 1);
      checkbox.focus();
    });
    element.addEventListener('dragstart', (e) => {
      if (this.isDisabled) return e.preventDefault();
      this.dragged = row;
      element.classList.add('dragging');
      e.dataTransfer?.setData('text/plain', option.value);
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    });
    element.addEventListener('dragend', () => {
      this.dragged = undefined;
      element.classList.remove('dragging');
      this.clearDropMarks();
    });
    return row;
  }

  /** Where a drop at this point would put the dragged row: before the row under the pointer, or after it. */
  private dropTarget(e: DragEvent): { index: number; row: Row; after: boolean } | undefined {
    const target = (e.target as HTMLElement | null)?.closest('.order-item');
    const index = this.rows.findIndex((r) => r.element === target);
    const row = this.rows[index];
    if (!row) return undefined;
    const box = row.element.getBoundingClientRect();
    return { index, row, after: e.clientY > box.top + box.height / 2 };
  }

  private dragOver(e: DragEvent): void {
    if (!this.dragged) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    const t = this.dropTarget(e);
    this.clearDropMarks();
    if (t && t.row !== this.dragged) t.row.element.classList.add(t.after ? 'drop-after' : 'drop-before');
  }

  private drop(e: DragEvent): void {
    const dragged = this.dragged;
    const t = this.dropTarget(e);
    this.clearDropMarks();
    if (!dragged || !t) return;
    e.preventDefault();
    const from = this.rows.indexOf(dragged);
    let to = t.index + (t.after ? 1 : 0);
    if (from < to) to--;
    if (from !== to) this.moveTo(from, to);
  }

  private clearDropMarks(): void {
    for (const r of this.rows) r.element.classList.remove('drop-before', 'drop-after');
  }

  private moveTo(from: number, to: number): void {
    const rows = [...this.rows];
    const [row] = rows.splice(from, 1);
    if (!row) return;
    rows.splice(to, 0, row);
    this.rows = rows;
    this.render();
    const rank = this.rankOf(row);
    this.changed(`${row.option.label} moved to position ${to + 1} of ${rows.length}${rank > 0 ? `, boot device ${rank}` : ''}`);
  }

  /** 1-based rank among the chosen rows, 0 when not chosen. */
  private rankOf(row: Row): number {
    return row.checkbox.checked ? this.rows.filter((r) => r.checkbox.checked).indexOf(row) + 1 : 0;
  }

  private render(): void {
    this.list.replaceChildren(...this.rows.map((r) => r.element));
    this.rows.forEach((r, i) => {
      const rank = this.rankOf(r);
      r.rank.textContent = rank > 0 ? String(rank) : '';
      r.element.classList.toggle('chosen', rank > 0);
      r.element.setAttribute('aria-label', `${r.option.label}${r.option.detail ? `, ${r.option.detail}` : ''}, ${rank > 0 ? `boot device ${rank}` : 'not booted from'}, position ${i + 1} of ${this.rows.length}`);
      r.element.querySelector('.move-up')?.classList.toggle('edge', i === 0);
      r.element.querySelector('.move-down')?.classList.toggle('edge', i === this.rows.length - 1);
    });
    if (this.rows.length === 0) this.list.replaceChildren(el('div', { className: 'order-empty', text: 'This VM has no disks, NICs or host devices to boot from.' }));
  }

  private changed(announcement: string): void {
    this.announcer.textContent = announcement;
    this.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

if (!customElements.get('lv-order-list')) customElements.define('lv-order-list', OrderList);

declare global {
  interface HTMLElementTagNameMap {
    'lv-order-list': OrderList;
  }
}
