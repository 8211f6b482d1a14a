// Domain XML validation cost while typing: compiling the host's domain.rng once, then the work the
// XML editor does on each change of a domain document (well-formedness, the grammar summary's
// precise problems, libxml2's RelaxNG validation with the fault located, the semantic checks),
// warm, on a small fixture and on a realistic domain as virt-install writes it (40 devices on
// q35), clean and with the faults users type. Each faulty case must produce the diagnostic it is
// about, so a faster but blind validator cannot pass.
//
// Run by `npm run bench` (bench/main.ts) or alone: node out/bench/xmlValidate.js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkWellFormed, type Diagnostic } from '../src/libvirt/xml/diagnostics';
import { RngGrammar } from '../src/libvirt/xml/rngGrammar';
import { checkAgainstSchema } from '../src/libvirt/xml/schemaCheck';
import { DomainSchemaValidator } from '../src/libvirt/xml/schemaValidator';
import { LocalSchemaSource } from '../src/libvirt/xml/schemaSource';
import { validateDomainXml } from '../src/libvirt/xml/validation';

function fixture(name: string): string {
  const up = __dirname.includes(`${path.sep}out${path.sep}`) ? ['..', '..'] : ['..'];
  return fs.readFileSync(path.resolve(__dirname, ...up, 'test', 'fixtures', 'xml', `${name}.xml`), 'utf8');
}

interface Case {
  readonly name: string;
  readonly text: string;
  /** A message part the diagnostics must contain; undefined: the document must be clean. */
  readonly expect?: RegExp;
}

function replaceOnce(text: string, from: string, to: string): string {
  const i = text.indexOf(from);
  if (i < 0) throw new Error(`bench case: '${from}' not in the fixture`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

function cases(): Case[] {
  const q35 = fixture('virt-install-q35');
  return [
    { name: 'efi-win11 (small), clean', text: fixture('efi-win11') },
    { name: 'virt-install q35 (40 devices), clean', text: q35 },
    { name: 'q35: watchdog model not in the enumeration', text: replaceOnce(q35, "model='i6300esb'", "model='itco'"), expect: /itco/ },
    { name: 'q35: <vcpu> text not a number', text: replaceOnce(q35, ">2</vcpu>", '>abc</vcpu>'), expect: /abc/ },
    { name: 'q35: unknown element among the devices', text: replaceOnce(q35, '<memballoon', '<bogus/>\n    <memballoon'), expect: /bogus/ },
    { name: 'q35: disk <target> without dev', text: replaceOnce(q35, "<target dev='vda' bus='virtio'/>", "<target bus='virtio'/>"), expect: /dev/ },
    { name: 'q35: interface MAC malformed', text: replaceOnce(q35, "<mac address='52:54:00:3c:1a:7e'/>", "<mac address='52:54:00:3c:1a'/>"), expect: /52:54:00:3c:1a/ },
    { name: 'q35: duplicate disk target (semantic)', text: replaceOnce(q35, "<target dev='sda' bus='sata'/>", "<target dev='vda' bus='sata'/>"), expect: /already used/ },
  ];
}

/** What the XML editor runs for a domain document on each change (src/xmlEditor/xmlDiagnostics.ts). */
function editorPass(text: string, grammar: RngGrammar, schema: DomainSchemaValidator): Diagnostic[] {
  const wf = checkWellFormed(text);
  if (!wf.doc) return wf.diagnostics;
  const summary = checkAgainstSchema(wf.doc, grammar);
  const rest = validateDomainXml(text, { schema });
  return [...summary.map((p) => ({ severity: 'error' as const, message: p.message, range: wf.doc!.range(p.start, p.end), code: p.code })), ...rest];
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface XmlValidationBench {
  readonly compileMs: number;
  readonly cases: readonly { name: string; medianMs: number; p95Ms: number; maxMs: number; cpuMs: number; libxml2Runs: number; diagnostic: string }[];
}

export async function benchXmlValidation(runs = 200): Promise<XmlValidationBench> {
  const source = new LocalSchemaSource();
  const schema = await DomainSchemaValidator.forSource(source);
  const grammar = await RngGrammar.load('domain.rng', async (n) => (await source.readFile(n)).toString('utf8'));
  const out: XmlValidationBench['cases'][number][] = [];
  for (const c of cases()) {
    const first = editorPass(c.text, grammar, schema);
    const errors = first.filter((d) => d.severity === 'error');
    if (c.expect === undefined && errors.length > 0) throw new Error(`${c.name}: unexpectedly invalid: ${errors[0]!.message}`);
    if (c.expect !== undefined && !first.some((d) => c.expect!.test(d.message))) throw new Error(`${c.name}: no diagnostic matching ${c.expect}: ${first.map((d) => d.message).join(' | ')}`);
    for (let i = 0; i < 20; i++) editorPass(c.text, grammar, schema); // warm-up
    const before = schema.runs;
    const times: number[] = [];
    // CPU time as well: on a loaded machine wall-clock times measure the other processes too.
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      editorPass(c.text, grammar, schema);
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const sorted = [...times].sort((a, b) => a - b);
    out.push({
      name: c.name,
      medianMs: median(times),
      p95Ms: sorted[Math.floor(sorted.length * 0.95)]!,
      maxMs: sorted[sorted.length - 1]!,
      cpuMs: (cpu.user + cpu.system) / 1000 / runs,
      libxml2Runs: (schema.runs - before) / runs,
      diagnostic: c.expect ? (first.find((d) => c.expect!.test(d.message))?.message ?? '') : '',
    });
  }
  return { compileMs: schema.compileMs, cases: out };
}

export function formatXmlValidationBench(r: XmlValidationBench): string {
  const lines = [`compile domain.rng once: ${r.compileMs.toFixed(0)} ms`, 'per change, warm (well-formedness + grammar summary + libxml2 RelaxNG + semantic checks):'];
  for (const c of r.cases) {
    lines.push(
      `  ${c.name.padEnd(48)} median ${c.medianMs.toFixed(2).padStart(6)} ms  p95 ${c.p95Ms.toFixed(2).padStart(6)} ms  max ${c.maxMs.toFixed(2).padStart(6)} ms  CPU ${c.cpuMs.toFixed(2).padStart(6)} ms  libxml2 runs ${c.libxml2Runs.toFixed(0)}`,
    );
    if (c.diagnostic) lines.push(`    -> ${c.diagnostic}`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  benchXmlValidation()
    .then((r) => process.stdout.write(`${formatXmlValidationBench(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
