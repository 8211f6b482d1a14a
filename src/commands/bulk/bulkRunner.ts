// Runs one action over many items with bounded concurrency. Pure logic: no vscode, no libvirt.
// One failure never stops the others; cancellation is checked between items (an item that has
// started is allowed to finish, because libvirt calls cannot be taken back half-way).

export type BulkOutcome<T> =
  | { readonly item: T; readonly status: 'ok' }
  | { readonly item: T; readonly status: 'failed'; readonly error: unknown }
  | { readonly item: T; readonly status: 'skipped' };

export interface BulkOptions<T> {
  /** How many actions run at the same time (at least 1). */
  readonly concurrency: number;
  /** Asked before each item starts; when it returns true the remaining items are skipped. */
  readonly isCancelled?: () => boolean;
  /** Called once per item when it settles (ok or failed), in completion order. */
  readonly onSettled?: (outcome: BulkOutcome<T>, settledCount: number) => void;
}

/** Outcomes are returned in the order of `items`, whatever the completion order. */
export async function runBulk<T>(
  items: readonly T[],
  action: (item: T) => Promise<unknown>,
  options: BulkOptions<T>,
): Promise<BulkOutcome<T>[]> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const outcomes: (BulkOutcome<T> | undefined)[] = new Array<BulkOutcome<T> | undefined>(items.length);
  let next = 0;
  let settled = 0;

  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (options.isCancelled?.()) {
        outcomes[index] = { item, status: 'skipped' };
        continue;
      }
      let outcome: BulkOutcome<T>;
      try {
        await action(item);
        outcome = { item, status: 'ok' };
      } catch (error) {
        outcome = { item, status: 'failed', error };
      }
      outcomes[index] = outcome;
      settled++;
      options.onSettled?.(outcome, settled);
    }
  };

  const workers = Math.min(options.concurrency, items.length);
  await Promise.all(Array.from({ length: workers }, () => worker()));
  return outcomes.map((o, i) => o ?? { item: items[i], status: 'skipped' });
}

export interface BulkSummary<T> {
  readonly ok: readonly T[];
  readonly failed: readonly { readonly item: T; readonly error: unknown }[];
  readonly skipped: readonly T[];
}

export function summarize<T>(outcomes: readonly BulkOutcome<T>[]): BulkSummary<T> {
  const ok: T[] = [];
  const failed: { item: T; error: unknown }[] = [];
  const skipped: T[] = [];
  for (const o of outcomes) {
    if (o.status === 'ok') ok.push(o.item);
    else if (o.status === 'failed') failed.push({ item: o.item, error: o.error });
    else skipped.push(o.item);
  }
  return { ok, failed, skipped };
}

/** "VM" / "VMs" with the count: `countNoun(3, 'VM')` -> "3 VMs". */
export function countNoun(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The one-line result of a bulk run, e.g. "Started 2 of 3 VMs" or "Started vm1" for one item;
 * cancellation adds "(cancelled, 1 not started)".
 */
export function summaryLine<T>(pastVerb: string, summary: BulkSummary<T>, nameOf: (item: T) => string): string {
  const total = summary.ok.length + summary.failed.length + summary.skipped.length;
  let line: string;
  if (total === 1 && summary.ok.length === 1) line = `${pastVerb} ${nameOf(summary.ok[0])}`;
  else line = `${pastVerb} ${summary.ok.length} of ${countNoun(total, 'VM')}`;
  if (summary.skipped.length > 0) line += ` (cancelled, ${summary.skipped.length} not started)`;
  return line;
}
