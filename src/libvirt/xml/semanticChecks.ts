// Checks libvirt's schema cannot express (libvirt enforces most of them at define or start time,
// see formatdomain.rst), each with a location and, where one exists, a fix as text edits.

import { allocateDiskTarget, buildTpmXml, MAC_RE, PCI_ADDR_RE } from './builders';
import { DiskBus } from './devices';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { DomainXml, toKiB } from './domainXml';
import { XmlDocument, XmlElement } from './xmlDocument';

export interface DiskSourceRef {
  type: string;
  file?: string;
  dev?: string;
  pool?: string;
  volume?: string;
}

export interface SemanticContext {
  /** Host PCI addresses like 0000:01:00.0 (from the node device list); undefined: not checked. */
  hostPciAddresses?: readonly string[];
  /** Host USB devices (vendor/product ids like 0x046d, and/or bus/device numbers). */
  hostUsbDevices?: readonly { vendor?: string; product?: string; bus?: number; device?: number }[];
  /** Whether a disk's source exists in its storage pool; undefined result: unknown (no diagnostic). */
  diskSourceExists?: (src: DiskSourceRef) => boolean | undefined;
}

/** Applies `edit` to a copy of the document and returns the change as a fix. */
function fixBy(doc: XmlDocument, title: string, edit: (d: DomainXml) => void): Diagnostic['fix'] {
  const copy = DomainXml.parse(doc.text);
  edit(copy);
  return fixFromTexts(doc, copy.toString(), title);
}

/** Same element in a copy of the document (by path of child indexes). */
function elementPath(el: XmlElement): number[] {
  const p: number[] = [];
  for (let e: XmlElement = el; e.parent; e = e.parent) p.unshift(e.parent.elements().indexOf(e));
  return p;
}
function follow(root: XmlElement, p: number[]): XmlElement {
  let e = root;
  for (const i of p) e = e.elements()[i]!;
  return e;
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

export function checkSemantics(dom: DomainXml, ctx: SemanticContext = {}): Diagnostic[] {
  const doc = dom.doc;
  const out: Diagnostic[] = [];
  const root = dom.element;
  const diag = (code: string, message: string, el: XmlElement, fix?: Diagnostic['fix'], attr?: string, severity: Diagnostic['severity'] = 'error'): void => {
    const range = (attr !== undefined ? doc.attributeRange(el, attr) : undefined) ?? doc.startTagRange(el);
    out.push({ severity, message, range, code, ...(fix ? { fix } : {}) });
  };

  // vCPU topology
  const topo = root.find(['cpu', 'topology']);
  const maxVcpus = dom.get('vcpus');
  if (topo && maxVcpus !== undefined) {
    const s = num(topo.attr('sockets')) ?? 1;
    const d = num(topo.attr('dies')) ?? 1;
    const c = num(topo.attr('cores')) ?? 1;
    const t = num(topo.attr('threads')) ?? 1;
    const product = s * d * c * t;
    if (product !== maxVcpus) {
      diag('topology-mismatch', `CPU topology gives ${product} vCPUs (sockets ${s} x dies ${d} x cores ${c} x threads ${t}) but the maximum is ${maxVcpus}`, topo, fixBy(doc, `Set maximum vCPUs to ${product}`, (x) => x.set('vcpus', product)));
    }
  }
  const cur = dom.get('vcpuCurrent');
  if (cur !== undefined && maxVcpus !== undefined && cur > maxVcpus) {
    diag('vcpu-current-above-max', `Current vCPUs (${cur}) exceed the maximum (${maxVcpus})`, root.child('vcpu')!, fixBy(doc, `Set current vCPUs to ${maxVcpus}`, (x) => x.set('vcpuCurrent', maxVcpus)), 'current');
  }

  // memory
  const memEl = root.child('memory');
  const curEl = root.child('currentMemory');
  const maxKiB = dom.memoryKiB;
  if (memEl && curEl && maxKiB !== undefined) {
    const curKiB = Number(doc.textContent(curEl).trim());
    let curK: number | undefined;
    try {
      curK = toKiB(curKiB, curEl.attr('unit'));
    } catch {
      curK = undefined;
    }
    if (curK !== undefined && curK > maxKiB) {
      diag('memory-current-above-max', `Current memory (${curK} KiB) is more than the maximum memory (${maxKiB} KiB)`, curEl, fixBy(doc, 'Set current memory to the maximum', (x) => (x.currentMemoryKiB = maxKiB)));
    }
  }

  // duplicates among disks and NICs
  const disks = dom.devicesOf('disk');
  const targets = new Map<string, XmlElement>();
  for (const disk of disks) {
    const tEl = disk.element.child('target');
    const name = tEl?.attr('dev');
    if (!tEl || !name) continue;
    if (targets.has(name)) {
      const p = elementPath(tEl);
      const bus = (tEl.attr('bus') ?? 'virtio') as DiskBus;
      diag('duplicate-target', `Disk target '${name}' is already used by another disk`, tEl, fixBy(doc, 'Use a free target name', (x) => {
        const te = follow(x.element, p);
        x.doc.setAttribute(te, 'dev', allocateDiskTarget(x, bus));
      }), 'dev');
    } else targets.set(name, tEl);
  }
  const bootEls = dom.devices().map((d) => d.element.child('boot')).filter((b): b is XmlElement => b !== undefined && b.attr('order') !== undefined);
  const orders = new Set<string>();
  const maxOrder = Math.max(0, ...bootEls.map((b) => Number(b.attr('order')) || 0));
  let nextOrder = maxOrder;
  for (const b of bootEls) {
    const o = b.attr('order')!;
    if (orders.has(o)) {
      const p = elementPath(b);
      const n = ++nextOrder;
      diag('duplicate-boot-order', `Boot order ${o} is used by more than one device`, b, fixBy(doc, `Use boot order ${n}`, (x) => x.doc.setAttribute(follow(x.element, p), 'order', String(n))), 'order');
    } else orders.add(o);
  }
  if (bootEls.length > 0) {
    for (const b of root.find(['os'])?.elements('boot') ?? []) {
      diag('boot-order-mixed', 'Per-device boot order cannot be combined with <os><boot dev=.../>', b, fixBy(doc, 'Remove <os><boot>', (x) => x.bootDevices = []));
    }
  }
  const macs = new Set<string>();
  for (const nic of dom.devicesOf('interface')) {
    const macEl = nic.element.child('mac');
    const mac = macEl?.attr('address');
    if (!macEl || mac === undefined) continue;
    if (!MAC_RE.test(mac)) {
      diag('malformed-mac', `'${mac}' is not a MAC address (six hex pairs separated by ':')`, macEl, undefined, 'address');
      continue;
    }
    if (parseInt(mac.slice(0, 2), 16) & 1) diag('multicast-mac', `${mac} is a multicast address; a NIC needs a unicast MAC`, macEl, undefined, 'address');
    if (macs.has(mac.toLowerCase())) {
      const p = elementPath(macEl);
      diag('duplicate-mac', `MAC address ${mac} is used by more than one interface`, macEl, fixBy(doc, 'Remove the MAC so libvirt generates one', (x) => x.doc.removeElement(follow(x.element, p))), 'address');
    } else macs.add(mac.toLowerCase());
  }

  // firmware
  const os = root.child('os');
  const machine = dom.get('machine') ?? '';
  const loader = root.find(['os', 'loader']);
  const efi = dom.get('firmware') === 'efi' || loader?.attr('type') === 'pflash' || /OVMF|AAVMF|edk2/i.test(loader ? doc.textContent(loader) : '');
  const secureBoot = dom.firmwareFeature('secure-boot') === true || dom.get('loaderSecure') === true;
  if (secureBoot && os) {
    const typeEl = root.find(['os', 'type']) ?? os;
    if (!/q35/.test(machine)) {
      diag('secure-boot-machine', `Secure boot needs the q35 machine type (this domain uses '${machine || 'default'}')`, typeEl, fixBy(doc, 'Use machine q35', (x) => x.set('machine', 'q35')), 'machine');
    }
    const smm = root.find(['features', 'smm']);
    if (smm?.attr('state') === 'off' || (!smm && dom.get('loaderSecure') === true)) {
      diag('secure-boot-smm', 'Secure boot needs the SMM feature (<features><smm state="on"/>)', smm ?? os, fixBy(doc, 'Turn SMM on', (x) => {
        x.set('smm', true);
        x.set('smmState', true);
      }));
    }
  }
  if (efi && os && !dom.get('acpi') && /x86_64|i686|aarch64/.test(dom.get('arch') ?? 'x86_64')) {
    diag('uefi-needs-acpi', 'UEFI requires ACPI: add <acpi/> to <features>', os, fixBy(doc, 'Add <acpi/>', (x) => x.set('acpi', true)), os.attr('firmware') !== undefined ? 'firmware' : undefined);
  }
  if (/microsoft\.com\/win\/11/.test(dom.osinfoId ?? '')) {
    const tpm = dom.devicesOf('tpm')[0];
    if (!efi && os) diag('win11-needs-uefi', 'Windows 11 requires UEFI firmware', os, fixBy(doc, 'Use UEFI firmware', (x) => x.set('firmware', 'efi')));
    if (!tpm) {
      const osMeta = dom.metadataElement('http://libosinfo.org/xmlns/libvirt/domain/1.0') ?? os ?? root;
      diag('win11-needs-tpm', 'Windows 11 requires a TPM 2.0 device', osMeta, fixBy(doc, 'Add an emulated TPM 2.0', (x) => x.addDeviceXml(buildTpmXml())));
    } else if (tpm.get('version') === '1.2') {
      diag('win11-needs-tpm', 'Windows 11 requires TPM 2.0, not 1.2', tpm.element.find(['backend']) ?? tpm.element, fixBy(doc, 'Use TPM 2.0', (x) => x.devicesOf('tpm')[0]!.set('version', '2.0')), 'version');
    }
  }

  // host devices
  for (const h of dom.devicesOf('hostdev')) {
    const srcAddr = h.element.find(['source', 'address']);
    if (h.get('type') === 'pci' && ctx.hostPciAddresses && srcAddr) {
      const hex = (v: string | undefined, w: number): string => (v === undefined ? '0'.repeat(w) : Number(v).toString(16).padStart(w, '0'));
      const addr = `${hex(srcAddr.attr('domain'), 4)}:${hex(srcAddr.attr('bus'), 2)}:${hex(srcAddr.attr('slot'), 2)}.${hex(srcAddr.attr('function'), 1)}`;
      const known = ctx.hostPciAddresses.some((a) => PCI_ADDR_RE.test(a) && a.toLowerCase() === addr);
      if (!known) {
        const p = elementPath(h.element);
        diag('hostdev-missing', `PCI device ${addr} does not exist on this host`, srcAddr, fixBy(doc, 'Remove the device', (x) => x.doc.removeElement(follow(x.element, p))), undefined, 'warning');
      }
    }
    if (h.get('type') === 'usb' && ctx.hostUsbDevices) {
      const v = h.get('vendorId');
      const pr = h.get('productId');
      const bus = srcAddr ? num(srcAddr.attr('bus')) : undefined;
      const dev = srcAddr ? num(srcAddr.attr('device')) : undefined;
      const found = ctx.hostUsbDevices.some(
        (u) => (v === undefined || (u.vendor !== undefined && Number(u.vendor) === Number(v))) && (pr === undefined || (u.product !== undefined && Number(u.product) === Number(pr))) && (bus === undefined || u.bus === bus) && (dev === undefined || u.device === dev),
      );
      if (!found) {
        const p = elementPath(h.element);
        diag('hostdev-missing', `USB device ${v ?? ''}:${pr ?? ''} is not attached to this host`, h.element.child('source') ?? h.element, fixBy(doc, 'Remove the device', (x) => x.doc.removeElement(follow(x.element, p))), undefined, 'warning');
      }
    }
  }

  // disk sources
  if (ctx.diskSourceExists) {
    for (const disk of disks) {
      const src = disk.element.child('source');
      const type = disk.get('type') ?? 'file';
      if (!src) continue;
      const ref: DiskSourceRef = { type, file: src.attr('file'), dev: src.attr('dev'), pool: src.attr('pool'), volume: src.attr('volume') };
      if (ref.file === undefined && ref.dev === undefined && ref.volume === undefined) continue;
      if (ctx.diskSourceExists(ref) === false) {
        const what = ref.volume !== undefined ? `Volume '${ref.volume}' is not in pool '${ref.pool ?? ''}'` : `Disk source '${ref.file ?? ref.dev}' does not exist`;
        diag('disk-source-missing', what, src, undefined, ref.volume !== undefined ? 'volume' : ref.file !== undefined ? 'file' : 'dev', disk.get('device') === 'cdrom' ? 'warning' : 'error');
      }
    }
  }
  return out;
}
