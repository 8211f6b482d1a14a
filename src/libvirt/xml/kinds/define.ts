// Small constructors that keep the descriptions short: the widget follows the field's type
// (enumeration -> select, integer -> number, switch -> checkbox, text -> text) unless given.

import type { Condition, FieldOption, FormValue, WidgetKind } from '../../../forms/formSchema';
import type { Field } from '../fields';
import * as at from '../fields';
import { isField } from './access';
import type { Accessor, FieldDescription, RoundTrip } from './types';

type Extra = Partial<Omit<FieldDescription, 'id' | 'label' | 'help' | 'xml' | 'roundTrip'>>;

export function field(id: string, label: string, help: string, xml: Field<unknown> | Accessor, roundTrip: RoundTrip, extra: Extra = {}): FieldDescription {
  let widget: WidgetKind = 'text';
  if (isField(xml)) widget = xml.type === 'enum' ? 'select' : xml.type === 'int' ? 'number' : xml.type === 'bool' ? 'checkbox' : 'text';
  return { id, label, help, widget, xml, roundTrip, ...extra };
}

/** Samples for the generated round-trip test. */
export const samples = (...values: Exclude<FormValue, undefined>[]): RoundTrip => ({ samples: values });
/** Samples set after other fields of the same section (what makes the sample valid). */
export const samplesWith = (withValues: Record<string, FormValue>, ...values: Exclude<FormValue, undefined>[]): RoundTrip => ({ samples: values, with: withValues });
export const exempt = (reason: string): RoundTrip => ({ exempt: reason });

/** Options with labels: `opts(['utc', 'UTC'], ['localtime', 'Local time'])`. */
export const opts = (...pairs: (readonly [string, string])[]): FieldOption[] => pairs.map(([value, label]) => ({ value, label }));

export const eq = (field: string, equals: string | number | boolean): Condition => ({ field, equals });
export const isIn = (field: string, values: readonly string[]): Condition => ({ field, in: values });
export const isSet = (field: string): Condition => ({ field, set: true });

/** "a · b" of the parts that have a value. */
export const joined = (...parts: FormValue[]): string => parts.filter((p) => p !== undefined && p !== '' && p !== false).map(String).join(' · ');

export const str = (v: FormValue): string => (v === undefined ? '' : String(v));

/** Reasons shared by several exemptions. */
export const HOST_RESOURCE = 'needs a resource of a specific host';
export const ADDRESS = 'libvirt assigns and rewrites device addresses';

/**
 * The `xml` of an Add Hardware setup field (AddDescription.setup): a value of the form that no XML
 * holds (a new volume's size); it reads as not set and cannot be written to a device.
 */
export const SETUP_ONLY: Accessor = {
  read: () => undefined,
  write: () => {
    throw new RangeError('a setup value of Add Hardware is not stored in the XML');
  },
};

/** A setup field of Add Hardware (its widget is given: there is no XML field to infer it from). */
export function setupField(id: string, label: string, help: string, widget: WidgetKind, roundTrip: RoundTrip, extra: Extra = {}): FieldDescription {
  return { id, label, help, widget, xml: SETUP_ONLY, roundTrip, ...extra };
}

/** Where a device's address and alias live: part of every device kind's element (fields.ts). */
export const ADDRESS_FIELDS = {
  addressType: at.str('address', 'type'),
  addressDomain: at.str('address', 'domain'),
  addressBus: at.str('address', 'bus'),
  addressSlot: at.str('address', 'slot'),
  addressFunction: at.str('address', 'function'),
  addressController: at.str('address', 'controller'),
  addressTarget: at.str('address', 'target'),
  addressUnit: at.str('address', 'unit'),
  alias: at.str('alias', 'name'),
};
