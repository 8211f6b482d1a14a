// One entry point for domain XML diagnostics: well-formedness, the host's RelaxNG schema, then
// the semantic checks. Diagnostic ranges are 0-based (see diagnostics.ts).

import { checkWellFormed, Diagnostic } from './diagnostics';
import { DomainXml } from './domainXml';
import { DomainSchemaValidator } from './schemaValidator';
import { checkDomain, CheckContext } from './checks';
import { SchemaSource } from './schemaSource';
import type { XmlDocument } from './xmlDocument';

export interface ValidateOptions extends CheckContext {
  /** A compiled validator (see DomainSchemaValidator.forSource); without it no schema check. */
  schema?: DomainSchemaValidator;
}

/** Synchronous validation with an already compiled schema. */
export function validateDomainXml(text: string, opts: ValidateOptions = {}): Diagnostic[] {
  const parsed = parseForValidation(text);
  return 'diagnostics' in parsed ? parsed.diagnostics : validateParsed(parsed.doc, DomainXml.fromDocument(parsed.doc), opts);
}

/**
 * validateDomainXml with context that depends on the document itself (the domain capabilities of
 * its emulator, arch and machine type), looked up once it is parsed.
 */
export async function validateDomainXmlFor(text: string, opts: ValidateOptions, contextFor: (dom: DomainXml) => Promise<CheckContext>): Promise<Diagnostic[]> {
  const parsed = parseForValidation(text);
  if ('diagnostics' in parsed) return parsed.diagnostics;
  const dom = DomainXml.fromDocument(parsed.doc);
  const more = await contextFor(dom);
  return validateParsed(parsed.doc, dom, { ...opts, ...more });
}

function parseForValidation(text: string): { doc: XmlDocument } | { diagnostics: Diagnostic[] } {
  const wf = checkWellFormed(text);
  if (!wf.doc) return { diagnostics: wf.diagnostics };
  if (wf.doc.root.name !== 'domain') {
    return { diagnostics: [{ severity: 'error', message: `The root element must be <domain>, not <${wf.doc.root.name}>`, range: wf.doc.startTagRange(wf.doc.root), code: 'root-element' }] };
  }
  return { doc: wf.doc };
}

function validateParsed(doc: XmlDocument, dom: DomainXml, opts: ValidateOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (opts.schema) out.push(...opts.schema.validate(doc));
  out.push(...checkDomain(dom, opts));
  return out;
}

/** Compiles (or reuses) the schema of `source`, then validates. */
export async function validateDomainXmlWith(source: SchemaSource, text: string, ctx: CheckContext = {}): Promise<Diagnostic[]> {
  const schema = await DomainSchemaValidator.forSource(source);
  return validateDomainXml(text, { ...ctx, schema });
}
