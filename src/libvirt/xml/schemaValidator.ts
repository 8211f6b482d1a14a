// RelaxNG validation of domain XML against a host's own libvirt schemas, with libxml2 compiled
// to WebAssembly (libxml2-wasm, MIT).
//
// Loading: libxml2-wasm is an ES module with a top-level await, so it cannot be bundled into the
// CommonJS extension bundle. It is loaded at runtime with a real dynamic `import()` of a file URL:
// first from `<dir of this file>/libxml2-wasm/index.mjs` (a copy of the package's `lib/` placed
// next to the bundle in dist/), else from node_modules. The `Function` indirection keeps
// TypeScript's CommonJS output from turning `import()` into `require()`.
//
// Locations: libxml2 reports RelaxNG errors on the parent of the offending node (often
// `/domain/devices` with "failed to validate content"). The grammar summary of the same schema
// files (rngGrammar.ts, schemaCheck.ts) names most faults exactly: unknown elements and
// attributes, missing required ones, values outside an enumeration or datatype. What it cannot
// see is narrowed down in a scratch copy of the text: remove half of the reported element's
// children; the half whose removal clears the error holds the fault (bisection), and we recurse
// into it, then try its attributes. Each trial is one ~1 ms validation and only happens for
// invalid documents the summary has no explanation for.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { acceptsValue, describeValueSet, RngGrammar, type ValueSet } from './rngGrammar';
import { checkAgainstSchema, type SchemaProblem } from './schemaCheck';
import { SchemaSource } from './schemaSource';
import { XmlDocument, XmlElement } from './xmlDocument';

// ---------------------------------------------------------------- the subset of libxml2-wasm we use

interface LxErrorDetail {
  message: string;
  line: number;
  col: number;
  xpath?: string;
}
interface LxDocument {
  dispose(): void;
}
interface LxValidator {
  validate(doc: LxDocument): void;
  dispose(): void;
}
interface LxModule {
  XmlDocument: { fromBuffer(b: Uint8Array, o?: { url?: string }): LxDocument; fromString(s: string, o?: { url?: string }): LxDocument };
  RelaxNGValidator: { fromDoc(d: LxDocument): LxValidator };
  XmlBufferInputProvider: new (data: Record<string, Uint8Array>) => { addBuffer(name: string, b: Uint8Array): void };
  xmlRegisterInputProvider(p: unknown): boolean;
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
  static is(e: unknown): e is SchemaError {
    return e instanceof SchemaError;
  }
}

function isLxModule(m: unknown): m is LxModule {
  return typeof m === 'object' && m !== null && 'RelaxNGValidator' in m && 'XmlDocument' in m && 'xmlRegisterInputProvider' in m;
}

function errorDetails(e: unknown): LxErrorDetail[] | undefined {
  if (typeof e === 'object' && e !== null && 'details' in e && Array.isArray((e as { details: unknown }).details)) {
    return (e as { details: LxErrorDetail[] }).details;
  }
  return undefined;
}

type EsmImport = (specifier: string) => Promise<unknown>;

/**
 * A real dynamic import(). Next to the bundle, dist/esm-import.js (written by esbuild.mjs) is one:
 * it is compiled by Node's own loader, while the bundle itself is compiled through vm.Script
 * (src/boot.ts), where an import() fails, also one made by a Function inside it. Elsewhere (the
 * tsc output the tests run) a Function keeps TypeScript from turning import() into require().
 */
function esmImport(): EsmImport {
  const beside = path.join(__dirname, 'esm-import.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (fs.existsSync(beside)) return require(beside) as EsmImport;
  return new Function('specifier', 'return import(specifier)') as EsmImport;
}

let lxPromise: Promise<{ lx: LxModule; provider: { addBuffer(name: string, b: Uint8Array): void } }> | undefined;

/** Where libxml2-wasm's entry module is: a copy next to this file (dist/), else node_modules. */
export function libxml2WasmEntry(): string {
  const local = path.join(__dirname, 'libxml2-wasm', 'index.mjs');
  if (fs.existsSync(local)) return local;
  // Not a literal, so bundlers leave this development fallback alone.
  const pkg = ['libxml2', 'wasm'].join('-');
  return require.resolve(pkg);
}

function loadLibxml2(): Promise<{ lx: LxModule; provider: { addBuffer(name: string, b: Uint8Array): void } }> {
  lxPromise ??= esmImport()(pathToFileURL(libxml2WasmEntry()).href).then((m) => {
    if (!isLxModule(m)) throw new SchemaError('libxml2-wasm did not load as expected');
    const provider = new m.XmlBufferInputProvider({});
    m.xmlRegisterInputProvider(provider);
    return { lx: m, provider };
  });
  return lxPromise;
}

const SCHEME = 'libvirt-schema://';
const compiled = new Map<string, Promise<DomainSchemaValidator>>();

/** Hash of a schema set (names and contents): one compiled validator per libvirt version. */
export async function schemaSetHash(source: SchemaSource): Promise<{ hash: string; files: Map<string, Buffer> }> {
  const names = await source.listFiles();
  const files = new Map<string, Buffer>();
  const h = createHash('sha256');
  for (const n of names) {
    const b = await source.readFile(n);
    files.set(n, b);
    h.update(n).update('\0').update(b).update('\0');
  }
  return { hash: h.digest('hex').slice(0, 16), files };
}

export class DomainSchemaValidator {
  private constructor(
    private readonly lx: LxModule,
    private readonly validator: LxValidator,
    readonly hash: string,
    readonly compileMs: number,
    private readonly grammar: RngGrammar,
  ) {}

  /** Compiles domain.rng from `source`, once per distinct schema set (cached by content hash). */
  static async forSource(source: SchemaSource): Promise<DomainSchemaValidator> {
    const { hash, files } = await schemaSetHash(source);
    let p = compiled.get(hash);
    if (!p) {
      p = DomainSchemaValidator.compile(hash, files);
      compiled.set(hash, p);
      p.catch(() => compiled.delete(hash));
    }
    return p;
  }

  private static async compile(hash: string, files: Map<string, Buffer>): Promise<DomainSchemaValidator> {
    const { lx, provider } = await loadLibxml2();
    const main = files.get('domain.rng');
    if (!main) throw new SchemaError('the schema set has no domain.rng');
    const t0 = performance.now();
    for (const [name, buf] of files) provider.addBuffer(`${SCHEME}${hash}/${name}`, buf);
    let rngDoc: LxDocument | undefined;
    try {
      rngDoc = lx.XmlDocument.fromBuffer(main, { url: `${SCHEME}${hash}/domain.rng` });
      const v = lx.RelaxNGValidator.fromDoc(rngDoc);
      const grammar = await RngGrammar.load('domain.rng', async (name) => {
        const b = files.get(name);
        if (!b) throw new SchemaError(`the schema set has no ${name}`);
        return b.toString('utf8');
      });
      return new DomainSchemaValidator(lx, v, hash, performance.now() - t0, grammar);
    } catch (e) {
      const d = errorDetails(e);
      throw new SchemaError(`cannot compile domain.rng: ${d?.map((x) => x.message.trim()).join('; ') ?? String(e)}`);
    } finally {
      rngDoc?.dispose();
    }
  }

  /** How many libxml2 validations this validator ran (for the benchmark). */
  runs = 0;

  /** Raw libxml2 result: undefined when valid, else its error details. */
  private run(text: string): LxErrorDetail[] | undefined {
    this.runs++;
    let doc: LxDocument;
    try {
      doc = this.lx.XmlDocument.fromString(text);
    } catch (e) {
      return errorDetails(e) ?? [{ message: String(e), line: 0, col: 0 }];
    }
    try {
      this.validator.validate(doc);
      return undefined;
    } catch (e) {
      return errorDetails(e) ?? [{ message: String(e), line: 0, col: 0 }];
    } finally {
      doc.dispose();
    }
  }

  isValid(text: string): boolean {
    return this.run(text) === undefined;
  }

  /**
   * Schema diagnostics for a well-formed document, each on the element (or attribute) at fault.
   * libxml2 decides whether the document is valid (one run). When it is not, the grammar summary
   * (schemaCheck.ts) names the faults precisely without running libxml2 again; only when the
   * summary finds none (an ordering, or a combination inside a choice) is the fault narrowed down
   * by bisection over the children of the element libxml2 reported.
   */
  validate(doc: XmlDocument): Diagnostic[] {
    const details = this.run(doc.text);
    if (!details) return [];
    const precise = checkAgainstSchema(doc, this.grammar);
    if (precise.length > 0) return precise.map((p) => this.fromProblem(doc, p));
    const withPath = details.filter((d) => d.xpath);
    const reported = withPath.length ? deepest(withPath) : undefined;
    const named = details.map((d) => /^(?:Extra element|Did not expect element|Element \S+ has extra content:) ?(\S+)/.exec(d.message.trim())?.[1]).find((x) => x !== undefined);
    let el = reported ? resolveXPath(doc.root, reported.xpath!) : doc.root;
    el ??= doc.elementAt(doc.offsetAt(Math.max(0, (reported?.line ?? 1) - 1), 0)) ?? doc.root;
    const culprit = this.localize(doc, el, named);
    const messages = details.map((d) => d.message.trim()).filter((m) => !/failed to validate content|Invalid sequence in interleave/.test(m));
    const base = messages[0] ?? details[0]!.message.trim();
    let message: string;
    let range = doc.startTagRange(culprit.el);
    let fix: Diagnostic['fix'];
    if (culprit.attr !== undefined) {
      const a = culprit.el.attributes.find((x) => x.name === culprit.attr)!;
      const vs = this.valuesOf(culprit.el, a.name);
      const allowed = vs && !vs.anyText && vs.values.size > 0 && vs.data.length === 0 ? [...vs.values] : undefined;
      message =
        vs && !acceptsValue(vs, a.value)
          ? `Invalid value '${a.value}' for attribute '${a.name}' of <${culprit.el.name}>: expected ${describeValueSet(vs)} (libvirt schema)`
          : `Attribute '${a.name}' is not allowed on <${culprit.el.name}> together with its other attributes and content (libvirt schema)`;
      range = doc.range(a.start, a.end);
      const best = allowed ? closestValue(a.value, allowed) : undefined;
      if (best !== undefined) fix = fixFromTexts(doc, doc.text.slice(0, a.valueStart) + best + doc.text.slice(a.valueEnd), `Change to '${best}'`);
    } else if (culprit.el !== el || (named !== undefined && culprit.el.name === named)) {
      const c = culprit.el;
      const text = c.elements().length === 0 ? doc.textContent(c).trim() : '';
      const defs = this.grammar.defsForPath(elementPath(c));
      const vs = defs ? this.grammar.info(defs).text : undefined;
      const twin = c.parent?.elements().some((x) => x !== c && x.name === c.name) ?? false;
      if (text && vs && !vs.anyText && (vs.values.size > 0 || vs.data.length > 0) && !acceptsValue(vs, text)) message = `Invalid content '${text}' in <${c.name}>: expected ${describeValueSet(vs)} (libvirt schema)`;
      else if (twin && c.name === named) message = `<${c.name}> may appear only once inside <${c.parent!.name}> (libvirt schema)`;
      else message = `<${c.name}> is not allowed here together with the rest of <${c.parent?.name ?? c.name}>: check its attributes and content against libvirt's schema`;
    } else {
      message = `<${culprit.el.name}>: ${base}`;
    }
    return [{ severity: 'error', message, range, code: 'schema', ...(fix ? { fix } : {}) }];
  }

  /** A problem of the grammar summary as a diagnostic, with a fix to the closest allowed value. */
  private fromProblem(doc: XmlDocument, p: SchemaProblem): Diagnostic {
    const best = p.expected ? closestValue(doc.text.slice(p.start, p.end), p.expected) : undefined;
    const fix = best !== undefined ? fixFromTexts(doc, doc.text.slice(0, p.start) + best + doc.text.slice(p.end), `Change to '${best}'`) : undefined;
    return { severity: 'error', message: `${p.message} (libvirt schema)`, range: doc.range(p.start, p.end), code: 'schema', ...(fix ? { fix } : {}) };
  }

  private valuesOf(el: XmlElement, attr: string): ValueSet | undefined {
    const defs = this.grammar.defsForPath(elementPath(el));
    return defs ? this.grammar.info(defs).attributes.get(attr) : undefined;
  }

  /**
   * The part of `el` at fault, found by removing children: when removing all of them clears the
   * error, by bisection (about log2(n) libxml2 runs per level); else (a required child is among
   * them) the children libxml2 named first, then one at a time. Then single attributes. Removing
   * optional parts never makes a valid document invalid, so a removal that makes the document
   * valid contains the fault.
   */
  private localize(doc: XmlDocument, el: XmlElement, named?: string): { el: XmlElement; attr?: string } {
    const text = doc.text;
    const without = (s: number, e: number): string => text.slice(0, s) + text.slice(e);
    for (let depth = 0; depth < 32; depth++) {
      const children = el.elements();
      const clears = (from: number, to: number): boolean => this.isValid(without(children[from]!.start, children[to - 1]!.end));
      let at = -1;
      if (children.length > 0 && clears(0, children.length)) {
        let [lo, hi] = [0, children.length];
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (clears(lo, mid)) hi = mid;
          else if (clears(mid, hi)) lo = mid;
          else break; // faults on both sides: one at a time below
        }
        at = hi - lo === 1 ? lo : children.slice(lo, hi).findIndex((_, i) => clears(lo + i, lo + i + 1)) + lo;
        if (at < lo) at = -1;
      } else if (children.length > 0) {
        const order = children.map((c, i) => ({ c, i })).sort((a, b) => Number(b.c.name === named) - Number(a.c.name === named) || (a.c.name === named ? b.i - a.i : a.i - b.i));
        at = order.find(({ i }) => clears(i, i + 1))?.i ?? -1;
      }
      if (at >= 0) {
        el = children[at]!;
        continue;
      }
      for (const a of el.attributes) {
        if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
        let s = a.start;
        while (s > 0 && /\s/.test(text[s - 1]!)) s--;
        if (this.isValid(without(s, a.end))) return { el, attr: a.name };
      }
      // A required attribute cannot be removed: look for a value the schema does not accept.
      for (const a of el.attributes) {
        const vs = this.valuesOf(el, a.name);
        if (vs && !vs.anyText && (vs.values.size > 0 || vs.data.length > 0) && !acceptsValue(vs, a.value)) return { el, attr: a.name };
      }
      return { el };
    }
    return { el };
  }

  dispose(): void {
    this.validator.dispose();
    compiled.delete(this.hash);
  }
}

function deepest(ds: LxErrorDetail[]): LxErrorDetail {
  return ds.reduce((a, b) => (b.xpath!.split('/').length > a.xpath!.split('/').length ? b : a));
}

/** Resolves libxml2's node path (`/domain/devices/disk[2]`) in our tree. */
export function resolveXPath(root: XmlElement, xpath: string): XmlElement | undefined {
  const steps = xpath.split('/').filter((s) => s !== '');
  const first = steps.shift();
  if (first === undefined || first.replace(/\[\d+\]$/, '') !== root.name) return undefined;
  let el: XmlElement | undefined = root;
  for (const step of steps) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(step);
    if (!m || !el) return undefined;
    const name = m[1]!.replace(/^\*$/, '');
    const idx = m[2] ? Number(m[2]) - 1 : 0;
    el = el.elements().filter((c) => c.name === name || c.localName === name)[idx];
  }
  return el;
}

/** Element names from the root down to `el`. */
function elementPath(el: XmlElement): string[] {
  const out: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) out.unshift(e.name);
  return out;
}

/** The allowed value closest to `value` (edit distance <= 2, or a case-only difference). */
export function closestValue(value: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = a.toLowerCase() === value.toLowerCase() ? 0 : distance(value, a);
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
