// Finds where in the document a libvirt define error points. libvirt's messages name elements,
// attributes and values in words and quotes ("Invalid value for attribute 'type' in element
// 'model': 'bogus'", "Extra element on_poweroff in interleave", "unsupported configuration: ...
// 'foo'"), never positions; this looks for the named value, then attribute, then element.
// No vscode here.

export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function quoted(message: string): string[] {
  const out: string[] = [];
  for (const m of message.matchAll(/'([^'\n]{1,200})'|"([^"\n]{1,200})"/g)) out.push((m[1] ?? m[2])!);
  return out;
}

function named(message: string, word: 'element' | 'attribute'): string[] {
  const out: string[] = [];
  const re = new RegExp(`${word}s?\\s+'?<?([A-Za-z_][\\w.:-]*)>?'?`, 'gi');
  for (const m of message.matchAll(re)) out.push(m[1]!);
  return out;
}

function findValue(text: string, value: string): TextSpan | undefined {
  const v = escapeRe(value);
  const attr = new RegExp(`=\\s*(["'])(${v})\\1`).exec(text);
  if (attr) {
    const start = attr.index + attr[0].indexOf(attr[1]!) + 1;
    return { start, end: start + value.length };
  }
  const content = new RegExp(`>\\s*(${v})\\s*<`).exec(text);
  if (content) {
    const start = content.index + content[0].indexOf(value);
    return { start, end: start + value.length };
  }
  return undefined;
}

function findElement(text: string, name: string): TextSpan | undefined {
  const m = new RegExp(`<(${escapeRe(name)})[\\s/>]`).exec(text);
  return m ? { start: m.index + 1, end: m.index + 1 + name.length } : undefined;
}

function findAttribute(text: string, name: string): TextSpan | undefined {
  const m = new RegExp(`\\s(${escapeRe(name)})\\s*=`).exec(text);
  return m ? { start: m.index + 1, end: m.index + 1 + name.length } : undefined;
}

/** The span a define error message most likely refers to, or undefined when nothing matches. */
export function placeDefineError(text: string, message: string): TextSpan | undefined {
  const quotes = quoted(message);
  // Values first: they are the most specific ('bogus' beats attribute 'type').
  const attrs = named(message, 'attribute');
  const elements = named(message, 'element');
  const words = new Set([...attrs, ...elements]);
  for (const q of quotes) {
    if (words.has(q)) continue;
    const span = findValue(text, q);
    if (span) return span;
  }
  for (const a of attrs) {
    const span = findAttribute(text, a);
    if (span) return span;
  }
  for (const e of elements) {
    const span = findElement(text, e);
    if (span) return span;
  }
  for (const q of quotes) {
    const span = findElement(text, q) ?? findAttribute(text, q);
    if (span) return span;
  }
  return undefined;
}
