// A minimal SPICE client for measuring the console relay: it links the main and the display
// channel (ticket encrypted with the server's RSA key, mini headers), answers SET_ACK, ACK
// windows and PINGs as spice-html5 does, sends DISPLAY_INIT, and counts what the display
// channel delivers without decoding images. Like consoleRfb.ts it reads from any byte pipe, so
// the same client runs over direct sockets and through the relay.
// The wire format follows spice-protocol (spice/protocol.h, enums.h), as spice-html5 0.2.1
// implements it (spiceconn.js, spicemsg.js).

import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { ByteQueue, type BytePipe } from './consoleRfb';

export const SPICE_CHANNEL_MAIN = 1;
export const SPICE_CHANNEL_DISPLAY = 2;

const MAGIC = 0x51444552; // "REDQ"
const VERSION_MAJOR = 2;
const VERSION_MINOR = 2;
const PUBKEY_BYTES = 162; // SPICE_TICKET_PUBKEY_BYTES: a 1024-bit RSA key as DER SubjectPublicKeyInfo
const CAP_AUTH_SELECTION = 0;
const CAP_AUTH_SPICE = 1;
const CAP_MINI_HEADER = 3;

const MSG_SET_ACK = 3;
const MSG_PING = 4;
const MSG_MAIN_INIT = 103;
const MSG_MAIN_CHANNELS_LIST = 104;
const MSGC_ACK_SYNC = 1;
const MSGC_ACK = 2;
const MSGC_PONG = 3;
const MSGC_MAIN_ATTACH_CHANNELS = 104;
const MSGC_DISPLAY_INIT = 101;
const MSG_DISPLAY_SURFACE_CREATE = 314;

/** Display messages that change pixels: the DRAW_* family, streams and COPY_BITS. */
export function isDrawMessage(type: number): boolean {
  return (type >= 302 && type <= 313) || type === 318 || type === 104 || type === 123 || type === 316;
}

export class SpiceProtocolError extends Error {
  override readonly name = 'SpiceProtocolError';
}

/** One SPICE channel (one connection): link, then a message loop. */
export class SpiceChannelClient {
  private readonly q = new ByteQueue();
  private ackWindow = 0;
  private untilAck = 0;
  bytesReceived = 0;

  constructor(
    private readonly pipe: BytePipe,
    readonly channelType: number,
    readonly channelId: number,
  ) {
    pipe.onData((b) => {
      this.bytesReceived += b.byteLength;
      this.q.push(b);
    });
  }

  /** SpiceLinkHeader + SpiceLinkMess, the server's reply, the encrypted ticket, the link result. */
  async link(connectionId: number, password = ''): Promise<void> {
    const mess = Buffer.alloc(22);
    mess.writeUInt32LE(connectionId, 0);
    mess[4] = this.channelType;
    mess[5] = this.channelId;
    mess.writeUInt32LE(1, 6); // one word of common caps
    mess.writeUInt32LE(0, 10); // no channel caps
    mess.writeUInt32LE(18, 14); // caps offset
    mess.writeUInt32LE((1 << CAP_AUTH_SELECTION) | (1 << CAP_AUTH_SPICE) | (1 << CAP_MINI_HEADER), 18);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION_MAJOR, 4);
    header.writeUInt32LE(VERSION_MINOR, 8);
    header.writeUInt32LE(mess.length, 12);
    this.pipe.write(Buffer.concat([header, mess]));

    const replyHeader = await this.q.read(16);
    if (replyHeader.readUInt32LE(0) !== MAGIC) throw new SpiceProtocolError('not a SPICE server (bad magic)');
    const reply = await this.q.read(replyHeader.readUInt32LE(12));
    const error = reply.readUInt32LE(0);
    if (error !== 0) throw new SpiceProtocolError(`the server refused the link (error ${error})`);
    const pubKey = reply.subarray(4, 4 + PUBKEY_BYTES);
    const numCommonCaps = reply.readUInt32LE(4 + PUBKEY_BYTES);
    const capsOffset = reply.readUInt32LE(4 + PUBKEY_BYTES + 8);
    const commonCaps = numCommonCaps > 0 ? reply.readUInt32LE(capsOffset) : 0;
    if (!(commonCaps & (1 << CAP_MINI_HEADER))) throw new SpiceProtocolError('the server does not offer mini headers');

    const ticket = publicEncrypt(
      { key: createPublicKey({ key: Buffer.from(pubKey), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(`${password}\0`, 'utf8'),
    );
    if (commonCaps & (1 << CAP_AUTH_SELECTION)) {
      const mechanism = Buffer.alloc(4);
      mechanism.writeUInt32LE(CAP_AUTH_SPICE, 0);
      this.pipe.write(Buffer.concat([mechanism, ticket]));
    } else {
      this.pipe.write(ticket);
    }
    const result = (await this.q.read(4)).readUInt32LE(0);
    if (result !== 0) throw new SpiceProtocolError(`link failed (error ${result})`);
  }

  /** Sends one message with a mini header (type u16, size u32). */
  send(type: number, body: Uint8Array = new Uint8Array(0)): void {
    const header = Buffer.alloc(6);
    header.writeUInt16LE(type, 0);
    header.writeUInt32LE(body.byteLength, 2);
    this.pipe.write(Buffer.concat([header, body]));
  }

  /**
   * Reads messages for ever, answering SET_ACK, PING and the ACK window itself and passing every
   * other message to `onMessage`. The loop ends with the pipe (its pending read never resolves).
   */
  async run(onMessage: (type: number, body: Buffer) => void): Promise<void> {
    for (;;) {
      const header = await this.q.read(6);
      const type = header.readUInt16LE(0);
      const size = header.readUInt32LE(2);
      const body = size > 0 ? await this.q.read(size) : Buffer.alloc(0);
      if (type === MSG_SET_ACK) {
        this.ackWindow = body.readUInt32LE(4);
        this.untilAck = this.ackWindow;
        this.send(MSGC_ACK_SYNC, body.subarray(0, 4)); // the generation
      } else if (type === MSG_PING) {
        this.send(MSGC_PONG, body.subarray(0, 12)); // id u32 + timestamp u64
      } else {
        onMessage(type, body);
      }
      if (this.ackWindow > 0 && --this.untilAck <= 0) {
        this.untilAck = this.ackWindow;
        this.send(MSGC_ACK);
      }
    }
  }
}

export interface SpicePipe {
  readonly pipe: BytePipe;
  close(): void;
}

/**
 * A SPICE session of two channels, main and display 0, as spice-html5 opens them: link main,
 * wait for MAIN_INIT (the session id), ATTACH_CHANNELS, wait for the channel list, link display
 * with the session id, DISPLAY_INIT. Counts the display channel's bytes and drawing messages.
 */
export class SpiceBenchSession {
  drawMessages = 0;
  /** Resolves on the first drawing message after the display surface exists. */
  readonly firstDraw: Promise<void>;
  private resolveFirstDraw: () => void = () => undefined;
  surface: { width: number; height: number } | undefined;

  private constructor(
    private readonly pipes: SpicePipe[],
    readonly main: SpiceChannelClient,
    readonly display: SpiceChannelClient,
  ) {
    this.firstDraw = new Promise((resolve) => (this.resolveFirstDraw = resolve));
  }

  static async open(open: () => Promise<SpicePipe>, password = ''): Promise<SpiceBenchSession> {
    const pipes: SpicePipe[] = [];
    try {
      const mainPipe = await open();
      pipes.push(mainPipe);
      const main = new SpiceChannelClient(mainPipe.pipe, SPICE_CHANNEL_MAIN, 0);
      await main.link(0, password);
      let sessionId = 0;
      const channels = new Promise<{ type: number; id: number }[]>((resolve) => {
        void main.run((type, body) => {
          if (type === MSG_MAIN_INIT) {
            sessionId = body.readUInt32LE(0);
            main.send(MSGC_MAIN_ATTACH_CHANNELS);
          } else if (type === MSG_MAIN_CHANNELS_LIST) {
            const n = body.readUInt32LE(0);
            resolve(Array.from({ length: n }, (_, i) => ({ type: body[4 + 2 * i]!, id: body[5 + 2 * i]! })));
          }
        });
      });
      const list = await channels;
      if (!list.some((c) => c.type === SPICE_CHANNEL_DISPLAY && c.id === 0)) {
        throw new SpiceProtocolError(`the server lists no display channel 0 (channels ${list.map((c) => `${c.type}:${c.id}`).join(', ')})`);
      }
      const displayPipe = await open();
      pipes.push(displayPipe);
      const display = new SpiceChannelClient(displayPipe.pipe, SPICE_CHANNEL_DISPLAY, 0);
      await display.link(sessionId, password);
      const init = Buffer.alloc(14); // SpiceMsgcDisplayInit with spice-html5's values
      init[0] = 1;
      init.writeBigInt64LE(10n * 1024n * 1024n, 1);
      init[9] = 1;
      init.writeInt32LE(0, 10);
      display.send(MSGC_DISPLAY_INIT, init);
      const session = new SpiceBenchSession(pipes, main, display);
      void display.run((type, body) => session.onDisplayMessage(type, body));
      return session;
    } catch (e) {
      for (const p of pipes) p.close();
      throw e;
    }
  }

  private onDisplayMessage(type: number, body: Buffer): void {
    if (type === MSG_DISPLAY_SURFACE_CREATE) {
      // SpiceMsgSurfaceCreate: surface_id u32, width u32, height u32, format u32, flags u32
      this.surface = { width: body.readUInt32LE(4), height: body.readUInt32LE(8) };
    } else if (isDrawMessage(type)) {
      this.drawMessages++;
      if (this.surface) this.resolveFirstDraw();
    }
  }

  close(): void {
    for (const p of this.pipes) p.close();
  }
}
