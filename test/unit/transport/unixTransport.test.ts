// startUnix over a real unix socket: what is written while the socket connects (the RPC
// handshake's three calls) reaches the socket handle as one writev once it connects, in order.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startUnix } from '../../../src/libvirt/transport/unixTransport';

type Spied = { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };

describe('startUnix: writes made while connecting (unit, real unix socket)', () => {
  let dir: string;
  let server: net.Server | undefined;
  const proto = net.Socket.prototype as unknown as Spied;
  const { _write: write, _writev: writev } = proto;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unix-transport-'));
  });

  afterEach(() => {
    proto._write = write;
    proto._writev = writev;
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands the writes made before the connect to the socket together, as one writev, and they arrive in order', async () => {
    const file = path.join(dir, 's');
    let received = Buffer.alloc(0);
    const all = new Promise<Buffer>((resolve) => {
      server = net.createServer((peer) => {
        peer.on('data', (d: Buffer) => {
          received = Buffer.concat([received, d]);
          if (received.length >= 9) {
            resolve(received);
            peer.end();
          }
        });
      });
    });
    await new Promise<void>((resolve) => server!.listen(file, resolve));
    // Chunks per call handing data to the socket: 1 per _write, n per _writev.
    const handed: number[] = [];
    proto._write = function (this: unknown, ...a: unknown[]) {
      handed.push(1);
      write.apply(this, a);
    };
    proto._writev = function (this: unknown, ...a: unknown[]) {
      handed.push((a[0] as unknown[]).length);
      writev.apply(this, a);
    };
    const { transport, connected } = startUnix(file, 5000);
    transport.write(Buffer.from('abc'));
    transport.write(Buffer.from('def'));
    transport.write(Buffer.from('ghi'));
    await connected;
    assert.equal((await all).toString(), 'abcdefghi');
    assert.deepEqual(handed, [3], `the socket was handed ${JSON.stringify(handed)} (chunks per call)`);
    transport.close();
  });

  it('still reports a missing socket, with nothing written', async () => {
    const { transport, connected } = startUnix(path.join(dir, 'missing'), 5000);
    transport.write(Buffer.from('abc'));
    await assert.rejects(connected, /does not exist/);
  });
});
