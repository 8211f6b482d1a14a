// The viewer's side of relayed display streams for tests against a real QEMU: bytes read by
// exact counts, and the SPICE link (spice-protocol's spice/protocol.h) written by hand.

import * as crypto from 'node:crypto';
import { FrameReceiver } from '../src/console/relayFraming';

/** Bytes a viewer received from the relay, read by exact counts. */
export class ViewerInbox {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private readonly rx = new FrameReceiver();
  closed = false;

  get pending(): number {
    return this.buf.length;
  }

  accept = (frame: Parameters<FrameReceiver['accept']>[0]): void => {
    this.buf = Buffer.concat([this.buf, this.rx.accept(frame)]);
    this.wake?.();
  };

  async read(n: number, timeoutMs = 20_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`the stream closed with ${this.buf.length} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** spice/protocol.h common capabilities: AUTH_SELECTION, AUTH_SPICE, MINI_HEADER. */
export const SPICE_CAPS_AUTH_MINI = (1 << 0) | (1 << 1) | (1 << 3);

/**
 * SpiceLinkHeader + SpiceLinkMess for channel `channelType`: a new session (connection id 0) or a
 * further channel of session `connectionId`, with `commonCaps` as its one capability word (none
 * when 0).
 */
export function spiceLink(channelType: number, connectionId = 0, commonCaps = 0): Buffer {
  const caps = commonCaps ? 1 : 0;
  const mess = Buffer.alloc(18 + 4 * caps);
  mess.writeUInt32LE(connectionId, 0);
  mess.writeUInt8(channelType, 4);
  mess.writeUInt8(0, 5); // channel_id
  mess.writeUInt32LE(caps, 6); // num_common_caps
  mess.writeUInt32LE(0, 10); // num_channel_caps
  mess.writeUInt32LE(18, 14); // caps_offset
  if (caps) mess.writeUInt32LE(commonCaps, 18);
  const head = Buffer.alloc(16);
  head.write('REDQ', 0, 'latin1');
  head.writeUInt32LE(2, 4); // major
  head.writeUInt32LE(2, 8); // minor
  head.writeUInt32LE(mess.length, 12);
  return Buffer.concat([head, mess]);
}

/**
 * Links channel `channelType` as spice-html5 does (mini headers, SPICE ticket authentication with
 * `password`), through `write` and `inbox`; resolves when the server's link result said OK.
 */
export async function linkSpiceChannel(
  write: (b: Uint8Array) => void,
  inbox: ViewerInbox,
  channelType: number,
  connectionId: number,
  password = '',
): Promise<void> {
  write(spiceLink(channelType, connectionId, SPICE_CAPS_AUTH_MINI));
  const header = await inbox.read(16);
  if (header.toString('latin1', 0, 4) !== 'REDQ') throw new Error('not a SPICE server');
  const reply = await inbox.read(header.readUInt32LE(12));
  if (reply.readUInt32LE(0) !== 0) throw new Error(`link refused: error ${reply.readUInt32LE(0)}`);
  // SpiceLinkReply.pub_key: the 1024-bit RSA key (SubjectPublicKeyInfo, DER) the ticket is encrypted with.
  const key = crypto.createPublicKey({ key: reply.subarray(4, 4 + 162), format: 'der', type: 'spki' });
  const ticket = crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(password + '\0', 'latin1'));
  const mechanism = Buffer.alloc(4);
  mechanism.writeUInt32LE(1, 0); // SPICE_COMMON_CAP_AUTH_SPICE
  write(Buffer.concat([mechanism, ticket]));
  const result = (await inbox.read(4)).readUInt32LE(0);
  if (result !== 0) throw new Error(`ticket refused: error ${result}`);
}

/** One SPICE message with a mini header (SpiceMiniDataHeader: type u16, size u32). */
export function spiceMiniMessage(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(type, 0);
  head.writeUInt32LE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** Reads mini-header messages until one of `type`; returns its body. */
export async function readSpiceMessage(inbox: ViewerInbox, type: number): Promise<Buffer> {
  for (;;) {
    const head = await inbox.read(6);
    const body = await inbox.read(head.readUInt32LE(2));
    if (head.readUInt16LE(0) === type) return body;
  }
}
