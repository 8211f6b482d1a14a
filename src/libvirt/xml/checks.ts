// The one checker of domain XML beyond the schema: the cross-field checks of every section and
// device description, plus the checks that span devices (duplicate targets and boot orders,
// host devices and disk sources that do not exist). What libvirt accepts but runs worse (or an
// installer refuses, as Windows 11 without TPM and UEFI) is a hint (src/forms/hints.ts), a
// lower channel of the same diagnostic shape that reuses fixBy and fieldRange from here. Each problem carries a
// text range (for the XML editor) and a target { section, field } (for the details form), and
// where the fix is clear, the fix as text edits.

import { allocateDiskTarget, controllerIndexes, diskIndex, machineIsI440fx, machineIsQ35, PCI_ADDR_RE } from './allocate';
import { parseCpuset } from './kinds/cpuTuning';
import { defaultMachineType, machineTypes, type DomainCapabilities, type HostCapabilities } from './capabilities';
import type { DiskBus } from './kinds/disk';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { DomainXml, toKiB } from './domainXml';
import { isField, readValues } from './kinds/access';
import { readPciSource } from './kinds/pciSource';
import { DOMAIN_SECTIONS } from './kinds/domain';
import { describedDevices, findDevice } from './kinds/registry';
import type { CheckResult, FieldDescription } from './kinds/types';
import { TextRange, XmlDocument, XmlElement } from './xmlDocument';

export interface DiskSourceRef {
  type: string;
  file?: string;
  dev?: string;
  pool?: string;
  volume?: string;
}

export interface CheckContext {
  /** Host PCI addresses like 0000:01:00.0 (from the node device list); undefined: not checked. */
  hostPciAddresses?: readonly string[];
  /** Host USB devices (vendor/product ids like 0x046d, and/or bus/device numbers). */
  hostUsbDevices?: readonly { vendor?: string; product?: string; bus?: number; device?: number }[];
  /** Whether a disk's source exists in its storage pool; undefined result: unknown (no diagnostic). */
  diskSourceExists?: (src: DiskSourceRef) => boolean | undefined;
  /**
   * The host's capabilities (virConnectGetCapabilities): its emulators with the architectures,
   * virtualization types and machine types each runs; undefined: not checked.
   */
  hostCapabilities?: HostCapabilities;
  /**
   * The host's domain capabilities (virConnectGetDomainCapabilities) for this document's emulator,
   * arch, machine and type: what that QEMU binary offers; undefined: not checked. Ignored when they
   * describe another arch or emulator than the document's.
   */
  domainCapabilities?: DomainCapabilities;
}

/** A diagnostic placed both in the text and on a form: section id (overview, disk:vda…) and field id. */
export interface Problem extends Diagnostic {
  readonly target: { readonly section: string; readonly field?: string };
}

/** The element of a section in a domain: the root, or a device found by identity. */
function sectionElement(dom: DomainXml, section: string): XmlElement | undefined {
  return DOMAIN_SECTIONS.some((s) => s.id === section) ? dom.element : findDevice(dom, section)?.element;
}

/** The text range of a field: its attribute, its element, or the section's start tag. */
export function fieldRange(doc: XmlDocument, el: XmlElement, f: FieldDescription | undefined): TextRange {
  const path = f ? (isField(f.xml) ? f.xml.path : f.xml.at) : undefined;
  if (f && path) {
    const target = el.find(path);
    const attr = isField(f.xml) ? f.xml.attr : undefined;
    if (target) return (attr !== undefined ? doc.attributeRange(target, attr) : undefined) ?? doc.startTagRange(target);
    // The deepest existing ancestor of the field's location.
    for (let i = path.length - 1; i > 0; i--) {
      const up = el.find(path.slice(0, i));
      if (up) return doc.startTagRange(up);
    }
  }
  return doc.startTagRange(el);
}

/** Applies `edit` to a copy of the domain (the section's element found by identity) and returns the change as a fix. */
export function fixBy(dom: DomainXml, section: string, title: string, edit: (d: DomainXml, el: XmlElement) => void): Diagnostic['fix'] {
  const copy = DomainXml.parse(dom.doc.text);
  const el = sectionElement(copy, section);
  if (!el) return undefined;
  try {
    edit(copy, el);
  } catch {
    // The document holds values the fix cannot work from (e.g. a negative memory size): the
    // problem is still reported, without a fix.
    return undefined;
  }
  return fixFromTexts(dom.doc, copy.toString(), title);
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

export function checkDomain(dom: DomainXml, ctx: CheckContext = {}): Problem[] {
  const doc = dom.doc;
  const out: Problem[] = [];
  const fromCheck = (section: string, el: XmlElement, fields: readonly FieldDescription[], r: CheckResult): void => {
    const fix = r.fix ? fixBy(dom, section, r.fix.title, r.fix.edit) : undefined;
    out.push({ severity: r.severity ?? 'error', message: r.message, code: r.code, range: fieldRange(doc, el, fields.find((f) => f.id === r.field)), target: { section, field: r.field }, ...(fix ? { fix } : {}) });
  };
  const place = (section: string, field: string | undefined, code: string, message: string, range: TextRange, fix?: Diagnostic['fix'], severity: Diagnostic['severity'] = 'error'): void => {
    out.push({ severity, message, range, code, target: { section, ...(field !== undefined ? { field } : {}) }, ...(fix ? { fix } : {}) });
  };

  // The descriptions' own checks.
  for (const s of DOMAIN_SECTIONS) for (const r of s.check?.(readValues(s.fields, dom, dom.element), dom.element, dom) ?? []) fromCheck(s.id, dom.element, s.fields, r);
  const devices = describedDevices(dom);
  for (const d of devices) for (const r of d.description.check?.(d.values, d.element, dom) ?? []) fromCheck(d.id, d.element, d.description.fields, r);

  // Duplicate disk targets.
  const targets = new Set<string>();
  for (const d of devices.filter((x) => x.description.kind === 'disk')) {
    const name = d.values.target;
    const tEl = d.element.child('target');
    if (typeof name !== 'string' || !tEl) continue;
    if (targets.has(name)) {
      const bus = (d.values.bus ?? 'virtio') as DiskBus;
      place(d.id, 'target', 'duplicate-target', `Disk target '${name}' is already used by another disk`, doc.attributeRange(tEl, 'dev') ?? doc.startTagRange(tEl), fixBy(dom, d.id, 'Use a free target name', (x, el) => x.doc.setAttribute(el.child('target')!, 'dev', allocateDiskTarget(x, bus))));
    } else targets.add(name);
  }

  // Boot order: unique per device, not mixed with <os><boot dev>.
  const boots = devices.map((d) => ({ d, b: d.element.child('boot') })).filter((x): x is { d: (typeof devices)[number]; b: XmlElement } => x.b?.attr('order') !== undefined);
  const orders = new Set<string>();
  let nextOrder = Math.max(0, ...boots.map((x) => Number(x.b.attr('order')) || 0));
  for (const { d, b } of boots) {
    const o = b.attr('order')!;
    if (orders.has(o)) {
      const n = ++nextOrder;
      place('boot', 'bootOrder', 'duplicate-boot-order', `Boot order ${o} is used by more than one device`, doc.attributeRange(b, 'order') ?? doc.startTagRange(b), fixBy(dom, d.id, `Use boot order ${n}`, (x, el) => x.doc.setAttribute(el.child('boot')!, 'order', String(n))));
    } else orders.add(o);
  }
  if (boots.length > 0) {
    for (const b of dom.element.find(['os'])?.elements('boot') ?? []) {
      place('boot', 'bootOrder', 'boot-order-mixed', 'Per-device boot order cannot be combined with <os><boot dev=.../>', doc.startTagRange(b), fixBy(dom, 'boot', 'Remove <os><boot>', (x) => (x.bootDevices = [])));
    }
  }

  // Host devices that are not on this host.
  for (const h of devices.filter((d) => d.description.kind === 'hostdev')) {
    const srcAddr = h.element.find(['source', 'address']);
    const remove = fixBy(dom, h.id, 'Remove the device', (x, el) => x.doc.removeElement(el));
    if (h.values.type === 'pci' && ctx.hostPciAddresses && srcAddr) {
      const addr = readPciSource(srcAddr) ?? '';
      if (!ctx.hostPciAddresses.some((a) => PCI_ADDR_RE.test(a) && a.toLowerCase() === addr)) place(h.id, 'pciAddress', 'hostdev-missing', `PCI device ${addr} does not exist on this host`, doc.startTagRange(srcAddr), remove, 'warning');
    }
    if (h.values.type === 'usb' && ctx.hostUsbDevices) {
      const v = h.values.vendorId as string | undefined;
      const pr = h.values.productId as string | undefined;
      const bus = srcAddr ? num(srcAddr.attr('bus')) : undefined;
      const dev = srcAddr ? num(srcAddr.attr('device')) : undefined;
      const found = ctx.hostUsbDevices.some(
        (u) => (v === undefined || (u.vendor !== undefined && Number(u.vendor) === Number(v))) && (pr === undefined || (u.product !== undefined && Number(u.product) === Number(pr))) && (bus === undefined || u.bus === bus) && (dev === undefined || u.device === dev),
      );
      if (!found) place(h.id, 'vendorId', 'hostdev-missing', `USB device ${v ?? ''}:${pr ?? ''} is not attached to this host`, doc.startTagRange(h.element.child('source') ?? h.element), remove, 'warning');
    }
  }

  const machine = machineOf(dom, ctx.hostCapabilities);
  defineRules(dom, devices, machine, place);
  if (ctx.hostCapabilities) emulatorRules(dom, ctx.hostCapabilities, machine, place);
  if (ctx.domainCapabilities) featureRules(dom, devices, ctx.domainCapabilities, place);

  // Disk sources that do not exist.
  if (ctx.diskSourceExists) {
    for (const d of devices.filter((x) => x.description.kind === 'disk')) {
      const src = d.element.child('source');
      if (!src) continue;
      const ref: DiskSourceRef = { type: String(d.values.type ?? 'file'), file: src.attr('file'), dev: src.attr('dev'), pool: src.attr('pool'), volume: src.attr('volume') };
      if (ref.file === undefined && ref.dev === undefined && ref.volume === undefined) continue;
      if (ctx.diskSourceExists(ref) === false) {
        const what = ref.volume !== undefined ? `Volume '${ref.volume}' is not in pool '${ref.pool ?? ''}'` : `Disk source '${ref.file ?? ref.dev}' does not exist`;
        const attr = ref.volume !== undefined ? 'volume' : ref.file !== undefined ? 'file' : 'dev';
        const field = ref.volume !== undefined ? 'sourceVolume' : ref.file !== undefined ? 'sourceFile' : 'sourceDev';
        place(d.id, field, 'disk-source-missing', what, doc.attributeRange(src, attr) ?? doc.startTagRange(src), undefined, d.values.device === 'cdrom' ? 'warning' : 'error');
      }
    }
  }
  return out;
}

/** The machine type the checks go by: the document's, or the one libvirt will give it. */
interface Machine {
  /** '' when the document names none and the host's capabilities are unknown. */
  readonly name: string;
  /** The document names none: `name` is the host's default for the guest. */
  readonly assumed: boolean;
  /** The machine type as the messages name it. */
  readonly text: string;
}

/**
 * The document's machine type or, when it names none, the one libvirt gives it at define time:
 * the emulator's default for the architecture (the host's own when the document names none) and
 * virtualization type, from the host's capabilities. Without it a definition without a machine
 * type would escape the chipset's rules that libvirt then applies to pc-i440fx (or q35, or virt).
 */
function machineOf(dom: DomainXml, caps: HostCapabilities | undefined): Machine {
  const named = dom.get('machine');
  if (named) return { name: named, assumed: false, text: `'${named}'` };
  const type = dom.element.attr('type') ?? '';
  const arch = dom.get('arch') ?? caps?.hostArch;
  const assumed = caps && arch && QEMU_VIRT_TYPES.includes(type) && (dom.get('osType') ?? 'hvm') === 'hvm' ? defaultMachineType(caps, arch, type) : undefined;
  return assumed ? { name: assumed, assumed: true, text: `'${assumed}' (the host's default: the definition names none)` } : { name: '', assumed: false, text: "''" };
}

/**
 * The architectures a QEMU binary runs besides its own (libvirt src/qemu/qemu_capabilities.c
 * virQEMUCapsIsArchSupported): a 64-bit x86 binary also runs 32-bit guests, and so on.
 */
const ALSO_RUNS: Readonly<Record<string, string>> = { x86_64: 'i686', aarch64: 'armv7l', armv7l: 'armv6l', ppc64: 'ppc64le' };

/**
 * Confidential-guest features libvirt refuses at define when the QEMU binary lacks them, by the
 * domain capabilities' <features> entry that reports the same QEMU capability (libvirt
 * qemu_validate.c; the capability is cleared when QEMU cannot query the host's support, which is
 * what <sev supported='no'/> and <sgx supported='no'/> report). Probed on libvirt 9.0 without
 * SEV and SGX: "SEV launch security is not supported with this QEMU binary", "sgx epc isn't
 * supported by this QEMU binary". A feature the domain capabilities do not list is not checked.
 */
const LAUNCH_SECURITY_FEATURES: Readonly<Record<string, { feature: string; name: string }>> = {
  sev: { feature: 'sev', name: 'AMD SEV' },
  's390-pv': { feature: 's390-pv', name: 'IBM Secure Execution (s390-pv)' },
};

function featureRules(dom: DomainXml, devices: ReturnType<typeof describedDevices>, caps: DomainCapabilities, place: Place): void {
  const doc = dom.doc;
  const arch = dom.get('arch');
  const emulator = dom.get('emulator')?.trim() ?? '';
  // Capabilities of another binary say nothing about this document's.
  if ((arch !== undefined && caps.arch !== undefined && arch !== caps.arch) || (emulator !== '' && caps.path !== undefined && emulator !== caps.path)) return;
  const binary = caps.path ?? 'this host\'s QEMU';
  const ls = dom.element.child('launchSecurity');
  const type = ls?.attr('type');
  const want = type !== undefined ? LAUNCH_SECURITY_FEATURES[type] : undefined;
  if (ls && want && caps.features[want.feature] === false) {
    place('overview', undefined, 'launch-security-unsupported', `${binary} cannot run ${want.name} guests on this host (its domain capabilities report <${want.feature} supported='no'/>); libvirt refuses the definition`, doc.attributeRange(ls, 'type') ?? doc.startTagRange(ls));
  }
  if (caps.features.sgx === false) {
    for (const d of devices.filter((x) => x.element.name === 'memory' && x.element.attr('model') === 'sgx-epc')) {
      place(d.id, undefined, 'sgx-unsupported', `${binary} cannot give guests SGX enclave memory on this host (its domain capabilities report <sgx supported='no'/>); libvirt refuses the definition`, doc.attributeRange(d.element, 'model') ?? doc.startTagRange(d.element));
    }
  }
}

/** The virtualization types a QEMU binary can offer (virQEMUCapsIsVirtTypeSupported). */
const QEMU_VIRT_TYPES = ['qemu', 'kvm', 'hvf'];

/**
 * What libvirt's QEMU driver checks against the emulator when it defines a domain, from the host's
 * capabilities: that the emulator (the one named, or the host's for the architecture) runs the
 * architecture, offers the virtualization type (no 'kvm' without KVM) and knows the machine type,
 * and that the vCPUs stay within the machine type's limit (libvirt src/qemu/qemu_conf.c
 * virQEMUDriverGetDomainCapabilities, qemu_validate.c). Only for hosts whose guests QEMU runs; an
 * emulator the capabilities do not list is not checked (libvirt probes it, we cannot).
 */
function emulatorRules(dom: DomainXml, caps: HostCapabilities, eff: Machine, place: Place): void {
  const doc = dom.doc;
  const hvm = caps.guests.filter((g) => g.osType === 'hvm' && g.domains.some((d) => QEMU_VIRT_TYPES.includes(d.type)));
  const arch = dom.get('arch');
  const typeEl = dom.element.find(['os', 'type']);
  if (hvm.length === 0 || !arch || !typeEl || (dom.get('osType') ?? 'hvm') !== 'hvm') return;
  const emulatorEl = dom.element.find(['devices', 'emulator']);
  const named = emulatorEl ? doc.textContent(emulatorEl).trim() : '';
  const overview = (field: string, code: string, message: string, range: TextRange, fix?: Diagnostic['fix']): void => place('overview', field, code, message, range, fix);
  const archRange = doc.attributeRange(typeEl, 'arch') ?? doc.startTagRange(typeEl);
  let binary = named;
  if (binary === '') {
    const g = hvm.find((x) => x.arch === arch);
    if (!g?.emulator) {
      overview('arch', 'host-arch', `This host has no emulator for arch '${arch}' (it runs ${[...new Set(hvm.map((x) => x.arch))].join(', ')})`, archRange);
      return;
    }
    binary = g.emulator;
  }
  // The guests this binary runs, each with the virtualization types it offers there.
  const runs = hvm
    .map((g) => ({ g, types: g.domains.filter((d) => (d.emulator ?? g.emulator) === binary).map((d) => d.type) }))
    .filter((x) => x.types.length > 0);
  if (runs.length === 0) {
    // Another binary may exist (a build of one's own), but libvirt refuses the definition if not.
    const known = [...new Set(hvm.flatMap((g) => [g.emulator, ...g.domains.map((d) => d.emulator)]).filter((e): e is string => e !== undefined))];
    if (emulatorEl && known.length > 0) place('overview', undefined, 'emulator-unknown', `The host's capabilities list no emulator ${binary} (they list ${known.join(', ')}); libvirt refuses the definition if that file does not exist`, doc.nodeRange(emulatorEl), undefined, 'warning');
    return;
  }
  const arches = new Set(runs.flatMap((x) => [x.g.arch, ALSO_RUNS[x.g.arch] ?? x.g.arch]));
  if (!arches.has(arch)) {
    overview('arch', 'emulator-arch', `The emulator ${binary} does not run arch '${arch}' (it runs ${[...arches].join(', ')})`, archRange);
    return;
  }
  const type = dom.element.attr('type') ?? '';
  const types = [...new Set(runs.flatMap((x) => x.types))];
  if (!types.includes(type)) {
    const fix = type === 'kvm' && types.includes('qemu') ? fixBy(dom, 'overview', "Use type='qemu' (emulation without KVM)", (x) => x.doc.setAttribute(x.element, 'type', 'qemu')) : undefined;
    const why = type === 'kvm' ? ' (KVM is not available on this host)' : '';
    overview('type', 'emulator-virt-type', `The emulator ${binary} does not offer virt type '${type}'${why}; it offers ${types.map((t) => `'${t}'`).join(', ')}`, doc.attributeRange(dom.element, 'type') ?? doc.startTagRange(dom.element), fix);
    return;
  }
  const machine = eff.name;
  if (!machine) return;
  const own = runs.find((x) => x.g.arch === arch) ?? runs[0]!;
  const m = machineTypes(caps, own.g.arch, type).find((x) => x.name === machine);
  const machineRange = doc.attributeRange(typeEl, 'machine') ?? doc.startTagRange(typeEl);
  if (!m) {
    // The arch-level list is the one of the host's best accelerator (KVM where there is one); QEMU
    // registers its machine types whatever the accelerator, so it serves a 'qemu' guest there too
    // (libvirt refuses pc-1.2 for both on a KVM host with QEMU 7.2).
    if (!eff.assumed) overview('machine', 'emulator-machine', `The emulator ${binary} has no machine type '${machine}'`, machineRange);
    return;
  }
  const vcpus = dom.get('vcpus');
  if (typeof vcpus === 'number' && m.maxCpus !== undefined && m.maxCpus > 0 && vcpus > m.maxCpus) {
    const limit = m.maxCpus;
    const vcpuEl = dom.element.child('vcpu');
    place('cpus', 'vcpus', 'machine-max-cpus', `Machine type ${eff.text} takes at most ${limit} vCPUs (this VM has ${vcpus})`, vcpuEl ? doc.startTagRange(vcpuEl) : machineRange, fixBy(dom, 'cpus', `Use ${limit} vCPUs`, (x) => {
      const v = x.element.child('vcpu')!;
      x.doc.setTextContent(v, String(limit));
      const current = Number(v.attr('current'));
      if (Number.isFinite(current) && current > limit) x.doc.setAttribute(v, 'current', String(limit));
    }));
  }
}

/**
 * How libvirt plugs a device into PCI on q35 (libvirt qemu_domain_address.c,
 * qemuDomainDeviceCalculatePCIConnectFlags), for the devices whose kind was probed on libvirt 9.0:
 * 'pcie' for the non-transitional virtio devices, the xHCI USB controllers, e1000e and bochs
 * video; 'pci' for conventional devices (e1000, rtl8139, qxl, the HDA and AC97 sound cards, the
 * UHCI USB and LSI SCSI controllers, transitional virtio); undefined: not known here.
 */
function pciConnectOnQ35(el: XmlElement): 'pcie' | 'pci' | undefined {
  const model = el.attr('model');
  const modelType = el.child('model')?.attr('type');
  if (model === 'virtio-transitional' || modelType === 'virtio-transitional') return 'pci';
  const virtio = (m: string | undefined): boolean => m === 'virtio' || m === 'virtio-non-transitional';
  switch (el.name) {
    case 'memballoon':
    case 'rng':
      return virtio(model) ? 'pcie' : undefined;
    case 'interface':
      return virtio(modelType) || modelType === 'e1000e' ? 'pcie' : modelType === 'e1000' || modelType === 'rtl8139' ? 'pci' : undefined;
    case 'disk':
      return el.child('target')?.attr('bus') === 'virtio' ? 'pcie' : undefined;
    case 'controller': {
      const type = el.attr('type');
      if ((type === 'virtio-serial' && model === undefined) || virtio(model) || (type === 'scsi' && model === 'virtio-scsi') || (type === 'usb' && (model === 'qemu-xhci' || model === 'nec-xhci'))) return 'pcie';
      return (type === 'usb' && model === 'piix3-uhci') || (type === 'scsi' && model === 'lsilogic') ? 'pci' : undefined;
    }
    case 'video':
      return modelType === 'virtio' || modelType === 'bochs' ? 'pcie' : modelType === 'qxl' ? 'pci' : undefined;
    case 'sound':
      return ['ich6', 'ich9', 'ac97'].includes(model ?? '') ? 'pci' : undefined;
    case 'filesystem':
    case 'vsock':
      return 'pcie';
    default:
      return undefined;
  }
}

/**
 * The functions of the root complex (bus 0, slots 1-30) libvirt can give new PCIe root ports: all
 * eight of a slot no device uses, the unused ones of a slot that holds only root ports.
 */
function rootPortFunctions(devices: ReturnType<typeof describedDevices>): number {
  const bySlot = new Map<number, { functions: Set<number>; onlyPorts: boolean }>();
  for (const d of devices) {
    const a = d.element.child('address');
    if (a?.attr('type') !== 'pci' || (numAttr(a, 'bus') ?? -1) !== 0 || (numAttr(a, 'domain') ?? 0) !== 0) continue;
    const slot = numAttr(a, 'slot') ?? -1;
    const entry = bySlot.get(slot) ?? { functions: new Set<number>(), onlyPorts: true };
    entry.functions.add(numAttr(a, 'function') ?? 0);
    if (!(d.element.name === 'controller' && d.element.attr('model') === 'pcie-root-port')) entry.onlyPorts = false;
    bySlot.set(slot, entry);
  }
  let free = 0;
  for (let slot = 1; slot <= 0x1e; slot++) {
    const e = bySlot.get(slot);
    free += e === undefined ? 8 : e.onlyPorts ? 8 - e.functions.size : 0;
  }
  return free;
}

/** A PCI address as libvirt prints it (0000:00:1f.2); undefined for another address type or one libvirt assigns itself. */
function pciAddressText(a: XmlElement | undefined): string | undefined {
  if (a?.attr('type') !== 'pci') return undefined;
  const [dm, bus, slot, fn] = ['domain', 'bus', 'slot', 'function'].map((n) => numAttr(a, n) ?? 0);
  // A missing attribute is 0; an address whose domain, bus and slot are all 0 is one libvirt
  // assigns itself (virPCIDeviceAddressIsPresent).
  if (dm === 0 && bus === 0 && slot === 0) return undefined;
  return `${dm!.toString(16).padStart(4, '0')}:${bus!.toString(16).padStart(2, '0')}:${slot!.toString(16).padStart(2, '0')}.${fn!.toString(16)}`;
}

/**
 * The chipset's own PCI functions (libvirt src/qemu/qemu_domain_address.c,
 * qemuDomainValidateDevicePCISlotsPIIX3 and ...Q35). On i440fx the PIIX3 sits at 00:01: the ISA
 * bridge (.0) and power management (.3) always, the primary IDE controller (.1) and the PIIX3 USB
 * controller (.2) when the VM has them. On q35 the ICH9 sits at 00:1f: LPC (.0), the primary SATA
 * controller (.2, always there) and SMBus (.3). Those controllers must sit at their function, and no
 * other device can take one (probed on libvirt 9.0).
 */
function chipsetRules(dom: DomainXml, devices: ReturnType<typeof describedDevices>, machine: Machine, indexOf: (el: XmlElement) => number, place: Place): void {
  const q35 = machineIsQ35(machine.name);
  const i440fx = machineIsI440fx(machine.name);
  if (!q35 && !i440fx) return;
  const controller = (type: string): XmlElement | undefined => devices.find((x) => x.element.name === 'controller' && x.element.attr('type') === type && indexOf(x.element) === 0)?.element;
  const usb0 = controller('usb');
  const usbControllers = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'usb');
  const ide = controller('ide') ?? devices.find((x) => x.element.name === 'disk' && x.element.child('target')?.attr('bus') === 'ide')?.element;
  // The function, what owns it, and the one element that may sit there.
  const owned: [string, string, XmlElement | undefined][] = q35
    ? [
        ['0000:00:1f.0', 'the ICH9 LPC bridge', undefined],
        ['0000:00:1f.2', 'the primary SATA controller', controller('sata')],
        ['0000:00:1f.3', 'the ICH9 SMBus controller', undefined],
      ]
    : [
        ['0000:00:01.0', 'the PIIX3 ISA bridge', undefined],
        ['0000:00:01.3', 'the PIIX3 power management function', undefined],
        ...(ide ? [['0000:00:01.1', 'the primary IDE controller', controller('ide')] as [string, string, XmlElement | undefined]] : []),
        ...((usb0 && [undefined, 'piix3-uhci'].includes(usb0.attr('model'))) || usbControllers.length === 0 ? [['0000:00:01.2', 'the PIIX3 USB controller', usb0] as [string, string, XmlElement | undefined]] : []),
      ];
  for (const d of devices) {
    const a = d.element.child('address');
    const at = pciAddressText(a);
    if (!a || at === undefined) continue;
    const hit = owned.find(([addr, , owner]) => addr === at && owner !== d.element);
    if (hit) place(d.id, undefined, 'address-chipset', `PCI address ${at} belongs to ${hit[1]}`, dom.doc.startTagRange(a));
    const mine = owned.find(([, , owner]) => owner === d.element);
    if (mine && at !== mine[0]) place(d.id, undefined, 'address-chipset', `${mine[1][0]!.toUpperCase()}${mine[1].slice(1)} sits at PCI address ${mine[0]}, not ${at}`, dom.doc.startTagRange(a));
  }
}

type Place = (section: string, field: string | undefined, code: string, message: string, range: TextRange, fix?: Diagnostic['fix'], severity?: Diagnostic['severity']) => void;

/** The `model` a PCI controller's <model name=…> may name (libvirt's virDomainControllerPCIModelName). */
const PCI_MODEL_NAMES: Readonly<Record<string, readonly string[]>> = {
  'pci-bridge': ['pci-bridge'],
  'dmi-to-pci-bridge': ['i82801b11-bridge'],
  'pcie-root-port': ['pcie-root-port', 'ioh3420'],
  'pcie-switch-upstream-port': ['x3130-upstream'],
  'pcie-switch-downstream-port': ['xio3130-downstream'],
  'pci-expander-bus': ['pxb'],
  'pcie-expander-bus': ['pxb-pcie'],
  'pcie-to-pci-bridge': ['pcie-pci-bridge'],
};

/** Whether a device sits on USB (and so needs a USB controller). */
function onUsb(el: XmlElement): boolean {
  if (el.name === 'input' || el.name === 'redirdev') return el.attr('bus') === 'usb';
  if (el.name === 'hostdev') return el.attr('type') === 'usb';
  if (el.name === 'disk') return el.child('target')?.attr('bus') === 'usb';
  if (el.name === 'sound') return el.attr('model') === 'usb';
  return el.name === 'hub';
}

/** The <target> attributes of PCI controllers libvirt checks against the model (chassisNr, chassis, port, busNr, index, hotplug). */
const PCI_TARGET_ATTRIBUTES = ['chassisNr', 'chassis', 'port', 'busNr', 'index', 'hotplug'] as const;

/**
 * Which of them each PCI controller model takes; libvirt refuses the others ("Option ... is not
 * valid for PCI controller", qemu_validate.c). Probed on libvirt 9.0 for every model, each option
 * alone; a pci-root on pSeries (a PHB, which takes its target index) is not covered.
 */
const PCI_TARGET_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  'pci-root': ['hotplug'],
  'pcie-root': [],
  'pci-bridge': ['chassisNr'],
  'pci-expander-bus': ['busNr'],
  'pcie-expander-bus': ['busNr'],
  'pcie-root-port': ['chassis', 'port', 'hotplug'],
  'pcie-switch-downstream-port': ['chassis', 'port', 'hotplug'],
  'pcie-switch-upstream-port': [],
  'dmi-to-pci-bridge': [],
  'pcie-to-pci-bridge': [],
};

/** The ranges libvirt holds a PCI controller's <target> numbers to, beyond the schema's (virDomainControllerDefValidate). */
const PCI_TARGET_RANGES: readonly (readonly [attr: string, lo: number, hi: number])[] = [
  ['chassisNr', 1, 255],
  ['chassis', 0, 255],
  ['port', 0, 255],
  ['busNr', 1, 254],
  ['index', 0, 30],
];

/** A numeric attribute in libvirt's notation (decimal or 0x hex); undefined when absent or malformed. */
function numAttr(el: XmlElement, name: string): number | undefined {
  const v = el.attr(name)?.trim();
  if (v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) return undefined;
  return Number(v);
}

/** The index libvirt gives each controller of the devices, with or without its own (allocate.ts controllerIndexes). */
function controllerIndexOf(devices: ReturnType<typeof describedDevices>): (el: XmlElement) => number {
  const indexes = controllerIndexes(devices.filter((x) => x.element.name === 'controller').map((x) => x.element));
  return (el) => indexes.get(el) ?? numAttr(el, 'index') ?? 0;
}

/**
 * A disk's or SCSI host device's drive address [controller, bus, target, unit]: its own, else for a
 * disk the one libvirt derives from its target name (virDomainDiskDefAssignAddress: IDE two units on
 * two buses per controller, SATA six units, SCSI fifteen units skipping 7 (QEMU's wide SCSI bus),
 * floppy two units). Undefined for another address type, a host device without one (libvirt picks
 * a free unit) or a target name libvirt cannot read.
 */
function driveAddressOf(el: XmlElement, bus: string): [number, number, number, number] | undefined {
  const a = el.child('address');
  if (a) return a.attr('type') === 'drive' ? [numAttr(a, 'controller') ?? 0, numAttr(a, 'bus') ?? 0, numAttr(a, 'target') ?? 0, numAttr(a, 'unit') ?? 0] : undefined;
  if (el.name !== 'disk') return undefined;
  const idx = diskIndex(el.child('target')?.attr('dev') ?? '') - 1;
  if (idx < 0) return undefined;
  switch (bus) {
    case 'ide':
      return [Math.floor(idx / 4), Math.floor((idx % 4) / 2), 0, idx % 2];
    case 'sata':
      return [Math.floor(idx / 6), 0, 0, idx % 6];
    case 'fdc':
      return [Math.floor(idx / 2), 0, 0, idx % 2];
    case 'scsi': {
      const unit = idx % 15;
      return [Math.floor(idx / 15), 0, 0, unit >= 7 ? unit + 1 : unit];
    }
    default:
      return undefined;
  }
}

/** A scaled integer (a value and its unit, KiB by default) in KiB; undefined when either is not one. */
function scaledKiB(value: string | undefined, unit: string | undefined): number | undefined {
  const v = Number(value?.trim() ?? '');
  if (value === undefined || value.trim() === '' || !Number.isFinite(v)) return undefined;
  try {
    return toKiB(v, unit);
  } catch {
    return undefined;
  }
}

/** The sizes the NUMA cells give, summed (0 without cells or sizes). */
function numaCellsKiB(dom: DomainXml): number {
  const cells = dom.element.find(['cpu', 'numa'])?.elements('cell') ?? [];
  return cells.reduce((sum, c) => sum + (scaledKiB(c.attr('memory'), c.attr('unit')) ?? 0), 0);
}

/**
 * The domain's memory as libvirt counts it after parsing: when NUMA cells give sizes, their sum
 * and the memory devices' (libvirt replaces <memory> with it); otherwise <memory>.
 */
function domainMemoryKiB(dom: DomainXml): number | undefined {
  const cellsKiB = numaCellsKiB(dom);
  if (cellsKiB === 0) return dom.memoryKiB;
  const devicesKiB = (dom.element.child('devices')?.elements('memory') ?? []).reduce((sum, m) => {
    const size = m.find(['target', 'size']);
    return sum + (size ? (scaledKiB(dom.doc.textContent(size), size.attr('unit')) ?? 0) : 0);
  }, 0);
  return cellsKiB + devicesKiB;
}

/**
 * What each PCI controller plugs into (its bus's model; undefined: not judged here), and whether
 * libvirt adds that bus itself when the address names one that does not exist (libvirt
 * src/conf/domain_addr.c; each probed on libvirt 9.0).
 */
const PORT_PLUGS_INTO: Readonly<Record<string, { readonly into?: readonly string[]; readonly added: boolean }>> = {
  'pcie-root-port': { into: ['pcie-root', 'pcie-expander-bus'], added: false },
  'pcie-switch-downstream-port': { into: ['pcie-switch-upstream-port'], added: false },
  'pcie-switch-upstream-port': { into: ['pcie-root-port', 'pcie-switch-downstream-port', 'pcie-expander-bus'], added: true },
  'pcie-to-pci-bridge': { into: ['pcie-root-port', 'pcie-switch-downstream-port'], added: false },
  'dmi-to-pci-bridge': { into: ['pcie-root'], added: false },
  'pci-bridge': { added: false },
};

/** The UHCI companions of an ICH9 EHCI controller. */
const USB_COMPANION = /^ich9-uhci[123]$/;

/** The root ports of USB controller models with a fixed number (libvirt domain_addr.c); xHCI's is its ports= (default 4). */
const USB_MODEL_PORTS: Readonly<Record<string, number>> = {
  'piix3-uhci': 2,
  'piix4-uhci': 2,
  'vt82c686b-uhci': 2,
  'ich9-uhci1': 2,
  'ich9-uhci2': 2,
  'ich9-uhci3': 2,
  'ich9-ehci1': 6,
  ehci: 6,
  'pci-ohci': 3,
  none: 0,
};

/** The address types a virtio disk can have (libvirt's QEMU driver refuses the others). */
const VIRTIO_DISK_ADDRESSES = ['pci', 'ccw', 'virtio-mmio', 'virtio-s390'];

/** Disk driver formats libvirt's QEMU driver refuses, with what to use instead. */
const QEMU_REFUSED_FORMATS: Readonly<Record<string, string>> = {
  iso: "QEMU does not read the 'iso' format directly: use type='raw'",
  luks: "'luks' is not a driver format: a LUKS image is type='raw' with <encryption format='luks'>",
  dir: "QEMU has no 'dir' image format: make the disk type='dir' instead",
};

/**
 * What libvirt refuses when it parses a definition (define with or without VALIDATE), beyond the
 * schema: the rules the differential test against the real daemon showed, with libvirt's words in
 * the messages. Each names the element at fault.
 */
function defineRules(dom: DomainXml, devices: ReturnType<typeof describedDevices>, eff: Machine, place: Place): void {
  const doc = dom.doc;
  const tag = (el: XmlElement): TextRange => doc.startTagRange(el);
  const arch = dom.get('arch') ?? '';
  const machine = eff.name;
  const q35 = machineIsQ35(machine);
  const i440fx = machineIsI440fx(machine);
  const indexOf = controllerIndexOf(devices);

  // Controllers: one per type and index; a PCI controller's model name must fit its model.
  const controllers = new Map<string, XmlElement>();
  for (const d of devices.filter((x) => x.element.name === 'controller')) {
    const el = d.element;
    const index = el.attr('index');
    // USB companion controllers (ich9-uhci1-3) share the index of their EHCI master; what may
    // not repeat is the index of the other USB controllers (probed on libvirt 9.0).
    const companion = el.attr('type') === 'usb' && USB_COMPANION.test(el.attr('model') ?? '');
    const key = `${el.attr('type') ?? ''}/${indexOf(el)}`;
    if (companion) continue;
    if (index !== undefined && controllers.has(key)) place(d.id, undefined, 'duplicate-controller', `Another '${el.attr('type')}' controller already has index ${index}; libvirt allows one per index`, tag(el));
    else controllers.set(key, el);
    const modelName = el.child('model')?.attr('name');
    const allowed = PCI_MODEL_NAMES[el.attr('model') ?? ''];
    if (el.attr('type') === 'pci' && modelName !== undefined && allowed && !allowed.includes(modelName)) {
      place(d.id, undefined, 'pci-model-name', `A '${el.attr('model')}' controller cannot be a '${modelName}' (expected ${allowed.map((x) => `'${x}'`).join(' or ')})`, tag(el.child('model')!));
    }
  }

  // Audio backends: ids are unique.
  const audioIds = new Set<string>();
  for (const d of devices.filter((x) => x.element.name === 'audio')) {
    const id = d.element.attr('id');
    if (id === undefined) continue;
    if (audioIds.has(id)) place(d.id, undefined, 'duplicate-audio-id', `Audio id ${id} is used by another <audio>`, tag(d.element));
    audioIds.add(id);
  }

  // Addresses: one device per PCI function, USB port and virtio-serial port. An input or a disk
  // takes a USB port only on the USB bus: libvirt keeps a USB address written on another (a
  // virtio tablet's, say) without giving it the port (probed on 9.0).
  const takesUsbPort = (el: XmlElement): boolean => (el.name === 'input' || el.name === 'disk' ? onUsb(el) : true);
  const taken = new Set<string>();
  for (const d of devices) {
    const a = d.element.child('address');
    if (!a) continue;
    let key: string | undefined;
    if (a.attr('type') === 'pci') {
      const text = pciAddressText(a);
      if (text !== undefined) key = `pci ${text}`;
    } else if (a.attr('type') === 'usb' && a.attr('port') !== undefined && takesUsbPort(d.element)) {
      key = `USB address bus ${numAttr(a, 'bus') ?? 0} port ${a.attr('port')}`;
    } else if (a.attr('type') === 'virtio-serial' && a.attr('port') !== undefined) {
      key = `virtio-serial port ${numAttr(a, 'port')} on controller ${numAttr(a, 'controller') ?? 0} bus ${numAttr(a, 'bus') ?? 0}`;
    }
    if (key === undefined) continue;
    if (taken.has(key)) place(d.id, undefined, 'address-in-use', `Another device already uses ${key.replace(/^pci /, 'PCI address ')}`, tag(a));
    taken.add(key);
  }
  // Drive addresses: one disk per address on each bus, SCSI host devices sharing the SCSI disks'
  // (virDomainDefDuplicateDriveAddressesValidate); a disk without an address has the one its
  // target name gives it (virDomainDiskDefAssignAddress).
  const drives = new Set<string>();
  for (const d of devices) {
    const el = d.element;
    const bus = el.name === 'disk' ? el.child('target')?.attr('bus') : el.name === 'hostdev' && el.attr('type') === 'scsi' ? 'scsi' : undefined;
    if (bus === undefined || !['ide', 'sata', 'scsi', 'fdc'].includes(bus)) continue;
    const at = driveAddressOf(el, bus);
    if (!at) continue;
    const key = `${bus} ${at.join(':')}`;
    const [controller, b, target, unit] = at;
    if (drives.has(key)) place(d.id, undefined, 'drive-address-in-use', `Another ${bus === 'scsi' && el.name === 'hostdev' ? 'SCSI disk or host device' : `${bus.toUpperCase()} disk`} already has the drive address controller='${controller}' bus='${b}' target='${target}' unit='${unit}'${el.child('address') ? '' : ` (the one target '${el.child('target')?.attr('dev')}' gives it)`}`, tag(el.child('address') ?? el.child('target') ?? el));
    drives.add(key);
  }

  // CPU tuning: the vCPUs of each scheduler entry, and the I/O threads, do not overlap.
  for (const [entry, attr] of [['vcpusched', 'vcpus'], ['iothreadsched', 'iothreads']] as const) {
    const seen = new Set<number>();
    for (const el of dom.element.child('cputune')?.elements(entry) ?? []) {
      let ids: number[];
      try {
        ids = parseCpuset(el.attr(attr) ?? '', attr);
      } catch {
        continue;
      }
      if (ids.some((i) => seen.has(i))) place('cpus', undefined, 'cputune-overlap', `<${entry} ${attr}='${el.attr(attr)}'> overlaps another <${entry}>: each ${attr === 'vcpus' ? 'vCPU' : 'I/O thread'} takes one`, tag(el));
      for (const i of ids) seen.add(i);
    }
  }
  chipsetRules(dom, devices, eff, indexOf, place);

  // USB devices need a USB controller that is not model='none'; model='none' (USB disabled) is the
  // only USB controller then.
  const usbControllers = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'usb');
  const usbOff = usbControllers.find((c) => c.element.attr('model') === 'none');
  for (const c of usbControllers.filter((x) => usbOff && x !== usbOff)) {
    place(c.id, undefined, 'usb-disabled-controller', "USB is disabled (<controller type='usb' model='none'/>): there can be no other USB controller", tag(c.element));
  }
  if (usbControllers.length > 0 && usbControllers.every((c) => c.element.attr('model') === 'none')) {
    for (const d of devices.filter((x) => onUsb(x.element))) place(d.id, undefined, 'usb-disabled', `<${d.element.name}> is a USB device but USB is disabled (<controller type='usb' model='none'/>)`, tag(d.element));
  }

  // TPM: one emulated or passthrough TPM; CRB needs TPM 2.0.
  const tpms = devices.filter((x) => x.element.name === 'tpm' && x.element.attr('model') !== 'spapr-tpm-proxy');
  for (const d of tpms.slice(1)) place(d.id, undefined, 'tpm-single', 'libvirt supports only one TPM (besides a proxy)', tag(d.element));
  for (const d of tpms) {
    const backend = d.element.child('backend');
    if (d.element.attr('model') === 'tpm-crb' && backend?.attr('type') === 'emulator' && backend.attr('version') === '1.2') place(d.id, 'version', 'tpm-crb-version', 'A CRB TPM needs TPM 2.0, not 1.2', tag(backend));
  }
  // Devices only QEMU for one architecture has (its binaries for the others lack them).
  const ppc = /^ppc64/.test(arch);
  for (const d of devices) {
    const el = d.element;
    const model = el.attr('model');
    if (el.name === 'tpm' && (model === 'tpm-spapr' || model === 'spapr-tpm-proxy') && !ppc) place(d.id, 'model', 'tpm-arch', `The TPM model '${model}' exists only in ppc64 guests`, tag(el));
    if (el.name === 'hostdev' && el.attr('type') === 'mdev' && (model === 'vfio-ap' || model === 'vfio-ccw') && arch !== 's390x') place(d.id, undefined, 'mdev-arch', `A ${model} mediated device exists only in s390x guests`, tag(el));
  }

  // Video: the primary device (primary='yes', else the first) may be any model, the others only
  // qxl or virtio; 'none' only alone (libvirt qemu_validate.c, probed on libvirt 9.0).
  const videos = devices.filter((x) => x.element.name === 'video');
  const primaryVideo = videos.find((v) => v.element.child('model')?.attr('primary') === 'yes') ?? videos[0];
  for (const v of videos) {
    const type = v.element.child('model')?.attr('type');
    if (type === 'none' && videos.length > 1) place(v.id, 'model', 'video-none', "A 'none' video device must be the only one", tag(v.element));
    else if (v !== primaryVideo && type !== undefined && !['qxl', 'virtio'].includes(type)) place(v.id, 'model', 'video-secondary', `A second video device can only be qxl or virtio; ${type} can only be the primary one`, tag(v.element));
  }

  // Smartcards: QEMU takes one, on CCID controller 0, slot 0 (libvirt qemu_validate.c).
  devices
    .filter((x) => x.element.name === 'smartcard')
    .forEach((d, i) => {
      const a = d.element.child('address');
      if (i > 0) place(d.id, undefined, 'smartcard-single', 'QEMU takes one smartcard per VM', tag(d.element));
      else if (a && (a.attr('type') !== 'ccid' || Number(a.attr('controller') ?? 0) !== 0 || Number(a.attr('slot') ?? 0) !== 0)) place(d.id, undefined, 'smartcard-address', "A smartcard goes on CCID controller 0, slot 0 (<address type='ccid' controller='0' slot='0'/>)", tag(a));
    });

  // Sound models the QEMU driver does not build (ich7 is bhyve's).
  for (const d of devices.filter((x) => x.element.name === 'sound' && x.element.attr('model') === 'ich7')) place(d.id, 'model', 'sound-model', "QEMU has no 'ich7' sound card (use ich9, ich6 or ac97)", tag(d.element));

  // The first console of a guest with a serial port is that port's console when it targets a
  // serial port (or nothing): libvirt gives it the port's source in place of its own, so its own
  // source is not checked (a type='tcp' console with no host or port is accepted then).
  const hvm = dom.get('osType') === 'hvm';
  const firstConsole = devices.find((x) => x.element.name === 'console');
  const hasSerial = devices.some((x) => x.element.name === 'serial');
  // A first console that targets a serial port (or nothing) is the guest's serial console.
  const serialConsole = hvm && firstConsole !== undefined && ['serial', undefined].includes(firstConsole.element.child('target')?.attr('type')) ? firstConsole : undefined;
  const consoleOfSerial = hasSerial ? serialConsole : undefined;
  const ownSource = (d: { readonly element: XmlElement }): boolean => d !== consoleOfSerial;

  // SPICE channels and redirection need SPICE graphics.
  if (!devices.some((x) => x.element.name === 'graphics' && x.element.attr('type') === 'spice')) {
    for (const d of devices.filter((x) => (['channel', 'redirdev', 'smartcard', 'serial', 'console', 'parallel'].includes(x.element.name) && x.element.attr('type') === 'spicevmc') || (x.element.name === 'audio' && x.element.attr('type') === 'spice'))) {
      place(d.id, undefined, 'spice-needed', `<${d.element.name} type='${d.element.attr('type')}'> needs SPICE graphics (<graphics type='spice'>)`, tag(d.element));
    }
  }

  // Memory hotplug: <maxMemory> needs its slots, a size of at least the domain's memory, and a
  // NUMA node. The memory it is compared with is the NUMA cells' sum and the memory devices when
  // the cells give sizes (libvirt then sets <memory> from them), else <memory>.
  const maxMem = dom.element.child('maxMemory');
  if (maxMem) {
    const slots = numAttr(maxMem, 'slots');
    const sizeKiB = scaledKiB(doc.textContent(maxMem), maxMem.attr('unit'));
    const totalKiB = domainMemoryKiB(dom);
    if (!slots || !sizeKiB) place('memory', undefined, 'max-memory-incomplete', '<maxMemory> needs both a size and a slot count (slots greater than 0)', tag(maxMem));
    else if (totalKiB !== undefined && sizeKiB < totalKiB) place('memory', 'memory', 'max-memory-below-memory', `<maxMemory> must be at least the memory size`, tag(maxMem));
    else if (!dom.element.find(['cpu', 'numa', 'cell'])) place('memory', undefined, 'max-memory-needs-numa', 'Memory hotplug (<maxMemory>) needs at least one NUMA cell (<cpu><numa>)', tag(maxMem));
  }

  // Memory: a size in <memory> or in the NUMA cells.
  const memEl = dom.element.child('memory');
  if (memEl && dom.memoryKiB === 0 && numaCellsKiB(dom) === 0) place('memory', 'memory', 'memory-zero', 'The memory size must be more than 0 (or given by NUMA cells)', tag(memEl));

  // Character devices over TCP or UDP need the service (port) they use.
  for (const d of devices.filter((x) => ownSource(x) && ['serial', 'console', 'parallel', 'channel', 'redirdev', 'smartcard'].includes(x.element.name) && ['tcp', 'udp'].includes(x.element.attr('type') ?? ''))) {
    if (!d.element.elements('source').some((src) => src.attr('service') !== undefined)) {
      place(d.id, undefined, 'chardev-needs-service', `<${d.element.name} type='${d.element.attr('type')}'> needs <source mode='connect' host='…' service='PORT'/>`, tag(d.element));
    }
  }

  // File, device, pipe and unix socket character devices name their path; libvirt makes the
  // socket path of a channel to the guest (virtio, xen) itself, not of a guestfwd channel's.
  const needsPath = (el: XmlElement): boolean => {
    const type = el.attr('type') ?? '';
    return ['file', 'dev', 'pipe'].includes(type) || (type === 'unix' && (el.name !== 'channel' || el.child('target')?.attr('type') === 'guestfwd'));
  };
  for (const d of devices.filter((x) => ownSource(x) && ['serial', 'console', 'parallel', 'channel', 'redirdev', 'smartcard'].includes(x.element.name) && needsPath(x.element))) {
    if (!d.element.elements('source').some((src) => src.attr('path') !== undefined)) place(d.id, undefined, 'chardev-needs-path', `<${d.element.name} type='${d.element.attr('type')}'> needs <source path='…'/>`, tag(d.element));
  }
  // spiceport and dbus character devices name their channel (a USB redirection over D-Bus is
  // accepted without one).
  for (const d of devices.filter((x) => ownSource(x) && ['serial', 'console', 'parallel', 'channel', 'smartcard', 'redirdev'].includes(x.element.name) && ['spiceport', 'dbus'].includes(x.element.attr('type') ?? '') && !(x.element.name === 'redirdev' && x.element.attr('type') === 'dbus'))) {
    if (!d.element.elements('source').some((src) => src.attr('channel') !== undefined)) place(d.id, undefined, 'chardev-needs-channel', `<${d.element.name} type='${d.element.attr('type')}'> needs <source channel='…'/>`, tag(d.element));
  }

  // Serial ports: one device per target port (libvirt 9.0 does not check parallel ports so).
  const serialPorts = new Set<number>();
  for (const d of devices.filter((x) => x.element.name === 'serial')) {
    const target = d.element.child('target');
    const port = target ? numAttr(target, 'port') : undefined;
    if (port === undefined) continue;
    if (serialPorts.has(port)) place(d.id, undefined, 'serial-port-taken', `Another <serial> already uses target port ${port}`, tag(target!));
    serialPorts.add(port);
  }

  // Console target types QEMU has (the others are other hypervisors' or another architecture's).
  const qemu = ['qemu', 'kvm'].includes(dom.element.attr('type') ?? '');
  const CONSOLE_TARGETS = ['serial', 'virtio', 'xen', 'lxc', 'openvz', 'uml', 'sclp', 'sclplm'];
  for (const d of devices.filter((x) => x.element.name === 'console')) {
    const target = d.element.child('target');
    const type = target?.attr('type');
    if (type === undefined) continue;
    if (!CONSOLE_TARGETS.includes(type)) place(d.id, undefined, 'console-target', `'${type}' is not a console target type (${CONSOLE_TARGETS.join(', ')})`, tag(target!));
    else if (qemu && ['xen', 'lxc', 'openvz', 'uml'].includes(type)) place(d.id, undefined, 'console-target', `QEMU has no '${type}' console (use 'serial' or 'virtio')`, tag(target!));
    else if (qemu && ['sclp', 'sclplm'].includes(type) && arch !== 's390x') place(d.id, undefined, 'console-target', `The '${type}' console exists only in s390x guests`, tag(target!));
  }

  // SeaBIOS's serial output (<bios useserial='yes'/>) exists only on x86 and needs a serial port.
  // A first console that is a serial console counts: libvirt makes it the serial port when the
  // guest has none (libvirt's QEMU driver refuses both at define; probed on 9.0).
  const bios = dom.element.child('os')?.child('bios');
  if (qemu && bios?.attr('useserial') === 'yes') {
    if (!['x86_64', 'i686'].includes(arch || 'x86_64')) place('boot', undefined, 'bios-serial-arch', `BIOS serial output exists only in x86 guests (this one is ${arch})`, tag(bios));
    else if (!serialConsole && !hasSerial) place('boot', undefined, 'bios-serial-port', "BIOS serial output needs a serial port: add a <serial> device or set useserial='no'", tag(bios));
  }

  // Consoles: only the first may be a serial console.
  for (const d of devices.filter((x) => x.element.name === 'console').slice(1)) {
    if (d.element.child('target')?.attr('type') === 'serial') place(d.id, undefined, 'console-serial-first', "Only the first console can be a serial console (target type='serial')", tag(d.element));
  }

  // Serial ports: the target model must fit the target type.
  for (const d of devices.filter((x) => x.element.name === 'serial')) {
    const target = d.element.child('target');
    const model = target?.child('model')?.attr('name');
    const type = target?.attr('type');
    // Each target model and the target type it belongs to (formatdomain "Guest interface").
    const fits: Record<string, string> = {
      'isa-serial': 'isa-serial',
      'usb-serial': 'usb-serial',
      'pci-serial': 'pci-serial',
      'isa-debugcon': 'isa-debug',
      'spapr-vty': 'spapr-vio-serial',
      pl011: 'system-serial',
      '16550a': 'system-serial',
      sclpconsole: 'sclp-serial',
      sclplmconsole: 'sclp-serial',
    };
    if (model !== undefined && type !== undefined && fits[model] !== undefined && fits[model] !== type) place(d.id, undefined, 'serial-model-type', `Serial target model '${model}' needs target type '${fits[model]}', not '${type}'`, tag(target!.child('model')!));
  }

  // Models only a Xen (or other) hypervisor has; formats QEMU does not support.
  const xen = dom.element.attr('type') === 'xen';
  for (const d of devices) {
    const el = d.element;
    if (!xen && ((el.name === 'input' && el.attr('bus') === 'xen') || (el.name === 'memballoon' && el.attr('model') === 'xen'))) place(d.id, undefined, 'xen-only', `<${el.name}> ${el.name === 'input' ? "bus='xen'" : "model='xen'"} exists only in Xen domains`, tag(el));
    // A xenbus controller outside Xen has no bus to plug into: libvirt refuses to place one, but
    // keeps one that names its address itself (probed on 9.0).
    if (!xen && el.name === 'controller' && el.attr('type') === 'xenbus' && !el.child('address')) place(d.id, undefined, 'xen-only', 'A xenbus controller exists only in Xen domains: libvirt finds no place for it in this one', tag(el));
    if (el.name === 'disk' && el.child('driver')?.attr('type') === 'cow') place(d.id, undefined, 'disk-format-cow', "The 'cow' disk format is not supported", tag(el.child('driver')!));
  }

  // Rules of libvirt's QEMU driver at define time (domain type qemu or kvm), each with its message.
  if (qemu) {
    for (const d of devices) {
      const el = d.element;
      const driver = el.name === 'disk' ? el.child('driver') : undefined;
      const format = driver?.attr('type');
      const refusedFormat = format === undefined ? undefined : QEMU_REFUSED_FORMATS[format];
      if (refusedFormat) place(d.id, undefined, `disk-format-${format}`, refusedFormat, tag(driver!));
      const source = el.name === 'disk' ? el.child('source') : undefined;
      const protocol = source?.attr('protocol');
      if ((protocol === 'gluster' || protocol === 'rbd') && source?.attr('name') !== undefined && !source.attr('name')!.includes('/')) {
        place(d.id, undefined, 'disk-source-name', `A ${protocol} source name is '${protocol === 'rbd' ? 'pool/image' : 'volume/path'}', not '${source.attr('name')}'`, tag(source));
      }
      if (el.name === 'channel' && el.attr('type') === 'spicevmc' && (el.child('target')?.attr('type') ?? 'virtio') !== 'virtio') place(d.id, undefined, 'spicevmc-target', "A spicevmc channel needs target type='virtio'", tag(el.child('target')!));
      if (['serial', 'parallel', 'console'].includes(el.name) && el.attr('type') === 'spicevmc') place(d.id, undefined, 'spicevmc-target', `A spicevmc character device can only be a virtio channel, not a <${el.name}>`, tag(el));
      if (el.name === 'filesystem') {
        if ((el.attr('type') ?? 'mount') !== 'mount') place(d.id, undefined, 'filesystem-type', `QEMU shares only type='mount' filesystems, not '${el.attr('type')}'`, tag(el));
        const fsDriver = el.child('driver')?.attr('type');
        if (fsDriver !== undefined && ['loop', 'nbd', 'ploop'].includes(fsDriver)) place(d.id, undefined, 'filesystem-driver', `QEMU has no '${fsDriver}' filesystem driver (use virtiofs or path)`, tag(el.child('driver')!));
      }
      if (el.name === 'iommu' && el.attr('model') === 'smmuv3' && !/^aarch64|^arm/.test(arch || 'x86_64')) place(d.id, undefined, 'iommu-smmuv3', "The smmuv3 IOMMU exists only on ARM 'virt' machines", tag(el));
      const cache = driver?.attr('cache');
      if (driver?.attr('io') === 'native' && cache !== undefined && cache !== 'none' && cache !== 'directsync') {
        place(d.id, undefined, 'disk-io-native-cache', `io='native' needs cache='none' or 'directsync' (or no cache mode), not '${cache}'`, tag(driver));
      }
      const encryption = el.name === 'disk' ? el.find(['source', 'encryption']) ?? el.child('encryption') : undefined;
      if (encryption?.attr('format') === 'qcow' || encryption?.attr('format') === 'default') place(d.id, undefined, 'disk-encryption-qcow', "The old qcow encryption is not supported (use format='luks')", tag(encryption));
      if (el.name === 'controller' && el.attr('type') === 'usb' && ['qusb1', 'qusb2'].includes(el.attr('model') ?? '')) place(d.id, undefined, 'usb-model-xen', `USB controller model '${el.attr('model')}' exists only in Xen domains`, tag(el));
      if (el.name === 'watchdog' && ['ib700', 'diag288'].includes(el.attr('model') ?? '') && el.child('address')) place(d.id, undefined, 'watchdog-address', `The ${el.attr('model')} watchdog sits on no bus you can choose: remove its <address>`, tag(el.child('address')!));
      if (el.name === 'video' && el.child('model')?.attr('type') === 'ramfb' && el.child('address')) place(d.id, undefined, 'video-address', 'A ramfb display has no address: remove its <address>', tag(el.child('address')!));
      if (el.name === 'graphics' && ['rdp', 'desktop'].includes(el.attr('type') ?? '')) place(d.id, undefined, 'graphics-qemu', `QEMU has no ${el.attr('type')} graphics (use vnc or spice)`, tag(el));
      const videoType = el.name === 'video' ? el.child('model')?.attr('type') : undefined;
      if (videoType !== undefined && ['gop', 'vbox', 'parallels', 'xen'].includes(videoType)) place(d.id, undefined, 'video-model-qemu', `QEMU has no '${videoType}' video model`, tag(el.child('model')!));
      const videoModel = el.name === 'video' ? el.child('model') : undefined;
      const heads = videoModel ? numAttr(videoModel, 'heads') : undefined;
      if (heads !== undefined && heads > 1 && videoType !== undefined && !['qxl', 'virtio', 'none'].includes(videoType)) place(d.id, undefined, 'video-heads', `A ${videoType} display has one head: only qxl and virtio have more (heads='${heads}')`, tag(videoModel!));
      if (driver?.attr('type') === 'fat' && el.attr('type') !== 'dir') place(d.id, undefined, 'disk-format-fat', "The 'fat' format needs a directory disk (type='dir')", tag(driver));
      if (el.name === 'disk' && el.child('target')?.attr('bus') === 'sd' && el.child('serial')) place(d.id, undefined, 'disk-serial-sd', 'A disk on the SD bus has no serial number: remove <serial>', tag(el.child('serial')!));
      if (el.name === 'disk' && el.attr('device') === 'lun' && !['scsi', 'virtio'].includes(el.child('target')?.attr('bus') ?? 'scsi')) place(d.id, undefined, 'disk-lun-bus', `A device='lun' disk needs the scsi (or virtio) bus, not '${el.child('target')?.attr('bus')}'`, tag(el.child('target')!));
      if (encryption && format !== undefined && !['raw', 'qcow2', 'aio'].includes(format)) place(d.id, undefined, 'disk-encryption-format', `Encryption works only on raw and qcow2 images, not '${format}'`, tag(encryption));
      if (encryption?.attr('format') === 'luks2' && (encryption.attr('engine') ?? 'qemu') === 'qemu') place(d.id, undefined, 'disk-encryption-luks2', "QEMU's own encryption engine does not open luks2 (use format='luks', or engine='librbd' on an RBD disk)", tag(encryption));
      if (encryption?.attr('engine') === 'librbd' && el.child('source')?.attr('protocol') !== 'rbd') place(d.id, undefined, 'disk-encryption-librbd', "engine='librbd' works only on RBD disks (<source protocol='rbd'>)", tag(encryption));
      // A companion of the first USB bus needs its EHCI master beside it (libvirt refuses "No master
      // USB controller specified"; on other buses it accepts one alone).
      if (el.name === 'controller' && el.attr('type') === 'usb' && USB_COMPANION.test(el.attr('model') ?? '') && indexOf(el) === 0) {
        const master = devices.some((x) => x.element.name === 'controller' && x.element.attr('type') === 'usb' && x.element.attr('model') === 'ich9-ehci1' && indexOf(x.element) === 0);
        if (!master) place(d.id, undefined, 'usb-companion-master', `A ${el.attr('model')} companion controller needs its EHCI master: <controller type='usb' index='0' model='ich9-ehci1'/>`, tag(el));
      }
      if (el.name === 'input' && el.attr('bus') === 'ps2' && !['mouse', 'keyboard'].includes(el.attr('type') ?? 'mouse')) place(d.id, undefined, 'input-ps2', `The PS/2 bus has only a mouse and a keyboard, not a ${el.attr('type')}`, tag(el));
    }
    // Disks on a drive bus take a drive address; USB disks a USB address.
    for (const d of devices.filter((x) => x.element.name === 'disk')) {
      const bus = d.element.child('target')?.attr('bus');
      const type = d.element.child('address')?.attr('type');
      if (bus === undefined || type === undefined) continue;
      const want = ['ide', 'sata', 'scsi', 'fdc'].includes(bus) ? 'drive' : bus === 'usb' ? 'usb' : undefined;
      if (bus === 'virtio' && !VIRTIO_DISK_ADDRESSES.includes(type)) place(d.id, undefined, 'disk-address-type', `A virtio disk cannot have a ${type} address (it takes ${VIRTIO_DISK_ADDRESSES.join(', ')})`, tag(d.element.child('address')!));
      else if (want && type !== want) place(d.id, undefined, 'disk-address-type', `A disk on the ${bus} bus needs a ${want} address, not type='${type}'`, tag(d.element.child('address')!));
      // Drive addresses: SATA, SCSI and floppy controllers have one bus; on IDE and SATA the target is 0.
      const address = d.element.child('address')!;
      if (type === 'drive' && ['sata', 'scsi', 'fdc'].includes(bus) && (numAttr(address, 'bus') ?? 0) !== 0) place(d.id, undefined, 'drive-address', `A ${bus === 'fdc' ? 'floppy' : bus.toUpperCase()} controller has one bus: bus='0', not '${address.attr('bus')}'`, tag(address));
      if (type === 'drive' && ['sata', 'ide'].includes(bus) && (numAttr(address, 'target') ?? 0) !== 0) place(d.id, undefined, 'drive-address', `On an ${bus.toUpperCase()} controller the target is 0, not '${address.attr('target')}'`, tag(address));
    }
    for (const t of dom.element.elements('clock').flatMap((c) => c.elements('timer'))) {
      if (t.attr('name') === 'platform') place('overview', undefined, 'timer-platform', "QEMU has no 'platform' timer (use rtc, pit, hpet, kvmclock, hypervclock or tsc)", tag(t));
      if (t.attr('name') === 'armvtimer' && !/^aarch64|^arm/.test(arch)) place('overview', undefined, 'timer-arch', `The armvtimer timer exists only in ARM guests (this one is ${arch || 'x86_64'})`, tag(t));
      const policy = t.attr('tickpolicy');
      if ((t.attr('name') === 'pit' && policy === 'merge') || (t.attr('name') === 'rtc' && (policy === 'merge' || policy === 'discard'))) place('overview', undefined, 'timer-tickpolicy', `QEMU's ${t.attr('name')} timer has no '${policy}' tick policy`, tag(t));
    }
  }

  // The clock: offset='timezone' names its zone.
  const clock = dom.element.child('clock');
  if (clock?.attr('offset') === 'timezone' && clock.attr('timezone') === undefined) place('overview', undefined, 'clock-timezone', "<clock offset='timezone'> needs timezone='…' (e.g. Europe/Paris)", tag(clock));

  // Firmware features: enrolled keys only with Secure Boot.
  const fwFeatures = dom.element.find(['os', 'firmware'])?.elements('feature') ?? [];
  const fwOff = (name: string): boolean => fwFeatures.some((f) => f.attr('name') === name && f.attr('enabled') === 'no');
  const enrolled = fwFeatures.find((f) => f.attr('name') === 'enrolled-keys' && f.attr('enabled') === 'yes');
  if (enrolled && fwOff('secure-boot')) place('boot', undefined, 'firmware-enrolled-keys', "Firmware feature 'enrolled-keys' needs 'secure-boot' enabled", tag(enrolled));

  // Interfaces that connect to something name it in <source>; an external TPM names its socket.
  for (const d of devices.filter((x) => x.element.name === 'interface' && ['bridge', 'network', 'direct'].includes(x.element.attr('type') ?? '') && !x.element.child('source'))) {
    place(d.id, undefined, 'interface-source', `<interface type='${d.element.attr('type')}'> needs a <source> element`, tag(d.element));
  }
  for (const d of devices.filter((x) => x.element.name === 'tpm' && x.element.child('backend')?.attr('type') === 'external' && !x.element.child('backend')!.child('source'))) {
    place(d.id, undefined, 'tpm-external-source', "An external TPM backend needs <source type='unix' mode='connect' path='…'/>", tag(d.element.child('backend')!));
  }

  // Panic notifiers: one per model; the s390 model only in s390 guests.
  for (const d of devices.filter((x) => x.element.name === 'panic' && x.element.attr('model') === 's390' && arch !== '' && !arch.startsWith('s390'))) {
    place(d.id, undefined, 'panic-s390', `A panic device of model 's390' needs an s390 guest (this one is ${arch})`, tag(d.element));
  }
  for (const d of devices.filter((x) => x.element.name === 'panic' && x.element.attr('model') === 'pseries' && !/^pseries/.test(machine))) {
    place(d.id, undefined, 'panic-pseries', "A panic device of model 'pseries' needs a pSeries guest (machine type pseries)", tag(d.element));
  }
  const panicModels = new Set<string>();
  for (const d of devices.filter((x) => x.element.name === 'panic')) {
    const model = d.element.attr('model') ?? '';
    if (panicModels.has(model)) place(d.id, undefined, 'panic-duplicate', `Another <panic>${model ? ` of model '${model}'` : ''} is already defined; libvirt allows one per model`, tag(d.element));
    panicModels.add(model);
  }

  // The CPU's migratable attribute belongs to the host-passthrough and maximum modes.
  const cpu = dom.element.child('cpu');
  if (cpu?.attr('migratable') !== undefined && !['host-passthrough', 'maximum'].includes(cpu.attr('mode') ?? 'custom')) {
    place('cpus', undefined, 'cpu-migratable', `migratable= applies only to the host-passthrough and maximum CPU modes, not '${cpu.attr('mode') ?? 'custom'}'`, tag(cpu));
  }

  // Firmware autoselection (<os firmware=…>) picks the loader itself: no readonly or type on
  // <loader>, and no secure='no' (probed on libvirt 9.0; secure='yes' is taken).
  const loader = dom.element.find(['os', 'loader']);
  if (dom.element.child('os')?.attr('firmware') !== undefined && loader) {
    const fixed = ['readonly', 'type', 'secure'].find((a) => loader.attr(a) !== undefined && (a !== 'secure' || loader.attr(a) === 'no'));
    if (fixed) place('boot', undefined, 'loader-autoselect', `<loader ${fixed}=…> cannot be combined with firmware autoselection (<os firmware=…>)`, doc.attributeRange(loader, fixed) ?? tag(loader));
  }

  // PCI topology: the root controller must fit the machine type; root ports have one slot (0).
  const root = devices.find((x) => x.element.name === 'controller' && x.element.attr('type') === 'pci' && indexOf(x.element) === 0);
  const rootModel = q35 ? 'pcie-root' : i440fx ? 'pci-root' : undefined;
  if (root && rootModel && root.element.attr('model') !== rootModel) place(root.id, undefined, 'pci-root-model', `The PCI controller with index 0 must be model='${rootModel}' for machine type ${eff.text}`, tag(root.element));
  const pciControllers = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'pci');
  const numaCells = dom.element.find(['cpu', 'numa'])?.elements('cell').length ?? 0;
  for (const c of pciControllers) {
    const model = c.element.attr('model') ?? '';
    // A NUMA node (<target><node>) belongs to expander buses (and pSeries PHBs), and names a cell.
    const node = c.element.child('target')?.child('node');
    if (node) {
      const takesNode = model === 'pci-expander-bus' || model === 'pcie-expander-bus' || (model === 'pci-root' && arch.startsWith('ppc64'));
      const n = Number(doc.textContent(node).trim());
      if (!takesNode) place(c.id, undefined, 'pci-numa-node', `A ${model} controller takes no NUMA node (<node> in <target> is for pci-expander-bus and pcie-expander-bus)`, tag(node));
      else if (Number.isInteger(n) && n >= numaCells) place(c.id, undefined, 'pci-numa-node', `NUMA node ${n} does not exist: the VM has ${numaCells} NUMA cell${numaCells === 1 ? '' : 's'} (<numa> in <cpu>)`, tag(node));
    }
    if ((model === 'pci-root' || model === 'pcie-root') && indexOf(c.element) !== 0) place(c.id, undefined, 'pci-root-index', `A ${model} controller must have index 0`, tag(c.element));
    // The root bus is the machine's own: libvirt gives it no address (virDomainControllerDefValidate).
    const rootAddress = model === 'pci-root' || model === 'pcie-root' ? c.element.child('address') : undefined;
    if (rootAddress) place(c.id, undefined, 'pci-root-address', `A ${model} controller cannot have an address: it is the machine's own root bus`, tag(rootAddress));
    // The ranges libvirt holds a PCI controller's numbers to beyond the schema's (the same function).
    const index = indexOf(c.element);
    if (index > 255) place(c.id, undefined, 'pci-controller-range', `PCI controller index ${index} is too high: the highest is 255`, tag(c.element));
    const target = c.element.child('target');
    const options = model === 'pci-root' && /^ppc/.test(arch) ? undefined : PCI_TARGET_OPTIONS[model];
    if (target && options) {
      for (const attr of PCI_TARGET_ATTRIBUTES.filter((x) => target.attr(x) !== undefined && !options.includes(x))) {
        const takes = options.length === 0 ? 'it takes none of them' : `it takes ${options.join(', ')}`;
        place(c.id, undefined, 'pci-target-option', `A ${model} controller has no <target ${attr}=…>: ${takes}`, doc.attributeRange(target, attr) ?? tag(target));
      }
    }
    if (target) {
      for (const [attr, lo, hi] of PCI_TARGET_RANGES) {
        const v = numAttr(target, attr);
        if (v !== undefined && (v < lo || v > hi)) place(c.id, undefined, 'pci-controller-range', `The PCI controller's ${attr} ${target.attr(attr)} is out of range: it must be ${lo}-${hi}`, tag(target));
      }
      const targetIndex = numAttr(target, 'index');
      if (targetIndex !== undefined && targetIndex >= 0 && targetIndex <= 30 && (index === 0) !== (targetIndex === 0)) {
        place(c.id, undefined, 'pci-controller-range', 'Only the PCI controller with index 0 can have target index 0, and it must have that one', tag(target));
      }
    }
  }
  const buses = new Map(pciControllers.map((x) => [indexOf(x.element), x.element.attr('model') ?? '']));
  if (rootModel && !buses.has(0)) buses.set(0, rootModel);
  const maxIndex = Math.max(...buses.keys());
  // An index below the highest that no controller has: libvirt fills it with a root port on q35
  // and a PCI bridge on i440fx (probed on libvirt 9.0).
  const gapModel = rootModel === 'pcie-root' ? 'pcie-root-port' : rootModel === 'pci-root' ? 'pci-bridge' : undefined;
  const busModelOf = (bus: number): string | undefined => buses.get(bus) ?? (bus < maxIndex ? gapModel : undefined);
  for (const d of devices) {
    const a = d.element.child('address');
    // An address of all zeros is one libvirt assigns itself (see pciAddressText).
    if (a?.attr('type') !== 'pci' || pciAddressText(a) === undefined) continue;
    const bus = numAttr(a, 'bus');
    if (bus === undefined) continue;
    // PCIe ports and bridges plug into particular controllers only (libvirt domain_addr.c); of
    // these, libvirt adds a missing bus only for an upstream port (a root port).
    const fits = d.element.name === 'controller' && d.element.attr('type') === 'pci' ? PORT_PLUGS_INTO[d.element.attr('model') ?? ''] : undefined;
    const busModel = busModelOf(bus);
    if (fits && (busModel !== undefined ? fits.into !== undefined && !fits.into.includes(busModel) : !fits.added)) {
      const what = busModel !== undefined ? `bus ${a.attr('bus')} is a ${busModel}` : `there is no controller with index ${bus}, and libvirt cannot add one for it`;
      place(d.id, undefined, 'pci-port-bus', `A ${d.element.attr('model')} ${fits.into ? `plugs into ${fits.into.join(' or ')}; ` : 'needs an existing bus: '}${what}`, tag(a));
    }
    if (bus === 0) continue;
    const model = busModel;
    const filled = !buses.has(bus) && model !== undefined ? ' (libvirt adds it for the missing index)' : '';
    if ((model === 'pcie-root-port' || model === 'pcie-switch-downstream-port') && (numAttr(a, 'slot') ?? 0) > 0) place(d.id, undefined, 'pci-slot', `Bus ${a.attr('bus')} is a PCIe ${model === 'pcie-root-port' ? 'root' : 'downstream'} port${filled}: it has only slot 0`, tag(a));
    if ((model === 'pci-bridge' || model === 'pcie-to-pci-bridge') && (numAttr(a, 'slot') ?? 0) === 0) place(d.id, undefined, 'pci-slot', `Bus ${a.attr('bus')} is a ${model}${filled}: its slots start at 1`, tag(a));
    // A bus no controller has yet: libvirt adds controllers up to it. For a PCIe device on q35 they
    // are root ports (one slot each, slot 0), each on a function of the root complex: eight to a
    // slot that is free or holds only root ports (measured on libvirt 9.0: the last bus it accepts
    // is exactly the one these functions run out at). For a conventional PCI device, and on
    // i440fx for any, they are PCI bridges, whose slots start at 1.
    if (model === undefined && !fits) {
      const slot = numAttr(a, 'slot') ?? 0;
      const connect = rootModel === 'pcie-root' ? pciConnectOnQ35(d.element) : rootModel === 'pci-root' ? 'pci' : undefined;
      if (connect === 'pci' && slot === 0) place(d.id, undefined, 'pci-slot', `There is no bus ${a.attr('bus')}: libvirt adds a PCI bridge for it, whose slots start at 1`, tag(a));
      if (connect === 'pcie') {
        if (slot > 0) place(d.id, undefined, 'pci-slot', `There is no bus ${a.attr('bus')}: libvirt adds a PCIe root port for it, which has only slot 0`, tag(a));
        const needed = bus - maxIndex;
        const free = rootPortFunctions(devices);
        if (needed > free) place(d.id, undefined, 'pci-bus-room', `There is no bus ${a.attr('bus')}: libvirt would add ${needed} PCIe root ports up to it, and the root complex has room for ${free}`, tag(a));
      }
    }
  }

  // USB ports: a USB address names a port of its bus's controller (a hub's ports after a dot).
  // The ports of each model (libvirt domain_addr.c, probed on libvirt 9.0); without any USB
  // controller libvirt adds qemu-xhci on q35 and piix3-uhci on i440fx.
  const usbPorts = (el: XmlElement | undefined): number | undefined => {
    const model = el?.attr('model') ?? (q35 ? 'qemu-xhci' : i440fx ? 'piix3-uhci' : undefined);
    if (model === 'qemu-xhci' || model === 'nec-xhci') return (el ? numAttr(el, 'ports') : undefined) ?? 4;
    return model === undefined ? undefined : USB_MODEL_PORTS[model];
  };
  const usbBuses = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'usb');
  for (const d of devices) {
    const a = d.element.child('address');
    if (a?.attr('type') !== 'usb') continue;
    const bus = numAttr(a, 'bus') ?? 0;
    const onBus = usbBuses.filter((x) => indexOf(x.element) === bus);
    // Bus 0 is there without a controller too (libvirt adds one).
    if (onBus.length === 0 && bus !== 0) {
      place(d.id, undefined, 'usb-bus', `USB bus ${bus} does not exist: no USB controller has index ${bus}`, tag(a));
      continue;
    }
    if (a.attr('port') === undefined) continue;
    const port = Number(a.attr('port')!.split('.')[0]);
    const counts = onBus.map((x) => usbPorts(x.element)).filter((n): n is number => n !== undefined);
    const ports = onBus.length > 0 ? (counts.length > 0 ? Math.max(...counts) : undefined) : bus === 0 && usbBuses.length === 0 ? usbPorts(undefined) : undefined;
    if (ports !== undefined && Number.isInteger(port) && port > ports) place(d.id, undefined, 'usb-port', `USB bus ${bus} has ${ports} port${ports === 1 ? '' : 's'}: there is no port ${port}`, tag(a));
  }

  // USB input devices and USB redirection take a USB address (or none).
  for (const d of devices.filter((x) => (x.element.name === 'input' && x.element.attr('bus') === 'usb') || x.element.name === 'redirdev')) {
    const a = d.element.child('address');
    if (a && a.attr('type') !== 'usb') place(d.id, undefined, 'usb-address', `A USB device takes a USB address (type='usb'), not type='${a.attr('type')}'`, tag(a));
  }

  // Disks: only CD-ROM and floppy drives may be empty; removable= belongs to USB disks.
  for (const d of devices.filter((x) => x.element.name === 'disk')) {
    const el = d.element;
    const device = el.attr('device') ?? 'disk';
    const src = el.child('source');
    const hasSource = src !== undefined && (src.attributes.length > 0 || src.children.some((c) => c.kind === 'element'));
    if (!['cdrom', 'floppy'].includes(device) && !hasSource) place(d.id, undefined, 'disk-source-missing', `A ${device === 'lun' ? 'LUN' : 'disk'} needs a source: only CD-ROM and floppy drives can be empty`, tag(src ?? el));
    const target = el.child('target');
    if (target?.attr('removable') !== undefined && target.attr('bus') !== 'usb') place(d.id, undefined, 'disk-removable', "removable= applies only to USB disks (bus='usb')", tag(target));
  }

  // Disks: the floppy controller takes only floppies.
  for (const d of devices.filter((x) => x.element.name === 'disk' && x.element.child('target')?.attr('bus') === 'fdc' && (x.element.attr('device') ?? 'disk') !== 'floppy')) {
    place(d.id, undefined, 'disk-bus-fdc', "Only a floppy (device='floppy') can be on the 'fdc' bus", tag(d.element.child('target')!));
  }

  // IDE: one controller (index 0); a disk addressed on another one makes libvirt add one it refuses.
  for (const d of devices.filter((x) => x.element.name === 'disk' && x.element.child('target')?.attr('bus') === 'ide')) {
    const a = d.element.child('address');
    if (a?.attr('type') === 'drive' && (numAttr(a, 'controller') ?? 0) > 0) place(d.id, undefined, 'ide-controller', 'libvirt supports only one IDE controller (controller 0)', tag(a));
  }

  // IDE controllers: an i440fx (pc) machine has one built in, index 0; a q35 machine has none
  // (libvirt's QEMU driver refuses any other).
  if (qemu) {
    for (const d of devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'ide')) {
      if (q35) place(d.id, undefined, 'ide-controller', `The q35 machine type${eff.assumed ? ` ${eff.text}` : ''} has no IDE controller: use SATA or SCSI`, tag(d.element));
      else if (i440fx && indexOf(d.element) > 0) place(d.id, undefined, 'ide-controller', `Machine type ${eff.text} has one IDE controller (index 0)`, tag(d.element));
    }
  }

  // NUMA cells: ids 0 to n-1, each once.
  const cells = dom.element.find(['cpu', 'numa'])?.elements('cell') ?? [];
  const ids = new Set<number>();
  for (const c of cells) {
    const id = numAttr(c, 'id');
    if (id === undefined) continue;
    // libvirt 9.0 accepted a repeated id when the cells had no memory; it refuses it when they have.
    if (ids.has(id) && Number(c.attr('memory') ?? 0) > 0) place('cpus', 'numaCells', 'numa-cell-id', `NUMA cell id ${id} is used twice`, tag(c));
    else if (id >= cells.length) place('cpus', 'numaCells', 'numa-cell-id', `NUMA cell ids must run from 0 to ${cells.length - 1} (one cell each), not ${id}`, tag(c));
    ids.add(id);
  }
}
