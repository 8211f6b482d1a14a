// What an Apply does, as data (the caller makes the libvirt calls): the persistent definition to
// define with VALIDATE, the calls that change a running VM now (virt-manager's live fields:
// current vCPUs, balloon memory, CD-ROM/floppy media, NIC link state), the host calls that are
// not XML (rename, autostart), and the changes that wait for the next boot.

import { DomainXml } from '../libvirt/xml/domainXml';
import { readValues } from '../libvirt/xml/kinds/access';
import { applyChanges, bySection, sectionTarget } from './apply';
import { type FieldChange, holds } from './formSchema';

export type LiveAction =
  /** virDomainSetVcpusFlags(count, LIVE). */
  | { readonly call: 'domainSetVcpusFlags'; readonly count: number }
  /** virDomainSetMemoryFlags(kib, LIVE). */
  | { readonly call: 'domainSetMemoryFlags'; readonly kib: number }
  /** virDomainUpdateDeviceFlags(xml, LIVE): the device's live XML with the changes applied. */
  | { readonly call: 'domainUpdateDeviceFlags'; readonly section: string; readonly xml: string };

export type HostAction =
  /** virDomainRename (a shut-off VM only). */
  | { readonly call: 'domainRename'; readonly name: string }
  | { readonly call: 'domainSetAutostart'; readonly autostart: boolean };

export interface ApplyPlan {
  /** The new persistent definition (every XML change); define it with VALIDATE first. */
  readonly xml: string;
  /** Only when the VM runs: calls that apply some changes now, after the define. */
  readonly live: readonly { readonly action: LiveAction; readonly labels: readonly string[] }[];
  readonly host: readonly { readonly action: HostAction; readonly labels: readonly string[] }[];
  /** Labels ("CPUs: Maximum vCPUs") of changes that take effect at the next boot (running VM only). */
  readonly nextBoot: readonly string[];
}

/**
 * Plans an Apply. `inactiveXml` is the persistent definition; `liveXml` the running VM's XML
 * (undefined when it is not running: everything is then just the definition). Throws
 * ApplyRefusedError when a value does not fit.
 */
export function planApply(inactiveXml: string, changes: readonly FieldChange[], liveXml?: string): ApplyPlan {
  const probe = DomainXml.parse(inactiveXml);
  const host: { action: HostAction; labels: string[] }[] = [];
  const xmlChanges: FieldChange[] = [];
  for (const c of changes) {
    const t = sectionTarget(probe, c.section);
    const f = t?.fields.find((x) => x.id === c.field);
    const label = `${t?.title ?? c.section}: ${f?.label ?? c.field}`;
    if (c.section === 'overview' && c.field === 'name') {
      if (typeof c.value === 'string' && c.value !== probe.get('name')) host.push({ action: { call: 'domainRename', name: c.value }, labels: [label] });
    } else if (f?.hostValue === 'autostart') host.push({ action: { call: 'domainSetAutostart', autostart: c.value === true }, labels: [label] });
    else xmlChanges.push(c);
  }
  const xml = applyChanges(inactiveXml, xmlChanges).toString();
  if (liveXml === undefined) return { xml, live: [], host, nextBoot: [] };

  const live = DomainXml.parse(liveXml);
  const actions: { action: LiveAction; labels: string[] }[] = [];
  const nextBoot: string[] = [];
  const deviceLive: FieldChange[] = [];
  for (const [section, fields] of bySection(xmlChanges)) {
    const t = sectionTarget(live, section);
    const values = t ? { ...readValues(t.fields, live, t.element), ...Object.fromEntries(fields) } : {};
    for (const [id, value] of fields) {
      const f = t?.fields.find((x) => x.id === id);
      const label = `${t?.title ?? section}: ${f?.label ?? id}`;
      const isLive = f !== undefined && (f.apply === 'live' || (f.liveWhen !== undefined && holds(f.liveWhen, values)));
      if (!t || !isLive) nextBoot.push(label);
      else if (section === 'cpus' && id === 'vcpuCurrent' && typeof value === 'number') actions.push({ action: { call: 'domainSetVcpusFlags', count: value }, labels: [label] });
      else if (section === 'memory' && id === 'currentMemory' && typeof value === 'number') actions.push({ action: { call: 'domainSetMemoryFlags', kib: value * 1024 }, labels: [label] });
      else if (section !== 'cpus' && section !== 'memory' && section !== 'overview' && section !== 'os' && section !== 'boot') deviceLive.push({ section, field: id, value });
      else nextBoot.push(label);
    }
  }
  // One update-device call per device, with all its live changes applied to its live XML.
  const updated = deviceLive.length > 0 ? applyChanges(liveXml, deviceLive) : undefined;
  for (const [section, fields] of bySection(deviceLive)) {
    const before = sectionTarget(live, section)!;
    // The device in the updated copy: same position among the devices as before (the changes
    // may alter its identity, e.g. a CD-ROM's identity does not, but be safe).
    const idx = live.devicesElement!.elements().indexOf(before.element);
    const el = updated!.devicesElement!.elements()[idx]!;
    actions.push({ action: { call: 'domainUpdateDeviceFlags', section, xml: updated!.doc.source(el) }, labels: [...fields.keys()].map((id) => `${before.title}: ${before.fields.find((f) => f.id === id)?.label ?? id}`) });
  }
  return { xml, live: actions, host, nextBoot };
}
