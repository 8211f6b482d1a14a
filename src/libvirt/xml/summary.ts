// The digest of a domain XML for the tree and its tooltips: the hardware list of virt-manager's
// details sidebar (Overview, OS, CPUs, Memory, Boot Options, then the devices), every entry's
// label, one-line description, icon and details read through the descriptions in kinds/.

import { DomainXml } from './domainXml';
import { XmlValueError } from './fields';
import { readValues } from './kinds/access';
import { DOMAIN_SECTIONS } from './kinds/domain';
import { describedDevices } from './kinds/registry';
import type { FieldDescription, Values } from './kinds/types';
import { domainTags } from '../tags';

export interface HardwareSection {
  /** Stable within one domain (a section id or a device identity such as disk:vda): used in tree item ids. */
  readonly key: string;
  /** overview, os, cpus, memory, boot, or the device kind (disk, interface…): the node's contextValue suffix. */
  readonly kind: string;
  readonly label: string;
  readonly description: string;
  /** A codicon id. */
  readonly icon: string;
  /** [field label, value] of every field that has a value. */
  readonly details: readonly (readonly [string, string])[];
}

export interface DiskSummary {
  readonly device: string;
  readonly target: string;
  readonly source: string;
  readonly bus: string;
}

export interface DomainSummary {
  readonly name: string;
  readonly uuid: string;
  readonly title?: string;
  readonly description?: string;
  /** Current vCPUs. */
  readonly vcpus: number;
  /** Current memory. */
  readonly memoryKiB: number;
  /** libosinfo id, e.g. http://debian.org/debian/12 */
  readonly osId?: string;
  readonly tags: readonly string[];
  readonly disks: readonly DiskSummary[];
  readonly sections: readonly HardwareSection[];
}

/** Thrown when the text is not a domain XML document. */
export class DomainXmlError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DomainXmlError';
  }

  static is(e: unknown): e is DomainXmlError {
    return e instanceof DomainXmlError;
  }
}

function details(fields: readonly FieldDescription[], v: Values): [string, string][] {
  const out: [string, string][] = [];
  for (const f of fields) {
    const x = v[f.id];
    if (x === undefined || x === '' || x === false) continue;
    const label = f.options?.find((o) => o.value === x)?.label;
    out.push([f.label, x === true ? 'yes' : (label ?? String(x)).replace(/\n/g, ', ')]);
  }
  return out;
}

export function summarizeParsed(dom: DomainXml): DomainSummary {
  const fixed: HardwareSection[] = DOMAIN_SECTIONS.map((s) => {
    const v = readValues(s.fields, dom, dom.element);
    return { key: s.id, kind: s.id, label: s.title, description: s.describe(dom, v), icon: s.icon, details: details(s.fields, v) };
  });
  const devices = describedDevices(dom);
  const listed = devices
    .map((d, order) => ({ d, order }))
    .filter(({ d }) => d.description.listed)
    .sort((a, b) => a.d.description.rank - b.d.description.rank || a.order - b.order)
    .map(({ d }): HardwareSection => ({
      key: d.id,
      kind: d.description.kind,
      label: d.description.title(d.values, d.nth, d.element),
      description: d.description.describe(d.values),
      icon: d.description.icon(d.values),
      details: details(d.description.fields, d.values),
    }));
  const disks = devices
    .filter((d) => d.description.kind === 'disk')
    .map(({ values: v }) => ({ device: String(v.device ?? 'disk'), target: String(v.target ?? ''), source: String(v.sourceFile ?? v.sourceDev ?? v.sourceVolume ?? v.sourceName ?? ''), bus: String(v.bus ?? '') }));
  const title = dom.get('title');
  const description = dom.get('description');
  const osId = dom.osinfoId;
  return {
    name: dom.get('name') ?? '',
    uuid: dom.get('uuid') ?? '',
    ...(title ? { title } : {}),
    ...(description ? { description } : {}),
    vcpus: dom.get('vcpuCurrent') ?? dom.get('vcpus') ?? 1,
    memoryKiB: dom.currentMemoryKiB ?? 0,
    ...(osId ? { osId } : {}),
    tags: domainTags(dom),
    disks,
    sections: [...fixed, ...listed],
  };
}

/** Summarises a domain XML text (parses it once; about a millisecond for a typical domain). */
export function summarizeDomainXml(xml: string): DomainSummary {
  let dom: DomainXml;
  try {
    dom = DomainXml.parse(xml);
  } catch (err) {
    if (XmlValueError.is(err)) throw new DomainXmlError(err.message, { cause: err });
    throw err;
  }
  return summarizeParsed(dom);
}
