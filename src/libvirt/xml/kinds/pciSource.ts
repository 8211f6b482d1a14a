// A host PCI address ("0000:01:00.0") as one form value over a `<source><address .../>` element:
// the four attributes a <hostdev type='pci'> or an <interface type='hostdev'> (an SR-IOV VF) name
// their host device with (formatdomain.rst "PCI devices", "PCI Passthrough").

import { PCI_ADDR_RE } from '../allocate';
import { XmlValueError } from '../fields';
import type { XmlElement } from '../xmlDocument';
import type { Accessor } from './types';

const hex = (v: string | undefined, width: number): string | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = v.toLowerCase().startsWith('0x') ? parseInt(v.slice(2), 16) : Number(v);
  return Number.isFinite(n) ? n.toString(16).padStart(width, '0') : undefined;
};

/** "0000:01:00.0" from a source <address> element; undefined when an attribute is missing. */
export function readPciSource(address: XmlElement | undefined): string | undefined {
  if (!address) return undefined;
  const d = hex(address.attr('domain') ?? '0', 4);
  const b = hex(address.attr('bus'), 2);
  const s = hex(address.attr('slot'), 2);
  const f = hex(address.attr('function') ?? '0', 1);
  return d !== undefined && b !== undefined && s !== undefined && f !== undefined ? `${d}:${b}:${s}.${f}` : undefined;
}

/**
 * The accessor. `withType` writes `type='pci'` too (an interface's source address needs it; a
 * hostdev's does not have one).
 */
export function pciSourceAccessor(opts: { readonly withType: boolean; readonly label: string }): Accessor {
  return {
    at: ['source', 'address'],
    read: (_dom, el) => readPciSource(el.find(['source', 'address'])),
    write: (dom, el, value) => {
      const existing = el.find(['source', 'address']);
      if (value === undefined) {
        if (existing) dom.doc.removeElementAndEmptyAncestors(existing, el);
        return;
      }
      const m = PCI_ADDR_RE.exec(String(value).trim());
      if (!m) throw new XmlValueError(`${opts.label}: '${String(value)}' is not a PCI address like 0000:01:00.0`, 'address');
      const a = existing ?? dom.doc.ensurePath(el, ['source', 'address']);
      if (opts.withType) dom.doc.setAttribute(a, 'type', 'pci');
      dom.doc.setAttribute(a, 'domain', `0x${m[1]!.toLowerCase()}`);
      dom.doc.setAttribute(a, 'bus', `0x${m[2]!.toLowerCase()}`);
      dom.doc.setAttribute(a, 'slot', `0x${m[3]!.toLowerCase()}`);
      dom.doc.setAttribute(a, 'function', `0x${m[4]!}`);
    },
  };
}
