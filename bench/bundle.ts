// A bench entry point bundled and minified the way esbuild.mjs bundles the extension for shipping
// (Node 20, CommonJS; ssh2's native helper and cpu-features left out, as the shipped bundle has
// neither): the cold-start figures of our client mean something only in that shape.

import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

/** Bundles bench/<entry>.ts into `outfile`; returns `outfile`. */
export function bundleForBench(entry: string, outfile: string): string {
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'bench', `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    external: ['cpu-features', '*.node'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
