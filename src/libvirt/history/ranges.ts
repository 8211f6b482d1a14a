// The time ranges the charts offer, without the archive's code (the webviews import this).

/** What the range pickers offer: the live view is the last 10 minutes of the finest tier. */
export const HISTORY_RANGES = ['live', '1h', '24h', '7d', '90d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];
export const RANGE_MS: Readonly<Record<HistoryRange, number>> = {
  live: 10 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '90d': 90 * 86_400_000,
};
/** The pickers' words for each range. */
export const RANGE_LABEL: Readonly<Record<HistoryRange, string>> = { live: 'Live (10 min)', '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', '90d': 'Last 90 days' };
