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
// `/domain/devices` with "failed to validate content"). We narrow them down: remove one child
// (then one attribute) of the reported element at a time in a scratch copy of the text; the part
// whose removal clears the error is at fault, and we recurse into it. Each trial is one ~1 ms
// validation and only happens for invalid documents.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { RngGrammar } from './rngGrammar';
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

const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

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
  lxPromise ??= dynamicImport(pathToFileURL(libxml2WasmEntry()).href).then((m) => {
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

  /** Raw libxml2 result: undefined when valid, else its error details. */
  private run(text: string): LxErrorDetail[] | undefined {
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

  /** Schema diagnostics for a well-formed document, each on the element (or attribute) at fault. */
  validate(doc: XmlDocument): Diagnostic[] {
    const details = this.run(doc.text);
    if (!details) return [];
    const withPath = details.filter((d) => d.xpath);
    const reported = withPath.length ? deepest(withPath) : undefined;
    const named = details.map((d) => /^(?:Extra element|Did not expect element|Element \S+ has extra content:) ?(\S+)/.exec(d.message.trim())?.[1]).find((x) => x !== undefined);
    let el = reported ? resolveXPath(doc.root, reported.xpath!) : doc.root;
    el ??= doc.elementAt(doc.offsetAt(Math.max(0, (reported?.line ?? 1) - 1), 0)) ?? doc.root;
    const culprit = this.localize(doc, el);
    const messages = details.map((d) => d.message.trim()).filter((m) => !/failed to validate content|Invalid sequence in interleave/.test(m));
    const base = messages[0] ?? details[0]!.message.trim();
    let message: string;
    let range = doc.startTagRange(culprit.el);
    let fix: Diagnostic['fix'];
    if (culprit.attr !== undefined) {
      const a = culprit.el.attributes.find((x) => x.name === culprit.attr)!;
      const allowed = this.grammar.enumeratedValues(elementPath(culprit.el), a.name);
      message = `Invalid value '${a.value}' for attribute '${a.name}' of <${culprit.el.name}>${allowed ? `: expected one of ${allowed.join(', ')}` : ''} (libvirt schema)`;
      range = doc.range(a.start, a.end);
      const best = allowed ? closestValue(a.value, allowed) : undefined;
      if (best !== undefined) fix = fixFromTexts(doc, doc.text.slice(0, a.valueStart) + best + doc.text.slice(a.valueEnd), `Change to '${best}'`);
    } else if (culprit.el !== el || (named !== undefined && culprit.el.name === named)) {
      const text = culprit.el.elements().length === 0 ? doc.textContent(culprit.el).trim() : '';
      message = text ? `Invalid content '${text}' in <${culprit.el.name}> (libvirt schema)` : `<${culprit.el.name}> is not valid here: check its attributes and content against libvirt's schema (${base})`;
    } else {
      message = `<${culprit.el.name}>: ${base}`;
    }
    return [{ severity: 'error', message, range, code: 'schema', ...(fix ? { fix } : {}) }];
  }

  private localize(doc: XmlDocument, el: XmlElement): { el: XmlElement; attr?: string } {
    const text = doc.text;
    const without = (s: number, e: number): string => text.slice(0, s) + text.slice(e);
    for (let depth = 0; depth < 32; depth++) {
      const child = el.elements().find((c) => this.isValid(without(c.start, c.end)));
      if (child) {
        el = child;
        continue;
      }
      for (const a of el.attributes) {
        if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
        let s = a.start;
        while (s > 0 && /\s/.test(text[s - 1]!)) s--;
        if (this.isValid(without(s, a.end))) return { el, attr: a.name };
      }
      // A required attribute cannot be removed: look for a value outside its enumeration.
      for (const a of el.attributes) {
        const allowed = this.grammar.enumeratedValues(elementPath(el), a.name);
        if (allowed && !allowed.includes(a.value)) return { el, attr: a.name };
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
