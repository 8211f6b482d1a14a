// DuplexTransport over a real unix socket pair: pause() stops reading, so the peer's writes back
// up in the kernel and in its own buffer instead of in ours; resume() delivers the rest.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuplexTransport } from '../../../src/libvirt/transport/duplexTransport';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DuplexTransport pause/resume (unit, unix socket pair)', () => {
  let dir: string;
  let server: net.Server;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duplex-transport-'));
  });

  afterEach(() => {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops delivering data while paused and delivers all of it after resume', async () => {
    const sock = path.join(dir, 's');
    const total = 32 * MiB;
    let peer: net.Socket | undefined;
    server = net.createServer((s) => {
      peer = s;
      s.write(Buffer.alloc(total, 7));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const socket = net.connect(sock);
    await new Promise((r) => socket.once('connect', r));
    const transport = new DuplexTransport(socket, 'unix:test');
    let received = 0;
    transport.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= MiB && received - c.length < MiB) transport.pause();
    });
    await sleep(200);
    const whilePaused = received;
    assert.ok(whilePaused >= MiB && whilePaused < 4 * MiB, `received ${whilePaused} bytes while paused`);
    assert.ok(peer && peer.writableLength > 16 * MiB, 'the sender is held back');
    await sleep(100);
    assert.equal(received, whilePaused, 'nothing more arrives while paused');
    const done = new Promise<void>((resolve) =>
      transport.on('data', () => {
        if (received === total) resolve();
      }),
    );
    transport.resume();
    await done;
    transport.close();
    peer?.destroy();
  });
});
