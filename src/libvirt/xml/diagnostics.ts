// Diagnostics for domain XML. Ranges are 0-based lines and columns (UTF-16 code units), end
// exclusive, matching VS Code's Range so the UI can use them as they are.

import { XMLValidator } from 'fast-xml-parser';
import { TextRange, XmlDocument, XmlSyntaxError } from './xmlDocument';

export type Severity = 'error' | 'warning' | 'info';

export interface TextEdit {
  range: TextRange;
  newText: string;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  range: TextRange;
  /** Stable identifier, e.g. `xml-syntax`, `schema`, `topology-mismatch`. */
  code: string;
  fix?: { title: string; edits: TextEdit[] };
}

export function pointRange(line: number, col: number): TextRange {
  return { startLine: line, startCol: col, endLine: line, endCol: col + 1 };
}

/**
 * Well-formedness: the exact-offset tokenizer first (it also gives the tree later stages need),
 * then fast-xml-parser's validator for what the tokenizer tolerates (tag name syntax, stray `&`).
 * Returns the parsed document when the text is well-formed.
 */
export function checkWellFormed(text: string): { doc?: XmlDocument; diagnostics: Diagnostic[] } {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.parse(text);
  } catch (e) {
    if (!XmlSyntaxError.is(e)) throw e;
    return { diagnostics: [{ severity: 'error', message: e.message.replace(/ \(line \d+, column \d+\)$/, ''), range: pointRange(e.line, e.col), code: 'xml-syntax' }] };
  }
  const r = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (r !== true) {
    // fast-xml-parser positions are 1-based
    return { diagnostics: [{ severity: 'error', message: r.err.msg, range: pointRange(Math.max(0, r.err.line - 1), Math.max(0, r.err.col - 1)), code: 'xml-syntax' }] };
  }
  return { doc, diagnostics: [] };
}

/** A fix expressed as the smallest single edit turning `before` into `after`. */
export function fixFromTexts(doc: XmlDocument, after: string, title: string): { title: string; edits: TextEdit[] } {
  const before = doc.text;
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { title, edits: [{ range: doc.range(p, before.length - s), newText: after.slice(p, after.length - s) }] };
}

/** Applies edits (non-overlapping) to a text; for tests and for UIs without an editor. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const doc = XmlDocument.parse(text);
  const abs = edits
    .map((e) => ({ s: doc.offsetAt(e.range.startLine, e.range.startCol), e: doc.offsetAt(e.range.endLine, e.range.endCol), t: e.newText }))
    .sort((a, b) => b.s - a.s);
  let out = text;
  for (const e of abs) out = out.slice(0, e.s) + e.t + out.slice(e.e);
  return out;
}
