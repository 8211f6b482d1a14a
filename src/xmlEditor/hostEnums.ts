// Values the connected host actually supports, from its capabilities
// (virConnectGetCapabilities: guest machine types, domain types) and domain capabilities
// (virConnectGetDomainCapabilities: CPU models, firmware, device models). Completion offers these
// before the schema's full enumerations. See libvirt docs/formatdomaincaps.rst. No vscode here.

import { XmlDocument, type XmlElement } from '../libvirt/xml/xmlDocument';

/** Key: "<element path suffix>@<attribute>" or "<element path suffix>#text". */
export type HostEnums = ReadonlyMap<string, readonly string[]>;

/** domcaps <devices><X><enum name=Y> -> the place in a domain XML it describes. */
const DEVICE_ENUMS: readonly { device: string; enumName: string; key: string }[] = [
  { device: 'disk', enumName: 'diskDevice', key: 'disk@device' },
  { device: 'disk', enumName: 'bus', key: 'disk/target@bus' },
  { device: 'graphics', enumName: 'type', key: 'graphics@type' },
  { device: 'video', enumName: 'modelType', key: 'video/model@type' },
  { device: 'hostdev', enumName: 'mode', key: 'hostdev@mode' },
  { device: 'hostdev', enumName: 'subsysType', key: 'hostdev@type' },
  { device: 'rng', enumName: 'model', key: 'rng@model' },
  { device: 'rng', enumName: 'backendModel', key: 'rng/backend@model' },
  { device: 'filesystem', enumName: 'driverType', key: 'filesystem/driver@type' },
  { device: 'tpm', enumName: 'model', key: 'tpm@model' },
  { device: 'tpm', enumName: 'backendModel', key: 'tpm/backend@type' },
  { device: 'tpm', enumName: 'backendVersion', key: 'tpm/backend@version' },
  { device: 'redirdev', enumName: 'bus', key: 'redirdev@bus' },
  { device: 'channel', enumName: 'type', key: 'channel@type' },
  { device: 'crypto', enumName: 'model', key: 'crypto@model' },
];

function tryParse(xml: string | undefined): XmlDocument | undefined {
  if (!xml) return undefined;
  try {
    return XmlDocument.parse(xml);
  } catch {
    return undefined;
  }
}

function values(doc: XmlDocument, el: XmlElement | undefined, enumName: string): string[] {
  const e = el?.elements('enum').find((x) => x.attr('name') === enumName);
  return e ? e.elements('value').map((v) => doc.textContent(v).trim()) : [];
}

function add(map: Map<string, string[]>, key: string, vals: readonly string[]): void {
  if (vals.length === 0) return;
  const cur = map.get(key) ?? [];
  for (const v of vals) if (v && !cur.includes(v)) cur.push(v);
  map.set(key, cur);
}

/** Builds the table from host capabilities and domain capabilities XML (either may be missing). */
export function parseHostEnums(capsXml: string | undefined, domcapsXml: string | undefined): HostEnums {
  const map = new Map<string, string[]>();
  const caps = tryParse(capsXml);
  if (caps) {
    for (const guest of caps.root.elements('guest')) {
      const arch = guest.child('arch');
      if (!arch) continue;
      add(map, 'os/type@arch', [arch.attr('name') ?? '']);
      for (const m of arch.elements('machine')) add(map, 'os/type@machine', [caps.textContent(m).trim(), m.attr('canonical') ?? '']);
      add(map, 'domain@type', arch.elements('domain').map((d) => d.attr('type') ?? ''));
    }
  }
  const dc = tryParse(domcapsXml);
  if (dc) {
    const r = dc.root;
    const machine = r.child('machine');
    if (machine) add(map, 'os/type@machine', [dc.textContent(machine).trim()]);
    const domain = r.child('domain');
    if (domain) add(map, 'domain@type', [dc.textContent(domain).trim()]);
    add(map, 'os@firmware', values(dc, r.child('os'), 'firmware'));
    add(map, 'os/loader@type', values(dc, r.find(['os', 'loader']), 'type'));
    const cpu = r.child('cpu');
    for (const mode of cpu?.elements('mode') ?? []) {
      if (mode.attr('supported') === 'no') continue;
      add(map, 'cpu@mode', [mode.attr('name') ?? '']);
      if (mode.attr('name') === 'custom') {
        add(map, 'cpu/model#text', mode.elements('model').filter((m) => m.attr('usable') !== 'no').map((m) => dc.textContent(m).trim()));
      }
    }
    const devices = r.child('devices');
    for (const d of DEVICE_ENUMS) add(map, d.key, values(dc, devices?.child(d.device), d.enumName));
  }
  return map;
}

/** The host's values for an attribute (or the text, with attribute undefined) at a path. */
export function hostValues(enums: HostEnums, path: readonly string[], attribute: string | undefined): readonly string[] {
  const suffix = attribute === undefined ? '#text' : `@${attribute}`;
  for (let n = Math.min(3, path.length); n >= 1; n--) {
    const v = enums.get(`${path.slice(-n).join('/')}${suffix}`);
    if (v) return v;
  }
  return [];
}

/** True when the host can run KVM guests (its capabilities list a kvm domain type). */
export function hostHasKvm(enums: HostEnums): boolean {
  return (enums.get('domain@type') ?? []).includes('kvm');
}
