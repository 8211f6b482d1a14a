// The user's edits over the loaded sections, as the details webview keeps them: a change equal
// to the loaded value is no change; a field hidden by its `when` condition is not sent; the
// problems that block Apply are the host's errors plus each edited value's own (valueProblems).
// No DOM here, so unit tests cover it.

import { valueProblems } from '../shared/valueProblems';
import { holds, type FieldChange, type FieldProblem, type FormField, type FormSection, type FormValue } from '../../forms/formSchema';

export class Edits {
  private readonly bySection = new Map<string, Map<string, FormValue>>();
  private sections = new Map<string, FormSection>();

  /** New loaded sections, with the host's pending changes for them. */
  reset(sections: readonly FormSection[], pending: readonly FieldChange[]): void {
    this.sections = new Map(sections.map((s) => [s.id, s]));
    this.bySection.clear();
    for (const c of pending) this.set(c.section, c.field, c.value);
  }

  set(section: string, field: string, value: FormValue): void {
    const loaded = this.sections.get(section)?.values[field];
    let m = this.bySection.get(section);
    if (value === loaded) {
      m?.delete(field);
      if (m?.size === 0) this.bySection.delete(section);
      return;
    }
    if (!m) this.bySection.set(section, (m = new Map()));
    m.set(field, value);
  }

  clear(): void {
    this.bySection.clear();
  }

  isModified(section: string, field?: string): boolean {
    const m = this.bySection.get(section);
    return field === undefined ? (m?.size ?? 0) > 0 : (m?.has(field) ?? false);
  }

  /** The section's values with the edits applied (what `when` conditions see). */
  values(section: string): Record<string, FormValue> {
    const s = this.sections.get(section);
    const out: Record<string, FormValue> = { ...(s?.values ?? {}) };
    for (const [k, v] of this.bySection.get(section) ?? []) out[k] = v;
    return out;
  }

  visible(section: string, f: FormField): boolean {
    return f.when === undefined || holds(f.when, this.values(section));
  }

  /** The changes to send: edited fields that are shown. */
  changes(): FieldChange[] {
    const out: FieldChange[] = [];
    for (const [section, m] of this.bySection) {
      const s = this.sections.get(section);
      for (const [field, value] of m) {
        const f = s?.fields.find((x) => x.id === field);
        if (f && !this.visible(section, f)) continue;
        out.push({ section, field, value });
      }
    }
    return out;
  }

  /** Problems of the edited, shown values that the webview finds itself. */
  localProblems(): FieldProblem[] {
    const out: FieldProblem[] = [];
    for (const c of this.changes()) {
      const f = this.sections.get(c.section)?.fields.find((x) => x.id === c.field);
      if (f) out.push(...valueProblems(f, c.value, c.section));
    }
    return out;
  }
}
