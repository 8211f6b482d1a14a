// A minimal RFB 3.8 client (RFC 6143) for measuring the console relay: security type None,
// the server's pixel format, Raw encoding only, full-frame update requests. It reads from any
// byte pipe, so the same client runs over a direct TCP socket and through the relay.

export interface BytePipe {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

export interface ServerInit {
  readonly width: number;
  readonly height: number;
  readonly bytesPerPixel: number;
  readonly name: string;
}

export class RfbProtocolError extends Error {
  override readonly name = 'RfbProtocolError';
}

/** Buffers incoming bytes and hands out exact-length reads (the SPICE bench client uses it too). */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void } | undefined;

  push(b: Uint8Array): void {
    this.chunks.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    this.length += b.byteLength;
    this.serve();
  }

  read(n: number): Promise<Buffer> {
    if (this.waiter) throw new Error('concurrent reads');
    return new Promise((resolve) => {
      this.waiter = { n, resolve };
      this.serve();
    });
  }

  private serve(): void {
    const w = this.waiter;
    if (!w || this.length < w.n) return;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, w.n);
    const rest = all.subarray(w.n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    this.waiter = undefined;
    w.resolve(Buffer.from(out));
  }
}

export class RfbClient {
  private readonly q = new ByteQueue();
  bytesReceived = 0;

  constructor(private readonly pipe: BytePipe) {
    pipe.onData((b) => {
      this.bytesReceived += b.byteLength;
      this.q.push(b);
    });
  }

  async handshake(): Promise<ServerInit> {
    const version = (await this.q.read(12)).toString('latin1');
    if (!version.startsWith('RFB ')) throw new RfbProtocolError(`not an RFB server: ${JSON.stringify(version)}`);
    this.pipe.write(Buffer.from('RFB 003.008\n', 'latin1'));
    const n = (await this.q.read(1))[0]!;
    if (n === 0) {
      const len = (await this.q.read(4)).readUInt32BE(0);
      throw new RfbProtocolError(`server refused: ${(await this.q.read(len)).toString()}`);
    }
    const types = [...(await this.q.read(n))];
    if (!types.includes(1)) throw new RfbProtocolError(`no "None" security type offered (offered ${types.join(',')})`);
    this.pipe.write(Uint8Array.of(1));
    const result = (await this.q.read(4)).readUInt32BE(0);
    if (result !== 0) throw new RfbProtocolError(`security result ${result}`);
    this.pipe.write(Uint8Array.of(1)); // ClientInit: shared
    const init = await this.q.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    const bitsPerPixel = init[4]!;
    const name = (await this.q.read(init.readUInt32BE(20))).toString('utf8');
    // SetEncodings: Raw only.
    const enc = Buffer.alloc(8);
    enc[0] = 2;
    enc.writeUInt16BE(1, 2);
    enc.writeInt32BE(0, 4);
    this.pipe.write(enc);
    return { width, height, bytesPerPixel: bitsPerPixel / 8, name };
  }

  /** Requests a full (non-incremental) update and reads it; returns the bytes of pixel data. */
  async fullFrame(init: ServerInit): Promise<number> {
    const req = Buffer.alloc(10);
    req[0] = 3;
    req[1] = 0; // non-incremental
    req.writeUInt16BE(init.width, 6);
    req.writeUInt16BE(init.height, 8);
    this.pipe.write(req);
    for (;;) {
      const type = (await this.q.read(1))[0]!;
      switch (type) {
        case 0: {
          const hdr = await this.q.read(3);
          const rects = hdr.readUInt16BE(1);
          let pixels = 0;
          for (let i = 0; i < rects; i++) {
            const r = await this.q.read(12);
            const w = r.readUInt16BE(4);
            const h = r.readUInt16BE(6);
            const encoding = r.readInt32BE(8);
            if (encoding === -223) continue; // DesktopSize pseudo-encoding: no payload
            if (encoding !== 0) throw new RfbProtocolError(`unexpected encoding ${encoding}`);
            const n = w * h * init.bytesPerPixel;
            if (n > 0) await this.q.read(n);
            pixels += n;
          }
          return pixels;
        }
        case 1: {
          const h = await this.q.read(5);
          await this.q.read(h.readUInt16BE(3) * 6);
          break;
        }
        case 2:
          break;
        case 3: {
          const h = await this.q.read(7);
          await this.q.read(h.readUInt32BE(3));
          break;
        }
        default:
          throw new RfbProtocolError(`unknown server message ${type}`);
      }
    }
  }
}
