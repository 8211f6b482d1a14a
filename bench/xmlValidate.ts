// Domain XML validation cost: compiling the host's domain.rng once, then one full validation
// (well-formedness, RelaxNG, semantic checks) of a typical domain.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DomainSchemaValidator } from '../src/libvirt/xml/schemaValidator';
import { LocalSchemaSource } from '../src/libvirt/xml/schemaSource';
import { validateDomainXml } from '../src/libvirt/xml/validation';

function fixturePath(): string {
  const up = __dirname.includes(`${path.sep}out${path.sep}`) ? ['..', '..'] : ['..'];
  return path.resolve(__dirname, ...up, 'test', 'fixtures', 'xml', 'efi-win11.xml');
}

export async function benchXmlValidation(): Promise<{ compileMs: number; perDocMs: number }> {
  const source = new LocalSchemaSource();
  const schema = await DomainSchemaValidator.forSource(source);
  const text = fs.readFileSync(fixturePath(), 'utf8');
  for (let i = 0; i < 20; i++) validateDomainXml(text, { schema }); // warm-up
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const d = validateDomainXml(text, { schema });
    if (d.some((x) => x.severity === 'error')) throw new Error(`fixture unexpectedly invalid: ${d[0]!.message}`);
  }
  return { compileMs: schema.compileMs, perDocMs: (performance.now() - t0) / n };
}
