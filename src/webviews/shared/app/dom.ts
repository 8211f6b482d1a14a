// Small DOM helpers for the webview apps: every text goes in through textContent, never HTML.

export interface ElProps {
  readonly id?: string;
  readonly className?: string;
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElProps = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.id) e.id = props.id;
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title) e.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  return e;
}

/** A codicon (decorative: screen readers read the text next to it). */
export function icon(name: string, slot?: string): HTMLElement {
  const i = el('vscode-icon', { attrs: { name, 'aria-hidden': 'true' } });
  if (slot) i.setAttribute('slot', slot);
  return i;
}
