// The SPICE ticket at full length, with spice-html5's own encryption and message code (its files
// loaded unchanged) and Node's RSA-OAEP decryption standing in for the server's: a ticket whose
// ciphertext starts with a zero byte is refused as spice-html5 sends it, and accepted padded.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { padTicket, SPICE_TICKET_BYTES, sendFullTickets } from '../../../src/webviews/console/app/spiceTicket';

interface RsaKey {
  n: { bitLength(): number };
}
interface TicketModule {
  create_rsa_from_mb(mb: ArrayBuffer, at: number): RsaKey | null;
  rsa_encrypt(rsa: RsaKey, str: string): number[] | null;
}
interface SpiceMsgModule {
  SpiceLinkAuthTicket: new () => { auth_mechanism: number; encrypted_data: number[] | undefined; to_buffer(a: ArrayBuffer): void; buffer_size(): number };
}
interface SpiceConnModule {
  SpiceConn: { prototype: { send_ticket(ticket: number[] | null): void } };
}

// A real dynamic import (tsc would turn `import()` into require, which cannot load ES modules).
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

describe('SPICE ticket length (spice-html5 0.2.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let ticketJs: TicketModule;
  let spicemsg: SpiceMsgModule;
  let spiceconn: SpiceConnModule;
  let hadNavigator: boolean;

  before(async () => {
    // The package's files are ES modules without "type": "module": a copy that says so.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-html5-'));
    fs.cpSync(path.join(require.resolve('@spice-project/spice-html5/package.json'), '..', 'src'), path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    // jsbn.js reads navigator.appName when it loads (Node 20 has no navigator).
    hadNavigator = 'navigator' in globalThis;
    if (!hadNavigator) Object.defineProperty(globalThis, 'navigator', { value: { appName: 'Netscape', appVersion: '5.0' }, configurable: true });
    const url = (f: string): string => 'file://' + path.join(dir, 'src', f);
    ticketJs = await importEsm<TicketModule>(url('ticket.js'));
    spicemsg = await importEsm<SpiceMsgModule>(url('spicemsg.js'));
    spiceconn = await importEsm<SpiceConnModule>(url('spiceconn.js'));
  });

  after(() => {
    if (!hadNavigator) delete (globalThis as { navigator?: unknown }).navigator;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pads a short ciphertext at the front and leaves a full one alone', () => {
    assert.deepEqual(padTicket([1, 2], 4), [0, 0, 1, 2]);
    assert.deepEqual(padTicket([9, 8, 7, 6], 4), [9, 8, 7, 6]);
    assert.equal(padTicket([5]).length, SPICE_TICKET_BYTES);
  });

  it('makes a ticket the server refused as spice-html5 sent it decrypt to the password', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const rsa = ticketJs.create_rsa_from_mb(der.buffer.slice(der.byteOffset, der.byteOffset + der.length), 0);
    assert.ok(rsa, 'spice-html5 read the public key');
    assert.equal((rsa.n.bitLength() + 7) >> 3, SPICE_TICKET_BYTES);
    // What the server decrypts: SpiceLinkAuthTicket's bytes after its 32-bit mechanism.
    const onWire = (ticket: number[]): Buffer => {
      const msg = new spicemsg.SpiceLinkAuthTicket();
      msg.encrypted_data = ticket;
      const mb = new ArrayBuffer(msg.buffer_size());
      msg.to_buffer(mb);
      return Buffer.from(mb, 4);
    };
    const decrypt = (b: Buffer): string => crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, b).toString('latin1');
    // About 1 encryption in 256 starts with a zero byte; each password is encrypted with fresh randomness.
    let short: { password: string; ticket: number[] } | undefined;
    let full: { password: string; ticket: number[] } | undefined;
    for (let i = 0; i < 20_000 && !short; i++) {
      const password = `pw${i}`;
      const ticket = ticketJs.rsa_encrypt(rsa, password + '\0');
      assert.ok(ticket);
      if (ticket.length < SPICE_TICKET_BYTES) short = { password, ticket };
      else full ??= { password, ticket };
    }
    assert.ok(short && full, 'no short ciphertext in 20000 encryptions');
    assert.equal(decrypt(onWire(full.ticket)), full.password + '\0');
    assert.throws(() => decrypt(onWire(short.ticket)), 'the short ticket as spice-html5 sends it does not decrypt');
    assert.equal(decrypt(onWire(padTicket(short.ticket))), short.password + '\0');
    assert.equal(decrypt(onWire(padTicket(full.ticket))), full.password + '\0');
  });

  it('patches spice-html5 channels to send the padded ticket, once', () => {
    const sent: (number[] | null)[] = [];
    const proto = spiceconn.SpiceConn.prototype;
    const original = proto.send_ticket;
    proto.send_ticket = (t) => void sent.push(t);
    try {
      sendFullTickets(spiceconn);
      const wrapped = proto.send_ticket;
      assert.notEqual(wrapped, original);
      sendFullTickets(spiceconn);
      assert.equal(proto.send_ticket, wrapped, 'wrapped a second time');
      proto.send_ticket.call({}, [1, 2, 3]);
      proto.send_ticket.call({}, null);
      assert.equal(sent.length, 2);
      assert.equal(sent[0]!.length, SPICE_TICKET_BYTES);
      assert.deepEqual(sent[0]!.slice(-3), [1, 2, 3]);
      assert.equal(sent[1], null);
    } finally {
      proto.send_ticket = original;
    }
  });
});
