// Add Hardware's model for one libvirt domain, without `vscode`: the kinds that can be added (every
// device description with an `add`, see kinds/types.ts AddDescription), each kind's form built
// from its description (setup fields, the kind's fields, options from the domain capabilities and
// host lists, virt-manager's defaults for this VM), the checks while typing (derived values, the
// description's checks, the one checker, the host's facts), and Finish: prepare (a new volume),
// addDevice with its companions, hot-plug on a running VM, define with VALIDATE. Nothing here
// knows a particular kind.

import type { Connection, DomainRef } from '../libvirt/connection';
import { VirDomainDefineFlags, VirDomainDeviceModifyFlags, VirDomainXMLFlags } from '../libvirt/generated/libvirtConstants';
import { domainCapabilities, type DomainCapabilities } from '../libvirt/xml/capabilities';
import { checkDomain } from '../libvirt/xml/checks';
import { DomainXml } from '../libvirt/xml/domainXml';
import { XmlValueError } from '../libvirt/xml/fields';
import { DEVICE_DESCRIPTIONS, describedDevices } from '../libvirt/xml/kinds/registry';
import type { AddHost, AddHostConnection, DeviceDescription, FieldDescription, GuestDrivers, OptionListName, Prepared, Values } from '../libvirt/xml/kinds/types';
import type { XmlElement } from '../libvirt/xml/xmlDocument';
import { valueProblems } from '../webviews/shared/valueProblems';
import { addDevice } from './apply';
import { ApplyRefusedError, type AddKindForm, type Condition, type FieldProblem, type FormValue, holds } from './formSchema';

export type { AddKindForm } from './formSchema';
import { loadOptionLists, type OptionListConnection } from './optionLists';
import { formField, type OptionLists } from './sections';

export type AddHardwareConnection = Pick<
  Connection,
  'domainGetXmlDesc' | 'domainIsActive' | 'domainDefineXml' | 'domainAttachDeviceFlags' | 'domainDetachDeviceFlags' | 'connectGetDomainCapabilities' | 'connectListAllDomains'
> &
  OptionListConnection &
  AddHostConnection;

export interface AddHardwareSnapshot {
  readonly kinds: readonly AddKindForm[];
  readonly running: boolean;
}

export interface AddCheck {
  readonly problems: readonly FieldProblem[];
  /** Values that follow the change (the form takes them). */
  readonly derived: Readonly<Record<string, FormValue>>;
  /** What Finish would do, in words ("Adds SATA CDROM 1 (sda)…"). */
  readonly summary: string;
}

export interface AddOutcome {
  readonly summary: string;
  /** The new device's identity in the persistent definition. */
  readonly device: string;
  /** Plugged into the running VM now. */
  readonly live: boolean;
}

export interface AddHardwareOptions {
  readonly capabilitiesCache?: Map<string, Promise<DomainCapabilities | undefined>>;
  /** osinfo-db's drivers per OS (the host's catalog): defaults follow the VM's OS where it is known. */
  guestDrivers?(): Promise<GuestDrivers | undefined>;
  /** libvirt refused the hot-plug: add the device for the next boot only? (answerable by tests) */
  confirmNextBoot(question: string, detail: string): Promise<boolean>;
}

/** The kinds Add Hardware offers, in their order. */
export function addableKinds(): DeviceDescription[] {
  return DEVICE_DESCRIPTIONS.filter((d) => d.add !== undefined).sort((a, b) => a.add!.order - b.add!.order);
}

/** A kind's fields as Add Hardware shows them: setup fields first, then the kind's (without omitted or still read-only ones). */
export function addFields(d: DeviceDescription): FieldDescription[] {
  const add = d.add;
  if (!add) return [];
  const own = d.fields
    .filter((f) => !(add.omit ?? []).includes(f.id) && !f.hostValue)
    .map((f): FieldDescription => {
      const o = add.overrides?.[f.id];
      const also = add.alsoWhen?.[f.id];
      const when: Condition | undefined = o?.when ?? f.when;
      return { ...f, ...(o ?? {}), ...(also ? { when: when ? { all: [when, also] } : also } : {}) };
    })
    .filter((f) => f.widget !== 'readonly');
  // Setup fields come first, unless `setupAfter` puts one after a field of the kind (a GPU filter after the type).
  const out = [...(add.setup ?? []).filter((f) => add.setupAfter?.[f.id] === undefined), ...own];
  for (const f of add.setup ?? []) {
    const after = add.setupAfter?.[f.id];
    if (after === undefined) continue;
    const i = out.findIndex((x) => x.id === after);
    out.splice(i < 0 ? out.length : i + 1, 0, f);
  }
  return out;
}

/** The host lists a kind's fields name. */
function listsOf(fields: readonly FieldDescription[]): OptionListName[] {
  return fields.flatMap((f) => (f.optionsFrom && 'list' in f.optionsFrom ? [f.optionsFrom.list] : []));
}

/** Only the values of fields that are shown (a hidden field's value is not the user's). */
function shownValues(fields: readonly FieldDescription[], values: Values): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const f of fields) if (values[f.id] !== undefined && (!f.when || holds(f.when, values))) out[f.id] = values[f.id];
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Built {
  readonly dom: DomainXml;
  /** The new device's identity. */
  readonly id: string;
  readonly element: XmlElement;
  /** Elements added under <devices>: companions first, the device last (the order to hot-plug in). */
  readonly devices: readonly XmlElement[];
  /** Companions that are not devices (shared memory backing): these wait for a boot. */
  readonly domainChanges: boolean;
  readonly title: string;
  readonly companions: readonly string[];
  /** Every companion device can be hot-plugged too. */
  readonly companionsLive: boolean;
}

export class AddHardwareModel {
  private readonly capsCache: Map<string, Promise<DomainCapabilities | undefined>>;
  /** The persistent XML as last read (checks while typing run over it). */
  private lastXml: string | undefined;
  private running = false;

  constructor(
    private readonly conn: AddHardwareConnection,
    private readonly dom: DomainRef,
    private readonly opts: AddHardwareOptions,
  ) {
    this.capsCache = opts.capabilitiesCache ?? new Map();
  }

  get title(): string {
    return this.dom.name;
  }

  get domain(): DomainRef {
    return this.dom;
  }

  /** Every kind with its form prefilled for this VM; one read of the XML, the capabilities and the host lists the forms name. */
  async load(): Promise<AddHardwareSnapshot> {
    const kinds = addableKinds();
    const [xml, running, lists] = await Promise.all([this.readXml(), this.conn.domainIsActive(this.dom), loadOptionLists(this.conn, kinds.flatMap((d) => listsOf(addFields(d))))]);
    this.lastXml = xml;
    this.running = running;
    const dom = DomainXml.parse(xml);
    const [caps, drivers] = await Promise.all([
      domainCapabilities(this.conn, dom, this.capsCache),
      // Only for a VM whose OS is known: the host's catalog is read once per session (about half a
      // second, shared with New VM). Without osinfo-db, or when reading it fails, the defaults
      // stay the machine type's.
      dom.osinfoId !== undefined ? this.opts.guestDrivers?.().catch(() => undefined) : undefined,
    ]);
    const os = dom.osinfoId !== undefined && drivers?.listsDevices(dom.osinfoId) ? { id: dom.osinfoId, drivers } : undefined;
    return { kinds: kinds.map((d) => this.kindForm(d, dom, caps, lists, running, os)), running };
  }

  /** Problems of the form's values, the values that follow `changed`, and what Finish would do. */
  async check(kind: string, values: Values, changed?: string): Promise<AddCheck> {
    const d = this.description(kind);
    const dom = DomainXml.parse(this.lastXml ?? (await this.readXml()));
    const derived = changed !== undefined && d.add?.derive ? d.add.derive(dom, values, changed) : {};
    const merged: Values = { ...values, ...derived };
    const problems = await this.problems(d, dom, merged);
    let summary = '';
    if (!problems.some((p) => p.severity === 'error')) {
      try {
        summary = this.describe(d, this.build(dom.toString(), d, { ...merged, ...(d.add?.complete?.(dom, merged) ?? {}) }), merged);
      } catch {
        summary = '';
      }
    }
    return { problems, derived, summary };
  }

  /**
   * Adds the device: checks, prepares (a new volume), builds it with its companions, plugs it into
   * a running VM where possible and defines the VM with VALIDATE. A refusal throws
   * ApplyRefusedError with the problems on their fields and leaves the host as it was.
   */
  async finish(kind: string, values: Values): Promise<AddOutcome> {
    const d = this.description(kind);
    const xml = await this.readXml();
    this.lastXml = xml;
    const dom = DomainXml.parse(xml);
    const merged: Values = { ...values, ...(d.add?.complete?.(dom, values) ?? {}) };
    const errors = (await this.problems(d, dom, merged)).filter((p) => p.severity === 'error');
    if (errors.length > 0) throw new ApplyRefusedError(errors.map((p) => p.message).join(' '), errors);
    // Only checks: fail before any host work when the device cannot be built at all.
    this.build(xml, d, merged);

    const running = await this.conn.domainIsActive(this.dom);
    let prepared: Prepared = { values: {} };
    if (d.add?.prepare) {
      try {
        prepared = await d.add.prepare(this.host(), shownValues(addFields(d), merged));
      } catch (e) {
        throw new ApplyRefusedError(`Nothing was added: ${errorText(e)}`, [{ section: kind, severity: 'error', message: errorText(e) }]);
      }
    }
    try {
      return await this.addAndDefine(d, xml, merged, prepared, running);
    } catch (e) {
      await prepared.undo?.().catch(() => undefined);
      throw e;
    }
  }

  private async addAndDefine(d: DeviceDescription, xml: string, values: Values, prepared: Prepared, running: boolean): Promise<AddOutcome> {
    const built = this.build(xml, d, values, prepared.values, prepared.alsoAdd);
    const extras = [...(prepared.done ? [prepared.done] : []), ...built.companions.map((c) => `with ${c}`)];
    const said = (tail: string): string => `Added ${built.title} to ${this.dom.name}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}${tail}`;
    const tryLive = running && this.hotpluggable(d, values) && !built.domainChanges && built.companionsLive;
    let live = false;
    if (tryLive) {
      const refused = await this.hotplug(built.devices, built.dom);
      if (refused === undefined) live = true;
      else {
        const ok = await this.opts.confirmNextBoot(
          `libvirt refused to plug ${built.title} into the running VM ${this.dom.name}. Add it for the next boot only?`,
          `libvirt said: ${refused}\nNothing has been changed yet. "Add for Next Boot" saves it in the VM's definition; it appears when the VM boots again.`,
        );
        if (!ok) throw new ApplyRefusedError(`Nothing was added: libvirt refused the hot-plug (${refused}).`, [{ section: d.kind, severity: 'error', message: `libvirt refused to plug it into the running VM: ${refused}` }]);
      }
    }
    try {
      await this.conn.domainDefineXml(built.dom.toString(), VirDomainDefineFlags.VALIDATE);
    } catch (e) {
      if (live) await this.unplug(built.devices, built.dom);
      throw new ApplyRefusedError(`Nothing was added: ${errorText(e)}`, [placeOnField(errorText(e), d, values)]);
    }
    this.lastXml = await this.readXml();
    const tail = !running ? '.' : live ? ': plugged into the running VM.' : `: it takes effect at the next boot${tryLive ? '' : ` (${this.whyNotLive(d, built)})`}.`;
    return { summary: said(tail), device: built.id, live };
  }

  /** Attaches the new elements one by one (LIVE); on a refusal unplugs those attached and returns libvirt's words. */
  private async hotplug(devices: readonly XmlElement[], dom: DomainXml): Promise<string | undefined> {
    const done: XmlElement[] = [];
    for (const el of devices) {
      try {
        await this.conn.domainAttachDeviceFlags(this.dom, dom.doc.source(el), VirDomainDeviceModifyFlags.LIVE);
        done.push(el);
      } catch (e) {
        await this.unplug(done, dom);
        return errorText(e);
      }
    }
    return undefined;
  }

  /** Best effort: detaches from the running VM what this Finish plugged in, the device before its companions. */
  private async unplug(devices: readonly XmlElement[], dom: DomainXml): Promise<void> {
    for (const el of [...devices].reverse()) await this.conn.domainDetachDeviceFlags(this.dom, dom.doc.source(el), VirDomainDeviceModifyFlags.LIVE).catch(() => undefined);
  }

  private hotpluggable(d: DeviceDescription, values: Values): boolean {
    const h = d.add?.hotplug ?? true;
    return typeof h === 'boolean' ? h : holds(h, values);
  }

  private whyNotLive(d: DeviceDescription, built: Built): string {
    if (built.domainChanges || !built.companionsLive) return `${built.companions.join(', ')} cannot be added to a running VM`;
    return `a ${d.add?.label ?? d.name} cannot be added to a running VM`;
  }

  /** The domain with the device and its companions added (all or nothing; a value that does not fit throws ApplyRefusedError). */
  private build(xml: string, d: DeviceDescription, values: Values, prepared: Values = {}, alsoAdd: readonly Values[] = []): Built {
    const dom = DomainXml.parse(xml);
    const before = new Set(dom.devicesElement?.elements() ?? []);
    const beforeShape = outsideDevices(dom);
    const setupIds = new Set((d.add?.setup ?? []).map((s) => s.id));
    const deviceValues = Object.fromEntries(Object.entries(shownValues(addFields(d), values)).filter(([k]) => !setupIds.has(k)));
    // What prepare made (a new volume's path) is set even where the form hid the field.
    Object.assign(deviceValues, prepared);
    let id: string;
    try {
      // Devices prepare asked for alongside (a GPU's other functions) go first, like companions.
      for (const extra of alsoAdd) addDevice(dom, d.kind, extra, { defaults: false });
      id = addDevice(dom, d.kind, deviceValues, { defaults: false });
    } catch (e) {
      if (ApplyRefusedError.is(e)) throw new ApplyRefusedError(e.message, e.problems.map((p) => ({ ...p, section: d.kind })));
      if (XmlValueError.is(e) || e instanceof RangeError) throw new ApplyRefusedError(e.message, [{ section: d.kind, severity: 'error', message: e.message }]);
      throw e;
    }
    const added = (dom.devicesElement?.elements() ?? []).filter((e) => !before.has(e));
    const all = describedDevices(dom);
    const mine = all.find((x) => x.id === id) ?? all.find((x) => added.includes(x.element) && x.description.kind === d.kind);
    if (!mine) throw new ApplyRefusedError(`The new ${d.name} could not be found after adding it`, [{ section: d.kind, severity: 'error', message: 'internal: device not found' }]);
    const companions = all.filter((x) => added.includes(x.element) && x.element !== mine.element);
    const companionWords = [
      ...companions.map((c) => withArticle(c.description.title(c.values, c.nth, c.element))),
      // Companions that are not devices (shared memory backing), in their reason's words.
      ...(d.companions ?? []).filter((c) => !DEVICE_DESCRIPTIONS.some((x) => x.kind === c.add.kind) && holds(c.needed, deviceValues) && !c.present(DomainXml.parse(xml))).map((c) => c.reason.charAt(0).toLowerCase() + c.reason.slice(1)),
    ];
    return {
      dom,
      id: mine.id,
      element: mine.element,
      devices: [...companions.map((c) => c.element), mine.element],
      // Companions that change the domain itself (shared memory for virtiofs) show outside <devices>.
      domainChanges: outsideDevices(dom) !== beforeShape,
      title: mine.description.title(mine.values, mine.nth, mine.element),
      companions: companionWords,
      companionsLive: companions.every((c) => this.hotpluggable(c.description, c.values)),
    };
  }

  private describe(d: DeviceDescription, b: Built, values: Values): string {
    const parts = [`Adds ${b.title}`];
    if (d.add?.setup?.length && values.create === 'new' && typeof values.volumeName === 'string') parts.push(`on a new volume ${String(values.pool)}/${values.volumeName}`);
    if (b.companions.length > 0) parts.push(`with ${b.companions.join(' and ')}`);
    let when = '';
    if (this.running) when = this.hotpluggable(d, values) && !b.domainChanges && b.companionsLive ? ' It is plugged into the running VM (if libvirt refuses, you are asked about the next boot).' : ` It takes effect at the next boot (${this.whyNotLive(d, b)}).`;
    return `${parts.join(' ')}.${when}`;
  }

  /** The checks of a form: each value's own, the device built, the description's and the one checker's, the host's. */
  private async problems(d: DeviceDescription, dom: DomainXml, values: Values): Promise<FieldProblem[]> {
    const fields = addFields(d);
    const shown = fields.filter((f) => !f.when || holds(f.when, values));
    const local = shown.flatMap((f) => valueProblems(formField(f, values, undefined), values[f.id], d.kind));
    if (local.some((p) => p.severity === 'error')) return local;
    let built: Built;
    try {
      built = this.build(dom.toString(), d, { ...values, ...(d.add?.complete?.(dom, values) ?? {}) }, d.add?.planned?.(shownValues(fields, values)) ?? {});
    } catch (e) {
      if (ApplyRefusedError.is(e)) return [...local, ...e.problems];
      throw e;
    }
    const fieldIds = new Set(fields.map((f) => f.id));
    const domainCaps = await domainCapabilities(this.conn, dom, this.capsCache);
    const fromChecker = checkDomain(built.dom, domainCaps ? { domainCapabilities: domainCaps } : {})
      .filter((p) => p.target.section === built.id)
      .map((p): FieldProblem => ({ section: d.kind, ...(p.target.field !== undefined && fieldIds.has(p.target.field) ? { field: p.target.field } : {}), severity: p.severity === 'error' ? 'error' : 'warning', message: p.message }));
    let fromHost: FieldProblem[] = [];
    if (d.add?.hostCheck) {
      try {
        fromHost = (await d.add.hostCheck(this.host(), shownValues(fields, values))).map((r) => ({ section: d.kind, field: r.field, severity: r.severity ?? 'error', message: r.message }));
      } catch {
        fromHost = [];
      }
    }
    return [...local, ...fromChecker, ...fromHost];
  }

  private kindForm(d: DeviceDescription, dom: DomainXml, caps: DomainCapabilities | undefined, lists: OptionLists, running: boolean, os: { id: string; drivers: GuestDrivers } | undefined): AddKindForm {
    const fields = addFields(d);
    let initial: Record<string, FormValue> = { ...d.defaults(dom), ...(d.add?.setupDefaults?.(dom) ?? {}) };
    if (os) initial = osDefaults(d, dom, initial, os.id, os.drivers);
    // A required choice from a host list whose default the host does not have (no pool named
    // 'default') starts at the first one it has (the options as offered without the default).
    for (const f of fields.map((x) => formField(x, {}, caps, lists))) {
      const fromHost = fields.find((x) => x.id === f.id)?.optionsFrom;
      const enabled = (f.options ?? []).filter((o) => o.disabledReason === undefined);
      if (f.required && fromHost && f.widget === 'select' && enabled.length > 0 && !enabled.some((o) => o.value === initial[f.id])) initial[f.id] = enabled[0]!.value;
    }
    const values: Record<string, FormValue> = {};
    for (const f of fields) if (initial[f.id] !== undefined) values[f.id] = initial[f.id];
    return { id: d.kind, label: d.add!.label, icon: d.add!.icon, fields: fields.map((f) => formField(f, values, caps, lists)), values, live: running && this.hotpluggable(d, values) };
  }

  private description(kind: string): DeviceDescription {
    const d = addableKinds().find((x) => x.kind === kind);
    if (!d) throw new ApplyRefusedError(`'${kind}' cannot be added here`, [{ section: kind, severity: 'error', message: `'${kind}' cannot be added here` }]);
    return d;
  }

  /** The host as descriptions see it; the other domains are fetched once per check, in bulk. */
  private host(): AddHost {
    let others: Promise<DomainXml[]> | undefined;
    return {
      conn: this.conn,
      domain: { name: this.dom.name, uuid: this.dom.uuid },
      otherDomains: () =>
        (others ??= (async () => {
          const doms = (await this.conn.connectListAllDomains(0)).filter((x) => x.uuid !== this.dom.uuid);
          const xmls = await Promise.all(doms.map((x) => this.conn.domainGetXmlDesc(x, 0).catch(() => undefined)));
          return xmls.flatMap((x) => (x === undefined ? [] : [DomainXml.parse(x)]));
        })()),
    };
  }

  private readXml(): Promise<string> {
    // SECURE: the define must keep a display's password, which libvirt shows only with it.
    return this.conn.domainGetXmlDesc(this.dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE);
  }
}

/**
 * The defaults the guest OS's drivers choose (AddDescription.osModels), each followed by the values
 * that follow it (`derive`: a disk's target after its bus). A rule none of whose devices the OS
 * has, and without `otherwise`, keeps the machine type's default.
 */
export function osDefaults(d: DeviceDescription, dom: DomainXml, values: Readonly<Record<string, FormValue>>, osId: string, drivers: GuestDrivers): Record<string, FormValue> {
  let out: Record<string, FormValue> = { ...values };
  for (const rule of d.add?.osModels ?? []) {
    const pick = rule.prefer.find((p) => drivers.supports(osId, p.devices))?.value ?? rule.otherwise?.(dom);
    if (pick === undefined || pick === out[rule.field]) continue;
    out[rule.field] = pick;
    out = { ...out, ...(d.add?.derive?.(dom, out, rule.field) ?? {}) };
  }
  return out;
}

/** "a SCSI controller", "an Audio backend (alsa)": the article by the word's first letter (titles start with a name or an acronym). */
function withArticle(title: string): string {
  return `${/^[AEIOU]/i.test(title) && !/^(USB|UEFI|EGL|U2F)/.test(title) ? 'an' : 'a'} ${title}`;
}

/** The domain's XML outside <devices>. */
function outsideDevices(dom: DomainXml): string {
  return dom.element
    .elements()
    .filter((e) => e.name !== 'devices')
    .map((e) => dom.doc.source(e))
    .join('\n');
}

/** A refusal by libvirt on the field whose label or id its message names, else on the form. */
function placeOnField(message: string, d: DeviceDescription, values: Values): FieldProblem {
  const lower = message.toLowerCase();
  const f = addFields(d).find((x) => values[x.id] !== undefined && (lower.includes(`'${String(values[x.id]).toLowerCase()}'`) || lower.includes(x.label.toLowerCase())));
  return { section: d.kind, ...(f ? { field: f.id } : {}), severity: 'error', message };
}
