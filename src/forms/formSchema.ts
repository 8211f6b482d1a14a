// The serialisable shape of a form, shared by the extension host (which builds it from the
// device and domain descriptions in src/libvirt/xml/) and the webviews (which render it with
// @vscode-elements/elements). No `vscode` and no DOM imports: plain data both sides can check.

/** How a field is edited. */
export type WidgetKind =
  /** One line of text. */
  | 'text'
  /** One line of text the page masks (a passphrase); the host never sends one back filled in. */
  | 'password'
  /** An integer (min/max/step apply). */
  | 'number'
  /** A size in bytes shown with a unit picker (KiB..TiB); the value is a number of `unit`s. */
  | 'size'
  | 'checkbox'
  /** One of `options` (or free text when `allowCustom`). */
  | 'select'
  | 'textarea'
  /**
   * Some of `options`, in an order the user chooses (the boot order): checkboxes to choose, drag
   * and drop or Alt+Up/Down to order. The value is the chosen option values, first to last, one per line.
   */
  | 'order'
  /** Shown, never edited (UUID, state, host device address…). */
  | 'readonly';

export interface FieldOption {
  readonly value: string;
  readonly label: string;
  /** Offered but not selectable, with the reason (e.g. a CPU model the host cannot run). */
  readonly disabledReason?: string;
  /** A second, dimmer line (a disk's path, a NIC's network, an OS's libosinfo id). */
  readonly detail?: string;
}

/** A button next to a field that asks the host for a new value ("Generate new MAC"). */
export interface FieldAction {
  readonly id: string;
  readonly label: string;
  /** A codicon name (without `codicon-`). */
  readonly icon?: string;
}

/** A field's value as the form holds it; undefined means "not set" (the XML default applies). */
export type FormValue = string | number | boolean | undefined;

/** Conditions as data, so the webview can evaluate them without code from the host. */
export type Condition =
  | { readonly field: string; readonly equals: string | number | boolean }
  | { readonly field: string; readonly in: readonly (string | number | boolean)[] }
  | { readonly field: string; readonly set: boolean }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

/**
 * When a change takes effect, as virt-manager says it: `live` applies to a running VM at once (and
 * to its configuration), `next-boot` only to the configuration.
 */
export type ApplyMode = 'live' | 'next-boot';

export interface FormField {
  /** Key of the field within its section (stable; used in messages and diagnostics). */
  readonly id: string;
  readonly label: string;
  readonly help?: string;
  readonly widget: WidgetKind;
  readonly options?: readonly FieldOption[];
  readonly allowCustom?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  /** For `size`: the unit the value is expressed in ('KiB', 'MiB', 'bytes'…). */
  readonly unit?: string;
  readonly placeholder?: string;
  readonly required?: boolean;
  /** Shown (and applied) only while the condition holds over the section's current values. */
  readonly when?: Condition;
  readonly apply: ApplyMode;
  readonly action?: FieldAction;
}

/** One entry of the details panel's list: a domain section (Overview, CPUs…) or one device. */
export interface FormSection {
  /** Stable identity: 'overview', 'cpus', or a device's identity ('disk:vda', 'interface:52:54:…'). */
  readonly id: string;
  readonly title: string;
  /** A codicon name (without `codicon-`). */
  readonly icon: string;
  readonly description?: string;
  readonly fields: readonly FormField[];
  readonly values: Readonly<Record<string, FormValue>>;
  /** A device that can be removed from the VM. */
  readonly removable: boolean;
}

/** One kind in Add Hardware's list, with its form prefilled for a VM (src/forms/addHardware.ts). */
export interface AddKindForm {
  /** The description's kind ('disk', 'interface'…). */
  readonly id: string;
  readonly label: string;
  /** A codicon name. */
  readonly icon: string;
  readonly fields: readonly FormField[];
  readonly values: Readonly<Record<string, FormValue>>;
  /** On a running VM: plugged in at once (libvirt may still refuse), or only at the next boot. */
  readonly live: boolean;
}

/** A problem found by the checks, placed on a section and, where it can be, a field. */
export interface FieldProblem {
  readonly section: string;
  readonly field?: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** An optimization hint as the panels list it (built by src/forms/hints.ts; plain data for the webview). */
export interface HintView {
  /** Identifies the hint in its VM across re-analyses (rule and place). */
  readonly key: string;
  readonly code: string;
  readonly importance: 'high' | 'medium' | 'low';
  readonly title: string;
  readonly why: string;
  readonly effect: string;
  /** auto: one click; confirm: asked first, `note` is the consequence; manual: no fix, `note` says what to do. */
  readonly apply: 'auto' | 'confirm' | 'manual';
  readonly note?: string;
  /** The section the hint concerns (overview, cpus, disk:vda…). */
  readonly section: string;
}

/** Evaluates a condition over a section's values (the same code runs in the host and the webview). */
export function holds(c: Condition, values: Readonly<Record<string, FormValue>>): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, values));
  if ('any' in c) return c.any.some((x) => holds(x, values));
  if ('not' in c) return !holds(c.not, values);
  const v = values[c.field];
  if ('equals' in c) return v === c.equals;
  if ('in' in c) return v !== undefined && c.in.includes(v);
  return (v !== undefined && v !== '') === c.set;
}

/** One edited field, as the webview reports it and the host applies it. */
export interface FieldChange {
  readonly section: string;
  readonly field: string;
  readonly value: FormValue;
}

/** What an Apply did, in the words the panel shows. */
export interface ApplyOutcome {
  /** Labels of changes that took effect on the running VM now (and in its configuration). */
  readonly appliedLive: readonly string[];
  /** Labels of changes written to the configuration that wait for the next boot. */
  readonly nextBoot: readonly string[];
}

/** What the details panel shows: the sections with their current values, and their problems. */
export interface DetailsSnapshot {
  readonly sections: readonly FormSection[];
  readonly problems: readonly FieldProblem[];
  /** The VM is running: fields that apply at next boot say so. */
  readonly running?: boolean;
  /** Optimization hints for the VM as it is defined (most important first). */
  readonly hints?: readonly HintView[];
}

/**
 * The host-side model behind a VM details panel (vscode-free): the panel asks it for the sections
 * and problems, sends it changes to check while typing and to apply, and listens for changes made
 * elsewhere (domain events, an XML tab's save).
 */
export interface DetailsModel {
  readonly title: string;
  load(): Promise<DetailsSnapshot>;
  /** Problems the pending changes would have (the one checker plus the host's schema). */
  check(changes: readonly FieldChange[]): Promise<readonly FieldProblem[]>;
  /** Applies all changes or none; a refusal throws ApplyRefusedError and changes nothing. */
  apply(changes: readonly FieldChange[]): Promise<ApplyOutcome>;
  /**
   * Removes a device (hot-unplug on a running VM where libvirt allows); with `deleteStorage`, also
   * deletes that volume, after checking again that it is still the device's and nobody uses it.
   */
  remove(section: string, opts?: { readonly deleteStorage?: DeviceStorage }): Promise<ApplyOutcome>;
  /** The storage a device uses (a disk's image), with whether it could be deleted with it. */
  storageOf?(section: string): Promise<DeviceStorage | undefined>;
  /** Runs a field's action ("Generate new MAC") over the pending changes; returns the field's new value. */
  fieldAction?(section: string, field: string, changes: readonly FieldChange[]): Promise<FormValue>;
  /** Fires when the definition changed outside the panel. */
  onDidChangeDefinition(listener: () => void): { dispose(): void };
  /** A hint's change to the definition as it is now (see src/forms/hintHost.ts). */
  previewHint?(key: string): Promise<HintChange>;
  /** Defines a previewed hint's change with VALIDATE; a refusal (or a definition changed since the preview) throws and changes nothing. */
  applyHint?(change: HintChange): Promise<ApplyOutcome>;
}

/** A hint's change as it is shown (a diff and a question) before it is applied. */
export interface HintChange {
  readonly key: string;
  readonly title: string;
  /** The fix's own words ("Switch to Q35 (new PCI addresses, IDE disks on SATA)"). */
  readonly fixTitle: string;
  readonly effect: string;
  /** What else changes for the guest, for a fix that asks first. */
  readonly consequence?: string;
  /** The persistent definition now, and with the fix. */
  readonly before: string;
  readonly after: string;
}

/** The storage behind a device (a disk's image file or volume), as a removal offers to delete it. */
export interface DeviceStorage {
  /** How the user knows it: the path, or pool/volume. */
  readonly label: string;
  /** The storage pool volume it is, when it is one (only such storage can be deleted). */
  readonly volume?: { readonly pool: string; readonly name: string; readonly path?: string };
  /** Why it is kept even if asked (not in a pool, another VM uses it, shareable…); undefined when it can go. */
  readonly keepReason?: string;
}

/** An Apply that libvirt or the checks refused: nothing was changed on the host. */
export class ApplyRefusedError extends Error {
  override readonly name = 'ApplyRefusedError';
  constructor(
    message: string,
    /** Placed on the sections/fields they concern where that could be worked out. */
    readonly problems: readonly FieldProblem[],
  ) {
    super(message);
  }
  static is(e: unknown): e is ApplyRefusedError {
    return e instanceof ApplyRefusedError;
  }
}
