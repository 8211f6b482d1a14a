// VM templates (vscode-free): a template is the New VM wizard's answers plus hardware the wizard
// does not ask for. "New VM from Template" opens the same wizard with those answers filled in, so a
// VM from a template is made on the wizard's own path (its checks, createVm's all-or-nothing
// define with VALIDATE); nothing here defines anything.
//
// Where templates live (decided here; docs/TEMPLATES.md): one YAML file per template
// (`<slug>.vmtemplate.yaml`) in a folder of the user's (by default the extension's global storage,
// or the `libvirtVms.templates.folder` setting, e.g. a folder in a repository the user commits).
// Why files and not the VM or the settings: a template outlives the VM it came from, is kept for
// the user across hosts (a template names no host), can be reviewed, diffed, committed and shared
// as text, and import/export is a copy of that file. A VM made from a template records the
// template's name in its own metadata (our `<vmm:data>` element), so where it came from travels
// with the VM.
//
// What a template never holds: secrets (the cloud-init password is not saved; password keys in the
// raw cloud-config are removed with a note) and the VM's identity (name, UUID, MACs, host paths).
// Volumes are named as "pool/volume" answers (the ISO, the cloud image, a base volume): when the
// host the wizard runs on has no such volume, that answer is dropped with a note and the wizard
// asks for it, as for any missing answer.

import type { FormValue } from './formSchema';
import { DomainXml } from '../libvirt/xml/domainXml';
import { XmlDocument } from '../libvirt/xml/xmlDocument';
import { yaml } from '../libvirt/lazyModules';
import { FALLBACK_OS, METHODS, type NewVmFacts } from './newVmModel';

export const TEMPLATE_KIND = 'libvirt-vms/vm-template';
export const TEMPLATE_VERSION = 1;
export const TEMPLATE_FILE_SUFFIX = '.vmtemplate.yaml';

/** The wizard answers a template may hold, with their type (everything else is refused). */
export const TEMPLATE_FIELDS: Readonly<Record<string, 'string' | 'number' | 'boolean'>> = {
  method: 'string',
  os: 'string',
  media: 'string',
  url: 'string',
  extraArgs: 'string',
  mediaPool: 'string',
  importVolume: 'string',
  importMode: 'string',
  cloudImage: 'string',
  cloudDiskMode: 'string',
  memory: 'number',
  vcpus: 'number',
  diskMode: 'string',
  diskPool: 'string',
  diskSizeGiB: 'number',
  diskFormat: 'string',
  network: 'string',
  netBridge: 'string',
  netDev: 'string',
  netMode: 'string',
  cpuMode: 'string',
  cpuModel: 'string',
  cpuTopology: 'boolean',
  cpuSockets: 'number',
  cpuCores: 'number',
  cpuThreads: 'number',
  isoPath: 'string',
  diskVolume: 'string',
  ciDetachSeed: 'boolean',
  firmware: 'string',
  tpm: 'boolean',
  ciUser: 'string',
  ciKeys: 'string',
  ciUserData: 'string',
  ciNetwork: 'string',
  ciGateway: 'string',
  ciDns: 'string',
  ciPackages: 'string',
  ciCommands: 'string',
  start: 'boolean',
};

/**
 * Device kinds a template carries as XML: hardware the wizard does not make and that names nothing
 * of one host (no disk, NIC, host device, host directory). Their addresses and aliases are dropped.
 */
// Not <audio>: libvirt adds the host's default audio backend for a sound device itself, and a
// backend names host things (a PulseAudio server, a file).
export const TEMPLATE_DEVICE_ELEMENTS = ['sound', 'watchdog', 'redirdev', 'smartcard', 'panic', 'vsock', 'iommu'] as const;

export interface VmTemplate {
  /** The name users see and pick ("Linux server (cloud image)"). */
  readonly name: string;
  readonly description?: string;
  /** Shipped with the extension (not a file; cannot be deleted, can be exported). */
  readonly builtIn?: boolean;
  readonly values: Readonly<Record<string, FormValue>>;
  /** Extra devices (libvirt domain XML elements of TEMPLATE_DEVICE_ELEMENTS). */
  readonly devices: readonly string[];
}

export class TemplateError extends Error {
  constructor(
    message: string,
    /** 1-based line in the template's file, when known. */
    readonly line?: number,
  ) {
    super(line !== undefined ? `${message} (line ${line})` : message);
    this.name = 'TemplateError';
  }

  static is(e: unknown): e is TemplateError {
    return e instanceof TemplateError;
  }
}

/** The built-in templates the issue names: a cloud-init Linux server, a Windows 11 desktop, a PXE client. */
export const BUILT_IN_TEMPLATES: readonly VmTemplate[] = [
  {
    name: 'Linux server (cloud image)',
    description: 'A cloud image on a new copy-on-write disk, set up by cloud-init: 2 vCPUs, 2 GiB, 20 GiB, UEFI, virtio.',
    builtIn: true,
    values: { method: 'cloud', os: 'generic-linux', memory: 2048, vcpus: 2, diskMode: 'new', diskSizeGiB: 20, firmware: 'efi', tpm: false, ciUser: 'admin', start: true },
    devices: [],
  },
  {
    name: 'Windows 11 desktop',
    description: 'Windows 11 from its ISO: UEFI with Secure Boot, TPM 2.0, Q35, Hyper-V enlightenments (with KVM), 4 GiB, 64 GiB, sound.',
    builtIn: true,
    values: { method: 'iso', os: 'http://microsoft.com/win/11', memory: 4096, vcpus: 2, diskMode: 'new', diskSizeGiB: 64, diskFormat: 'qcow2', firmware: 'efi-secure', tpm: true, start: true },
    devices: ["<sound model='ich9'/>"],
  },
  {
    name: 'PXE client',
    description: 'Boots from the network (PXE) into whatever the network serves, with a new 20 GiB disk to install onto.',
    builtIn: true,
    values: { method: 'pxe', os: 'generic-linux', memory: 2048, vcpus: 2, diskMode: 'new', diskSizeGiB: 20, diskFormat: 'qcow2', firmware: 'bios', tpm: false, start: true },
    devices: [],
  },
];

/** A file name for a template's name ("Linux server" → "linux-server.vmtemplate.yaml"). */
export function templateFileName(name: string): string {
  const slug = name.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase().slice(0, 64) || 'template';
  return `${slug}${TEMPLATE_FILE_SUFFIX}`;
}

const SECRET_KEYS = new Set(['password', 'passwd', 'hashed_passwd', 'plain_text_passwd', 'chpasswd']);

/** Removes password keys (at any depth) from raw cloud-config; says what it removed. */
export function withoutSecrets(userData: string): { text: string; removed: string[] } {
  if (userData.trim() === '') return { text: userData, removed: [] };
  const Y = yaml();
  const doc = Y.parseDocument(userData);
  if (doc.errors.length > 0) return { text: '', removed: ['the cloud-config (it is not valid YAML, so it could not be checked for passwords)'] };
  const removed: string[] = [];
  Y.visit(doc, {
    Pair(_k, pair) {
      const key = Y.isScalar(pair.key) ? String(pair.key.value) : '';
      if (SECRET_KEYS.has(key)) {
        removed.push(`cloud-config key '${key}'`);
        return Y.visit.REMOVE;
      }
      return undefined;
    },
  });
  return { text: removed.length > 0 ? doc.toString() : userData, removed };
}

/** A device element cut loose from its VM: no address, no alias (the new VM gets its own). */
export function portableDevice(xml: string): string {
  const doc = XmlDocument.parse(xml);
  for (const name of ['address', 'alias']) {
    for (const el of doc.root.elements(name)) doc.removeElement(el);
  }
  // An element left with only white space inside is written empty: <sound model='ich9'/>.
  return doc
    .toString()
    .trim()
    .replace(/^<([\w-]+)([^>]*?)>\s*<\/\1>$/, '<$1$2/>');
}

function checkDevice(xml: string, line?: number): string {
  let root;
  try {
    root = XmlDocument.parse(xml).root;
  } catch (e) {
    throw new TemplateError(`A device is not well-formed XML: ${e instanceof Error ? e.message : String(e)}`, line);
  }
  if (!(TEMPLATE_DEVICE_ELEMENTS as readonly string[]).includes(root.name)) throw new TemplateError(`A template's devices may be ${TEMPLATE_DEVICE_ELEMENTS.join(', ')}; not <${root.name}>`, line);
  return xml.trim();
}

/** Checks a template's answers: known fields of the right type; throws TemplateError. */
function checkValues(values: Record<string, unknown>, lineOf: (key: string) => number | undefined): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === 'ciPassword') throw new TemplateError('A template never holds a password (ciPassword): remove it; the wizard asks for it', lineOf(k));
    const type = TEMPLATE_FIELDS[k];
    if (!type) throw new TemplateError(`Unknown wizard answer '${k}' (known: ${Object.keys(TEMPLATE_FIELDS).join(', ')})`, lineOf(k));
    if (v === null || v === undefined) continue;
    if (typeof v !== type) throw new TemplateError(`'${k}' must be a ${type}, not ${JSON.stringify(v)}`, lineOf(k));
    if (typeof v === 'string' && v.length > 65536) throw new TemplateError(`'${k}' is too long`, lineOf(k));
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TemplateError(`'${k}' must be a finite number`, lineOf(k));
    out[k] = v as FormValue;
  }
  if (out['method'] !== undefined && !(METHODS as readonly string[]).includes(String(out['method']))) throw new TemplateError(`'method' must be one of ${METHODS.join(', ')}`, lineOf('method'));
  return out;
}

/** Reads a template file (YAML); throws TemplateError with the line of the problem. */
export function parseTemplate(text: string): VmTemplate {
  const Y = yaml();
  const doc = Y.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TemplateError(`Not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`, e.linePos?.[0]?.line);
  }
  const lineOfNode = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? text.slice(0, range[0]).split('\n').length : undefined;
  };
  const js = doc.toJS() as unknown;
  if (js === null || typeof js !== 'object' || Array.isArray(js)) throw new TemplateError('A template is a YAML mapping (kind:, name:, wizard:, devices:)', 1);
  const o = js as Record<string, unknown>;
  const lineOf = (...path: string[]): number | undefined => lineOfNode(doc.getIn(path, true));
  if (o['kind'] !== TEMPLATE_KIND) throw new TemplateError(`Not a VM template: 'kind' must be '${TEMPLATE_KIND}'`, lineOf('kind') ?? 1);
  if (o['version'] !== TEMPLATE_VERSION) throw new TemplateError(`Unsupported template version ${JSON.stringify(o['version'])} (this extension reads version ${TEMPLATE_VERSION})`, lineOf('version'));
  const name = o['name'];
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) throw new TemplateError("'name' must be a non-empty text of at most 200 characters", lineOf('name'));
  const description = o['description'];
  if (description !== undefined && typeof description !== 'string') throw new TemplateError("'description' must be text", lineOf('description'));
  const wizard = o['wizard'] ?? {};
  if (typeof wizard !== 'object' || wizard === null || Array.isArray(wizard)) throw new TemplateError("'wizard' must be a mapping of the wizard's answers", lineOf('wizard'));
  const values = checkValues(wizard as Record<string, unknown>, (k) => lineOf('wizard', k));
  const devicesRaw = o['devices'] ?? [];
  if (!Array.isArray(devicesRaw)) throw new TemplateError("'devices' must be a list of device XML elements", lineOf('devices'));
  const devices = devicesRaw.map((d, i) => {
    if (typeof d !== 'string') throw new TemplateError('Each device is one XML element as text', lineOf('devices', String(i)));
    return checkDevice(d, lineOf('devices', String(i)));
  });
  const known = new Set(['kind', 'version', 'name', 'description', 'wizard', 'devices']);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra) throw new TemplateError(`Unknown key '${extra}'`, lineOf(extra));
  return { name: name.trim(), ...(typeof description === 'string' && description.trim() !== '' ? { description: description.trim() } : {}), values, devices };
}

/** A template's file text (YAML). Throws TemplateError when the template holds something it must not. */
export function stringifyTemplate(t: VmTemplate): string {
  const values = checkValues({ ...t.values }, () => undefined);
  const devices = t.devices.map((d) => checkDevice(d));
  const body: Record<string, unknown> = { kind: TEMPLATE_KIND, version: TEMPLATE_VERSION, name: t.name };
  if (t.description) body['description'] = t.description;
  body['wizard'] = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  if (devices.length > 0) body['devices'] = devices;
  return `# A New VM template of the libvirt-vms VS Code extension (New VM from Template).\n# No secrets: the wizard asks for passwords when a VM is made from it.\n${yaml().stringify(body, { lineWidth: 0 })}`;
}

const GiB = 1024 ** 3;

export interface TemplateSource {
  /** The VM's inactive definition (with VIR_DOMAIN_XML_SECURE left out, so no secrets are read). */
  readonly xml: string;
  /** The capacity of its system disk, when it has one in a pool. */
  readonly diskCapacityBytes?: number;
  /** The system disk's pool (the disk of a VM made from the template goes there too). */
  readonly diskPool?: string;
  /** A copy of the system disk made for the template: new VMs start from it (copy-on-write). */
  readonly baseVolume?: { readonly pool: string; readonly volume: string };
}

/**
 * A template from a VM's definition: its OS, memory, vCPUs, firmware, TPM, network, disk size
 * and format as wizard answers, its portable extra hardware as devices; with a base volume, the
 * template imports a copy-on-write disk of it. Returns notes on what was left out.
 */
export function templateFromDomain(src: TemplateSource, name: string, description?: string): { template: VmTemplate; notes: string[] } {
  const dom = DomainXml.parse(src.xml);
  const notes: string[] = [];
  const values: Record<string, FormValue> = {};
  const os = dom.osinfoId;
  values['os'] = os ?? 'generic-linux';
  if (!os) notes.push('The VM names no OS (libosinfo metadata): the template says Generic Linux.');
  const memKiB = dom.memoryKiB;
  if (memKiB !== undefined && memKiB > 0) values['memory'] = Math.round(memKiB / 1024);
  const vcpus = dom.get('vcpus');
  if (vcpus !== undefined && vcpus > 0) values['vcpus'] = vcpus;
  const firmware = dom.get('firmware');
  const secure = dom.element.find(['os', 'loader'])?.attr('secure') === 'yes' || dom.element.find(['os', 'firmware'])?.elements('feature').some((f) => f.attr('name') === 'secure-boot' && f.attr('enabled') === 'yes');
  values['firmware'] = firmware === 'efi' || dom.element.find(['os', 'loader']) ? (secure ? 'efi-secure' : 'efi') : 'bios';
  values['tpm'] = dom.devicesOf('tpm').length > 0;
  const nic = dom.devicesOf('interface')[0];
  if (!nic) values['network'] = 'none';
  else if (nic.get('type') === 'network' && nic.get('sourceNetwork')) values['network'] = `network:${String(nic.get('sourceNetwork'))}`;
  else notes.push(`The VM's network card is of type '${String(nic.get('type') ?? '?')}': the wizard's network is chosen when a VM is made.`);
  const disks = dom.devicesOf('disk').filter((d) => (d.get('device') ?? 'disk') === 'disk');
  const first = disks[0];
  if (src.baseVolume) {
    values['method'] = 'import';
    values['importVolume'] = `${src.baseVolume.pool}/${src.baseVolume.volume}`;
    values['importMode'] = 'overlay';
  } else {
    values['method'] = 'iso';
    if (first) {
      values['diskMode'] = 'new';
      if (src.diskCapacityBytes) values['diskSizeGiB'] = Math.max(1, Math.ceil(src.diskCapacityBytes / GiB));
      const fmt = first.get('driverType');
      if (fmt === 'raw' || fmt === 'qcow2') values['diskFormat'] = fmt;
      if (src.diskPool) values['diskPool'] = src.diskPool;
    } else values['diskMode'] = 'none';
  }
  if (disks.length > 1) notes.push(`Only the first of the VM's ${disks.length} disks is described: add the others in the details after creating.`);
  const devices: string[] = [];
  for (const d of dom.devices()) {
    const el = d.element;
    if (!(TEMPLATE_DEVICE_ELEMENTS as readonly string[]).includes(el.name)) continue;
    devices.push(portableDevice(dom.doc.source(el)));
  }
  for (const kind of ['hostdev', 'filesystem', 'shmem']) {
    const n = dom.element.find(['devices'])?.elements(kind).length ?? 0;
    if (n > 0) notes.push(`${n} ${kind} device${n === 1 ? '' : 's'} left out: ${kind === 'hostdev' ? 'host devices' : 'host directories and shared memory'} belong to one host.`);
  }
  return { template: { name, ...(description ? { description } : {}), values, devices }, notes };
}

const volumeKeys = ['media', 'importVolume', 'cloudImage', 'diskVolume'] as const;

/**
 * The wizard's values for a template on one host: the wizard's own initial values, with the
 * template's answers over them; answers that name something this host lacks (a volume, a pool, a
 * network, UEFI, swtpm) are dropped with a note, so the wizard asks for them.
 */
export function templateValues(facts: NewVmFacts, initial: Readonly<Record<string, FormValue>>, t: VmTemplate): { values: Record<string, FormValue>; answered: string[]; notes: string[] } {
  const values: Record<string, FormValue> = { ...initial };
  const answered: string[] = [];
  const notes: string[] = [];
  const drop = (_key: string, why: string): void => void notes.push(why);
  for (const [k, v] of Object.entries(t.values)) {
    if (v === undefined) continue;
    if ((volumeKeys as readonly string[]).includes(k) && !(k === 'media' && v === 'path')) {
      const s = String(v);
      const i = s.indexOf('/');
      if (!facts.volumes.some((x) => x.pool === s.slice(0, i) && x.name === s.slice(i + 1))) {
        drop(k, `This host has no volume ${s}: choose one.`);
        continue;
      }
    }
    if ((k === 'diskPool' || k === 'mediaPool') && !facts.pools.some((p) => p.name === v && p.active)) {
      drop(k, `This host has no active pool ${String(v)}: the first active pool is used.`);
      continue;
    }
    if (k === 'network' && v !== 'none' && v !== 'bridge' && v !== 'direct' && !facts.networks.some((n) => `network:${n.name}` === v)) {
      drop(k, `This host has no network ${String(v).replace(/^network:/, '')}: the default is used.`);
      continue;
    }
    if (k === 'cpuMode' && facts.cpuModes && facts.cpuModes.length > 0 && !facts.cpuModes.some((o) => o.value === v)) {
      drop(k, `This host does not offer the ${String(v)} CPU mode: the default is used.`);
      continue;
    }
    if (k === 'firmware' && v !== 'bios' && !facts.uefi) {
      drop(k, 'This host has no UEFI firmware (OVMF): BIOS is used.');
      continue;
    }
    if (k === 'firmware' && v === 'efi-secure' && !facts.secureBoot) {
      values[k] = 'efi';
      answered.push(k);
      notes.push('This host has no Secure Boot firmware: UEFI without Secure Boot is used.');
      continue;
    }
    if (k === 'tpm' && v === true && !facts.tpm) {
      drop(k, 'This host has no TPM emulator (swtpm): no TPM.');
      continue;
    }
    if (k === 'os' && typeof v === 'string' && !FALLBACK_OS.some((o) => o.value === v) && facts.osOptions && !facts.osOptions.some((o) => o.value === v)) {
      notes.push(`osinfo-db on this host does not list ${v}; it is kept as the OS id.`);
    }
    values[k] = v;
    answered.push(k);
  }
  return { values, answered, notes };
}

/** The template a VM was made from, as its metadata records it (`<vmm:template name=…/>`). */
export function templateOfDomain(dom: DomainXml): string | undefined {
  return dom.appMetadata?.elements().find((e) => e.localName === 'template')?.attr('name');
}
