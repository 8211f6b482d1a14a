// Bundles the extension host code (CJS, Node) and the webview apps (ESM, browser).
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Every `import … from 'vscode'` of the extension resolves to src/vscodeApi.ts, which re-exports the
// external module once (see there why).
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    const shim = new URL('./src/vscodeApi.ts', import.meta.url).pathname;
    build.onResolve({ filter: /^vscode$/ }, (args) => (args.importer === shim ? { path: 'vscode', external: true } : { path: shim }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const extensionOptions = {
  // dist/extension.js is the small loader of src/boot.ts, which compiles the real bundle
  // (dist/extension-main.js) through V8's code cache.
  entryPoints: [
    { in: 'src/boot.ts', out: 'extension' },
    { in: 'src/extension.ts', out: 'extension-main' },
  ],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  // ssh2 optionally loads a native crypto helper; the pure-JS path is what we ship.
  external: ['vscode', 'cpu-features', '*.node'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: [vscodeOnce],
};

// Each webview app lives in src/webviews/<name>/app/main.ts and is built as an ES module
// (noVNC needs ESM with top-level await, see libvirt-wire.md) into dist/webviews/<name>.js.
const webviewEntries = existsSync('src/webviews')
  ? readdirSync('src/webviews', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`src/webviews/${d.name}/app/main.ts`))
      .map((d) => ({ in: `src/webviews/${d.name}/app/main.ts`, out: d.name }))
  : [];

// spice-html5 (LGPL-3.0-or-later) is shipped as its own files, not bundled into our code: its ES
// modules are copied unchanged (with their copyright headers and licence) to
// dist/webviews/spice-html5/, and the console app imports them at run time (`import('spice-html5')`,
// only when a VM's display is SPICE), so the library can be replaced on its own. The entry module
// re-exports the library's API plus the message classes the console sends keys with and the
// display channel class it opens further heads with (src/webviews/console/app/spiceHeads.ts), and
// the channel base class whose ticket the console sends at full length (spiceTicket.ts).
const SPICE_DIR = 'node_modules/@spice-project/spice-html5';
const SPICE_OUT = 'dist/webviews/spice-html5';
rmSync(SPICE_OUT, { recursive: true, force: true });
rmSync('dist/webviews/spice-html5.js', { force: true });
cpSync(`${SPICE_DIR}/src`, `${SPICE_OUT}/src`, { recursive: true, filter: (f) => !f.includes('browser-es-module-loader') });
for (const f of ['COPYING', 'COPYING.LESSER', 'README', 'package.json']) cpSync(`${SPICE_DIR}/${f}`, `${SPICE_OUT}/${f}`);
writeFileSync(
  `${SPICE_OUT}/index.js`,
  `// Entry of spice-html5 ${JSON.parse(readFileSync(`${SPICE_DIR}/package.json`, 'utf8')).version} (LGPL-3.0-or-later, see COPYING.LESSER) for the console webview.
export * from './src/main.js';
export { Constants } from './src/enums.js';
export { SpiceMiniData, SpiceMsgcKeyDown, SpiceMsgcKeyUp } from './src/spicemsg.js';
export { SpiceDisplayConn } from './src/display.js';
export { SpiceConn } from './src/spiceconn.js';
`,
);

/** The console app loads spice-html5 from its own files next to it (see above). */
const spiceExternal = {
  name: 'spice-html5-external',
  setup(build) {
    build.onResolve({ filter: /^spice-html5$/ }, () => ({ path: './spice-html5/index.js', external: true }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const webviewOptions = {
  entryPoints: webviewEntries,
  plugins: [spiceExternal],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: 'dist/webviews',
  // Always minified: the page's script is fetched through the webview's service worker and parsed
  // on every opening of a tab (the source map, external and only in development builds, keeps it
  // debuggable).
  minify: true,
  // A stylesheet imported by an app is its text (adopted as a constructed stylesheet, see
  // src/webviews/shared/app/pageStyles.ts); the codicon font is a data: URI (codiconStyles.ts).
  loader: { '.css': 'text', '.ttf': 'dataurl' },
  sourcemap: !production,
  logLevel: 'warning',
};

// libxml2-wasm (RelaxNG validation of domain XML) is ESM with a top-level await, so it cannot be
// bundled into the CJS bundle: its lib/ (the wasm is embedded) is copied next to the bundle and
// loaded with import() at runtime (see src/libvirt/xml/schemaValidator.ts).
cpSync('node_modules/libxml2-wasm/lib', 'dist/libxml2-wasm', { recursive: true, filter: (f) => !/\.(map|d\.mts)$/.test(f) });
for (const f of ['LICENSE', 'LICENSE.libxml2']) cpSync(`node_modules/libxml2-wasm/${f}`, `dist/libxml2-wasm/${f}`);

// The webview pages load one file, their script: stylesheets and the codicon font are bundled into
// it (src/webviews/shared/app/pageStyles.ts, codiconStyles.ts). Every file a page loads goes through
// VS Code's webview service worker, a round trip to the extension's host each; stylesheets in the
// page's <head> also held the script back until they had loaded.
rmSync('dist/webviews/codicons', { recursive: true, force: true });

const builds = [extensionOptions];
if (webviewEntries.length > 0) builds.push(webviewOptions);

if (watch) {
  for (const opts of builds) {
    const ctx = await esbuild.context(opts);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((opts) => esbuild.build(opts)));
  // The one dynamic import() the bundle needs (libxml2-wasm, an ES module), in a file of its own that
  // Node's loader compiles (see src/boot.ts and src/libvirt/xml/schemaValidator.ts).
  writeFileSync('dist/esm-import.js', "'use strict';\n// Written by esbuild.mjs: see src/libvirt/xml/schemaValidator.ts.\nmodule.exports = (specifier) => import(specifier);\n");
  // src/boot.ts compiles the bundle through vm.Script, where a dynamic import() fails at run time.
  const code = readFileSync('dist/extension-main.js', 'utf8')
    .replaceAll(/new Function\("specifier", ?"return import\(specifier\)"\)/g, '')
    .split('\n')
    .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
    .join('\n');
  if (/\bimport\(/.test(code)) throw new Error('dist/extension-main.js contains a dynamic import(), which fails in code src/boot.ts loads: import through dist/esm-import.js (see src/libvirt/xml/schemaValidator.ts)');
}
