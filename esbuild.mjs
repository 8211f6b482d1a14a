// Bundles the extension host code (CJS, Node) and the webview apps (ESM, browser).
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const extensionOptions = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: 'dist/extension.js',
  // ssh2 optionally loads a native crypto helper; the pure-JS path is what we ship.
  external: ['vscode', 'cpu-features', '*.node'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

// Each webview app lives in src/webviews/<name>/app/main.ts and is built as an ES module
// (noVNC needs ESM with top-level await, see libvirt-wire.md) into dist/webviews/<name>.js.
const webviewEntries = existsSync('src/webviews')
  ? readdirSync('src/webviews', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`src/webviews/${d.name}/app/main.ts`))
      .map((d) => ({ in: `src/webviews/${d.name}/app/main.ts`, out: d.name }))
  : [];

/** @type {import('esbuild').BuildOptions} */
const webviewOptions = {
  entryPoints: webviewEntries,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: 'dist/webviews',
  // Always minified: the page's script is fetched through the webview's service worker and parsed
  // on every opening of a tab (the source map, external and only in development builds, keeps it
  // debuggable).
  minify: true,
  // A stylesheet imported by an app is its text (see src/webviews/shared/app/codiconStyles.ts).
  loader: { '.css': 'text' },
  sourcemap: !production,
  logLevel: 'warning',
};

// libxml2-wasm (RelaxNG validation of domain XML) is ESM with a top-level await, so it cannot be
// bundled into the CJS bundle: its lib/ (the wasm is embedded) is copied next to the bundle and
// loaded with import() at runtime (see src/libvirt/xml/schemaValidator.ts).
cpSync('node_modules/libxml2-wasm/lib', 'dist/libxml2-wasm', { recursive: true, filter: (f) => !/\.(map|d\.mts)$/.test(f) });
for (const f of ['LICENSE', 'LICENSE.libxml2']) cpSync(`node_modules/libxml2-wasm/${f}`, `dist/libxml2-wasm/${f}`);

// The codicon font for the webviews' <vscode-icon> (node_modules is not shipped), embedded in its
// stylesheet as a data: URI. As a file it is fetched through VS Code's webview service worker, and
// Chromium cancels and restarts that font fetch while <vscode-icon>s link the stylesheet again in
// their shadow roots; the cancelled fetch stays pending in the worker until its 30 s timeout, and
// the next webview opened (a new worker registration) waits for it before loading anything.
const codiconCss = readFileSync('node_modules/@vscode/codicons/dist/codicon.css', 'utf8');
const codiconFont = readFileSync('node_modules/@vscode/codicons/dist/codicon.ttf').toString('base64');
const fontUrl = /url\("\.\/codicon\.ttf(\?[^"]*)?"\)/;
if (!fontUrl.test(codiconCss)) throw new Error('codicon.css no longer names ./codicon.ttf: update esbuild.mjs');
mkdirSync('dist/webviews/codicons', { recursive: true });
writeFileSync('dist/webviews/codicons/codicon.css', codiconCss.replace(fontUrl, `url("data:font/ttf;base64,${codiconFont}")`));
rmSync('dist/webviews/codicons/codicon.ttf', { force: true });

const builds = [extensionOptions];
if (webviewEntries.length > 0) builds.push(webviewOptions);

if (watch) {
  for (const opts of builds) {
    const ctx = await esbuild.context(opts);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((opts) => esbuild.build(opts)));
}
