// The one description of each device kind and domain section: what the tree, the summary, the
// forms, the checks and the tests know about it. Values are read and written through the
// Field/codec machinery of ../fields.ts (or an accessor of DomainXml for the few values that are
// not one attribute or text: memory sizes, the boot order, Hyper-V switches). Conditions, widgets
// and options use the serialisable vocabulary of src/forms/formSchema.ts (types only).

import type { ApplyMode, Condition, FieldOption, FormValue, WidgetKind } from '../../../forms/formSchema';
import type { DomainCapabilities } from '../capabilities';
import type { DomainXml } from '../domainXml';
import type { Field } from '../fields';
import type { XmlElement } from '../xmlDocument';

/** Reads and writes one value of a section: the domain root or one device element. */
export interface Accessor {
  read(dom: DomainXml, el: XmlElement): FormValue;
  /** `undefined` removes the value (the XML default applies). */
  write(dom: DomainXml, el: XmlElement, value: FormValue): void;
  /** The element that shows the value in the text (for the checker's ranges). */
  readonly at?: readonly string[];
}

/**
 * Named sources of allowed values in the host's domain capabilities (formatdomaincaps.rst):
 * `{ device, enum }` is `<devices><DEVICE><enum name=ENUM>`; the others are the firmware list,
 * the CPU modes and models, the machine type and the memory backing source types.
 */
export type CapsSource =
  | { readonly device: string; readonly enum: string }
  | { readonly caps: 'firmware' | 'cpuModes' | 'cpuModels' | 'machine' | 'memorySourceTypes' }
  /** Lists the panel's model gathers from the host: libosinfo's OS list, the host's pool volumes. */
  | { readonly list: OptionListName };

export type OptionListName = 'osinfo' | 'volumes';

/**
 * How the integration test generated from the descriptions exercises a field on a real inactive
 * domain: set each sample (after `with`, other fields of the same section), define with VALIDATE,
 * read back. `expect` is a regular expression when libvirt rewrites the value (q35 ->
 * pc-q35-7.2). A field that cannot be round-tripped says why in `exempt`.
 */
export type RoundTrip =
  | {
      readonly samples: readonly Exclude<FormValue, undefined>[];
      readonly with?: Readonly<Record<string, FormValue>>;
      readonly expect?: string;
    }
  | { readonly exempt: string };

export interface FieldDescription {
  readonly id: string;
  readonly label: string;
  readonly help: string;
  readonly widget: WidgetKind;
  /** Where the value lives: a field of fields.ts (relative to the section's element) or an accessor. */
  readonly xml: Field<unknown> | Accessor;
  /** Static options; for an enumerated `xml` field they default to its values. */
  readonly options?: readonly FieldOption[];
  /** Options from the host's domain capabilities (replacing the static ones when the host lists any). */
  readonly optionsFrom?: CapsSource;
  readonly allowCustom?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** For `size`: the unit of the value ('MiB'…). */
  readonly unit?: string;
  readonly placeholder?: string;
  readonly required?: boolean;
  readonly when?: Condition;
  /** When a change takes effect on a running VM (virt-manager's rules); default next boot. */
  readonly apply?: ApplyMode;
  /** Live only while this holds over the section's values (e.g. media of a CD-ROM). */
  readonly liveWhen?: Condition;
  /** A value the host keeps, not the XML (shown; changes go through their own call). */
  readonly hostValue?: 'state' | 'autostart';
  /** A button beside the field that computes a new value from the domain ("Generate new MAC"). */
  readonly action?: { readonly id: string; readonly label: string; readonly icon?: string; run(dom: DomainXml, el: XmlElement): FormValue };
  readonly roundTrip: RoundTrip;
}

/** Values of a section's fields by id, read through their descriptions. */
export type Values = Readonly<Record<string, FormValue>>;

/** A device that must exist for another to work (a SCSI disk needs a SCSI controller). */
export interface Companion {
  readonly reason: string;
  /** Whether the companion is needed for a device with these values. */
  readonly needed: Condition;
  /** Whether the domain already has it. */
  present(dom: DomainXml): boolean;
  /** The device to add (through the document model, with these field values over its defaults). */
  readonly add: { readonly kind: string; readonly values: Readonly<Record<string, FormValue>> };
}

export interface DeviceDescription {
  readonly kind: string;
  /** The element name under <devices>. */
  readonly element: string;
  /** The kind's name in lists ("Disk", "Network interface"). */
  readonly name: string;
  /** Position of the kind in the tree's hardware list (lower first); equal ranks keep XML order. */
  readonly rank: number;
  /** False: not listed in the tree nor given a form (the emulator is part of Overview). */
  readonly listed: boolean;
  readonly fields: readonly FieldDescription[];
  /**
   * The natural key of a device (target dev, MAC, host address, type and index…), never its
   * position; the registry adds "#2", "#3" to devices whose keys are equal.
   */
  identity(v: Values, el: XmlElement): string;
  /** The tree's label (virt-manager's sidebar wording); `nth` counts devices of this kind from 1. */
  title(v: Values, nth: number, el: XmlElement): string;
  /** The tree's one-line description. */
  describe(v: Values): string;
  /** A codicon id. */
  icon(v: Values): string;
  /** Field values of a new device (virt-manager's defaults); a function when they depend on the domain. */
  defaults(dom: DomainXml): Readonly<Record<string, FormValue>>;
  /** Values a new device needs beyond its defaults that only the user can choose (a source path); the generated round-trip test uses them. */
  readonly sample?: Readonly<Record<string, FormValue>>;
  readonly companions?: readonly Companion[];
  /** Cross-field checks over the device's values (run by the one checker, ../checks.ts). */
  check?(v: Values, el: XmlElement, dom: DomainXml): readonly CheckResult[];
}

/** A problem a description's check found, on one of its fields, with a fix where it is clear. */
export interface CheckResult {
  readonly field: string;
  readonly code: string;
  readonly message: string;
  readonly severity?: 'error' | 'warning';
  /** Edits a copy of the domain; `el` is the same section's element in the copy. */
  readonly fix?: { readonly title: string; edit(dom: DomainXml, el: XmlElement): void };
}

export interface SectionDescription {
  readonly id: 'overview' | 'os' | 'cpus' | 'memory' | 'boot';
  readonly title: string;
  readonly icon: string;
  readonly fields: readonly FieldDescription[];
  describe(dom: DomainXml, v: Values): string;
  check?(v: Values, el: XmlElement, dom: DomainXml): readonly CheckResult[];
}

/** The capabilities a description's options are resolved from (undefined: static options only). */
export type OptionContext = DomainCapabilities | undefined;
