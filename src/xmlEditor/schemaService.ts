// For an open document: which host it belongs to, which schema applies (from its root element),
// the host's grammar (cached per host and libvirt version) and the host's supported values.

import * as vscode from 'vscode';
import type { ConnectionRegistry } from '../connections/connectionRegistry';
import type { Connection } from '../libvirt/connection';
import { errorMessage } from '../ui/log';
import { withinFactsWait } from './hintFacts';
import { parseHostEnums, type HostEnums } from './hostEnums';
import { SchemaCache, type LoadedGrammar } from './schema/schemaSource';
import { DomainSchemaValidator } from '../libvirt/xml/schemaValidator';
import { validateDomainXml, validateDomainXmlFor } from '../libvirt/xml/validation';
import type { Diagnostic as XmlDiagnostic } from '../libvirt/xml/diagnostics';
import { HOST_XML_SCHEME, locationOf, XML_SCHEME } from './xmlUris';
import { InventoryCache, loadHostInventory, type HostInventory } from '../libvirt/xml/hostReferences';
import { startNetwork } from '../libvirt/resources/networkStart';
import { domainCapabilities, parseCapabilities, type DomainCapabilities, type HostCapabilities } from '../libvirt/xml/capabilities';

/** Root element -> schema entry file. */
export const SCHEMA_FOR_ROOT: Readonly<Record<string, string>> = {
  domain: 'domain.rng',
  network: 'network.rng',
  pool: 'storagepool.rng',
  volume: 'storagevol.rng',
  domainsnapshot: 'domainsnapshot.rng',
};

/** The root element's name, read leniently (the document may not parse while being typed). */
export function rootElementName(text: string): string | undefined {
  const re = /<(!--[\s\S]*?-->|\?[\s\S]*?\?>|![^>]*>|([A-Za-z_][\w.:-]*))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (m[2]) return m[2];
  return undefined;
}

export function isEditorDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme === XML_SCHEME || doc.uri.scheme === HOST_XML_SCHEME) return true;
  if (doc.uri.scheme !== 'untitled' || doc.languageId !== 'xml') return false;
  const root = rootElementName(doc.getText());
  return root !== undefined && root in SCHEMA_FOR_ROOT;
}

export class SchemaService {
  private readonly cache = new SchemaCache();
  private readonly versions = new Map<string, Promise<number>>();
  private readonly enums = new Map<string, Promise<HostEnums>>();
  /** Untitled documents the user tied to a connection (New … from XML). */
  private readonly untitledHost = new Map<string, string>();

  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  setHost(doc: vscode.Uri, connectionId: string): void {
    this.untitledHost.set(doc.toString(), connectionId);
  }

  connectionIdFor(doc: vscode.TextDocument): string | undefined {
    if (doc.uri.scheme === XML_SCHEME || doc.uri.scheme === HOST_XML_SCHEME) {
      try {
        return locationOf(doc.uri).connectionId;
      } catch {
        return undefined;
      }
    }
    const chosen = this.untitledHost.get(doc.uri.toString());
    if (chosen) return chosen;
    return this.connections.list().find((e) => e.managed.current() !== undefined)?.config.id;
  }

  private connected(id: string | undefined): { conn: Connection; uri: string } | undefined {
    if (id === undefined) return undefined;
    try {
      const e = this.connections.get(id);
      const conn = e.managed.current();
      return conn ? { conn, uri: e.config.uri } : undefined;
    } catch {
      return undefined;
    }
  }

  async grammarFor(doc: vscode.TextDocument): Promise<LoadedGrammar | undefined> {
    const root = rootElementName(doc.getText());
    const entry = root === undefined ? undefined : SCHEMA_FOR_ROOT[root];
    if (!entry) return undefined;
    const id = this.connectionIdFor(doc);
    const host = this.connected(id);
    let version = 0;
    if (host && id) {
      let v = this.versions.get(id);
      if (!v) {
        v = host.conn.connectGetLibVersion();
        this.versions.set(id, v);
        v.catch(() => this.versions.delete(id));
      }
      version = await v.catch(() => 0);
    }
    try {
      return await this.cache.grammar(host?.uri, version, entry);
    } catch (err) {
      this.log.warn(`Schema ${entry} unavailable${host ? ` for ${host.uri}` : ''}: ${errorMessage(err)}`);
      if (host && !host.uri.startsWith('qemu:///') && host.uri.includes('://')) {
        // e.g. an SSH host whose session cannot run cat: use this machine's copy.
        return this.cache.grammar(undefined, 0, entry).catch(() => undefined);
      }
      return undefined;
    }
  }

  async hostEnumsFor(doc: vscode.TextDocument): Promise<HostEnums> {
    const id = this.connectionIdFor(doc);
    const host = this.connected(id);
    if (!host || !id) return new Map();
    let p = this.enums.get(id);
    if (!p) {
      p = Promise.all([this.capabilitiesXml(id, host.conn), host.conn.connectGetDomainCapabilities().catch(() => undefined)]).then(([caps, domcaps]) => parseHostEnums(caps, domcaps));
      this.enums.set(id, p);
    }
    return p;
  }

  private readonly capsXml = new Map<string, Promise<string | undefined>>();
  private readonly hostCaps = new Map<string, Promise<HostCapabilities | undefined>>();

  /** The host's capabilities document, read once per connection (a failed read is tried again next time). */
  private capabilitiesXml(id: string, conn: Connection): Promise<string | undefined> {
    let p = this.capsXml.get(id);
    if (!p) {
      p = conn.connectGetCapabilities().catch(() => {
        this.capsXml.delete(id);
        return undefined;
      });
      this.capsXml.set(id, p);
    }
    return p;
  }

  /** The host's emulators, architectures, virtualization and machine types, for the checker. */
  private hostCapabilities(id: string, conn: Connection): Promise<HostCapabilities | undefined> {
    let p = this.hostCaps.get(id);
    if (!p) {
      p = this.capabilitiesXml(id, conn).then((xml) => {
        if (xml === undefined) {
          this.hostCaps.delete(id);
          return undefined;
        }
        try {
          return parseCapabilities(xml);
        } catch (err) {
          this.log.warn(`The capabilities of ${id} could not be read: ${errorMessage(err)}`);
          return undefined;
        }
      });
      this.hostCaps.set(id, p);
    }
    return p;
  }

  private readonly validators = new Map<string, Promise<DomainSchemaValidator>>();

  /** libvirt's own RelaxNG validation (libxml2) plus semantic checks with fixes, for domain XML. */
  async validateDomain(doc: vscode.TextDocument, text: string): Promise<XmlDiagnostic[]> {
    const id = this.connectionIdFor(doc);
    const host = this.connected(id);
    const { key, source } = this.cache.sourceFor(host?.uri);
    let v = this.validators.get(key);
    if (!v) {
      v = DomainSchemaValidator.forSource(source);
      this.validators.set(key, v);
      v.catch(() => this.validators.delete(key));
    }
    // The emulator checks need the document's host: without a connection they are left out.
    const hostCapabilities = host && id ? await this.hostCapabilities(id, host.conn) : undefined;
    const opts = { schema: await v, ...(hostCapabilities ? { hostCapabilities } : {}) };
    if (!host || !id) return validateDomainXml(text, opts);
    let caps = this.domainCaps.get(id);
    if (!caps) this.domainCaps.set(id, (caps = new Map()));
    const cache = caps;
    return validateDomainXmlFor(text, opts, async (dom) => {
      // A new emulator, arch or machine type typed in is a new look-up: the diagnostics do not
      // wait for a slow host longer than the hints do (the next run has it from the cache).
      const domainCaps = await withinFactsWait(domainCapabilities(host.conn, dom, cache), () => undefined);
      return domainCaps ? { domainCapabilities: domainCaps } : {};
    });
  }

  /** Domain capabilities per connection, by the emulator, arch, machine and type they are for. */
  private readonly domainCaps = new Map<string, Map<string, Promise<DomainCapabilities | undefined>>>();

  private readonly inventories = new InventoryCache();

  /**
   * The host's networks, pools with their volumes and host devices, for the existence warnings of
   * domain documents: read once and kept 30 s per connection, so typing costs no calls.
   */
  async hostInventoryFor(doc: vscode.TextDocument): Promise<HostInventory | undefined> {
    const id = this.connectionIdFor(doc);
    const host = this.connected(id);
    if (!host || !id) return undefined;
    return this.inventories.get(id, () => loadHostInventory(host.conn));
  }

  /** Starts a network or pool a document names, and forgets the inventory so the warning goes. */
  async startReferenced(doc: vscode.TextDocument, object: 'network' | 'pool', name: string): Promise<void> {
    const id = this.connectionIdFor(doc);
    const host = this.connected(id);
    if (!host || !id) throw new Error('The document\'s host is not connected');
    try {
      if (object === 'network') await startNetwork(host.conn, await host.conn.networkLookupByName(name));
      else await host.conn.storagePoolCreate(await host.conn.storagePoolLookupByName(name), 0);
    } finally {
      this.inventories.invalidate(id);
    }
  }

  /** The connection (and libvirt URI) of a document, when connected. */
  hostOf(doc: vscode.TextDocument): { conn: Connection; uri: string } | undefined {
    return this.connected(this.connectionIdFor(doc));
  }
}
