// The SPICE ticket (the password, RSA-OAEP encrypted with the channel's public key) as the
// server expects it: exactly as long as the key. spice-html5 0.2.1 (ticket.js rsa_encrypt)
// writes the ciphertext through a hex string of the number, which drops its leading zero bytes,
// and spicemsg.js then pads the short ticket with zeros at the end: the server cannot decrypt
// it ("oaep decoding error"), refuses the channel, and the console either loses that channel or
// asks for a password the display does not have. That happens to about 1 link in 256.

/** spiceconn.js's SpiceConn, the base of every channel (typed here so unit tests can load this). */
interface TicketSender {
  send_ticket(ticket: number[] | null): void;
}

/** spice/protocol.h: SPICE_TICKET_KEY_PAIR_LENGTH (1024 bits) in bytes. */
export const SPICE_TICKET_BYTES = 128;

/** `ticket` (a big-endian number) with the zero bytes it lost put back in front. */
export function padTicket(ticket: readonly number[], length = SPICE_TICKET_BYTES): number[] {
  if (ticket.length >= length) return [...ticket];
  return [...new Array<number>(length - ticket.length).fill(0), ...ticket];
}

const patched = new WeakSet<object>();

/** Makes every channel of `spice` send its ticket at full length (once per module). */
export function sendFullTickets(spice: { readonly SpiceConn: { readonly prototype: TicketSender } }): void {
  const proto = spice.SpiceConn.prototype;
  if (patched.has(proto)) return;
  patched.add(proto);
  const send = proto.send_ticket;
  proto.send_ticket = function (this: TicketSender, ticket: number[] | null): void {
    // null: rsa_encrypt could not encode the password (too long); the server refuses it as before.
    send.call(this, ticket ? padTicket(ticket) : ticket);
  };
}
