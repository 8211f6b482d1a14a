// Reading and adjusting a definition's text for the save flow. No vscode here.

import type { XmlDocument } from '../libvirt/xml/xmlDocument';

/** The text of the root's <name>, or undefined. */
export function definedName(doc: XmlDocument): string | undefined {
  const el = doc.root.child('name');
  return el ? doc.textContent(el).trim() : undefined;
}

/** The document without its <uuid> element (and the line it sat on), so libvirt assigns a new one. */
export function withoutUuid(doc: XmlDocument): string {
  const el = doc.root.child('uuid');
  if (!el) return doc.text;
  const text = doc.text;
  let start = el.start;
  let end = el.end;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (text.slice(lineStart, start).trim() === '') {
    const nl = text.indexOf('\n', end);
    if (nl >= 0 && text.slice(end, nl).trim() === '') {
      start = lineStart;
      end = nl + 1;
    }
  }
  return text.slice(0, start) + text.slice(end);
}
