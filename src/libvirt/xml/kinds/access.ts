// Reading and writing a described field: through fields.ts for a Field, through the accessor
// otherwise. Form values are converted to the field's type here, with a clear error for a value
// that does not fit (text in a number field, an unknown enumeration value).

import type { FormValue } from '../../../forms/formSchema';
import type { DomainXml } from '../domainXml';
import { Field, readField, writeField, XmlValueError } from '../fields';
import type { XmlElement } from '../xmlDocument';
import type { Accessor, DeviceDescription, FieldDescription, Values } from './types';

export function isField(x: Field<unknown> | Accessor): x is Field<unknown> {
  return 'codec' in x;
}

export function readValue(f: FieldDescription, dom: DomainXml, el: XmlElement): FormValue {
  if (f.hostValue) return undefined;
  if (!isField(f.xml)) return f.xml.read(dom, el);
  const v = readField(dom.doc, el, f.xml);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** The form value in the field's own type; '' means "not set". */
export function coerce(f: FieldDescription, value: FormValue): FormValue {
  if (value === undefined || value === '') return undefined;
  const type = isField(f.xml) ? f.xml.type : f.widget === 'number' || f.widget === 'size' ? 'int' : f.widget === 'checkbox' ? 'bool' : 'string';
  switch (type) {
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw new XmlValueError(`${f.label}: '${String(value)}' is not a whole number`, f.id);
      if (f.min !== undefined && n < f.min) throw new XmlValueError(`${f.label}: ${n} is less than ${f.min}`, f.id);
      if (f.max !== undefined && n > f.max) throw new XmlValueError(`${f.label}: ${n} is more than ${f.max}`, f.id);
      return n;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw new XmlValueError(`${f.label}: '${String(value)}' is not on or off`, f.id);
      return value;
    default:
      return String(value);
  }
}

export function writeValue(f: FieldDescription, dom: DomainXml, el: XmlElement, value: FormValue): void {
  if (f.widget === 'readonly' || f.hostValue) throw new XmlValueError(`${f.label} cannot be changed here`, f.id);
  const v = coerce(f, value);
  if (!isField(f.xml)) {
    f.xml.write(dom, el, v);
    return;
  }
  // A switch that is off and stored as presence is removed; a yes/no switch keeps its "no".
  writeField(dom.doc, el, f.xml, v, f.id);
}

/**
 * A new device of a kind with its defaults only, inserted through the document model (the
 * checker's fixes add a missing TPM this way; the forms add devices with user values through
 * forms/apply.ts addDevice, which also evaluates conditions and companions).
 */
export function addDefaultDevice(dom: DomainXml, d: DeviceDescription): XmlElement {
  const el = dom.addDeviceXml(`<${d.element}/>`).element;
  const values = d.defaults(dom);
  for (const f of d.fields) {
    const v = values[f.id];
    if (v !== undefined && !f.hostValue) writeValue(f.widget === 'readonly' ? { ...f, widget: 'text' } : f, dom, el, v);
  }
  return el;
}

export function readValues(fields: readonly FieldDescription[], dom: DomainXml, el: XmlElement): Values {
  const out: Record<string, FormValue> = {};
  for (const f of fields) {
    const v = readValue(f, dom, el);
    if (v !== undefined) out[f.id] = v;
  }
  return out;
}

/** An accessor over a named child element list, e.g. Hyper-V switches (`<hyperv><relaxed state='on'/>`). */
export function accessor(read: Accessor['read'], write: Accessor['write'], at?: readonly string[]): Accessor {
  return { read, write, ...(at ? { at } : {}) };
}
