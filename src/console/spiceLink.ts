// What the extension host sees of one SPICE channel's link, from the bytes it relays. The layout
// is spice-protocol's spice/protocol.h: SpiceLinkHeader (magic, major, minor, size), then the
// client's SpiceLinkMess and the server's SpiceLinkReply (each with its capability words), the
// client's ticket, and the server's 32-bit link result; channel messages follow. The viewer does
// the protocol; the host only watches it, so that closing a session can finish a channel's
// attachment first (RelayStreams.close).
//
// Why: QEMU's SPICE server (libspice-server 0.15.1, Debian 12) creates a display channel in its
// "SPICE Worker" thread after the link result, and the channel is set up by the client's first
// message (SPICE_MSGC_DISPLAY_INIT). A client that goes away in between makes that thread follow
// a null pointer, and QEMU dies with the VM. Measured here with a plain socket client: closing
// right after the display channel's link result crashed QEMU within 3 tries; sending the init
// and reading the server's answer first, 60 of 60 closes were clean. Closing a console tab just
// after it connected did the same (1 VM in about 12 tries) before the host finished the link.

/** spice/protocol.h: SPICE_MAGIC, "REDQ" in the wire's byte order. */
const SPICE_MAGIC = [0x52, 0x45, 0x44, 0x51] as const;
const HEADER_BYTES = 16;
/** SpiceLinkMess: connection_id u32, channel_type u8, channel_id u8, num_common_caps u32, num_channel_caps u32, caps_offset u32. */
const MESS = { channelType: 4, numCommonCaps: 6, capsOffset: 14 } as const;
/** SpiceLinkReply: error u32, pub_key[162], num_common_caps u32, num_channel_caps u32, caps_offset u32. */
const REPLY = { error: 0, numCommonCaps: 166, capsOffset: 174 } as const;
/** Link messages and replies are a few dozen bytes; a longer one is not looked into. */
const MAX_LINK_BYTES = 1024;
/** spice/protocol.h: SPICE_COMMON_CAP_MINI_HEADER (bit of the first common capability word). */
const CAP_MINI_HEADER = 3;
/** The ticket: SpiceLinkAuthMechanism (when the client offered to choose) and 1024 RSA bits. */
const MAX_TICKET_BYTES = 4 + 128;

/** spice/enums.h: SpiceChannelType. */
export const SPICE_CHANNEL = { main: 1, display: 2, inputs: 3, cursor: 4 } as const;
/** spice/enums.h: SPICE_MSGC_DISPLAY_INIT. */
const MSGC_DISPLAY_INIT = 101;

export type SpiceLinkPhase =
  /** Nothing seen yet. */
  | 'unknown'
  /** Not SPICE (a VNC stream). */
  | 'notSpice'
  /** Link message or reply under way; no ticket sent yet: the server has created nothing. */
  | 'linking'
  /** Ticket sent, channel silent so far: the server is checking it or creating the channel. */
  | 'attaching'
  /** The server sent channel messages after the link result: the channel exists. */
  | 'attached'
  /** The link or the ticket was refused, or the socket closed before the channel spoke. */
  | 'refused';

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** The first bytes of one direction, up to the end of its link message (header + size). */
class LinkBytes {
  private buf = new Uint8Array(HEADER_BYTES);
  length = 0;
  /** Header + message, once the header said it (undefined: not yet, or not SPICE). */
  end: number | undefined;
  notSpice = false;

  /** Takes what `chunk` (at stream offset `start`) holds of the link message. */
  add(chunk: Uint8Array, start: number): void {
    const want = this.end ?? HEADER_BYTES;
    if (start >= want) return;
    const take = chunk.subarray(0, want - start);
    this.buf.set(take, start);
    this.length = start + take.length;
    if (this.length >= 4 && !SPICE_MAGIC.every((m, i) => this.buf[i] === m)) this.notSpice = true;
    if (this.end === undefined && this.length >= HEADER_BYTES && !this.notSpice) {
      this.end = HEADER_BYTES + Math.min(u32(this.buf, 12), MAX_LINK_BYTES);
      const grown = new Uint8Array(this.end);
      grown.set(this.buf);
      this.buf = grown;
      if (chunk.length > take.length) this.add(chunk.subarray(take.length), start + take.length);
    }
  }

  get complete(): boolean {
    return this.end !== undefined && this.length >= this.end;
  }

  u32(at: number): number | undefined {
    return HEADER_BYTES + at + 4 <= this.length ? u32(this.buf, HEADER_BYTES + at) : undefined;
  }

  byte(at: number): number | undefined {
    return HEADER_BYTES + at < this.length ? this.buf[HEADER_BYTES + at] : undefined;
  }

  /** The first common capability word (SpiceLinkMess and SpiceLinkReply place them alike). */
  commonCaps(numAt: number, offsetAt: number): number {
    if (!this.complete || (this.u32(numAt) ?? 0) < 1) return 0;
    return this.u32(this.u32(offsetAt)!) ?? 0;
  }
}

export class SpiceLinkWatch {
  private clientSeen = 0;
  private serverSeen = 0;
  private readonly client = new LinkBytes();
  private readonly server = new LinkBytes();
  private result: number[] = [];
  private decided: SpiceLinkPhase | undefined;
  private initSent = false;
  private readonly listeners = new Set<() => void>();

  /** Bytes the viewer sent to the server. */
  clientBytes(chunk: Uint8Array): void {
    if (this.decided) return;
    this.client.add(chunk, this.clientSeen);
    this.clientSeen += chunk.length;
    if (this.client.notSpice) return this.decide('notSpice');
    this.changed();
  }

  /** Bytes the server sent to the viewer. */
  serverBytes(chunk: Uint8Array): void {
    if (this.decided) return;
    const start = this.serverSeen;
    this.server.add(chunk, start);
    this.serverSeen += chunk.length;
    if (this.server.notSpice) return this.decide('notSpice');
    // SpiceLinkReply.error: the link itself was refused (version, unknown channel).
    const error = this.server.u32(REPLY.error);
    if (error !== undefined && error !== 0) return this.decide('refused');
    const replyEnd = this.server.end;
    if (replyEnd !== undefined && this.serverSeen > replyEnd) {
      for (let at = Math.max(start, replyEnd); at < Math.min(this.serverSeen, replyEnd + 4); at++) this.result.push(chunk[at - start]!);
      if (this.result.length === 4 && u32(Uint8Array.from(this.result), 0) !== 0) return this.decide('refused');
      if (this.serverSeen > replyEnd + 4) return this.decide('attached');
    }
    this.changed();
  }

  /** The socket closed: nothing more will happen on this link. */
  ended(): void {
    if (!this.decided) this.decide('refused');
  }

  /** The channel type the client asked for (SPICE_CHANNEL), once its link message said it. */
  get channelType(): number | undefined {
    return this.client.byte(MESS.channelType);
  }

  get phase(): SpiceLinkPhase {
    if (this.decided) return this.decided;
    if (!this.client.complete) return this.clientSeen > 0 ? 'linking' : 'unknown';
    return this.clientSeen > this.client.end! ? 'attaching' : 'linking';
  }

  /**
   * True while the server may be creating this channel in QEMU's SPICE worker thread: a display
   * or cursor channel whose ticket went out and which has not spoken yet. Its client must stay.
   */
  get attachingInWorker(): boolean {
    return this.phase === 'attaching' && (this.channelType === SPICE_CHANNEL.display || this.channelType === SPICE_CHANNEL.cursor);
  }

  /**
   * For a display channel whose viewer is gone: the SPICE_MSGC_DISPLAY_INIT the viewer would have
   * sent (spice-html5's values), once the link result said OK, unless the viewer sent more than its
   * ticket already. The server answers it, which tells that the channel is set up. Once only.
   */
  takeDisplayInit(): Uint8Array | undefined {
    if (this.initSent || this.phase !== 'attaching' || this.channelType !== SPICE_CHANNEL.display) return undefined;
    if (this.result.length < 4 || this.clientSeen - this.client.end! > MAX_TICKET_BYTES) return undefined;
    this.initSent = true;
    // SpiceMsgcDisplayInit: pixmap_cache_id u8, pixmap_cache_size i64, glz_dictionary_id u8, glz_dictionary_window_size i32.
    const body = new Uint8Array(14);
    const view = new DataView(body.buffer);
    view.setUint8(0, 1);
    view.setBigInt64(1, BigInt(10 * 1024 * 1024), true);
    const mini = (this.client.commonCaps(MESS.numCommonCaps, MESS.capsOffset) & this.server.commonCaps(REPLY.numCommonCaps, REPLY.capsOffset) & (1 << CAP_MINI_HEADER)) !== 0;
    // SpiceMiniDataHeader (type u16, size u32) or SpiceDataHeader (serial u64, type u16, size u32, sub_list u32).
    const header = new DataView(new ArrayBuffer(mini ? 6 : 18));
    const typeAt = mini ? 0 : 8;
    if (!mini) header.setBigUint64(0, 1n, true);
    header.setUint16(typeAt, MSGC_DISPLAY_INIT, true);
    header.setUint32(typeAt + 2, body.length, true);
    const message = new Uint8Array(header.byteLength + body.length);
    message.set(new Uint8Array(header.buffer));
    message.set(body, header.byteLength);
    return message;
  }

  /** Calls `listener` after every change until the returned function removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private decide(phase: SpiceLinkPhase): void {
    this.decided = phase;
    this.changed();
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
