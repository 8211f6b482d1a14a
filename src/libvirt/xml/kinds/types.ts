// The one description of each device kind and domain section: what the tree, the summary, the
// forms, the checks and the tests know about it. Values are read and written through the
// Field/codec machinery of ../fields.ts (or an accessor of DomainXml for the few values that are
// not one attribute or text: memory sizes, the boot order, Hyper-V switches). Conditions, widgets
// and options use the serialisable vocabulary of src/forms/formSchema.ts (types only).

import type { ApplyMode, Condition, FieldOption, FormValue, WidgetKind } from '../../../forms/formSchema';
import type { DomainCapabilities } from '../capabilities';
import type { Connection } from '../../connection';
import type { DomainXml } from '../domainXml';
import type { Field, FieldTable } from '../fields';
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

/**
 * Named lists gathered from the host (see src/forms/optionLists.ts, one loader per name): the
 * details panel gathers 'osinfo' and 'volumes'; Add Hardware gathers whichever its kinds' fields
 * and setup fields name. A new list is a new name here plus its loader there.
 */
export type OptionListName = 'osinfo' | 'volumes' | 'pools' | 'networks' | 'hostInterfaces' | HostDeviceListName;

/**
 * The host's passthrough candidates (src/forms/hostDeviceOptions.ts builds all of them from one
 * host device inventory): PCI devices, GPUs only, USB devices, mdev types to create an instance
 * of, existing mediated devices, SR-IOV virtual functions.
 */
export type HostDeviceListName = 'pciDevices' | 'gpus' | 'usbDevices' | 'mdevTypes' | 'mdevDevices' | 'sriovVfs';

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

export interface DeviceDescription<K extends string = string, T extends FieldTable = FieldTable> {
  readonly kind: K;
  /** The element name under <devices>. */
  readonly element: string;
  /**
   * Where each value lives in the element (fields.ts constructors): what `fields` read and write,
   * and what DomainXml's typed device views (devicesOf('disk')…, ../devices.ts) read through.
   */
  readonly xml: T;
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
  /** How Add Hardware offers this kind; absent: not offered there. */
  readonly add?: AddDescription;
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

/**
 * What Add Hardware needs beyond the kind's fields (src/forms/addHardware.ts reads only this and
 * the description: a kind is offered, prefilled, checked and added without code in the panel).
 * The form shows the kind's fields (minus `omit`, with `overrides`) after its `setup` fields,
 * prefilled with `defaults(dom)` plus the setup fields' defaults; a field whose `optionsFrom`
 * names a host list gets that list.
 */
export interface AddDescription {
  /** The entry in the list of kinds ("Storage", "Network"). */
  readonly label: string;
  readonly icon: string;
  /** Position in the list (lower first). */
  readonly order: number;
  /** Field ids of the description not offered when adding (a CD-ROM's tray, a console's port). */
  readonly omit?: readonly string[];
  /** Changes to a field when adding: a read-only field of the details form that is chosen here (a controller's type), a target that is allocated unless given. */
  readonly overrides?: Readonly<Record<string, Partial<Pick<FieldDescription, 'widget' | 'required' | 'when' | 'placeholder' | 'help' | 'options' | 'optionsFrom' | 'allowCustom'>>>>;
  /** Conditions added (with "and") to a field's own `when` while adding (a disk's source fields hide while a new volume is made). */
  readonly alsoWhen?: Readonly<Record<string, Condition>>;
  /**
   * Fields only a new device has, stored in no XML: how its source is made (a new volume's pool,
   * name, size, format). They come first in the form; `prepare` reads them. Their `xml` is
   * SETUP_ONLY; their round-trip samples are exercised through the whole add path.
   */
  readonly setup?: readonly FieldDescription[];
  /** Setup fields shown after a field of the kind instead of first: setup id -> the kind's field id (in setup order). */
  readonly setupAfter?: Readonly<Record<string, string>>;
  /** Setup values the generated test uses under the samples of the kind's own fields (existing storage, so a disk's source fields show). */
  readonly sampleWith?: Readonly<Record<string, FormValue>>;
  /** Values of the setup fields for a new device of this domain. */
  setupDefaults?(dom: DomainXml): Readonly<Record<string, FormValue>>;
  /**
   * Values that follow a change of field `changed` (a disk's bus follows its device type, its
   * target follows the bus): returned values replace the form's. Runs on the host while typing.
   */
  derive?(dom: DomainXml, values: Values, changed: string): Readonly<Record<string, FormValue>>;
  /** Values filled in at Finish when the user left them empty (a free target, a free controller index). */
  complete?(dom: DomainXml, values: Values): Readonly<Record<string, FormValue>>;
  /** Checks over the form's values that need the host (a MAC or VSOCK CID used by another VM, a volume name taken). */
  hostCheck?(host: AddHost, values: Values): Promise<readonly CheckResult[]>;
  /**
   * Work on the host before the device is defined (create the new volume). Returns the device
   * values it produced (the volume's path) and an undo for when the define is refused.
   */
  prepare?(host: AddHost, values: Values): Promise<Prepared>;
  /**
   * What `prepare` will set, as far as it is known before it runs (a new volume by its pool and
   * name): the device is checked with these while the form is filled in, so that the checker sees
   * the source the device will have, not an empty one.
   */
  planned?(values: Values): Readonly<Record<string, FormValue>>;
  /**
   * Defaults that follow the guest OS, as virt-manager picks them from libosinfo: for each field,
   * the first value whose device the VM's OS (its libosinfo id, with the OSes it derives from) has
   * a driver for. Applied only when osinfo-db lists devices for that OS; values that follow
   * (a disk's target after its bus) come from `derive`.
   */
  readonly osModels?: readonly OsModelRule[];
  /** Whether to try a hot-plug into a running VM (libvirt has the last word: a refusal asks about the next boot); default true. */
  readonly hotplug?: boolean | Condition;
}

/** One default chosen by the guest OS's drivers (osinfo-db `<devices>`). */
export interface OsModelRule {
  readonly field: string;
  /** In preference order; `devices` are osinfo-db device ids (http://pcisig.com/pci/VENDOR/DEVICE…). */
  readonly prefer: readonly { readonly value: string; readonly devices: readonly string[] }[];
  /** The value when the OS has drivers listed but none of these (a disk bus without VirtIO: SATA or IDE by machine). */
  otherwise?(dom: DomainXml): FormValue;
}

/** What osinfo-db says about a guest OS's drivers (src/libvirt/osinfoMedia.ts OsinstallCatalog). */
export interface GuestDrivers {
  /** Whether osinfo-db lists any device for the OS or the OSes it derives from. */
  listsDevices(osId: string): boolean;
  supports(osId: string, deviceIds: readonly string[]): boolean;
}

/** What prepare did. */
export interface Prepared {
  readonly values: Readonly<Record<string, FormValue>>;
  /** Words for the summary ("created volume default/vm-vdb.qcow2 (20 GiB)"). */
  readonly done?: string;
  /** Reverts the host work (deletes the volume created) when the device is not added after all. */
  undo?(): Promise<void>;
  /**
   * More devices of the same kind added with this one, each its values (a GPU's other functions
   * for "also assign the other functions"); they are plugged in and defined together with it.
   */
  readonly alsoAdd?: readonly Readonly<Record<string, FormValue>>[];
}

/** The host, as Add Hardware's checks and preparation see it. */
export interface AddHost {
  readonly conn: AddHostConnection;
  /** The domain the device is added to. */
  readonly domain: { readonly name: string; readonly uuid: string };
  /** The other domains' XML (persistent, and live for running ones), fetched in bulk once per check. */
  otherDomains(): Promise<readonly DomainXml[]>;
}

export type AddHostConnection = Pick<
  Connection,
  | 'storagePoolLookupByName'
  | 'storagePoolGetInfo'
  | 'storagePoolListAllVolumes'
  | 'storageVolCreateXml'
  | 'storageVolGetXmlDesc'
  | 'storageVolDelete'
  | 'storageVolGetInfo'
  | 'storageVolResize'
  | 'storagePoolGetXmlDesc'
  // Host devices: the passthrough inventory, and a new mediated device.
  | 'connectListAllNodeDevices'
  | 'nodeDeviceGetXmlDesc'
  | 'connectGetCapabilities'
  | 'connectListAllDomains'
  | 'domainGetXmlDesc'
  | 'nodeDeviceDefineXml'
  | 'nodeDeviceCreate'
  | 'nodeDeviceDestroy'
  | 'nodeDeviceUndefine'
  // A LUKS-encrypted new volume: its passphrase in a libvirt secret.
  | 'connectListAllSecrets'
  | 'secretGetXmlDesc'
  | 'secretDefineXml'
  | 'secretSetValue'
  | 'secretUndefine'
  | 'secretLookupByUuid'
>;
