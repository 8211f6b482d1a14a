// Live diagnostics for XML editor documents, 300 ms after the last change: well-formedness, the
// host schema summary (src/libvirt/xml/schemaCheck.ts, exact ranges), and for domain XML libvirt's RelaxNG
// validation and the one checker of src/libvirt/xml/checks.ts (which also runs when that
// validator cannot load). Define errors
// from a refused save are kept in their own collection until the document changes. Quick fixes
// come from the checks' own edits and from the schema's enumerations. A domain document also gets
// the optimization hints (src/forms/hints.ts) as Information diagnostics, each with its fix as a
// quick fix that edits the buffer (the user sees the change and saves it to define it); not on the
// host's read-only views, which cannot take an edit.

import * as vscode from 'vscode';
import { XmlDocument, XmlSyntaxError } from '../libvirt/xml/xmlDocument';
import { errorMessage } from '../ui/log';
import { placeDefineError } from './defineErrorPlace';
import { checkAgainstSchema } from '../libvirt/xml/schemaCheck';
import { isEditorDocument, type SchemaService } from './schemaService';
import { checkDomain } from '../libvirt/xml/checks';
import { DomainXml } from '../libvirt/xml/domainXml';
import { analyzeDomain, type Hint } from '../forms/hints';
import type { EditorHintFacts } from './hintFacts';
import { HOST_XML_SCHEME } from './xmlUris';
import { checkHostReferences } from '../libvirt/xml/hostReferences';

export const DIAGNOSTIC_SOURCE = 'libvirt';
const DEBOUNCE_MS = 300;

const SEVERITY: Readonly<Record<'error' | 'warning' | 'info', vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

interface Fix {
  readonly title: string;
  readonly edits: readonly { readonly start: number; readonly end: number; readonly newText: string }[];
  readonly preferred: boolean;
  /** A fix that acts on the host instead of the text (start a network or pool). */
  readonly command?: vscode.Command;
}

/** The code action command of the "Start network / pool" fixes (registered by src/xmlEditor/register.ts). */
export const START_REFERENCED_COMMAND = 'libvirtVms.xml.startReferenced';

function fixKey(d: vscode.Diagnostic): string {
  const r = d.range;
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}|${d.message}`;
}

export class XmlDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly collection = vscode.languages.createDiagnosticCollection('libvirt-xml');
  private readonly defineCollection = vscode.languages.createDiagnosticCollection('libvirt-define');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Quick fixes per document, keyed by diagnostic (range + message): diagnostics come back to
   * provideCodeActions as copies, so object identity cannot be the key. */
  private readonly fixes = new Map<string, Map<string, readonly Fix[]>>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Resolved after each run, for tests waiting for a fresh result. */
  private readonly ranEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidRun = this.ranEmitter.event;

  constructor(
    private readonly schemas: SchemaService,
    /** The facts the hints look at; absent: the hints run on the XML alone. */
    private readonly hintFacts?: EditorHintFacts,
  ) {
    this.disposables.push(
      this.collection,
      this.defineCollection,
      this.ranEmitter,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        this.defineCollection.delete(e.document.uri);
        this.schedule(e.document, DEBOUNCE_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.collection.delete(d.uri);
        this.defineCollection.delete(d.uri);
        this.fixes.delete(d.uri.toString());
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (!isEditorDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    const t = setTimeout(() => {
      this.timers.delete(key);
      void this.run(doc);
    }, delayMs);
    this.timers.set(key, t);
  }

  /** Places a define error of a save (or clears it with undefined). */
  defineError(uri: vscode.Uri, text: string, message: string | undefined): void {
    if (message === undefined) {
      this.defineCollection.delete(uri);
      return;
    }
    const span = placeDefineError(text, message);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const range = span && doc ? new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end)) : new vscode.Range(0, 0, 0, 0);
    const d = new vscode.Diagnostic(range, `libvirt refused the definition: ${message}`, vscode.DiagnosticSeverity.Error);
    d.source = `${DIAGNOSTIC_SOURCE} define`;
    this.defineCollection.set(uri, [d]);
  }

  async run(doc: vscode.TextDocument): Promise<void> {
    const version = doc.version;
    const text = doc.getText();
    const out: vscode.Diagnostic[] = [];
    const fixes = new Map<string, readonly Fix[]>();
    const rangeOf = (start: number, end: number): vscode.Range => new vscode.Range(doc.positionAt(start), doc.positionAt(Math.max(end, start)));
    let parsed: XmlDocument | undefined;
    try {
      parsed = XmlDocument.parse(text);
    } catch (err) {
      if (!XmlSyntaxError.is(err)) throw err;
      const pos = new vscode.Position(err.line, err.col);
      const line = doc.lineAt(Math.min(err.line, doc.lineCount - 1));
      const d = new vscode.Diagnostic(new vscode.Range(pos, line.range.end.isAfter(pos) ? line.range.end : pos.translate(0, 1)), `Not well-formed: ${err.message}`, vscode.DiagnosticSeverity.Error);
      d.source = `${DIAGNOSTIC_SOURCE} xml`;
      out.push(d);
    }
    if (parsed) {
      let schemaProblems = 0;
      try {
        const loaded = await this.schemas.grammarFor(doc);
        if (loaded) {
          for (const p of checkAgainstSchema(parsed, loaded.grammar)) {
            const d = new vscode.Diagnostic(rangeOf(p.start, p.end), p.message, vscode.DiagnosticSeverity.Error);
            d.source = `${DIAGNOSTIC_SOURCE} schema`;
            d.code = p.code;
            if (p.expected && p.expected.length > 0) {
              fixes.set(
                fixKey(d),
                p.expected.slice(0, 8).map((v, i) => ({ title: `Change to '${v}'`, edits: [{ start: p.start, end: p.end, newText: v }], preferred: i === 0 && p.expected!.length === 1 })),
              );
            }
            out.push(d);
            schemaProblems++;
          }
        }
      } catch (err) {
        const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), `Schema check unavailable: ${errorMessage(err)}`, vscode.DiagnosticSeverity.Information);
        d.source = `${DIAGNOSTIC_SOURCE} schema`;
        out.push(d);
      }
      // Domain XML: libvirt's RelaxNG through libxml2 (authoritative, but it reports one fault per
      // document, on an ancestor) and the model's semantic checks with fixes. The summary's
      // problems above are more precise, so libxml2's schema errors show only when it has none.
      const host = parsed.root.localName === 'domain' ? await this.schemas.validateDomain(doc, text).catch(() => undefined) : undefined;
      // Without the host's validator, the one checker still runs (it needs no schema).
      const checks = host ?? (parsed.root.localName === 'domain' ? checkDomain(DomainXml.fromDocument(parsed)) : []);
      for (const h of checks) {
        if (h.code === 'schema' && schemaProblems > 0) continue;
        const r = new vscode.Range(h.range.startLine, h.range.startCol, h.range.endLine, h.range.endCol);
        const d = new vscode.Diagnostic(r, h.message, SEVERITY[h.severity]);
        d.source = h.code === 'schema' ? `${DIAGNOSTIC_SOURCE} schema (libxml2)` : DIAGNOSTIC_SOURCE;
        d.code = h.code;
        if (h.fix) {
          const edits = h.fix.edits.map((e) => ({ start: doc.offsetAt(new vscode.Position(e.range.startLine, e.range.startCol)), end: doc.offsetAt(new vscode.Position(e.range.endLine, e.range.endCol)), newText: e.newText }));
          fixes.set(fixKey(d), [{ title: h.fix.title, edits, preferred: true }]);
        }
        out.push(d);
      }
      // What the document names on the host (disk files, volumes, pools, networks, host devices)
      // and the host lacks or has stopped: valid for define, refused at start.
      const inventory = parsed.root.localName === 'domain' ? await this.schemas.hostInventoryFor(doc).catch(() => undefined) : undefined;
      for (const p of inventory ? checkHostReferences(parsed, inventory) : []) {
        const d = new vscode.Diagnostic(rangeOf(p.start, p.end), p.message, vscode.DiagnosticSeverity.Warning);
        d.source = `${DIAGNOSTIC_SOURCE} host`;
        d.code = p.code;
        fixes.set(
          fixKey(d),
          p.fixes.map((f, i) =>
            f.kind === 'replace'
              ? { title: f.title, edits: [{ start: f.start, end: f.end, newText: f.newText }], preferred: i === 0 && p.fixes.length === 1 }
              : { title: f.title, edits: [], preferred: true, command: { title: f.title, command: START_REFERENCED_COMMAND, arguments: [doc.uri.toString(), f.object, f.name] } },
          ),
        );
        out.push(d);
      }
      if (parsed.root.localName === 'domain' && doc.uri.scheme !== HOST_XML_SCHEME) {
        for (const h of await this.hints(doc, parsed)) {
          const d = new vscode.Diagnostic(new vscode.Range(h.range.startLine, h.range.startCol, h.range.endLine, h.range.endCol), hintMessage(h), vscode.DiagnosticSeverity.Information);
          d.source = `${DIAGNOSTIC_SOURCE} hint`;
          d.code = h.code;
          if (h.fix) {
            const edits = h.fix.edits.map((e) => ({ start: doc.offsetAt(new vscode.Position(e.range.startLine, e.range.startCol)), end: doc.offsetAt(new vscode.Position(e.range.endLine, e.range.endCol)), newText: e.newText }));
            fixes.set(fixKey(d), [{ title: `Suggestion: ${h.fix.title}`, edits, preferred: false }]);
          }
          out.push(d);
        }
      }
    }
    if (doc.isClosed || doc.version !== version) return;
    this.collection.set(doc.uri, out);
    this.fixes.set(doc.uri.toString(), fixes);
    this.ranEmitter.fire(doc.uri);
  }

  /** The document's hints; none when its XML is not a domain the model reads. */
  private async hints(doc: vscode.TextDocument, parsed: XmlDocument): Promise<Hint[]> {
    let dom: DomainXml;
    try {
      dom = DomainXml.fromDocument(parsed);
    } catch {
      return [];
    }
    try {
      return analyzeDomain(dom, this.hintFacts ? await this.hintFacts.factsFor(doc, dom).catch(() => ({})) : {});
    } catch {
      // Values the rules cannot read (a half-typed number): no hints until they parse.
      return [];
    }
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      for (const fix of this.fixes.get(doc.uri.toString())?.get(fixKey(d)) ?? []) {
        const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        a.diagnostics = [d];
        a.isPreferred = fix.preferred;
        if (fix.command) a.command = fix.command;
        else {
          a.edit = new vscode.WorkspaceEdit();
          for (const e of fix.edits) a.edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
        }
        actions.push(a);
      }
    }
    return actions;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A hint in the Problems panel: what and why, what changes, and how its fix is applied. */
export function hintMessage(h: Hint): string {
  const how = h.apply.kind === 'confirm' ? ` Note: ${h.apply.consequence}` : h.apply.kind === 'manual' ? ` ${h.apply.advice}` : '';
  return `${h.title}. ${h.why} Expected: ${h.effect}${how}`;
}
