// Where a cursor is in a possibly unfinished XML text: the path of open elements and whether the
// cursor is in element content, an element name, an attribute name or an attribute value. Works on
// text that does not parse yet (the user is typing), which is when completion is asked for.

export type CursorContext =
  | { readonly kind: 'content'; readonly path: readonly string[] }
  /** After `<` (or `</` when closing): `partial` is the name typed so far, starting at `start`. */
  | { readonly kind: 'elementName'; readonly path: readonly string[]; readonly partial: string; readonly start: number; readonly closing: boolean }
  /** Inside a start tag, where an attribute name goes; `path` ends with the tag's element. */
  | { readonly kind: 'attributeName'; readonly path: readonly string[]; readonly partial: string; readonly start: number; readonly present: readonly string[] }
  /** Inside an attribute value's quotes; `start` is the offset after the opening quote. */
  | { readonly kind: 'attributeValue'; readonly path: readonly string[]; readonly attribute: string; readonly partial: string; readonly start: number }
  | { readonly kind: 'other'; readonly path: readonly string[] };

const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7-\uFFFF]/;

function skipTo(text: string, from: number, marker: string): number {
  const i = text.indexOf(marker, from);
  return i < 0 ? Number.POSITIVE_INFINITY : i + marker.length;
}

/** End (after `>`) of a tag starting at `from`, honouring quoted attribute values; text.length if open. */
function tagEnd(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return i + 1;
    else if (ch === '<') return i; // an unfinished tag followed by another one
  }
  return text.length;
}

function readName(text: string, from: number): string {
  let i = from;
  while (i < text.length && NAME_CHAR.test(text[i]!)) i++;
  return text.slice(from, i);
}

export function cursorContext(text: string, offset: number): CursorContext {
  const stack: string[] = [];
  let i = 0;
  while (i < offset) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt >= offset) return { kind: 'content', path: [...stack] };
    if (text.startsWith('<!--', lt)) {
      const end = skipTo(text, lt + 4, '-->');
      if (end > offset) return { kind: 'other', path: [...stack] };
      i = end;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = skipTo(text, lt + 9, ']]>');
      if (end > offset) return { kind: 'other', path: [...stack] };
      i = end;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = skipTo(text, lt + 2, '>');
      if (end > offset) return { kind: 'other', path: [...stack] };
      i = end;
      continue;
    }
    const closing = text[lt + 1] === '/';
    const nameStart = lt + (closing ? 2 : 1);
    const name = readName(text, nameStart);
    const end = tagEnd(text, nameStart + name.length);
    const tagClosedBeforeCursor = end <= offset && text[end - 1] === '>';
    if (!tagClosedBeforeCursor) {
      if (offset <= nameStart + name.length) {
        return { kind: 'elementName', path: [...stack], partial: text.slice(nameStart, offset), start: nameStart, closing };
      }
      if (closing) return { kind: 'other', path: [...stack] };
      return inStartTag(text, [...stack, name], nameStart + name.length, offset);
    }
    if (closing) {
      const at = stack.lastIndexOf(name);
      if (at >= 0) stack.length = at;
    } else if (text[end - 2] !== '/') {
      stack.push(name);
    }
    i = end;
  }
  return { kind: 'content', path: [...stack] };
}

function inStartTag(text: string, path: string[], from: number, offset: number): CursorContext {
  const present: string[] = [];
  let i = from;
  while (i < offset) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const attrStart = i;
    const attr = readName(text, i);
    if (attr === '') return { kind: 'other', path };
    i += attr.length;
    if (i >= offset) return { kind: 'attributeName', path, partial: text.slice(attrStart, offset), start: attrStart, present };
    present.push(attr);
    while (i < offset && /\s/.test(text[i]!)) i++;
    if (i >= offset) return { kind: 'attributeName', path, partial: '', start: offset, present };
    if (text[i] !== '=') continue;
    i++;
    while (i < offset && /\s/.test(text[i]!)) i++;
    if (i >= offset) return { kind: 'other', path };
    const q = text[i]!;
    if (q !== '"' && q !== "'") return { kind: 'other', path };
    const close = text.indexOf(q, i + 1);
    if (close < 0 || close >= offset) {
      return { kind: 'attributeValue', path, attribute: attr, partial: text.slice(i + 1, offset), start: i + 1 };
    }
    i = close + 1;
  }
  return { kind: 'attributeName', path, partial: '', start: offset, present };
}

/** The word (XML name characters) around an offset, for hover. */
export function wordAt(text: string, offset: number): { word: string; start: number; end: number } | undefined {
  let s = offset;
  let e = offset;
  while (s > 0 && NAME_CHAR.test(text[s - 1]!)) s--;
  while (e < text.length && NAME_CHAR.test(text[e]!)) e++;
  if (s === e) return undefined;
  return { word: text.slice(s, e), start: s, end: e };
}
