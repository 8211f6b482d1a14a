// Command line: node out/tools/genproto/main.js --source DIR --out DIR [--libvirt-version X.Y.Z]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from './generate';

function usage(msg: string): never {
  process.stderr.write(`genproto: ${msg}\nusage: genproto --source LIBVIRT_DIR --out OUT_DIR [--libvirt-version X.Y.Z]\n`);
  process.exit(2);
}

function main(argv: readonly string[]): void {
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (!['--source', '--out', '--libvirt-version'].includes(k)) usage(`unknown option ${k}`);
    if (v === undefined) usage(`${k} needs a value`);
    opts.set(k, v);
  }
  const source = opts.get('--source') ?? usage('--source is required');
  const outDir = opts.get('--out') ?? usage('--out is required');
  const result = generate(source, opts.get('--libvirt-version'));
  fs.mkdirSync(outDir, { recursive: true });
  let bytes = 0;
  for (const [name, text] of result.files) {
    fs.writeFileSync(path.join(outDir, name), text);
    bytes += Buffer.byteLength(text);
  }
  const procs = result.procedures.map((p) => `${p.program} ${p.count}`).join(', ');
  process.stdout.write(`genproto: ${result.files.size} files, ${bytes} bytes, ${result.typeCount} types, procedures: ${procs}\n`);
}

try {
  main(process.argv.slice(2));
} catch (e: unknown) {
  process.stderr.write(`genproto: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
