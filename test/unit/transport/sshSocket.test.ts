// The TCP socket under an SSH session (connectSshSocket in src/libvirt/transport/sshSession.ts), against a
// real TCP server on 127.0.0.1: the small writes ssh2 makes for one packet (length, ciphertext,
// tag) within one tick leave together, in one system call and segment, instead of one by one (with Nagle's
// algorithm on, the later ones waited for the server's delayed ACK on every round trip).

import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { connectSshSocket } from '../../../src/libvirt/transport/sshSession';

interface Received {
  readonly chunks: Buffer[];
  /** Resolves once `bytes` bytes have arrived in total. */
  until(bytes: number): Promise<Buffer>;
}

function listen(): Promise<{ server: net.Server; port: number; received: Promise<Received> }> {
  return new Promise((resolve) => {
    let accepted: (r: Received) => void = () => undefined;
    const received = new Promise<Received>((r) => (accepted = r));
    const server = net.createServer((peer) => {
      const chunks: Buffer[] = [];
      const waiters: { bytes: number; done: (b: Buffer) => void }[] = [];
      const check = (): void => {
        const all = Buffer.concat(chunks);
        for (const w of waiters.splice(0)) {
          if (all.length >= w.bytes) w.done(all);
          else waiters.push(w);
        }
      };
      peer.on('data', (c: Buffer) => {
        chunks.push(c);
        check();
      });
      accepted({
        chunks,
        until: (bytes) =>
          new Promise((done) => {
            waiters.push({ bytes, done });
            check();
          }),
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, received }));
  });
}

function connected(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = connectSshSocket('127.0.0.1', port);
    sock.once('error', reject);
    sock.once('connect', () => resolve(sock));
  });
}

describe('connectSshSocket: the TCP connection under an SSH session (unit, real TCP on 127.0.0.1)', () => {
  let server: net.Server | undefined;
  let sock: net.Socket | undefined;

  afterEach(() => {
    sock?.destroy();
    server?.close();
  });

  it('sends the writes of one tick together, in order, as one system call', async () => {
    const l = await listen();
    server = l.server;
    sock = await connected(l.port);
    const peer = await l.received;
    // A first packet, so the connection is past its start (no write waits on the handshake).
    sock.write(Buffer.from('hello'));
    await peer.until(5);
    // What reaches the socket handle: one _write per chunk, or one _writev for several (Node's
    // stream machinery; with libuv, one writev system call and, Nagle being off, one segment).
    const handed: number[] = [];
    const s = sock as net.Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const write = s._write.bind(s);
    const writev = s._writev.bind(s);
    s._write = (...a: unknown[]) => {
      handed.push(1);
      write(...a);
    };
    s._writev = (...a: unknown[]) => {
      handed.push((a[0] as unknown[]).length);
      writev(...a);
    };
    // An SSH packet as ssh2 writes it without its native helper: length, ciphertext, tag.
    const length = Buffer.from([0, 0, 0, 60]);
    const body = Buffer.alloc(60, 0x61);
    const tag = Buffer.alloc(16, 0x74);
    sock.write(length);
    sock.write(body);
    sock.write(tag);
    const all = await peer.until(5 + 4 + 60 + 16);
    assert.deepEqual(all.subarray(5), Buffer.concat([length, body, tag]));
    assert.deepEqual(handed, [3], `the socket was handed ${JSON.stringify(handed)} (chunks per write)`);
  });

  it('keeps write() semantics: encodings and callbacks', async () => {
    const l = await listen();
    server = l.server;
    sock = await connected(l.port);
    const peer = await l.received;
    const calls: string[] = [];
    sock.write('6869', 'hex', () => calls.push('hex'));
    sock.write(Buffer.from('!'), () => calls.push('buffer'));
    sock.write('é');
    const all = await peer.until(5);
    assert.equal(all.toString('utf8'), 'hi!é');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, ['hex', 'buffer']);
  });
});
