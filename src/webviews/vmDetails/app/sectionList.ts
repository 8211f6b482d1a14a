// The list of sections on the left: a vscode-tree (arrow keys move, Enter/Space/click select),
// each row with its codicon and description, a dot when it has unapplied changes and an error
// icon when a check fails in it.

import type { FormSection } from '../../../forms/formSchema';
import { el, icon } from '../../shared/app/dom';

export interface SectionMarks {
  readonly modified: boolean;
  readonly error: boolean;
}

export class SectionList {
  readonly element: HTMLElement;
  private readonly items = new Map<string, HTMLElement>();

  constructor(private readonly onSelect: (id: string) => void) {
    this.element = el('vscode-tree', { id: 'sections', attrs: { 'aria-label': 'Sections', indent: '0' } });
    this.element.setAttribute('hide-arrows', '');
    this.element.addEventListener('vsc-tree-select', (e: Event) => {
      const [item] = (e as CustomEvent<readonly HTMLElement[]>).detail;
      const id = item?.dataset['section'];
      if (id) this.onSelect(id);
    });
  }

  render(sections: readonly FormSection[], selected: string | undefined): void {
    this.items.clear();
    this.element.replaceChildren(
      ...sections.map((s) => {
        const item = el('vscode-tree-item', { attrs: { 'data-section': s.id } });
        item.append(icon(s.icon, 'icon-leaf'), el('span', { className: 'section-title', text: s.title }));
        if (s.description) item.append(el('span', { text: s.description, attrs: { slot: 'description' } }));
        item.append(el('span', { className: 'marks', attrs: { slot: 'decoration' } }));
        this.items.set(s.id, item);
        return item;
      }),
    );
    this.select(selected);
  }

  select(id: string | undefined): void {
    for (const [sid, item] of this.items) (item as HTMLElement & { selected: boolean }).selected = sid === id;
  }

  mark(id: string, marks: SectionMarks): void {
    const box = this.items.get(id)?.querySelector('.marks');
    if (!box) return;
    const parts: HTMLElement[] = [];
    if (marks.error) parts.push(icon('error'));
    if (marks.modified) parts.push(el('span', { className: 'modified-dot', text: '●', title: 'Unapplied changes' }));
    box.replaceChildren(...parts);
    const item = this.items.get(id)!;
    const title = item.querySelector('.section-title')?.textContent ?? id;
    item.setAttribute('aria-label', `${title}${marks.modified ? ', modified' : ''}${marks.error ? ', has errors' : ''}`);
  }
}
