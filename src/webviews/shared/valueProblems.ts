// The checks a form can make on one value without asking the host (shown at once, while the
// host's checks run debounced). No DOM, no vscode: the webviews and unit tests use it.

import type { FieldProblem, FormField, FormValue } from '../../forms/formSchema';

/** Problems of one value that need no host: required, not a number, out of range. */
export function valueProblems(f: FormField, v: FormValue, section: string): FieldProblem[] {
  const problem = (message: string): FieldProblem[] => [{ section, field: f.id, severity: 'error', message }];
  if (f.widget === 'readonly') return [];
  if (f.required && (v === undefined || v === '')) return problem(`${f.label} is required.`);
  if ((f.widget === 'number' || f.widget === 'size') && v !== undefined) {
    if (typeof v !== 'number') return problem('Enter a number.');
    if (f.widget === 'number' && !Number.isInteger(v)) return problem('Enter a whole number.');
    if (f.min !== undefined && v < f.min) return problem(`The smallest value is ${f.min}.`);
    if (f.max !== undefined && v > f.max) return problem(`The largest value is ${f.max}.`);
  }
  return [];
}
