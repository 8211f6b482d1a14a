// Typed views of the devices under <domain><devices> (libvirt formatdomain.rst, "Devices"). What a
// kind's element holds is described once, by the kind's description (kinds/*.ts: its `xml` table,
// read by its form fields too); a view reads and writes its element through that table and the
// document's surgical edits. Elements without a description get a generic view (`other`).

import { FieldView, type Field } from './fields';
import { descriptionOf, DEVICE_DESCRIPTIONS, type KnownDescription } from './kinds/registry';
import { XmlDocument, XmlElement } from './xmlDocument';

/** Each described kind's `xml` table, by kind. */
type Tables = { [D in KnownDescription as D['kind']]: D['xml'] };

export type KnownDeviceKind = Exclude<keyof Tables, 'other'>;
export type DeviceKind = keyof Tables;

export class DeviceView<K extends DeviceKind, S extends Record<string, Field<unknown>>> extends FieldView<S> {
  constructor(
    readonly kind: K,
    doc: XmlDocument,
    element: XmlElement,
    fields: S,
  ) {
    super(doc, element, fields);
  }
  /** Source text of the device element. */
  xml(): string {
    return this.doc.source(this.element);
  }
  remove(): void {
    this.doc.removeElement(this.element);
  }
}

type TableView<K extends DeviceKind> = DeviceView<K, Tables[K]>;

export type DiskDevice = TableView<'disk'>;
export type GraphicsDevice = TableView<'graphics'>;
export type OtherDevice = TableView<'other'>;

/** Discriminated union of all device views (switch on `kind`). */
export type Device = { [K in KnownDeviceKind]: TableView<K> }[KnownDeviceKind] | OtherDevice;

export function deviceView(doc: XmlDocument, el: XmlElement): Device {
  const d = descriptionOf(el.name);
  return new DeviceView(d.kind as DeviceKind, doc, el, d.xml) as Device;
}

/** The element names of the described kinds, in libvirt's device order (where a new device goes). */
export function deviceOrder(): string[] {
  return DEVICE_DESCRIPTIONS.map((d) => d.element);
}

/** The described kinds, in libvirt's device order. */
export function knownDeviceKinds(): KnownDeviceKind[] {
  return DEVICE_DESCRIPTIONS.map((d) => d.kind as KnownDeviceKind);
}
