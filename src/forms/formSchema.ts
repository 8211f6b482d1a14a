// The serialisable shape of a form, shared by the extension host (which builds it from the
// device and domain descriptions in src/libvirt/xml/) and the webviews (which render it with
// @vscode-elements/elements). No `vscode` and no DOM imports: plain data both sides can check.

/** How a field is edited. */
export type WidgetKind =
  /** One line of text. */
  | 'text'
  /** An integer (min/max/step apply). */
  | 'number'
  /** A size in bytes shown with a unit picker (KiB..TiB); the value is a number of `unit`s. */
  | 'size'
  | 'checkbox'
  /** One of `options` (or free text when `allowCustom`). */
  | 'select'
  | 'textarea'
  /** Shown, never edited (UUID, state, host device address…). */
  | 'readonly';

export interface FieldOption {
  readonly value: string;
  readonly label: string;
  /** Offered but not selectable, with the reason (e.g. a CPU model the host cannot run). */
  readonly disabledReason?: string;
  /** A second line shown for the option (an OS's libosinfo id, a volume's pool). */
  readonly detail?: string;
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

/** A problem found by the checks, placed on a section and, where it can be, a field. */
export interface FieldProblem {
  readonly section: string;
  readonly field?: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
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
  /** Removes a device (hot-unplug on a running VM where libvirt allows). */
  remove(section: string): Promise<ApplyOutcome>;
  /** Fires when the definition changed outside the panel. */
  onDidChangeDefinition(listener: () => void): { dispose(): void };
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
