// One entry point for domain XML diagnostics: well-formedness, the host's RelaxNG schema, then
// the semantic checks. Diagnostic ranges are 0-based (see diagnostics.ts).

import { checkWellFormed, Diagnostic } from './diagnostics';
import { DomainXml } from './domainXml';
import { DomainSchemaValidator } from './schemaValidator';
import { checkDomain, CheckContext } from './checks';
import { SchemaSource } from './schemaSource';

export interface ValidateOptions extends CheckContext {
  /** A compiled validator (see DomainSchemaValidator.forSource); without it no schema check. */
  schema?: DomainSchemaValidator;
}

/** Synchronous validation with an already compiled schema. */
export function validateDomainXml(text: string, opts: ValidateOptions = {}): Diagnostic[] {
  const wf = checkWellFormed(text);
  if (!wf.doc) return wf.diagnostics;
  const out: Diagnostic[] = [];
  if (wf.doc.root.name !== 'domain') {
    return [{ severity: 'error', message: `The root element must be <domain>, not <${wf.doc.root.name}>`, range: wf.doc.startTagRange(wf.doc.root), code: 'root-element' }];
  }
  if (opts.schema) out.push(...opts.schema.validate(wf.doc));
  out.push(...checkDomain(DomainXml.fromDocument(wf.doc), opts));
  return out;
}

/** Compiles (or reuses) the schema of `source`, then validates. */
export async function validateDomainXmlWith(source: SchemaSource, text: string, ctx: CheckContext = {}): Promise<Diagnostic[]> {
  const schema = await DomainSchemaValidator.forSource(source);
  return validateDomainXml(text, { ...ctx, schema });
}
