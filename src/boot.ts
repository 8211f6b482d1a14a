// The extension's entry point (package.json "main": dist/extension.js). It loads the real bundle
// (dist/extension-main.js, built from src/extension.ts) through V8's code cache: compiling the
// bundle's megabyte of JavaScript is the largest single cost of activation, and a cache made after
// the first activation lets later ones skip it (measured in bench/treeBench.ts, first run against
// later run). The cache lives in the extension's global storage, one file named after a hash of the
// bundle's content: V8 itself checks only the source length and its own version and flags, so a
// cache is never offered to another build. When anything here fails, the bundle is required
// normally.
//
// Node's vm module: https://nodejs.org/api/vm.html#new-vmscriptcode-options (cachedData,
// cachedDataRejected, createCachedData).

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type * as vscode from 'vscode';
import type { ExtensionApi } from './extension';

type Main = typeof import('./extension');

/** How long after activation the cache is written: the functions compiled by then are in it. */
export const CODE_CACHE_DELAY_MS = 20_000;

export interface LoadedBundle {
  readonly main: Main;
  /** 'used': compiled from the cache; 'rejected': V8 refused it; 'none': there was none. */
  readonly cache: 'used' | 'rejected' | 'none' | 'unavailable';
  /** Writes the cache for this bundle now (also scheduled by activate()). */
  writeCache(): void;
}

/** The cache file of one bundle's content. */
export function codeCacheFile(cacheDir: string, source: string): string {
  return path.join(cacheDir, `code-cache-${createHash('sha256').update(source).digest('hex').slice(0, 32)}.bin`);
}

/**
 * Loads `bundle` as a CommonJS module compiled through vm.Script with the cached data in
 * `cacheDir`, if any. Also used by the tests, with a bundle and a directory of their own.
 */
export function loadBundle(bundle: string, cacheDir: string | undefined): LoadedBundle {
  if (!cacheDir) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { main: require(bundle) as Main, cache: 'unavailable', writeCache: () => undefined };
  }
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = codeCacheFile(cacheDir, source);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: bundle,
    // No importModuleDynamically (Node's option for it is experimental): an import() in code compiled
    // this way fails, also in a Function made here, so the bundle has none (esbuild.mjs checks) and
    // imports libxml2-wasm through dist/esm-import.js (src/libvirt/xml/schemaValidator.ts).
    cachedData,
  });
  const mod = new Module(bundle);
  mod.filename = bundle;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
  mod.loaded = true;
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  return {
    main: mod.exports as Main,
    cache,
    writeCache: () => {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
      // Caches of other builds (an updated extension) are of no use any more.
      for (const f of fs.readdirSync(cacheDir)) {
        if (/^code-cache-[0-9a-f]{32}\.bin$/.test(f) && path.join(cacheDir, f) !== cacheFile) fs.rmSync(path.join(cacheDir, f), { force: true });
      }
    },
  };
}

let loaded: LoadedBundle | undefined;

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const bundle = path.join(__dirname, 'extension-main.js');
  try {
    loaded = loadBundle(bundle, context.globalStorageUri.scheme === 'file' ? context.globalStorageUri.fsPath : undefined);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = { main: require(bundle) as Main, cache: 'unavailable', writeCache: () => undefined };
  }
  const current = loaded;
  if (current.cache === 'none' || current.cache === 'rejected') {
    const timer = setTimeout(() => {
      try {
        current.writeCache();
      } catch {
        // A read-only or full disk: the next activation compiles the bundle again.
      }
    }, CODE_CACHE_DELAY_MS);
    timer.unref();
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }
  return current.main.activate(context);
}

export function deactivate(): void {
  loaded?.main.deactivate();
}
