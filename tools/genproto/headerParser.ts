// Extracts constants from libvirt's public C headers (include/libvirt/*.h): every
// `typedef enum { ... } virXxx;` block and every object-like `# define VIR_...` whose value is a
// number, a simple integer expression or a string literal.

export interface HeaderEnum {
  readonly name: string;
  readonly file: string;
  readonly members: readonly { readonly name: string; readonly value: number }[];
}

export interface HeaderConstants {
  readonly enums: readonly HeaderEnum[];
  /** Numeric `# define`s and every enumerator, by name. */
  readonly numbers: ReadonlyMap<string, number>;
  /** Numeric and string `# define`s in header order. */
  readonly defines: readonly { readonly name: string; readonly value: number | string; readonly file: string }[];
}

export class HeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderError';
  }
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

/**
 * Evaluates a C integer constant expression made of literals (decimal, hex, with U/L suffixes),
 * known names, parentheses and the operators ~ - + * / << >> & | ^. Returns undefined when the
 * expression uses anything else or an unknown name.
 */
export function evalCExpr(expr: string, known: ReadonlyMap<string, number>): number | undefined {
  const toks = expr.match(/0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*|[A-Za-z_]\w*|<<|>>|[-+*/()|&^~]|\S/g) ?? [];
  let i = 0;
  const BIN: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6 };
  const unary = (): bigint | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '-') {
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    if (t === '~') {
      const v = unary();
      return v === undefined ? undefined : ~v;
    }
    if (t === '(') {
      const v = binary(0);
      if (toks[i++] !== ')') return undefined;
      return v;
    }
    if (/^[0-9]/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ''));
    if (/^[A-Za-z_]/.test(t)) {
      const v = known.get(t);
      return v === undefined ? undefined : BigInt(v);
    }
    return undefined;
  };
  const binary = (minPrec: number): bigint | undefined => {
    let lhs = unary();
    for (;;) {
      if (lhs === undefined) return undefined;
      const op = toks[i];
      const prec = op === undefined ? undefined : BIN[op];
      if (prec === undefined || prec <= minPrec) return lhs;
      i++;
      const rhs = binary(prec);
      if (rhs === undefined) return undefined;
      switch (op) {
        case '|': lhs = lhs | rhs; break;
        case '^': lhs = lhs ^ rhs; break;
        case '&': lhs = lhs & rhs; break;
        case '<<': lhs = lhs << rhs; break;
        case '>>': lhs = lhs >> rhs; break;
        case '+': lhs = lhs + rhs; break;
        case '-': lhs = lhs - rhs; break;
        case '*': lhs = lhs * rhs; break;
        default:
          if (rhs === 0n) return undefined;
          lhs = lhs / rhs;
      }
    }
  };
  const v = binary(0);
  if (v === undefined || i !== toks.length) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses the headers in the given order; later headers may use earlier names. */
export function parseHeaders(files: readonly { readonly file: string; readonly text: string }[]): HeaderConstants {
  const numbers = new Map<string, number>();
  const enums: HeaderEnum[] = [];
  const defines: { name: string; value: number | string; file: string }[] = [];
  const pendingDefines: { name: string; expr: string; file: string }[] = [];
  for (const { file, text } of files) {
    const src = stripComments(text).replace(/\\\n/g, ' ');
    // Object-like macros; function-like macros (name immediately followed by '(') are skipped.
    for (const m of src.matchAll(/^[ \t]*#[ \t]*define[ \t]+(VIR_\w+)(?!\()[ \t]*([^\n]*)$/gm)) {
      const name = m[1]!;
      const expr = m[2]!.trim();
      if (expr === '') continue;
      const str = /^"((?:[^"\\]|\\.)*)"$/.exec(expr);
      if (str) defines.push({ name, value: JSON.parse(`"${str[1]!}"`) as string, file });
      else pendingDefines.push({ name, expr, file });
    }
    for (const m of src.matchAll(/typedef\s+enum\s*\w*\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
      const body = m[1]!.replace(/^[ \t]*#[^\n]*$/gm, '');
      const name = m[2]!;
      const members: { name: string; value: number }[] = [];
      let next = 0;
      for (const raw of body.split(',')) {
        const item = raw.trim();
        if (item === '') continue;
        const mm = /^([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+))?$/.exec(item);
        if (!mm) throw new HeaderError(`${file}: cannot parse enumerator ${JSON.stringify(item)} of ${name}`);
        let value = next;
        if (mm[2] !== undefined) {
          const v = evalCExpr(mm[2], numbers);
          if (v === undefined) throw new HeaderError(`${file}: cannot evaluate ${mm[1]!} = ${mm[2]} in ${name}`);
          value = v;
        }
        members.push({ name: mm[1]!, value });
        numbers.set(mm[1]!, value);
        next = value + 1;
      }
      enums.push({ name, file, members });
    }
  }
  // Defines may refer to enumerators and to each other; resolve until nothing changes.
  let progress = true;
  while (progress) {
    progress = false;
    for (let k = 0; k < pendingDefines.length; k++) {
      const d = pendingDefines[k]!;
      const v = evalCExpr(d.expr, numbers);
      if (v === undefined) continue;
      numbers.set(d.name, v);
      defines.push({ name: d.name, value: v, file: d.file });
      pendingDefines.splice(k--, 1);
      progress = true;
    }
  }
  const order = new Map<string, number>();
  let n = 0;
  for (const { file, text } of files) {
    for (const m of stripComments(text).matchAll(/#[ \t]*define[ \t]+(VIR_\w+)/g)) order.set(`${file}\0${m[1]!}`, n++);
  }
  defines.sort((a, b) => order.get(`${a.file}\0${a.name}`)! - order.get(`${b.file}\0${b.name}`)!);
  return { enums, numbers, defines };
}
