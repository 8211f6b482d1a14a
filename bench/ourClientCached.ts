// bench/ourClient.bundle.js loaded the way the extension loads its bundle (src/boot.ts
// loadBundle): compiled through V8's code cache. The extension writes its cache after the first
// activation, so every later activation runs its first calls from cached bytecode; this measures
// those first calls. Usage: node out/bench/ourClientCached.js <bundle> <cacheDir> <uri> [--write]
// [--node-sockets-used]. --write writes the cache when the work is done (an untimed run does this
// first). --node-sockets-used runs Node's own socket code once before loading (a socket to a
// throwaway local server), as it has run in VS Code's extension host, which talks to VS Code over
// a socket, before any extension activates.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBundle } from '../src/boot';

async function nodeSocketsUsed(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sock-'));
  const file = path.join(dir, 's');
  const server = net.createServer((s) => s.once('data', () => s.end('y')));
  await new Promise<void>((resolve) => server.listen(file, resolve));
  await new Promise<void>((resolve, reject) => {
    const c = net.connect({ path: file });
    c.once('data', () => c.destroy());
    c.once('close', () => resolve());
    c.once('error', reject);
    c.write('x');
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const [bundle, cacheDir, uri] = process.argv.slice(2);
  if (!bundle || !cacheDir || !uri) throw new Error('usage: ourClientCached.js <bundle> <cacheDir> <uri> [--write] [--node-sockets-used]');
  const write = process.argv.includes('--write');
  if (process.argv.includes('--node-sockets-used')) await nodeSocketsUsed();
  // bench/ourClient.ts reads the URI from argv[2].
  process.argv = [process.argv[0]!, bundle, uri];
  const loaded = loadBundle(bundle, cacheDir);
  if (write) process.once('beforeExit', () => loaded.writeCache());
  else if (loaded.cache !== 'used') throw new Error(`the code cache was not used (${loaded.cache})`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
