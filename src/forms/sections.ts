// Descriptions + the host's domain capabilities + a domain's XML -> the form sections of the
// details panel, in the tree's order, with values read through the descriptions.

import { DomainCapabilities, deviceEnum } from '../libvirt/xml/capabilities';
import type { DomainXml } from '../libvirt/xml/domainXml';
import { isField, readValues } from '../libvirt/xml/kinds/access';
import { bootableDevices, DOMAIN_SECTIONS } from '../libvirt/xml/kinds/domain';
import { describedDevices } from '../libvirt/xml/kinds/registry';
import type { FieldDescription, OptionListName, Values } from '../libvirt/xml/kinds/types';
import { summarizeParsed } from '../libvirt/xml/summary';
import { type FieldOption, type FormField, type FormSection, type FormValue, holds } from './formSchema';

/** Values the host keeps outside the XML. */
export interface HostFacts {
  /** "running", "shut off"… */
  readonly state?: string;
  readonly autostart?: boolean;
}

/** Option lists gathered from the host for `optionsFrom: { list }` fields (absent: free text). */
export type OptionLists = Readonly<Partial<Record<OptionListName, readonly FieldOption[]>>>;

const plain = (values: readonly string[]): FieldOption[] => values.map((value) => ({ value, label: value }));

/** The options a field offers on this host (capability lists replace static ones when the host has any). */
export function resolveOptions(f: FieldDescription, caps: DomainCapabilities | undefined, lists: OptionLists = {}): readonly FieldOption[] | undefined {
  const base = f.options ?? (isField(f.xml) && f.xml.values ? plain(f.xml.values) : undefined);
  const src = f.optionsFrom;
  if (src && 'list' in src) return lists[src.list] ?? base;
  if (!src || !caps) return base;
  const labelled = (values: readonly string[]): FieldOption[] => values.map((value) => base?.find((o) => o.value === value) ?? { value, label: value });
  if ('device' in src) {
    const values = deviceEnum(caps, src.device, src.enum);
    return values.length > 0 ? labelled(values) : base;
  }
  switch (src.caps) {
    case 'firmware': {
      const efi = caps.os.firmware.includes('efi') || caps.os.loader.types.includes('pflash');
      const secure = caps.os.loader.secure.includes('yes');
      return (base ?? []).map((o) =>
        o.value === 'efi' && !efi ? { ...o, disabledReason: 'This host has no UEFI firmware for this machine type' }
        : o.value === 'efi-secure' && !(efi && secure) ? { ...o, disabledReason: 'This host has no Secure Boot firmware for this machine type (Secure Boot needs Q35)' }
        : o,
      );
    }
    case 'cpuModes': {
      const ok: Record<string, boolean> = { 'host-passthrough': caps.cpu.hostPassthrough, 'host-model': caps.cpu.hostModel.supported, custom: caps.cpu.custom.supported, maximum: caps.cpu.maximum };
      return (base ?? []).map((o) => (ok[o.value] === false ? { ...o, disabledReason: `This host does not support the ${o.value} CPU mode` } : o));
    }
    case 'cpuModels':
      return caps.cpu.custom.models.map((m) => ({
        value: m.name,
        label: m.deprecated ? `${m.name} (deprecated)` : m.name,
        ...(m.usable ? {} : { disabledReason: 'This host cannot run this CPU model' }),
      }));
    case 'machine':
      return caps.machine && !(base ?? []).some((o) => o.value === caps.machine) ? [...(base ?? []), { value: caps.machine, label: caps.machine }] : base;
    case 'memorySourceTypes':
      return caps.memoryBacking.sourceTypes.length > 0 ? labelled(caps.memoryBacking.sourceTypes) : base;
  }
}

/** The serialisable field of a description, over the section's current values. */
export function formField(f: FieldDescription, values: Values, caps: DomainCapabilities | undefined, lists: OptionLists = {}, domainOptions?: readonly FieldOption[]): FormField {
  let options = f.widget === 'order' ? domainOptions : resolveOptions(f, caps, lists);
  // The current value is always offered, even when the host does not list it (an order's value is a list of options).
  const cur = values[f.id];
  if (options && f.widget !== 'order' && cur !== undefined && typeof cur === 'string' && !options.some((o) => o.value === cur)) options = [...options, { value: cur, label: cur }];
  const live = f.apply === 'live' || (f.liveWhen !== undefined && holds(f.liveWhen, values));
  return {
    id: f.id,
    label: f.label,
    help: f.help,
    widget: f.widget,
    ...(options ? { options } : {}),
    ...(f.allowCustom ? { allowCustom: true } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
    ...(f.unit !== undefined ? { unit: f.unit } : {}),
    ...(f.placeholder !== undefined ? { placeholder: f.placeholder } : {}),
    ...(f.required ? { required: true } : {}),
    ...(f.when ? { when: f.when } : {}),
    apply: live ? 'live' : 'next-boot',
    ...(f.action ? { action: { id: f.action.id, label: f.action.label, ...(f.action.icon ? { icon: f.action.icon } : {}) } } : {}),
  };
}

function withHost(fields: readonly FieldDescription[], values: Values, host: HostFacts): Record<string, FormValue> {
  const out: Record<string, FormValue> = { ...values };
  for (const f of fields) if (f.hostValue && host[f.hostValue] !== undefined) out[f.id] = host[f.hostValue];
  return out;
}

/** The details panel's sections: Overview, OS, CPUs, Memory, Boot Options, then the devices in the tree's order. */
export function buildSections(dom: DomainXml, caps?: DomainCapabilities, host: HostFacts = {}, lists: OptionLists = {}): FormSection[] {
  const summary = summarizeParsed(dom);
  const byKey = new Map(summary.sections.map((s) => [s.key, s]));
  const out: FormSection[] = [];
  // What an 'order' widget orders: the devices the VM can boot from, as the tree names them.
  const bootChoices = bootableDevices(dom).map((d): FieldOption => {
    const row = byKey.get(d.id);
    return { value: d.id, label: row?.label ?? d.id, ...(row?.description ? { detail: row.description } : {}) };
  });
  for (const s of DOMAIN_SECTIONS) {
    const values = withHost(s.fields, readValues(s.fields, dom, dom.element), host);
    out.push({ id: s.id, title: s.title, icon: s.icon, description: byKey.get(s.id)?.description ?? '', fields: s.fields.map((f) => formField(f, values, caps, lists, bootChoices)), values, removable: false });
  }
  const devices = new Map(describedDevices(dom).map((d) => [d.id, d]));
  for (const row of summary.sections) {
    const d = devices.get(row.key);
    if (!d) continue;
    out.push({ id: d.id, title: row.label, icon: row.icon, description: row.description, fields: d.description.fields.map((f) => formField(f, d.values, caps, lists)), values: d.values, removable: true });
  }
  return out;
}
