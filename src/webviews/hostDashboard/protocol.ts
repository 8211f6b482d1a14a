// The Host Dashboard's messages, both directions, and the check of those from the webview.
// Without imports of `vscode` or the DOM, so the host, the webview app and unit tests share it.

import { HISTORY_RANGES, type HistoryRange } from '../../libvirt/history/ranges';
import { integer, oneOf, parseMessage, text, type MessageTable } from '../shared/messageChecks';

/** A metric over the range: sparkline points (bucket averages, null for gaps) and figures. */
export interface Spark {
  readonly points: readonly (number | null)[];
  /** Mean over the range (of the recorded slots). */
  readonly avg: number | null;
  /** Highest slot maximum. */
  readonly peak: number | null;
  /** The newest recorded slot's average. */
  readonly last: number | null;
}

export const DASHBOARD_METRICS = ['cpu', 'memory', 'disk', 'network'] as const;
export type DashboardMetric = (typeof DASHBOARD_METRICS)[number];

export interface DashboardVm {
  readonly uuid: string;
  readonly name: string;
  readonly tags: readonly string[];
  /** "running", "shut off"… (the tree's words). */
  readonly state: string;
  readonly metrics: Readonly<Record<DashboardMetric, Spark>>;
}

/** The host's own charts: one point per slot of the tier the range reads. */
export interface HostSeries {
  /** Slot start times, seconds since the epoch (uPlot's x). */
  readonly times: readonly number[];
  readonly cpuAvg: readonly (number | null)[];
  readonly cpuMax: readonly (number | null)[];
  readonly memoryUsedKiB: readonly (number | null)[];
  readonly memoryTotalKiB: number | null;
}

export interface DashboardData {
  readonly range: HistoryRange;
  /** Resolution the host's chart was read at (ms); the VM sparklines may come from a coarser tier. */
  readonly stepMs: number;
  readonly host: HostSeries | undefined;
  readonly vms: readonly DashboardVm[];
  /** Whether every VM's tags are known (tags come from the domain XML, read on demand). */
  readonly tagsKnown: boolean;
}

export type ToWebview =
  | { readonly type: 'init'; readonly title: string }
  | { readonly type: 'data'; readonly data: DashboardData }
  | { readonly type: 'status'; readonly message: string };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'setRange'; readonly range: HistoryRange }
  | { readonly type: 'openDetails'; readonly uuid: string }
  /** The filter names a tag: read the tags of every VM (once). */
  | { readonly type: 'loadTags' }
  /** The cards are drawn: how many, and how long it took (whole ms). */
  | { readonly type: 'shown'; readonly cards: number; readonly ms: number };

const uuid = (v: unknown): string => {
  const s = text(64)(v);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) throw new Error('not a UUID');
  return s;
};

const FROM_WEBVIEW: MessageTable<FromWebview> = {
  ready: {},
  setRange: { range: oneOf(HISTORY_RANGES, 'range') },
  openDetails: { uuid },
  loadTags: {},
  shown: { cards: integer(0, 1_000_000, 'a card count'), ms: integer(0, 3_600_000, 'a duration in ms') },
};

/** Checks every field of a message from the dashboard webview; throws WebviewMessageError. */
export function parseFromWebview(m: unknown): FromWebview {
  return parseMessage(FROM_WEBVIEW, m);
}
