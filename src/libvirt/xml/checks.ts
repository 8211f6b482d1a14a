// The one checker of domain XML beyond the schema: the cross-field checks of every section and
// device description, plus the checks that span devices (duplicate targets and boot orders,
// Windows 11 needs, host devices and disk sources that do not exist). Each problem carries a
// text range (for the XML editor) and a target { section, field } (for the details form), and
// where the fix is clear, the fix as text edits.

import { allocateDiskTarget, buildTpmXml, PCI_ADDR_RE } from './builders';
import { DiskBus } from './devices';
import { Diagnostic, fixFromTexts } from './diagnostics';
import { DomainXml, LIBOSINFO_NS } from './domainXml';
import { isField, readValues } from './kinds/access';
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
function fieldRange(doc: XmlDocument, el: XmlElement, f: FieldDescription | undefined): TextRange {
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
function fixBy(dom: DomainXml, section: string, title: string, edit: (d: DomainXml, el: XmlElement) => void): Diagnostic['fix'] {
  const copy = DomainXml.parse(dom.doc.text);
  const el = sectionElement(copy, section);
  if (!el) return undefined;
  edit(copy, el);
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

  // Windows 11: UEFI and TPM 2.0.
  const os = dom.element.child('os');
  if (/microsoft\.com\/win\/11/.test(dom.osinfoId ?? '') && os) {
    const loader = dom.element.find(['os', 'loader']);
    const efi = dom.get('firmware') === 'efi' || loader?.attr('type') === 'pflash';
    if (!efi) place('overview', 'firmware', 'win11-needs-uefi', 'Windows 11 requires UEFI firmware', doc.startTagRange(os), fixBy(dom, 'overview', 'Use UEFI firmware', (x) => x.set('firmware', 'efi')));
    const tpm = devices.find((d) => d.description.kind === 'tpm');
    const meta = dom.metadataElement(LIBOSINFO_NS) ?? os;
    if (!tpm) {
      place('os', 'osinfo', 'win11-needs-tpm', 'Windows 11 requires a TPM 2.0 device', doc.startTagRange(meta), fixBy(dom, 'overview', 'Add an emulated TPM 2.0', (x) => x.addDeviceXml(buildTpmXml())));
    } else if (tpm.values.version === '1.2') {
      const backend = tpm.element.child('backend') ?? tpm.element;
      place(tpm.id, 'version', 'win11-needs-tpm', 'Windows 11 requires TPM 2.0, not 1.2', doc.attributeRange(backend, 'version') ?? doc.startTagRange(backend), fixBy(dom, tpm.id, 'Use TPM 2.0', (x, el) => x.doc.setAttribute(el.child('backend')!, 'version', '2.0')));
    }
  }

  // Host devices that are not on this host.
  for (const h of devices.filter((d) => d.description.kind === 'hostdev')) {
    const srcAddr = h.element.find(['source', 'address']);
    const remove = fixBy(dom, h.id, 'Remove the device', (x, el) => x.doc.removeElement(el));
    if (h.values.type === 'pci' && ctx.hostPciAddresses && srcAddr) {
      const hex = (v: string | undefined, w: number): string => (v === undefined ? '0'.repeat(w) : Number(v).toString(16).padStart(w, '0'));
      const addr = `${hex(srcAddr.attr('domain'), 4)}:${hex(srcAddr.attr('bus'), 2)}:${hex(srcAddr.attr('slot'), 2)}.${hex(srcAddr.attr('function'), 1)}`;
      if (!ctx.hostPciAddresses.some((a) => PCI_ADDR_RE.test(a) && a.toLowerCase() === addr)) place(h.id, 'sourceSlot', 'hostdev-missing', `PCI device ${addr} does not exist on this host`, doc.startTagRange(srcAddr), remove, 'warning');
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
