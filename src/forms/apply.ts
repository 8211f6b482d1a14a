// Form changes -> edits of the domain XML, through the descriptions: every value is written by
// its field's codec (a one-value diff elsewhere untouched), new devices are inserted as empty
// elements through the document model and filled field by field. All or nothing: a value that
// does not fit refuses the whole set with the problems placed on their fields.

import { DomainXml } from '../libvirt/xml/domainXml';
import { XmlValueError } from '../libvirt/xml/fields';
import { readValue, readValues, writeValue } from '../libvirt/xml/kinds/access';
import { sectionDescription } from '../libvirt/xml/kinds/domain';
import { descriptionOfKind, describedDevices, findDevice } from '../libvirt/xml/kinds/registry';
import type { FieldDescription } from '../libvirt/xml/kinds/types';
import type { XmlElement } from '../libvirt/xml/xmlDocument';
import { ApplyRefusedError, type FieldChange, type FieldProblem, type FormValue, holds } from './formSchema';

/** Where a section's fields live: the domain root or one device element. */
export interface SectionTarget {
  readonly section: string;
  readonly title: string;
  readonly fields: readonly FieldDescription[];
  readonly element: XmlElement;
}

export function sectionTarget(dom: DomainXml, section: string): SectionTarget | undefined {
  const s = sectionDescription(section);
  if (s) return { section, title: s.title, fields: s.fields, element: dom.element };
  const d = findDevice(dom, section);
  return d ? { section, title: d.description.title(d.values, d.nth, d.element), fields: d.description.fields, element: d.element } : undefined;
}

/** Groups changes by section, in the order sections first appear; the last change of a field wins. */
export function bySection(changes: readonly FieldChange[]): Map<string, Map<string, FormValue>> {
  const out = new Map<string, Map<string, FormValue>>();
  for (const c of changes) {
    let m = out.get(c.section);
    if (!m) out.set(c.section, (m = new Map()));
    m.set(c.field, c.value);
  }
  return out;
}

/**
 * Writes one section's changes in the description's field order. Fields whose `when` stops
 * holding are cleared (a disk switched from file to block loses its file path), as virt-manager does.
 */
function applySection(dom: DomainXml, t: SectionTarget, changes: ReadonlyMap<string, FormValue>, problems: FieldProblem[]): void {
  const before = readValues(t.fields, dom, t.element);
  const after: Record<string, FormValue> = { ...before };
  for (const [k, v] of changes) after[k] = v === '' ? undefined : v;
  for (const id of changes.keys()) {
    const f = t.fields.find((x) => x.id === id);
    if (!f) problems.push({ section: t.section, field: id, severity: 'error', message: `${t.title} has no field '${id}'` });
    else if (f.widget === 'readonly' || f.hostValue) problems.push({ section: t.section, field: id, severity: 'error', message: `${f.label} cannot be changed here` });
  }
  for (const f of t.fields) {
    if (f.widget === 'readonly' || f.hostValue) continue;
    const shown = !f.when || holds(f.when, after);
    try {
      if (!shown) {
        if (readValue(f, dom, t.element) !== undefined) writeValue(f, dom, t.element, undefined);
      } else if (changes.has(f.id) && readValue(f, dom, t.element) !== after[f.id]) writeValue(f, dom, t.element, after[f.id]);
    } catch (e) {
      if (XmlValueError.is(e) || e instanceof RangeError) problems.push({ section: t.section, field: f.id, severity: 'error', message: e.message });
      else throw e;
    }
  }
}

/**
 * Applies the changes to a copy of the domain and returns it; throws ApplyRefusedError (and
 * changes nothing) when a value does not fit or a section does not exist.
 */
export function applyChanges(xml: string, changes: readonly FieldChange[]): DomainXml {
  const dom = DomainXml.parse(xml);
  const problems: FieldProblem[] = [];
  // Resolve every section first: a change may alter a device's identity (its target, its MAC).
  const targets = [...bySection(changes)].map(([section, m]) => ({ t: sectionTarget(dom, section), section, m }));
  for (const { t, section, m } of targets) {
    if (!t) problems.push({ section, severity: 'error', message: `This VM has no '${section}' any more` });
    else applySection(dom, t, m, problems);
  }
  if (problems.length > 0) throw new ApplyRefusedError(problems.map((p) => p.message).join('; '), problems);
  return dom;
}

/**
 * Adds a device of `kind` through the document model: an empty element in libvirt's device
 * order, then the kind's defaults and `values` field by field, then its companions (a SCSI
 * controller for a SCSI disk, shared memory for virtiofs). Returns the new device's identity.
 * With `defaults: false`, `values` are all the device gets (a form that showed the defaults).
 */
export function addDevice(dom: DomainXml, kind: string, values: Readonly<Record<string, FormValue>> = {}, opts: { readonly defaults?: boolean } = {}): string {
  const d = descriptionOfKind(kind);
  if (!d || d.kind === 'other' || d.kind === 'emulator') throw new XmlValueError(`'${kind}' is not a device kind that can be added`, 'kind');
  // Add Hardware passes the whole form (`defaults: false`): a value the user cleared stays cleared.
  const merged: Record<string, FormValue> = { ...(opts.defaults === false ? {} : d.defaults(dom)), ...values };
  const view = dom.addDeviceXml(`<${d.element}/>`);
  const problems: FieldProblem[] = [];
  for (const f of d.fields) {
    const v = merged[f.id];
    if (v === undefined || f.hostValue || (f.when && !holds(f.when, merged))) continue;
    try {
      // Read-only fields (a controller's type and index, a host device's address) are set once, here.
      writeValue(f.widget === 'readonly' ? { ...f, widget: 'text' } : f, dom, view.element, v);
    } catch (e) {
      if (XmlValueError.is(e)) problems.push({ section: kind, field: f.id, severity: 'error', message: e.message });
      else throw e;
    }
  }
  if (problems.length > 0) throw new ApplyRefusedError(problems.map((p) => p.message).join('; '), problems);
  for (const c of d.companions ?? []) {
    if (!holds(c.needed, merged) || c.present(dom)) continue;
    const section = sectionDescription(c.add.kind);
    if (section) {
      for (const f of section.fields) if (c.add.values[f.id] !== undefined) writeValue(f, dom, dom.element, c.add.values[f.id]);
    } else addDevice(dom, c.add.kind, c.add.values);
  }
  const added = describedDevices(dom).find((x) => x.element === view.element);
  return added?.id ?? d.kind;
}

/** Removes a device by its identity. */
export function removeDevice(dom: DomainXml, id: string): void {
  const d = findDevice(dom, id);
  if (!d) throw new XmlValueError(`This VM has no device '${id}'`, id);
  dom.doc.removeElement(d.element);
}
