// Our validation (libxml2 RelaxNG + the one checker) against libvirt's own verdict: define with
// VIR_DOMAIN_DEFINE_VALIDATE on the real daemon. The documents are every domain libvirt wrote in
// the fixtures, mutated at random the way users edit them (domainMutations.ts), with a fixed seed
// and a bounded number of cases so a run takes well under a minute. Every case that ever
// disagreed is kept in test/fixtures/xml/differential/ (written by the run that found it) and
// replayed first on every run. Prints the agreement rate.
//
// Scope: what libvirt checks at define time. Whether a disk's file or a network exists is checked
// only at start, so neither side refuses those here. Our checker's warnings are not refusals.
//
// LIBVIRT_VMS_DIFF_SEED and LIBVIRT_VMS_DIFF_CASES change the seed and the number of random cases.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import { LibvirtError } from '../../../src/libvirt/rpc/errors';
import { domainCapabilities, parseCapabilities, type DomainCapabilities, type HostCapabilities } from '../../../src/libvirt/xml/capabilities';
import { RngGrammar } from '../../../src/libvirt/xml/rngGrammar';
import { LocalSchemaSource } from '../../../src/libvirt/xml/schemaSource';
import { DomainSchemaValidator } from '../../../src/libvirt/xml/schemaValidator';
import { validateDomainXmlFor } from '../../../src/libvirt/xml/validation';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';
import { leftoverOfDeadRun } from '../../leftovers';
import { FIXTURE_DIR, FIXTURES, fixture } from '../../unit/xml/helpers';
import { MUTATIONS, Rng } from './domainMutations';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'xmldiff-';
const SEED = Number(process.env.LIBVIRT_VMS_DIFF_SEED ?? 19);
const CASES = Number(process.env.LIBVIRT_VMS_DIFF_CASES ?? 2500);
const CORPUS_DIR = path.join(FIXTURE_DIR, 'differential');
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA;

/**
 * Disagreements we know of and do not close, each with the reason. They are counted and printed,
 * not failed; any other disagreement fails the test.
 */
const KNOWN_GAPS: readonly { readonly libvirt: RegExp; readonly why: string }[] = [
  {
    // Not SEV: the domain capabilities report it (<sev supported='no'/>) and the checker reads them.
    libvirt: /is not supported by this version of (qemu|QEMU)|(?<!SEV launch security )is not supported with this QEMU binary/,
    why: "a model or feature of this host's QEMU binary that neither its capabilities nor its domain capabilities list",
  },
  {
    libvirt: /cannot be plugged into the PCI controller with index|requested USB port [\d.]+ not present on USB bus|Invalid PCI address .* slot must be [<>]= [01]|Attempted double use of PCI Address/,
    why: 'the controllers and addresses libvirt assigns devices that have none, and the ports of USB hubs (the checker replays the explicit addresses, the buses libvirt adds for them and the chipset, not the rest)',
  },
  {
    libvirt: /a PCI slot is needed to connect a PCI controller .*cannot be automatically added|Cannot automatically add a new PCI bus for a device with connect flags/,
    why: "a bus that does not exist, for a device whose PCI connection the checker does not know (it knows the common virtio, NIC, video, sound, USB and SCSI models)",
  },
];

interface Verdict {
  readonly refused: boolean;
  readonly why: string;
}

interface Case {
  readonly id: string;
  readonly what: string;
  readonly text: string;
}

/** The document as it is defined: our own name (prefix + pid) and no UUID, so nothing clashes. */
function forDefine(text: string, n: number): string {
  const doc = XmlDocument.parse(text);
  const name = doc.root.child('name');
  const unique = `${PREFIX}${process.pid}-${n}-${crypto.randomBytes(3).toString('hex')}`;
  if (name) doc.setTextContent(name, unique);
  else doc.insertElement(doc.root, `<name>${unique}</name>`, { before: doc.root.elements()[0] });
  const uuid = doc.root.child('uuid');
  if (uuid) doc.removeElement(uuid);
  return doc.toString();
}

/** Opens the connection, waiting up to 60 s while another suite restarts the shared daemon. */
async function openWhenUp(): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      return await Connection.open(URI);
    } catch (e) {
      if (i >= 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function corpusCases(): Case[] {
  if (!fs.existsSync(CORPUS_DIR)) return [];
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => {
      const text = fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8');
      return { id: `corpus/${f}`, what: /<!--\s*([\s\S]*?)\s*-->/.exec(text)?.[1]?.split('\n')[0] ?? f, text };
    });
}

function saveDisagreement(c: Case, ours: Verdict, theirs: Verdict): string {
  fs.mkdirSync(CORPUS_DIR, { recursive: true });
  const body = c.text.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/^(<!--[\s\S]*?-->\s*)+/, '');
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12);
  const file = path.join(CORPUS_DIR, `${hash}.xml`);
  const note = [c.what, `found by seed ${SEED}, ${c.id}`, `libvirt: ${theirs.refused ? `refused: ${theirs.why}` : 'accepted'}`, `ours: ${ours.refused ? `refused: ${ours.why}` : 'accepted'}`];
  if (!fs.existsSync(file)) fs.writeFileSync(file, `<!-- ${note.join('\n     ').replace(/--/g, '- -')} -->\n${body}`);
  return file;
}

describe('validation agrees with libvirt define(VALIDATE) (integration, differential)', function () {
  this.timeout(180000);
  let conn: Connection;
  let schema: DomainSchemaValidator;
  let grammar: RngGrammar;
  /** The daemon's capabilities, given to the checker as the XML editor gives them. */
  let hostCapabilities: HostCapabilities;
  let n = 0;

  before(async () => {
    conn = await openWhenUp();
    for (const d of await conn.connectListAllDomains(0)) {
      if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
    hostCapabilities = parseCapabilities(await conn.connectGetCapabilities());
    const source = new LocalSchemaSource();
    schema = await DomainSchemaValidator.forSource(source);
    grammar = await RngGrammar.load('domain.rng', async (f) => (await source.readFile(f)).toString('utf8'));
  });
  after(async () => {
    if (!conn) return;
    // A define whose undefine was cut off by a dropped connection.
    for (const d of await conn.connectListAllDomains(0).catch(() => [])) {
      if (d.name.startsWith(`${PREFIX}${process.pid}-`)) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
    await conn.close();
  });

  /** The domain capabilities of each document's emulator, arch, machine and type, as the XML editor reads them. */
  const domainCaps = new Map<string, Promise<DomainCapabilities | undefined>>();

  async function ours(text: string): Promise<Verdict> {
    const diagnostics = await validateDomainXmlFor(text, { schema, hostCapabilities }, async (dom) => {
      const caps = await domainCapabilities(conn, dom, domainCaps);
      return caps ? { domainCapabilities: caps } : {};
    });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    return { refused: errors.length > 0, why: errors.map((e) => e.message).join(' | ') };
  }

  /** libvirt's verdict. Only an error libvirt answered counts: when the connection drops (another
   * suite restarting the shared daemon), reconnect and ask again. */
  async function theirs(text: string): Promise<Verdict> {
    for (let attempt = 0; ; attempt++) {
      try {
        const dom = await conn.domainDefineXml(text, VirDomainDefineFlags.VALIDATE);
        await conn.domainUndefine(dom, UNDEFINE);
        return { refused: false, why: '' };
      } catch (e) {
        if (LibvirtError.is(e)) return { refused: true, why: e.message.replace(/\s+/g, ' ').trim() };
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 1000));
        await conn.close().catch(() => undefined);
        conn = await openWhenUp();
      }
    }
  }

  /** Runs the cases and returns the disagreements, printing the agreement rate. */
  async function compare(label: string, cases: readonly Case[]): Promise<string[]> {
    const disagreements: string[] = [];
    const known: string[] = [];
    let refusedByLibvirt = 0;
    const t0 = Date.now();
    for (const c of cases) {
      const text = forDefine(c.text, n++);
      let o: Verdict;
      try {
        o = await ours(text);
      } catch (e) {
        disagreements.push(`${c.id} (${c.what}): our validation threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        continue;
      }
      const t = await theirs(text);
      if (t.refused) refusedByLibvirt++;
      if (o.refused !== t.refused) {
        const file = saveDisagreement(c, o, t);
        const gap = !o.refused ? KNOWN_GAPS.find((g) => g.libvirt.test(t.why)) : undefined;
        if (gap) {
          known.push(`${c.id}: ${gap.why}`);
          continue;
        }
        disagreements.push(`${c.id} (${c.what}): libvirt ${t.refused ? `refused: ${t.why}` : 'accepted'}; ours ${o.refused ? `refused: ${o.why}` : 'accepted'} [${path.basename(file)}]`);
      }
    }
    const agree = cases.length - disagreements.length - known.length;
    const rate = cases.length ? ((100 * agree) / cases.length).toFixed(1) : '100.0';
    process.stdout.write(`      ${label}: agreement ${agree}/${cases.length} (${rate}%), known gaps ${known.length}, libvirt refused ${refusedByLibvirt}, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const k of known) process.stdout.write(`        known gap: ${k}\n`);
    return disagreements;
  }

  it('agrees on every fixture libvirt wrote', async () => {
    const cases = FIXTURES.map((f) => ({ id: `fixture/${f}`, what: 'as libvirt wrote it', text: fixture(f) }));
    assert.deepEqual(await compare('fixtures', cases), []);
  });

  it('agrees on every case that once disagreed (the corpus)', async () => {
    assert.deepEqual(await compare('corpus', corpusCases()), []);
  });

  it(`agrees on ${CASES} seeded random mutations (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const cases: Case[] = [];
    for (let i = 0; cases.length < CASES && i < CASES * 10; i++) {
      const base = rng.pick(FIXTURES);
      let text = fixture(base);
      const whats: string[] = [];
      const steps = 1 + (rng.next() < 0.25 ? 1 : 0);
      for (let s = 0; s < steps; s++) {
        const m = rng.pick(MUTATIONS);
        const r = m.apply(text, { rng, grammar });
        if (!r) continue;
        text = r.text;
        whats.push(`${m.kind}: ${r.what}`);
      }
      if (whats.length === 0) continue;
      cases.push({ id: `seed ${SEED} case ${cases.length} (${base})`, what: whats.join('; '), text });
    }
    assert.equal(cases.length, CASES);
    assert.deepEqual(await compare(`random (seed ${SEED})`, cases), []);
  });
});
