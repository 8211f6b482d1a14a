// Tokenizer for the rpcgen XDR language (RFC 4506 section 6 plus rpcgen's `%` passthrough
// lines). Comments are kept as tokens because libvirt puts procedure annotations in them.

export type TokenKind = 'ident' | 'number' | 'punct' | 'comment' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
}

export class ParseError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ParseError';
  }
}

const PUNCT = new Set(['{', '}', '(', ')', '[', ']', '<', '>', ';', ',', '=', '*', ':', '-']);

export function tokenize(file: string, src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const atLineStart = (): boolean => {
    let j = i - 1;
    while (j >= 0 && (src[j] === ' ' || src[j] === '\t')) j--;
    return j < 0 || src[j] === '\n';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '%' && atLineStart()) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new ParseError(file, line, 'unterminated comment');
      const text = src.slice(i, end + 2);
      out.push({ kind: 'comment', text, line });
      for (const ch of text) if (ch === '\n') line++;
      i = end + 2;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256))!;
      out.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(src.slice(i, i + 64))!;
      out.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else if (PUNCT.has(c)) {
      out.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      throw new ParseError(file, line, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  out.push({ kind: 'eof', text: '', line });
  return out;
}
