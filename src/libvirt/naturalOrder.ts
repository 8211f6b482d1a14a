// Natural ("vm2" before "vm10") name order for VMs, volumes, tags and the like. One collator each,
// made once: String.prototype.localeCompare with options builds a new ICU collator on every call,
// which made sorting the tree's 1000 VMs cost about 30 ms of every refresh (bench/treeBench.ts
// profile). Intl.Collator's compare gives the same order as localeCompare with the same options
// (ECMA-402, String.prototype.localeCompare).

const natural = new Intl.Collator(undefined, { numeric: true });
const naturalBase = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Natural order, case and accents significant (as localeCompare(b, undefined, { numeric: true })). */
export const compareNatural: (a: string, b: string) => number = natural.compare.bind(natural);

/** Natural order ignoring case and accents (sensitivity 'base'), for tags. */
export const compareNaturalBase: (a: string, b: string) => number = naturalBase.compare.bind(naturalBase);
