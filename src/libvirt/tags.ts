// VM tags: short names kept in the VM's own metadata, inside this project's element
// (`<vmm:data xmlns:vmm="APP_METADATA_NS"><vmm:tags><vmm:tag>web</vmm:tag>…</vmm:tags></vmm:data>`),
// so every client sees them and they travel with the VM (clone, migration, dumpxml/define).
//
// Reading: `<tag>` elements at any depth of our element count (an older layout kept them directly
// under `<vmm:data>`); writing replaces every `<tag>` with one `<tags>` list, which migrates the
// old layout on the first edit.
//
// Writing goes through virDomainSetMetadata (type ELEMENT, key `vmm`, uri APP_METADATA_NS), not a
// define: it touches only our element (libvirt keeps every other part of the XML, including other
// applications' metadata), works on transient VMs, and changes a running VM live and its saved
// definition in one call each. SetMetadata replaces our whole element, so other children of it
// (other features' data) are kept by a read-modify-write of that element alone: virDomainGetMetadata
// returns it without prefixes (`<data><tags>…</tags><other/></data>`), the tags are edited in that
// text losslessly (XmlDocument), and the result goes back unprefixed (libvirt refuses a prefixed
// element: "failed to create a new XML namespace"; it adds the `vmm:` prefix itself). The live and
// the saved definition are read and written separately, since they may differ. libvirt moves the
// element to the end of <metadata> when it replaces it; nothing else changes.

import type { Connection, DomainRef } from './connection';
import { VirDomainMetadataType, VirDomainModificationImpact, VirErrorNumber } from './generated/libvirtConstants';
import { LibvirtError } from './rpc/errors';
import { APP_METADATA_NS, APP_METADATA_PREFIX, type DomainXml } from './xml/domainXml';
import { XmlDocument, escapeText, type XmlElement } from './xml/xmlDocument';

/** Longest tag, in characters (a tree row and a quick pick item stay readable). */
export const MAX_TAG_LENGTH = 64;
/** Most tags on one VM. */
export const MAX_TAGS_PER_VM = 64;

export class TagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TagError';
  }

  static is(e: unknown): e is TagError {
    return e instanceof TagError;
  }
}

/**
 * Why a tag name is refused, or undefined when it is fine (after trimming). Spaces are refused
 * because the tree filter's `tag:NAME` ends at a space; control characters because they would be
 * invisible or break a line in the tree; bidirectional overrides because they make one name look
 * like another.
 */
export function tagProblem(raw: string): string | undefined {
  const t = raw.trim();
  if (t === '') return 'A tag cannot be empty.';
  if ([...t].length > MAX_TAG_LENGTH) return `A tag can be at most ${MAX_TAG_LENGTH} characters long (this one has ${[...t].length}).`;
  if (/\p{Cc}/u.test(t)) return 'A tag cannot contain control characters (such as tabs or line breaks).';
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u.test(t)) return 'A tag cannot contain bidirectional text controls (they make one name look like another).';
  if (/\s/u.test(t)) return 'A tag cannot contain spaces (the filter\'s "tag:NAME" ends at a space); use "-" or "_" instead.';
  return undefined;
}

/** The tag as stored: trimmed and in Unicode NFC. Throws TagError with the reason when refused. */
export function normalizeTag(raw: string): string {
  const problem = tagProblem(raw);
  if (problem !== undefined) throw new TagError(`"${raw}": ${problem}`);
  return raw.trim().normalize('NFC');
}

/** Tags compare without case: "Web" and "web" are one tag (the filter matches that way too). */
export function tagKey(tag: string): string {
  return tag.normalize('NFC').toLowerCase();
}

/** Normalised, de-duplicated (first spelling wins), in the given order; throws TagError. */
export function normalizeTags(raw: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    const t = normalizeTag(r);
    const k = tagKey(t);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  if (out.length > MAX_TAGS_PER_VM) throw new TagError(`A VM can have at most ${MAX_TAGS_PER_VM} tags (${out.length} given).`);
  return out;
}

/** The change an Edit Tags run makes: tags added and removed (by key), the others kept. */
export interface TagChange {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** Applies a change to one VM's tags, keeping their order and spelling; added tags go last. */
export function applyTagChange(tags: readonly string[], change: TagChange): string[] {
  const removed = new Set(change.remove.map(tagKey));
  const kept = tags.filter((t) => !removed.has(tagKey(t)));
  return normalizeTags([...kept, ...change.add]);
}

// ------------------------------------------------------------------- reading and writing XML

/** Tags under `el` (`<tag>` at any depth, whatever the prefix), in document order, empty ones skipped. */
function tagElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.elements()) {
      if (c.localName === 'tag') out.push(c);
      else walk(c);
    }
  };
  walk(el);
  return out;
}

function readTagsIn(doc: XmlDocument, el: XmlElement): string[] {
  const out: string[] = [];
  for (const t of tagElements(el)) {
    const text = doc.textContent(t).trim();
    if (text !== '') out.push(text);
  }
  return out;
}

/**
 * Replaces every tag under `container` with one `<tags>` list (prefixed like the container),
 * or with nothing when `tags` is empty. Other children are left byte-identical.
 */
function writeTagsIn(doc: XmlDocument, container: XmlElement, tags: readonly string[]): void {
  const p = container.prefix ? `${container.prefix}:` : '';
  const lists = container.elements().filter((e) => e.localName === 'tags');
  for (const t of tagElements(container)) if (t.parent) doc.removeElement(t);
  // A <tags> list left empty goes too, except the first, which is refilled in place.
  const keep = tags.length > 0 ? lists[0] : undefined;
  for (const l of lists) if (l !== keep && l.elements().length === 0 && doc.textContent(l).trim() === '') doc.removeElement(l);
  if (tags.length === 0) return;
  const items = tags.map((t) => `<${p}tag>${escapeText(t)}</${p}tag>`).join('\n');
  if (keep) doc.insertElement(keep, items);
  else doc.insertElement(container, `<${p}tags>\n${items.split('\n').map((l) => doc.indentUnit() + l).join('\n')}\n</${p}tags>`);
}

/** Tags of a parsed domain (from its full XML). */
export function domainTags(dom: DomainXml): string[] {
  const app = dom.appMetadata;
  return app ? readTagsIn(dom.doc, app) : [];
}

/** Sets the tags of a parsed domain (for defines with the document model: new VMs, XML edits). */
export function setDomainTags(dom: DomainXml, tags: readonly string[]): void {
  const list = normalizeTags(tags);
  const app = dom.appMetadata;
  if (!app) {
    if (list.length === 0) return;
    dom.setAppMetadata('');
  }
  const el = dom.appMetadata!;
  writeTagsIn(dom.doc, el, list);
  if (list.length === 0 && el.elements().length === 0 && dom.doc.textContent(el).trim() === '' && el.attributes.every((a) => a.name.startsWith('xmlns'))) dom.setAppMetadata(undefined);
}

/** Tags in the element virDomainGetMetadata returns (undefined or '' when there is none). */
export function tagsFromMetadata(xml: string | undefined): string[] {
  if (xml === undefined || xml.trim() === '') return [];
  const doc = XmlDocument.parse(xml);
  return readTagsIn(doc, doc.root);
}

/**
 * The element to hand to virDomainSetMetadata so the VM has exactly `tags`, keeping every other
 * child of the current element (`current` as virDomainGetMetadata returned it); undefined when
 * nothing would be left (the element is removed then).
 */
export function metadataWithTags(current: string | undefined, tags: readonly string[]): string | undefined {
  const list = normalizeTags(tags);
  const text = current !== undefined && current.trim() !== '' ? current : '<data/>';
  const doc = XmlDocument.parse(text);
  writeTagsIn(doc, doc.root, list);
  const root = doc.root;
  const empty = root.elements().length === 0 && doc.textContent(root).trim() === '' && root.attributes.length === 0;
  return empty ? undefined : doc.toString();
}

// ------------------------------------------------------------------- libvirt calls

/** virDomainGetMetadata for our element; '' when the VM has none. `flags`: LIVE, CONFIG or 0 (current). */
export async function readAppMetadata(conn: Connection, dom: DomainRef, flags = 0): Promise<string> {
  try {
    return await conn.domainGetMetadata(dom, VirDomainMetadataType.ELEMENT, APP_METADATA_NS, flags);
  } catch (err) {
    if (LibvirtError.is(err) && err.code === VirErrorNumber.NO_DOMAIN_METADATA) return '';
    throw err;
  }
}

/** One VM's tags as the daemon has them now (its live definition when it runs). */
export async function readDomainTags(conn: Connection, dom: DomainRef): Promise<string[]> {
  return tagsFromMetadata(await readAppMetadata(conn, dom));
}

/**
 * How many tag reads are queued on the connection at once: a few more than the RPC client keeps in
 * flight (5, the daemon's default max_client_requests), so the pipe never runs dry, but never all of
 * them. Encoding a thousand calls in one go held the extension host for about 20 ms just as the tree
 * asked for its first rows (bench/treeBench.ts profile).
 */
export const TAG_READS_QUEUED = 16;

/**
 * Tags of many VMs: one small GetMetadata call per VM, pipelined (TAG_READS_QUEUED queued at a time,
 * each finished read issuing the next), never a loop of sequential calls. A VM whose read fails (it
 * vanished meanwhile) is left out of the result.
 */
export async function readTagsBulk(conn: Connection, doms: readonly DomainRef[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < doms.length) {
      const d = doms[next++]!;
      try {
        out.set(d.uuid, await readDomainTags(conn, d));
      } catch {
        // Gone or unreadable: the caller's next listing decides.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TAG_READS_QUEUED, doms.length) }, worker));
  return out;
}

/**
 * Changes one VM's tags with `update` (given the current tags, returns the new ones), in its live
 * definition when it runs and in its saved one when it is persistent, each read and written
 * separately. Returns the tags of the definition the tree shows (live when running).
 */
export async function updateDomainTags(conn: Connection, dom: DomainRef, update: (tags: readonly string[]) => readonly string[]): Promise<string[]> {
  const [active, persistent] = await Promise.all([conn.domainIsActive(dom), conn.domainIsPersistent(dom)]);
  const impacts: number[] = [];
  if (active) impacts.push(VirDomainModificationImpact.LIVE);
  if (persistent) impacts.push(VirDomainModificationImpact.CONFIG);
  let shown: string[] = [];
  for (const flags of impacts) {
    const current = await readAppMetadata(conn, dom, flags);
    const before = tagsFromMetadata(current);
    const after = normalizeTags(update(before));
    if (flags === impacts[0]) shown = after;
    if (before.join('\0') === after.join('\0')) continue;
    const next = metadataWithTags(current, after);
    await conn.domainSetMetadata(dom, VirDomainMetadataType.ELEMENT, next ?? null, next === undefined ? null : APP_METADATA_PREFIX, APP_METADATA_NS, flags);
  }
  return shown;
}
