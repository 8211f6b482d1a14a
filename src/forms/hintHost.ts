// Hints against a real host (no `vscode`): the host's facts read once (node info, capabilities,
// the running VMs' memory in one bulk call), a hint's fix previewed as the definition before and
// after, applied by define with VALIDATE only when the definition is still the one previewed (a
// refusal leaves it as it was), and the hints of every VM of a host for the host-wide list: the
// definitions the caller already has are reused, the others fetched together (pipelined on the
// one connection), never one after another.

import type { Connection, DomainRef } from '../libvirt/connection';
import { VirConnectGetAllDomainStatsFlags, VirDomainDefineFlags, VirDomainStatsTypes, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import type { OsinstallCatalog } from '../libvirt/osinfoMedia';
import type { PerfSample } from '../libvirt/perfSample';
import { parseCapabilities, type DomainCapabilities } from '../libvirt/xml/capabilities';
import { DomainXml } from '../libvirt/xml/domainXml';
import { analyzeDomain, applyHint, hintKey, osHintFacts, overcommitHint, type Hint, type HintFacts } from './hints';
import type { HintChange, HintView } from './formSchema';

export type HintFactsConnection = Pick<Connection, 'nodeGetInfo' | 'connectGetCapabilities' | 'connectGetAllDomainStats'>;

/** What the rules need from a host, read once for all its VMs. */
export interface HostHintFacts {
  readonly hostCpus?: number;
  readonly hostMemoryKiB?: number;
  readonly hostHugePagesKiB?: number;
  /** Current memory (KiB) of each running VM, by name (one bulk balloon call). */
  readonly runningMemoryKiB?: ReadonlyMap<string, number>;
}

/** Reads the host's facts: node info, capabilities and the running VMs' memory, in parallel; each part may fail alone. */
export async function readHostHintFacts(conn: HintFactsConnection): Promise<HostHintFacts> {
  const [node, caps, stats] = await Promise.allSettled([
    conn.nodeGetInfo(),
    conn.connectGetCapabilities().then(parseCapabilities),
    // NOWAIT: a VM whose monitor is busy (a migration, a snapshot) reports what libvirt has
    // without waiting for it, so the hints never stall on one VM.
    conn.connectGetAllDomainStats(VirDomainStatsTypes.BALLOON, VirConnectGetAllDomainStatsFlags.ACTIVE | VirConnectGetAllDomainStatsFlags.NOWAIT),
  ]);
  const running = new Map<string, number>();
  if (stats.status === 'fulfilled') {
    for (const r of stats.value) {
      const cur = r.params['balloon.current'];
      if (typeof cur === 'number') running.set(r.dom.name, cur);
    }
  }
  return {
    ...(node.status === 'fulfilled' ? { hostCpus: node.value.cpus, hostMemoryKiB: node.value.memory } : {}),
    ...(caps.status === 'fulfilled' ? { hostHugePagesKiB: caps.value.hugePagesKiB } : {}),
    ...(stats.status === 'fulfilled' ? { runningMemoryKiB: running } : {}),
  };
}

/** What is known about one VM beyond its XML. */
export interface DomainHintExtras {
  readonly install?: OsinstallCatalog;
  readonly caps?: DomainCapabilities;
  readonly running?: boolean;
  readonly perf?: readonly PerfSample[];
}

/** The facts for one VM: the host's, its OS's, its domain capabilities, state and performance. */
export function domainHintFacts(dom: DomainXml, host: HostHintFacts, extra: DomainHintExtras = {}): HintFacts {
  const os = osHintFacts(dom.osinfoId, extra.install);
  return {
    ...host,
    ...(os ? { os } : {}),
    ...(extra.caps ? { caps: extra.caps } : {}),
    ...(extra.running !== undefined ? { running: extra.running } : {}),
    ...(extra.perf ? { perf: extra.perf } : {}),
  };
}

/** The serialisable form the panels list. */
export function hintView(h: Hint): HintView {
  const note = h.apply.kind === 'confirm' ? h.apply.consequence : h.apply.kind === 'manual' ? h.apply.advice : undefined;
  return {
    key: hintKey(h),
    code: h.code,
    importance: h.importance,
    title: h.title,
    why: h.why,
    effect: h.effect,
    apply: h.apply.kind,
    ...(note !== undefined ? { note } : {}),
    section: h.target.section,
  };
}

/** A hint that cannot be applied (gone, manual, or the definition changed since the preview). */
export class HintNotApplicableError extends Error {
  override readonly name = 'HintNotApplicableError';
  static is(e: unknown): e is HintNotApplicableError {
    return e instanceof HintNotApplicableError;
  }
}

/** A hint's change: the definition now and with the fix. */
export interface HintPreview {
  readonly hint: Hint;
  readonly before: string;
  readonly after: string;
}

/** The preview in the panels' words. */
export function hintChange(p: HintPreview): HintChange {
  return {
    key: hintKey(p.hint),
    title: p.hint.title,
    fixTitle: p.hint.fix?.title ?? p.hint.title,
    effect: p.hint.effect,
    ...(p.hint.apply.kind === 'confirm' ? { consequence: p.hint.apply.consequence } : {}),
    before: p.before,
    after: p.after,
  };
}

export type HintApplyConnection = Pick<Connection, 'domainGetXmlDesc' | 'domainDefineXml'>;

/** The persistent definition with secrets (a define of it keeps graphics passwords). */
export function readDefinition(conn: Pick<Connection, 'domainGetXmlDesc'>, dom: DomainRef): Promise<string> {
  return conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE);
}

/** Analyses the definition as it is now and returns the hint `key`'s change; throws HintNotApplicableError when it has none. */
export async function previewHint(conn: HintApplyConnection, dom: DomainRef, key: string, facts: (d: DomainXml) => HintFacts | Promise<HintFacts>): Promise<HintPreview> {
  const before = await readDefinition(conn, dom);
  const d = DomainXml.parse(before);
  const hint = analyzeDomain(d, await facts(d)).find((h) => hintKey(h) === key);
  if (!hint) throw new HintNotApplicableError(`${dom.name} no longer has this suggestion (its definition changed).`);
  if (!hint.fix) throw new HintNotApplicableError(`"${hint.title}" has no automatic fix: ${hint.apply.kind === 'manual' ? hint.apply.advice : ''}`);
  return { hint, before, after: applyHint(before, hint).toString() };
}

/**
 * Defines the previewed change with VALIDATE, after checking (again, after any confirmation) that
 * the definition on the host is still the one previewed. libvirt's refusal throws and changes nothing.
 */
export async function applyHintPreview(conn: HintApplyConnection, dom: DomainRef, preview: Pick<HintPreview, 'before' | 'after'>): Promise<void> {
  const now = await readDefinition(conn, dom);
  if (now !== preview.before) throw new HintNotApplicableError(`${dom.name} was changed since the preview: nothing was applied. Look at the suggestion again.`);
  await conn.domainDefineXml(preview.after, VirDomainDefineFlags.VALIDATE);
}

/** The hints of one VM of a host-wide list. */
export interface VmHints {
  readonly dom: DomainRef;
  readonly hints: readonly Hint[];
  /** Why the VM could not be analysed (its XML could not be read). */
  readonly error?: string;
}

export type HostHintsConnection = HintFactsConnection & Pick<Connection, 'connectListAllDomains' | 'domainGetXmlDesc'>;

export interface HostHints {
  readonly vms: readonly VmHints[];
  /** The host-wide hint (memory overcommitted across running VMs), when it applies. */
  readonly host: readonly Omit<Hint, 'severity' | 'message' | 'range' | 'target' | 'fix'>[];
  /** How many definitions were fetched (the others came from `known`). */
  readonly fetched: number;
}

/**
 * The hints of every VM of a host. `known(ref)` gives a persistent definition the caller already
 * holds (undefined: fetch it); the missing ones are requested together. The per-VM overcommit
 * hint is left out (it is the host's, listed once).
 */
export async function hostHints(conn: HostHintsConnection, opts: { readonly known?: (ref: DomainRef) => string | undefined; readonly install?: OsinstallCatalog; readonly perf?: (ref: DomainRef) => readonly PerfSample[] | undefined } = {}): Promise<HostHints> {
  const [refs, host] = await Promise.all([conn.connectListAllDomains(0), readHostHintFacts(conn)]);
  const known = refs.map((r) => opts.known?.(r));
  const missing = refs.filter((_, i) => known[i] === undefined);
  const fetched = await Promise.allSettled(missing.map((r) => conn.domainGetXmlDesc(r, VirDomainXMLFlags.INACTIVE)));
  const byUuid = new Map(missing.map((r, i) => [r.uuid, fetched[i]!]));
  const vms = refs.map((ref, i): VmHints => {
    let xml = known[i];
    if (xml === undefined) {
      const r = byUuid.get(ref.uuid)!;
      if (r.status === 'rejected') return { dom: ref, hints: [], error: r.reason instanceof Error ? r.reason.message : String(r.reason) };
      xml = r.value;
    }
    try {
      const d = DomainXml.parse(xml);
      const perf = opts.perf?.(ref);
      const facts = domainHintFacts(d, host, { ...(opts.install ? { install: opts.install } : {}), running: ref.id !== -1, ...(perf ? { perf } : {}) });
      return { dom: ref, hints: analyzeDomain(d, facts).filter((h) => h.code !== 'memory-overcommit') };
    } catch (e) {
      return { dom: ref, hints: [], error: e instanceof Error ? e.message : String(e) };
    }
  });
  const running = host.runningMemoryKiB;
  const total = running ? [...running.values()].reduce((a, b) => a + b, 0) : 0;
  const hostWide = running && host.hostMemoryKiB !== undefined && total > host.hostMemoryKiB ? [overcommitHint(running, host.hostMemoryKiB)] : [];
  return { vms, host: hostWide, fetched: missing.length };
}
