// Recursive-descent parser for the rpcgen XDR language subset used by libvirt's .x files
// (see RFC 4506 section 6): const, enum, struct, union, typedef, with fixed/variable arrays,
// optional data, opaque and string. Comments before enum values are kept as `doc`.

import { ParseError, tokenize, type Token } from './lexer';

/** A constant expression: a literal or the name of a constant. */
export type Value = { readonly kind: 'num'; readonly value: number; readonly hex?: boolean } | { readonly kind: 'ref'; readonly name: string; readonly line: number };

export type PrimName =
  | 'int' | 'uint' | 'hyper' | 'uhyper' | 'bool' | 'float' | 'double'
  | 'char' | 'uchar' | 'short' | 'ushort' | 'string' | 'opaque' | 'void';

export type TypeSpec = { readonly kind: 'prim'; readonly name: PrimName } | { readonly kind: 'named'; readonly name: string; readonly line: number };

export type Shape = 'scalar' | 'fixed' | 'var' | 'optional';

export interface Decl {
  readonly name: string;
  readonly type: TypeSpec;
  readonly shape: Shape;
  /** Fixed length or variable maximum (undefined: `<>`, no maximum). */
  readonly size?: Value;
  readonly line: number;
}

export interface EnumMember {
  readonly name: string;
  readonly value: Value;
  /** The comment right before the member, if any (libvirt's @annotations). */
  readonly doc?: string;
}

export interface UnionArm {
  readonly cases: readonly Value[];
  readonly decl: Decl;
}

export type Definition =
  | { readonly kind: 'const'; readonly name: string; readonly value: Value; readonly line: number }
  | { readonly kind: 'enum'; readonly name: string; readonly members: readonly EnumMember[]; readonly line: number }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly Decl[]; readonly line: number }
  | {
      readonly kind: 'union';
      readonly name: string;
      readonly disc: Decl;
      readonly arms: readonly UnionArm[];
      readonly def?: Decl;
      readonly line: number;
    }
  | { readonly kind: 'typedef'; readonly name: string; readonly decl: Decl; readonly line: number };

export interface XdrFile {
  readonly file: string;
  readonly definitions: readonly Definition[];
}

export function parseXdr(file: string, src: string): XdrFile {
  return new Parser(file, tokenize(file, src)).parseFile();
}

class Parser {
  private pos = 0;
  private lastComment: string | undefined;

  constructor(
    private readonly file: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseFile(): XdrFile {
    const defs: Definition[] = [];
    while (this.peek().kind !== 'eof') defs.push(this.definition());
    return { file: this.file, definitions: defs };
  }

  // Comments are skipped everywhere; the last one seen is remembered for enum members.
  private skipComments(): void {
    while (this.tokens[this.pos]!.kind === 'comment') {
      this.lastComment = this.tokens[this.pos]!.text;
      this.pos++;
    }
  }

  private peek(): Token {
    this.skipComments();
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }

  private fail(t: Token, what: string): never {
    throw new ParseError(this.file, t.line, `expected ${what}, found ${t.kind === 'eof' ? 'end of file' : JSON.stringify(t.text)}`);
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' && t.kind !== 'ident') this.fail(t, JSON.stringify(text));
    if (t.text !== text) this.fail(t, JSON.stringify(text));
    return t;
  }

  private accept(text: string): boolean {
    const t = this.peek();
    if ((t.kind === 'punct' || t.kind === 'ident') && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  private ident(): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, 'an identifier');
    return t;
  }

  private value(): Value {
    const neg = this.accept('-');
    const t = this.next();
    if (t.kind === 'number') {
      const v = Number(t.text.startsWith('0') && t.text.length > 1 && !/^0[xX]/.test(t.text) ? parseInt(t.text, 8) : t.text);
      return /^0[xX]/.test(t.text) && !neg ? { kind: 'num', value: v, hex: true } : { kind: 'num', value: neg ? -v : v };
    }
    if (t.kind === 'ident' && !neg) return { kind: 'ref', name: t.text, line: t.line };
    return this.fail(t, 'a constant');
  }

  private definition(): Definition {
    const t = this.ident();
    let def: Definition;
    switch (t.text) {
      case 'const': {
        const name = this.ident().text;
        this.expect('=');
        def = { kind: 'const', name, value: this.value(), line: t.line };
        break;
      }
      case 'enum': {
        const name = this.ident().text;
        def = { kind: 'enum', name, members: this.enumBody(), line: t.line };
        break;
      }
      case 'struct': {
        const name = this.ident().text;
        def = { kind: 'struct', name, fields: this.structBody(), line: t.line };
        break;
      }
      case 'union': {
        const name = this.ident().text;
        def = { kind: 'union', name, ...this.unionBody(), line: t.line };
        break;
      }
      case 'typedef': {
        const decl = this.declaration();
        if (decl.type.kind === 'prim' && decl.type.name === 'void') this.fail(t, 'a typedef of a non-void type');
        def = { kind: 'typedef', name: decl.name, decl, line: t.line };
        break;
      }
      default:
        return this.fail(t, 'const, enum, struct, union or typedef');
    }
    this.expect(';');
    return def;
  }

  private enumBody(): EnumMember[] {
    this.expect('{');
    const members: EnumMember[] = [];
    for (;;) {
      this.lastComment = undefined;
      const nameTok = this.ident();
      const doc = this.lastComment;
      this.expect('=');
      members.push({ name: nameTok.text, value: this.value(), ...(doc !== undefined ? { doc } : {}) });
      if (this.accept(',')) continue;
      this.expect('}');
      return members;
    }
  }

  private structBody(): Decl[] {
    this.expect('{');
    const fields: Decl[] = [];
    do {
      fields.push(this.declaration());
      this.expect(';');
    } while (!this.accept('}'));
    return fields;
  }

  private unionBody(): { disc: Decl; arms: UnionArm[]; def?: Decl } {
    this.expect('switch');
    this.expect('(');
    const disc = this.declaration();
    this.expect(')');
    this.expect('{');
    const arms: UnionArm[] = [];
    let def: Decl | undefined;
    for (;;) {
      if (this.accept('case')) {
        const cases: Value[] = [this.value()];
        this.expect(':');
        while (this.accept('case')) {
          cases.push(this.value());
          this.expect(':');
        }
        const decl = this.declaration();
        this.expect(';');
        arms.push({ cases, decl });
      } else if (this.accept('default')) {
        this.expect(':');
        def = this.declaration();
        this.expect(';');
      } else {
        this.expect('}');
        if (arms.length === 0) throw new ParseError(this.file, disc.line, 'union without cases');
        return def !== undefined ? { disc, arms, def } : { disc, arms };
      }
    }
  }

  private typeSpec(): TypeSpec {
    const t = this.ident();
    switch (t.text) {
      case 'unsigned': {
        const n = this.peek();
        if (n.kind === 'ident' && ['int', 'hyper', 'char', 'short', 'long'].includes(n.text)) {
          this.pos++;
          const map: Record<string, PrimName> = { int: 'uint', long: 'uint', hyper: 'uhyper', char: 'uchar', short: 'ushort' };
          return { kind: 'prim', name: map[n.text]! };
        }
        return { kind: 'prim', name: 'uint' };
      }
      case 'int':
      case 'long':
        return { kind: 'prim', name: 'int' };
      case 'hyper':
      case 'bool':
      case 'float':
      case 'double':
      case 'char':
      case 'short':
      case 'string':
      case 'opaque':
      case 'void':
        return { kind: 'prim', name: t.text };
      case 'quadruple':
      case 'struct':
      case 'union':
      case 'enum':
        return this.fail(t, 'a type name (inline and quadruple types are not supported)');
      default:
        return { kind: 'named', name: t.text, line: t.line };
    }
  }

  private declaration(): Decl {
    const line = this.peek().line;
    const type = this.typeSpec();
    if (type.kind === 'prim' && type.name === 'void') return { name: '', type, shape: 'scalar', line };
    if (this.accept('*')) return { name: this.ident().text, type, shape: 'optional', line };
    const name = this.ident().text;
    if (this.accept('[')) {
      const size = this.value();
      this.expect(']');
      return { name, type, shape: 'fixed', size, line };
    }
    if (this.accept('<')) {
      if (this.accept('>')) return { name, type, shape: 'var', line };
      const size = this.value();
      this.expect('>');
      return { name, type, shape: 'var', size, line };
    }
    if (type.kind === 'prim' && (type.name === 'string' || type.name === 'opaque')) {
      throw new ParseError(this.file, line, `${type.name} ${name} needs a length ([n] or <n>)`);
    }
    return { name, type, shape: 'scalar', line };
  }
}
