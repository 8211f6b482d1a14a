// The one checker of domain XML beyond the schema: the cross-field checks of every section and
// device description, plus the checks that span devices (duplicate targets and boot orders,
// host devices and disk sources that do not exist). What libvirt accepts but runs worse (or an
// installer refuses, as Windows 11 without TPM and UEFI) is a hint (src/forms/hints.ts), a
// lower channel of the same diagnostic shape that reuses fixBy and fieldRange from here. Each problem carries a
// text range (for the XML editor) and a target { section, field } (for the details form), and
// where the fix is clear, the fix as text edits.

import { allocateDiskTarget, PCI_ADDR_RE } from './allocate';
import type { DiskBus } from './kinds/disk';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { DomainXml } from './domainXml';
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

  defineRules(dom, devices, place);

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

/** A numeric attribute in libvirt's notation (decimal or 0x hex); undefined when absent or malformed. */
function numAttr(el: XmlElement, name: string): number | undefined {
  const v = el.attr(name)?.trim();
  if (v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) return undefined;
  return Number(v);
}

/**
 * What libvirt refuses when it parses a definition (define with or without VALIDATE), beyond the
 * schema: the rules the differential test against the real daemon showed, with libvirt's words in
 * the messages. Each names the element at fault.
 */
function defineRules(dom: DomainXml, devices: ReturnType<typeof describedDevices>, place: Place): void {
  const doc = dom.doc;
  const tag = (el: XmlElement): TextRange => doc.startTagRange(el);

  // Controllers: one per type and index; a PCI controller's model name must fit its model.
  const controllers = new Map<string, XmlElement>();
  for (const d of devices.filter((x) => x.element.name === 'controller')) {
    const el = d.element;
    const index = el.attr('index');
    const key = `${el.attr('type') ?? ''}/${index === undefined ? '' : Number(index)}`;
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

  // Addresses: one device per PCI function and per virtio-serial port.
  const taken = new Set<string>();
  for (const d of devices) {
    const a = d.element.child('address');
    if (!a) continue;
    let key: string | undefined;
    if (a.attr('type') === 'pci') {
      const [dm, bus, slot, fn] = ['domain', 'bus', 'slot', 'function'].map((n) => numAttr(a, n) ?? 0);
      if (a.attr('bus') !== undefined && a.attr('slot') !== undefined) key = `pci ${dm!.toString(16).padStart(4, '0')}:${bus!.toString(16).padStart(2, '0')}:${slot!.toString(16).padStart(2, '0')}.${fn}`;
    } else if (a.attr('type') === 'usb' && a.attr('port') !== undefined) {
      key = `USB address bus ${numAttr(a, 'bus') ?? 0} port ${a.attr('port')}`;
    } else if (a.attr('type') === 'virtio-serial' && a.attr('port') !== undefined) {
      key = `virtio-serial port ${numAttr(a, 'port')} on controller ${numAttr(a, 'controller') ?? 0} bus ${numAttr(a, 'bus') ?? 0}`;
    }
    if (key === undefined) continue;
    if (taken.has(key)) place(d.id, undefined, 'address-in-use', `Another device already uses ${key.replace(/^pci /, 'PCI address ')}`, tag(a));
    taken.add(key);
  }

  // USB devices need a USB controller that is not model='none'.
  const usbControllers = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'usb');
  if (usbControllers.length > 0 && usbControllers.every((c) => c.element.attr('model') === 'none')) {
    for (const d of devices.filter((x) => onUsb(x.element))) place(d.id, undefined, 'usb-disabled', `<${d.element.name}> is a USB device but USB is disabled (<controller type='usb' model='none'/>)`, tag(d.element));
  }

  // TPM: one emulated or passthrough TPM; CRB needs TPM 2.0.
  const tpms = devices.filter((x) => x.element.name === 'tpm' && x.element.attr('model') !== 'spapr-tpm-proxy');
  for (const d of tpms.slice(1)) place(d.id, undefined, 'tpm-single', 'libvirt supports only one TPM (besides a proxy)', tag(d.element));
  for (const d of tpms) {
    const backend = d.element.child('backend');
    if (d.element.attr('model') === 'tpm-crb' && backend?.attr('version') === '1.2') place(d.id, 'version', 'tpm-crb-version', 'A CRB TPM needs TPM 2.0, not 1.2', tag(backend));
  }

  // SPICE channels and redirection need SPICE graphics.
  if (!devices.some((x) => x.element.name === 'graphics' && x.element.attr('type') === 'spice')) {
    for (const d of devices.filter((x) => (['channel', 'redirdev', 'smartcard', 'serial', 'console', 'parallel'].includes(x.element.name) && x.element.attr('type') === 'spicevmc') || (x.element.name === 'audio' && x.element.attr('type') === 'spice'))) {
      place(d.id, undefined, 'spice-needed', `<${d.element.name} type='${d.element.attr('type')}'> needs SPICE graphics (<graphics type='spice'>)`, tag(d.element));
    }
  }

  // Memory hotplug: <maxMemory> needs its slots, a size of at least <memory>, and a NUMA node.
  const maxMem = dom.element.child('maxMemory');
  if (maxMem) {
    const slots = numAttr(maxMem, 'slots');
    const size = Number(doc.textContent(maxMem).trim());
    const unit = maxMem.attr('unit') ?? 'KiB';
    const factor: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, KiB: 1, k: 1, KB: 1000 / 1024, MiB: 1024, M: 1024, MB: 1e6 / 1024, GiB: 1024 ** 2, G: 1024 ** 2, GB: 1e9 / 1024, TiB: 1024 ** 3, T: 1024 ** 3, TB: 1e12 / 1024 };
    const sizeKiB = Number.isFinite(size) && factor[unit] !== undefined ? size * factor[unit]! : undefined;
    if (!slots || !sizeKiB) place('memory', undefined, 'max-memory-incomplete', '<maxMemory> needs both a size and a slot count (slots greater than 0)', tag(maxMem));
    else if (dom.memoryKiB !== undefined && sizeKiB < dom.memoryKiB) place('memory', 'memory', 'max-memory-below-memory', `<maxMemory> must be at least the memory size`, tag(maxMem));
    else if (!dom.element.find(['cpu', 'numa', 'cell'])) place('memory', undefined, 'max-memory-needs-numa', 'Memory hotplug (<maxMemory>) needs at least one NUMA cell (<cpu><numa>)', tag(maxMem));
  }

  // Memory: a size in <memory> or in the NUMA cells.
  const memEl = dom.element.child('memory');
  if (memEl && dom.memoryKiB === 0 && !dom.element.find(['cpu', 'numa', 'cell'])) place('memory', 'memory', 'memory-zero', 'The memory size must be more than 0 (or given by NUMA cells)', tag(memEl));

  // Character devices over TCP or UDP need the service (port) they use.
  for (const d of devices.filter((x) => ['serial', 'console', 'parallel', 'channel', 'redirdev'].includes(x.element.name) && ['tcp', 'udp'].includes(x.element.attr('type') ?? ''))) {
    if (!d.element.elements('source').some((src) => src.attr('service') !== undefined)) {
      place(d.id, undefined, 'chardev-needs-service', `<${d.element.name} type='${d.element.attr('type')}'> needs <source mode='connect' host='…' service='PORT'/>`, tag(d.element));
    }
  }

  for (const d of devices.filter((x) => ['serial', 'console', 'parallel', 'channel'].includes(x.element.name) && ['file', 'dev', 'pipe'].includes(x.element.attr('type') ?? ''))) {
    if (!d.element.elements('source').some((src) => src.attr('path') !== undefined)) place(d.id, undefined, 'chardev-needs-path', `<${d.element.name} type='${d.element.attr('type')}'> needs <source path='…'/>`, tag(d.element));
  }
  for (const d of devices.filter((x) => ['serial', 'console', 'parallel', 'channel'].includes(x.element.name) && x.element.attr('type') === 'spiceport')) {
    if (!d.element.elements('source').some((src) => src.attr('channel') !== undefined)) place(d.id, undefined, 'chardev-needs-channel', `<${d.element.name} type='spiceport'> needs <source channel='…'/>`, tag(d.element));
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
    const fits: Record<string, string> = { 'isa-serial': 'isa-serial', 'usb-serial': 'usb-serial', 'pci-serial': 'pci-serial', 'isa-debugcon': 'isa-debug' };
    if (model !== undefined && type !== undefined && fits[model] !== undefined && fits[model] !== type) place(d.id, undefined, 'serial-model-type', `Serial target model '${model}' needs target type '${fits[model]}', not '${type}'`, tag(target!.child('model')!));
  }

  // Models only a Xen (or other) hypervisor has; formats QEMU does not support.
  const xen = dom.element.attr('type') === 'xen';
  for (const d of devices) {
    const el = d.element;
    if (!xen && ((el.name === 'input' && el.attr('bus') === 'xen') || (el.name === 'memballoon' && el.attr('model') === 'xen'))) place(d.id, undefined, 'xen-only', `<${el.name}> ${el.name === 'input' ? "bus='xen'" : "model='xen'"} exists only in Xen domains`, tag(el));
    if (el.name === 'disk' && el.child('driver')?.attr('type') === 'cow') place(d.id, undefined, 'disk-format-cow', "The 'cow' disk format is not supported", tag(el.child('driver')!));
  }

  // Firmware autoselection (<os firmware=…>) picks the loader itself: no readonly on <loader>.
  const loader = dom.element.find(['os', 'loader']);
  if (dom.element.child('os')?.attr('firmware') !== undefined && loader?.attr('readonly') !== undefined) {
    place('boot', undefined, 'loader-autoselect', "<loader readonly=…> cannot be combined with firmware autoselection (<os firmware=…>)", tag(loader));
  }

  // PCI topology: the root controller must fit the machine type; root ports have one slot (0).
  const machine = dom.element.find(['os', 'type'])?.attr('machine') ?? '';
  const root = devices.find((x) => x.element.name === 'controller' && x.element.attr('type') === 'pci' && numAttr(x.element, 'index') === 0);
  const rootModel = /q35/.test(machine) ? 'pcie-root' : /^(pc|pc-i440fx)/.test(machine) ? 'pci-root' : undefined;
  if (root && rootModel && root.element.attr('model') !== rootModel) place(root.id, undefined, 'pci-root-model', `The PCI controller with index 0 must be model='${rootModel}' for machine type '${machine}'`, tag(root.element));
  const pciControllers = devices.filter((x) => x.element.name === 'controller' && x.element.attr('type') === 'pci');
  for (const c of pciControllers) {
    const model = c.element.attr('model') ?? '';
    if ((model === 'pci-root' || model === 'pcie-root') && (numAttr(c.element, 'index') ?? 0) !== 0) place(c.id, undefined, 'pci-root-index', `A ${model} controller must have index 0`, tag(c.element));
  }
  const buses = new Map(pciControllers.map((x) => [numAttr(x.element, 'index'), x.element.attr('model') ?? '']));
  for (const d of devices) {
    const a = d.element.child('address');
    if (a?.attr('type') !== 'pci') continue;
    const bus = numAttr(a, 'bus');
    if (bus === undefined || bus === 0) continue;
    // A bus no controller has yet: libvirt adds one, of a kind that depends on the device; not judged here.
    const model = buses.get(bus);
    if ((model === 'pcie-root-port' || model === 'pcie-switch-downstream-port') && (numAttr(a, 'slot') ?? 0) > 0) place(d.id, undefined, 'pci-slot', `Bus ${a.attr('bus')} is a PCIe ${model === 'pcie-root-port' ? 'root' : 'downstream'} port: it has only slot 0`, tag(a));
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
