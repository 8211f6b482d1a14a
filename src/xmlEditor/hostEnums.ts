// Values the connected host actually supports, from its capabilities
// (virConnectGetCapabilities: guest machine types, domain types) and domain capabilities
// (virConnectGetDomainCapabilities: CPU models, firmware, device models). Completion offers these
// before the schema's full enumerations, parsed by src/libvirt/xml/capabilities.ts. See libvirt
// docs/formatdomaincaps.rst. No vscode here.

import { deviceEnum, parseCapabilities, parseDomainCapabilities } from '../libvirt/xml/capabilities';

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

function add(map: Map<string, string[]>, key: string, vals: readonly (string | undefined)[]): void {
  const cur = map.get(key) ?? [];
  for (const v of vals) if (v && !cur.includes(v)) cur.push(v);
  if (cur.length > 0) map.set(key, cur);
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Builds the table from host capabilities and domain capabilities XML (either may be missing). */
export function parseHostEnums(capsXml: string | undefined, domcapsXml: string | undefined): HostEnums {
  const map = new Map<string, string[]>();
  const caps = capsXml ? attempt(() => parseCapabilities(capsXml)) : undefined;
  for (const g of caps?.guests ?? []) {
    if (g.osType !== 'hvm') continue;
    add(map, 'os/type@arch', [g.arch]);
    for (const m of g.machines) add(map, 'os/type@machine', [m.name, m.canonical]);
    add(map, 'domain@type', g.domains.map((d) => d.type));
  }
  const dc = domcapsXml ? attempt(() => parseDomainCapabilities(domcapsXml)) : undefined;
  if (dc) {
    add(map, 'os/type@machine', [dc.machine]);
    add(map, 'domain@type', [dc.domain]);
    add(map, 'os@firmware', dc.os.firmware);
    add(map, 'os/loader@type', dc.os.loader.types);
    add(map, 'cpu@mode', [dc.cpu.custom.supported ? 'custom' : undefined, dc.cpu.hostModel.supported ? 'host-model' : undefined, dc.cpu.hostPassthrough ? 'host-passthrough' : undefined, dc.cpu.maximum ? 'maximum' : undefined]);
    add(map, 'cpu/model#text', dc.cpu.custom.models.filter((m) => m.usable).map((m) => m.name));
    for (const d of DEVICE_ENUMS) add(map, d.key, deviceEnum(dc, d.device, d.enumName));
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
