// The details panel's model for one libvirt domain: sections built from the descriptions and the
// host's domain capabilities, checks by the one checker, and Apply as libvirt means it: the
// persistent definition defined with VALIDATE first (all or nothing), then the host calls (rename,
// autostart), then on a running VM the calls that change it now (vCPUs, balloon, CD-ROM media,
// NIC link) with the LIVE flag. What waits for the next boot is said so. No `vscode` here.

import type { Connection, DomainRef } from '../libvirt/connection';
import {
  VirDomainDefineFlags,
  VirDomainDeviceModifyFlags,
  VirDomainEventType,
  VirDomainModificationImpact,
  VirDomainXMLFlags,
} from '../libvirt/generated/libvirtConstants';
import { domainCapabilities, parseCapabilities, type DomainCapabilities, type HostCapabilities } from '../libvirt/xml/capabilities';
import { checkDomain, type Problem } from '../libvirt/xml/checks';
import { DomainXml } from '../libvirt/xml/domainXml';
import { readValues } from '../libvirt/xml/kinds/access';
import { checkCpusOnHost, type CpuHostFacts } from '../libvirt/xml/kinds/cpuTuning';
import { cpus as cpusSection } from '../libvirt/xml/kinds/domain';
import { osinfoOptions, type OsinfoEntry } from '../libvirt/osinfo';
import { describedDevices } from '../libvirt/xml/kinds/registry';
import { applyChanges, removeDevice, sectionTarget } from './apply';
import { deleteRemovedStorage, describeVolume, deviceStorage, sameVolume, type StorageConnection } from './deviceStorage';
import { readHostInfo, withHostInfo, type HostInfoConnection } from './hostInfo';
import { analyzeDomain, type HintFacts } from './hints';
import { applyHintPreview, domainHintFacts, hintChange, hintView, previewHint, readHostHintFacts } from './hintHost';
import type { OsinstallCatalog } from '../libvirt/osinfoMedia';
import type { PerfSample } from '../libvirt/perfSample';
import {
  ApplyRefusedError,
  type ApplyOutcome,
  type DetailsModel,
  type DetailsSnapshot,
  type DeviceStorage,
  type FieldChange,
  type FormValue,
  type HintChange,
  type FieldProblem,
} from './formSchema';
import { planApply, type LiveAction } from './livePlan';
import { loadOptionLists, type OptionListConnection } from './optionLists';
import { buildSections, type OptionLists } from './sections';

export type DetailsConnection = Pick<
  Connection,
  | 'domainGetXmlDesc'
  | 'domainIsActive'
  | 'domainGetState'
  | 'domainDefineXml'
  | 'domainRename'
  | 'domainGetAutostart'
  | 'domainSetAutostart'
  | 'domainSetVcpusFlags'
  | 'domainSetMemoryFlags'
  | 'domainUpdateDeviceFlags'
  | 'domainDetachDeviceFlags'
  | 'domainHasManagedSaveImage'
  | 'connectGetDomainCapabilities'
  | 'onDomainEvent'
  | 'nodeGetInfo'
  | 'connectListAllStoragePools'
  | 'storagePoolListAllVolumes'
  | 'connectGetCapabilities'
  | 'connectGetAllDomainStats'
> &
  StorageConnection &
  HostInfoConnection &
  OptionListConnection;

export interface DomainDetailsOptions {
  /** The words for a domain state ("running", "shut off"…), as the tree says them. */
  stateLabel(state: number, hasManagedSave: boolean): string;
  /** Domain capabilities per emulator/arch/machine/type, shared by the panels of one connection. */
  readonly capabilitiesCache?: Map<string, Promise<DomainCapabilities | undefined>>;
  /** libosinfo's OS list for this host (the OS field offers it; its install facts feed the hints); absent: free text. */
  readonly osinfo?: { entries(): Promise<readonly OsinfoEntry[] | undefined>; installFacts?(): Promise<OsinstallCatalog | undefined> };
  /** The VM's recent performance samples (the hints quote them); absent: none. */
  readonly perf?: () => readonly PerfSample[];
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toFieldProblem(p: Problem): FieldProblem {
  return {
    section: p.target.section,
    ...(p.target.field !== undefined ? { field: p.target.field } : {}),
    severity: p.severity === 'error' ? 'error' : 'warning',
    message: p.message,
  };
}

/** Lower-case words of three letters or more. */
function words(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[a-z][a-z0-9]{2,}/g) ?? []).map((w) => w.replace(/s$/, '')));
}

/**
 * Where a refusal by libvirt belongs. Its messages name no form field, so the change whose
 * section title, label and id share the most words with the message gets it (libvirt's
 * "Maximum CPUs greater than…" lands on "CPUs: Maximum vCPUs"); with no overlap, the first change.
 */
function placeRefusal(message: string, changes: readonly FieldChange[], labelOf: (c: FieldChange) => string): FieldProblem {
  const said = words(message);
  let best: FieldChange | undefined;
  let bestScore = 0;
  for (const c of changes) {
    const score = [...words(`${labelOf(c)} ${c.field}`)].filter((w) => said.has(w)).length;
    if (score > bestScore) [best, bestScore] = [c, score];
  }
  const at = best ?? changes[0];
  return at ? { section: at.section, field: at.field, severity: 'error', message } : { section: 'overview', severity: 'error', message };
}

export class DomainDetailsModel implements DetailsModel {
  /** The persistent XML as the panel last loaded or applied it (to tell changes made elsewhere). */
  private lastXml: string | undefined;
  /** While our own Apply runs, its define/rename events are not changes made elsewhere. */
  private applying = 0;
  private readonly capsCache: Map<string, Promise<DomainCapabilities | undefined>>;
  private hostCpus: Promise<number | undefined> | undefined;
  /** The host's emulators with their architectures, virtualization and machine types (read once). */
  private hostCaps: Promise<HostCapabilities | undefined> | undefined;
  /** Settles once the server delivers the events of the latest onDidChangeDefinition listener. */
  eventsReady: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: DetailsConnection,
    private dom: DomainRef,
    private readonly opts: DomainDetailsOptions,
  ) {
    this.capsCache = opts.capabilitiesCache ?? new Map();
  }

  get title(): string {
    return this.dom.name;
  }

  get domain(): DomainRef {
    return this.dom;
  }

  async load(): Promise<DetailsSnapshot> {
    const [xml, state, autostart, managedSave] = await Promise.all([
      this.readXml(),
      this.conn.domainGetState(this.dom),
      this.conn.domainGetAutostart(this.dom).catch(() => undefined),
      this.conn.domainHasManagedSaveImage(this.dom).catch(() => false),
    ]);
    this.lastXml = xml;
    const d = DomainXml.parse(xml);
    const [caps, running, lists] = await Promise.all([this.capabilities(d), this.conn.domainIsActive(this.dom), this.optionLists()]);
    const host = await readHostInfo(this.conn, this.dom, running);
    const sections = withHostInfo(
      buildSections(
        d,
        caps,
        {
          state: this.opts.stateLabel(state.state, managedSave),
          ...(autostart !== undefined ? { autostart } : {}),
        },
        lists,
      ),
      host,
    );
    const hints = analyzeDomain(d, await this.hintFacts(d, running)).map(hintView);
    return { sections, problems: await this.allProblems(d), running, hints };
  }

  /** What the hints know about this VM: the host's facts (read now), libosinfo's, the domain capabilities, its state and recent performance. */
  async hintFacts(d: DomainXml, running?: boolean): Promise<HintFacts> {
    const [host, install, caps, active] = await Promise.all([
      readHostHintFacts(this.conn),
      this.opts.osinfo?.installFacts?.().catch(() => undefined),
      this.capabilities(d),
      running ?? this.conn.domainIsActive(this.dom),
    ]);
    const perf = this.opts.perf?.();
    return domainHintFacts(d, host, { ...(install ? { install } : {}), ...(caps ? { caps } : {}), running: active, ...(perf && perf.length > 0 ? { perf } : {}) });
  }

  /** The change a hint makes to the definition as it is now (for the diff shown before applying). */
  async previewHint(key: string): Promise<HintChange> {
    return hintChange(await previewHint(this.conn, this.dom, key, (d) => this.hintFacts(d)));
  }

  /** Defines a previewed hint's change with VALIDATE (refused, or the definition changed since: nothing changes). */
  async applyHint(change: HintChange): Promise<ApplyOutcome> {
    this.applying++;
    try {
      await applyHintPreview(this.conn, this.dom, change);
      this.lastXml = await this.readXml();
    } finally {
      this.applying--;
    }
    const running = await this.conn.domainIsActive(this.dom);
    return running ? { appliedLive: [], nextBoot: [change.title] } : { appliedLive: [change.title], nextBoot: [] };
  }

  async check(changes: readonly FieldChange[]): Promise<readonly FieldProblem[]> {
    const base = this.lastXml ?? (await this.readXml());
    let d: DomainXml;
    try {
      d = applyChanges(base, changes);
    } catch (e) {
      if (ApplyRefusedError.is(e)) return e.problems;
      throw e;
    }
    // A change of a device's identity (its MAC, its target) must not move its problems elsewhere:
    // they stay on the section the panel shows.
    const renamed = identityRenames(DomainXml.parse(base), d);
    const problems = (await this.allProblems(d)).map((p) =>
      renamed.has(p.section) ? { ...p, section: renamed.get(p.section)! } : p,
    );
    const rename = changes.find((c) => c.section === 'overview' && c.field === 'name');
    if (rename && rename.value !== this.dom.name) {
      if (typeof rename.value !== 'string' || rename.value.trim() === '') problems.push({ section: 'overview', field: 'name', severity: 'error', message: 'The name cannot be empty.' });
      else if (rename.value.includes('/')) problems.push({ section: 'overview', field: 'name', severity: 'error', message: 'The name cannot contain "/".' });
      else if (await this.conn.domainIsActive(this.dom)) {
        problems.push({ section: 'overview', field: 'name', severity: 'error', message: 'A running VM cannot be renamed; shut it off first.' });
      }
    }
    return problems;
  }

  async apply(changes: readonly FieldChange[]): Promise<ApplyOutcome> {
    this.applying++;
    try {
      return await this.applyNow(changes);
    } finally {
      this.applying--;
    }
  }

  async remove(section: string, opts: { readonly deleteStorage?: DeviceStorage } = {}): Promise<ApplyOutcome> {
    this.applying++;
    try {
      return await this.removeNow(section, opts.deleteStorage);
    } finally {
      this.applying--;
    }
  }

  async storageOf(section: string): Promise<DeviceStorage | undefined> {
    return deviceStorage(this.conn, this.dom, DomainXml.parse(await this.readXml()), section);
  }

  async fieldAction(section: string, field: string, changes: readonly FieldChange[]): Promise<FormValue> {
    // Over the pending changes, so a generated value does not collide with an edited one.
    const d = applyChanges(this.lastXml ?? (await this.readXml()), changes);
    const t = sectionTarget(d, section);
    const action = t?.fields.find((f) => f.id === field)?.action;
    if (!t || !action) throw new ApplyRefusedError(`${t?.title ?? section} has no action on '${field}'`, [{ section, field, severity: 'error', message: 'No action here' }]);
    return action.run(d, t.element);
  }

  onDidChangeDefinition(listener: () => void): { dispose(): void } {
    const sub = this.conn.onDomainEvent(
      (e) => {
        if (e.dom.uuid !== this.dom.uuid) return;
        if (e.kind === 'lifecycle' && e.event !== VirDomainEventType.DEFINED) return;
        void this.readXml().then(
          (xml) => {
            if (this.applying > 0 || xml === this.lastXml) return;
            this.lastXml = xml;
            listener();
          },
          () => undefined,
        );
      },
      { kinds: ['lifecycle', 'metadataChange', 'deviceAdded', 'deviceRemoved'] },
    );
    this.eventsReady = sub.ready;
    return { dispose: () => sub.dispose() };
  }

  /** The persistent definition on the host now, and the same with `changes` applied (for a diff). */
  async definitionWith(changes: readonly FieldChange[]): Promise<{ readonly host: string; readonly changed: string }> {
    const host = await this.readXml();
    return { host, changed: applyChanges(host, changes).toString() };
  }

  private async applyNow(changes: readonly FieldChange[]): Promise<ApplyOutcome> {
    const errors = (await this.check(changes)).filter((p) => p.severity === 'error');
    if (errors.length > 0) throw new ApplyRefusedError(errors.map((p) => p.message).join(' '), errors);
    const before = await this.readXml();
    const running = await this.conn.domainIsActive(this.dom);
    const liveXml = running ? await this.conn.domainGetXmlDesc(this.dom, 0) : undefined;
    const plan = planApply(before, changes, liveXml);

    // 1. The persistent definition, validated by libvirt: a refusal changes nothing.
    if (plan.xml !== before) {
      try {
        await this.conn.domainDefineXml(plan.xml, VirDomainDefineFlags.VALIDATE);
      } catch (e) {
        const labels = changeLabels(before, changes);
        throw new ApplyRefusedError(errorText(e), [placeRefusal(errorText(e), changes, (c) => labels[changes.indexOf(c)] ?? c.field)]);
      }
    }
    // 2. Host calls; a failure puts the definition back, so Apply stays all or nothing.
    const hostLabels: string[] = [];
    for (const h of plan.host) {
      try {
        if (h.action.call === 'domainRename') this.dom = await this.conn.domainRename(this.dom, h.action.name);
        else await this.conn.domainSetAutostart(this.dom, h.action.autostart);
        hostLabels.push(...h.labels);
      } catch (e) {
        if (plan.xml !== before) await this.conn.domainDefineXml(before).catch(() => undefined);
        const field = h.action.call === 'domainRename' ? 'name' : 'autostart';
        throw new ApplyRefusedError(errorText(e), [{ section: h.action.call === 'domainRename' ? 'overview' : 'boot', field, severity: 'error', message: errorText(e) }]);
      }
    }
    this.lastXml = await this.readXml();
    if (!running) return { appliedLive: changeLabels(before, changes), nextBoot: [] };

    // 3. The running VM: the definition is saved already; a live call that fails waits for the next boot.
    const appliedLive = [...hostLabels];
    const nextBoot = [...plan.nextBoot];
    for (const l of plan.live) {
      try {
        await this.runLive(l.action);
        appliedLive.push(...l.labels);
      } catch (e) {
        nextBoot.push(...l.labels.map((label) => `${label} (not applied now: ${errorText(e)})`));
      }
    }
    return { appliedLive, nextBoot };
  }

  private async runLive(a: LiveAction): Promise<void> {
    const LIVE = VirDomainModificationImpact.LIVE;
    switch (a.call) {
      case 'domainSetVcpusFlags':
        return this.conn.domainSetVcpusFlags(this.dom, a.count, LIVE);
      case 'domainSetMemoryFlags':
        return this.conn.domainSetMemoryFlags(this.dom, a.kib, LIVE);
      case 'domainUpdateDeviceFlags':
        return this.conn.domainUpdateDeviceFlags(this.dom, a.xml, VirDomainDeviceModifyFlags.LIVE);
    }
  }

  private async removeNow(section: string, deleteStorage: DeviceStorage | undefined): Promise<ApplyOutcome> {
    const before = await this.readXml();
    const d = DomainXml.parse(before);
    const title = sectionTarget(d, section)?.title ?? section;
    if (deleteStorage) {
      // Checked again after the confirmation: still this device's storage, still used by nobody else.
      const now = await deviceStorage(this.conn, this.dom, d, section);
      const refuse = (why: string): never => {
        throw new ApplyRefusedError(`${why} (checked again after the confirmation)`, [{ section, severity: 'error', message: why }]);
      };
      if (!now || !sameVolume(now, deleteStorage) || !deleteStorage.volume) refuse(`${title} no longer uses ${deleteStorage.label}`);
      else if (now.keepReason !== undefined) refuse(`${deleteStorage.label} cannot be deleted: ${now.keepReason}`);
    }
    const removed = await this.removeDevice(section, d, title);
    if (!deleteStorage?.volume) return removed;
    const running = await this.conn.domainIsActive(this.dom);
    const kept = await deleteRemovedStorage(this.conn, this.dom, deleteStorage, await this.readXml(), running ? await this.conn.domainGetXmlDesc(this.dom, 0) : undefined).catch((e: unknown) => `deleting it failed: ${errorText(e)}`);
    const what = describeVolume(deleteStorage.volume);
    return kept === undefined ? { ...removed, appliedLive: [...removed.appliedLive, `Deleted ${what}`] } : { ...removed, nextBoot: [...removed.nextBoot, `Kept ${what}: ${kept}`] };
  }

  private async removeDevice(section: string, d: DomainXml, title: string): Promise<ApplyOutcome> {
    try {
      removeDevice(d, section);
    } catch (e) {
      throw new ApplyRefusedError(errorText(e), [{ section, severity: 'error', message: errorText(e) }]);
    }
    try {
      await this.conn.domainDefineXml(d.toString(), VirDomainDefineFlags.VALIDATE);
    } catch (e) {
      throw new ApplyRefusedError(errorText(e), [{ section, severity: 'error', message: errorText(e) }]);
    }
    this.lastXml = await this.readXml();
    if (!(await this.conn.domainIsActive(this.dom))) return { appliedLive: [`Removed ${title}`], nextBoot: [] };
    const live = DomainXml.parse(await this.conn.domainGetXmlDesc(this.dom, 0));
    const el = sectionTarget(live, section)?.element;
    if (!el) return { appliedLive: [`Removed ${title}`], nextBoot: [] };
    try {
      await this.conn.domainDetachDeviceFlags(this.dom, live.doc.source(el), VirDomainDeviceModifyFlags.LIVE);
    } catch (e) {
      return { appliedLive: [], nextBoot: [`Removed ${title} (hot-unplug refused: ${errorText(e)})`] };
    }
    // libvirt returns once it asked the guest to let go (after waiting a few seconds for it): a
    // guest that has not released the device yet (no OS, no hotplug driver, busy) still has it.
    const after = DomainXml.parse(await this.conn.domainGetXmlDesc(this.dom, 0));
    if (sectionTarget(after, section)) {
      return { appliedLive: [], nextBoot: [`Removed ${title} from the definition; the running guest has not released it yet (it goes when the guest lets go, or at the next boot)`] };
    }
    return { appliedLive: [`Removed ${title}`], nextBoot: [] };
  }

  /** The host's CPU count and CPU feature names, for the CPUs section's checks. */
  private async hostProblems(d: DomainXml): Promise<FieldProblem[]> {
    this.hostCpus ??= this.conn.nodeGetInfo().then(
      (i) => i.cpus,
      () => undefined,
    );
    const [hostCpus, caps] = await Promise.all([this.hostCpus, this.capabilities(d)]);
    const facts: CpuHostFacts = { ...(hostCpus !== undefined ? { hostCpus } : {}), ...(caps ? { knownFeatures: caps.cpu.hostModel.features } : {}) };
    return checkCpusOnHost(readValues(cpusSection.fields, d, d.element), facts).map((r) => ({ section: 'cpus', field: r.field, severity: r.severity ?? 'error', message: r.message }));
  }

  /** The OS list and the paths of the volumes of the host's active pools (one listing per load). */
  private async optionLists(): Promise<OptionLists> {
    const [os, fromHost] = await Promise.all([this.opts.osinfo?.entries().catch(() => undefined), loadOptionLists(this.conn, ['volumes'])]);
    return { ...(os ? { osinfo: osinfoOptions(os) } : {}), ...fromHost };
  }

  private readXml(): Promise<string> {
    return this.conn.domainGetXmlDesc(this.dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE);
  }

  /** The checker's problems, with the host's capabilities, and the problems only the host can tell. */
  private async allProblems(d: DomainXml): Promise<FieldProblem[]> {
    this.hostCaps ??= this.conn.connectGetCapabilities().then(parseCapabilities, () => undefined);
    const [hostCapabilities, domainCaps] = await Promise.all([this.hostCaps, this.capabilities(d)]);
    const ctx = { ...(hostCapabilities ? { hostCapabilities } : {}), ...(domainCaps ? { domainCapabilities: domainCaps } : {}) };
    return [...checkDomain(d, ctx).map(toFieldProblem), ...(await this.hostProblems(d))];
  }

  private capabilities(d: DomainXml): Promise<DomainCapabilities | undefined> {
    return domainCapabilities(this.conn, d, this.capsCache);
  }

}

/** New device identity -> the identity before the changes (changes neither add nor remove devices). */
function identityRenames(before: DomainXml, after: DomainXml): Map<string, string> {
  const a = describedDevices(before);
  const b = describedDevices(after);
  const out = new Map<string, string>();
  if (a.length !== b.length) return out;
  b.forEach((d, i) => {
    const was = a[i]?.id;
    if (was !== undefined && was !== d.id) out.set(d.id, was);
  });
  return out;
}

/** "Section: Field" for each change, as the panel reports an Apply. */
function changeLabels(xml: string, changes: readonly FieldChange[]): string[] {
  const d = DomainXml.parse(xml);
  return changes.map((c) => {
    const t = sectionTarget(d, c.section);
    return `${t?.title ?? c.section}: ${t?.fields.find((f) => f.id === c.field)?.label ?? c.field}`;
  });
}
