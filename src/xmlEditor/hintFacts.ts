// What the optimization hints know about an XML editor document's host: the host's facts (read
// at most every HOST_FACTS_TTL_MS per connection, not on every keystroke), libosinfo's facts from
// the host's catalog, the domain capabilities (cached per connection and domain kind) and whether
// the VM runs. Without a connection the hints still run on what the XML says alone.

import * as vscode from 'vscode';
import { domainHintFacts, readHostHintFacts, type HostHintFacts } from '../forms/hintHost';
import type { HintFacts } from '../forms/hints';
import type { OsinfoCatalogs } from '../libvirt/osinfo';
import { domainCapabilities, type DomainCapabilities } from '../libvirt/xml/capabilities';
import type { DomainXml } from '../libvirt/xml/domainXml';
import type { SchemaService } from './schemaService';
import { locationOf, XML_SCHEME } from './xmlUris';

export const HOST_FACTS_TTL_MS = 30_000;
/** The diagnostics never wait longer than this for the host: they run on the XML alone meanwhile. */
export const FACTS_WAIT_MS = 1500;

/** `p`, or `fallback()` once FACTS_WAIT_MS have passed without it. */
export async function withinFactsWait<T>(p: Promise<T>, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), FACTS_WAIT_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class EditorHintFacts {
  private readonly host = new Map<string, { at: number; facts: Promise<HostHintFacts> }>();
  private readonly caps = new Map<string, Map<string, Promise<DomainCapabilities | undefined>>>();

  constructor(
    private readonly schemas: SchemaService,
    private readonly osinfo: OsinfoCatalogs | undefined,
  ) {}

  /** The facts, or the XML's alone when the host takes longer than FACTS_WAIT_MS (the next run has them from the cache). */
  factsFor(doc: vscode.TextDocument, dom: DomainXml): Promise<HintFacts> {
    return withinFactsWait(this.read(doc, dom), () => domainHintFacts(dom, {}));
  }

  private async read(doc: vscode.TextDocument, dom: DomainXml): Promise<HintFacts> {
    const h = this.schemas.hostOf(doc);
    if (!h) return domainHintFacts(dom, {});
    let entry = this.host.get(h.uri);
    if (!entry || Date.now() - entry.at > HOST_FACTS_TTL_MS) {
      entry = { at: Date.now(), facts: readHostHintFacts(h.conn) };
      this.host.set(h.uri, entry);
    }
    let caps = this.caps.get(h.uri);
    if (!caps) this.caps.set(h.uri, (caps = new Map()));
    const name = doc.uri.scheme === XML_SCHEME ? locationOf(doc.uri).object.name : undefined;
    const [host, install, domCaps, running] = await Promise.all([
      entry.facts,
      this.osinfo?.forHost(h.uri).installFacts().catch(() => undefined),
      domainCapabilities(h.conn, dom, caps),
      name === undefined ? Promise.resolve(false) : h.conn.domainLookupByName(name).then((r) => r.id !== -1, () => false),
    ]);
    return domainHintFacts(dom, host, { ...(install ? { install } : {}), ...(domCaps ? { caps: domCaps } : {}), running });
  }
}
