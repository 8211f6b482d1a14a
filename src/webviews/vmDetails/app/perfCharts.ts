// The Overview's performance charts (virt-manager's Performance page): CPU, memory, disk and
// network, drawn as plain SVG lines in the theme's chart colours (classes in media/vmDetails.css),
// each with its values as text beside it for screen readers and for reading exact figures.
// A range picker switches between the recent samples the host keeps ("Live") and the recorded
// history (1 h, 24 h, 7 d, 90 d; the host folds it into at most 480 points): there the line is the
// average, a fainter line the peak of each point, a gap stays a gap, and pointing at the chart
// (or moving with the arrow keys) shows that point's time and figures.

import { formatRate, type PerfSample } from '../../../libvirt/perfSample';
import { formatKiB } from '../../../libvirt/xml/units';
import { RANGE_LABEL, type HistoryRange } from '../../../libvirt/history/ranges';
import type { PerfHistoryState, PerfState } from '../protocol';
import { el } from '../../shared/app/dom';
import { CHART_HEIGHT, chartPaths } from './chartPaths';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** As many points as the host keeps (PERF_HISTORY_LENGTH). */
const SLOTS = 120;
const WIDTH = 240;
const HEIGHT = CHART_HEIGHT;

interface Series {
  readonly label: string;
  /** CSS class giving the stroke colour (a charts.* theme colour). */
  readonly colour: string;
  readonly value: (s: PerfSample) => number | undefined;
  readonly format: (v: number | undefined, s: PerfSample | undefined) => string;
}

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly series: readonly Series[];
  /** The top of the scale for these samples (the series' maximum when not given). */
  readonly max?: (samples: readonly PerfSample[]) => number | undefined;
}

const percent = (v: number | undefined): string => (v === undefined ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} %`);

const CHARTS: readonly ChartSpec[] = [
  {
    id: 'cpu',
    title: 'CPU usage',
    series: [{ label: 'CPU', colour: 'series-blue', value: (s) => s.cpuPercent, format: percent }],
    max: () => 100,
  },
  {
    id: 'memory',
    title: 'Memory usage',
    series: [
      {
        label: 'In use',
        colour: 'series-purple',
        value: (s) => s.memoryUsedKiB,
        format: (v, s) => (v === undefined ? '—' : `${formatKiB(v)}${s?.memoryKiB ? ` of ${formatKiB(s.memoryKiB)}` : ''}`),
      },
    ],
    max: (samples) => Math.max(0, ...samples.map((s) => s.memoryKiB ?? s.memoryUsedKiB ?? 0)) || undefined,
  },
  {
    id: 'disk',
    title: 'Disk I/O',
    series: [
      { label: 'Read', colour: 'series-green', value: (s) => s.diskReadBps, format: formatRate },
      { label: 'Write', colour: 'series-orange', value: (s) => s.diskWriteBps, format: formatRate },
    ],
  },
  {
    id: 'network',
    title: 'Network I/O',
    series: [
      { label: 'Received', colour: 'series-blue', value: (s) => s.netRxBps, format: formatRate },
      { label: 'Sent', colour: 'series-red', value: (s) => s.netTxBps, format: formatRate },
    ],
  },
];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Readonly<Record<string, string>>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** What a chart draws: the live samples, or a recorded range's averages and peaks. */
interface ChartData {
  readonly avg: readonly PerfSample[];
  readonly max?: readonly PerfSample[];
  readonly xOf: (i: number) => number;
  /** Words for the aria label: "over the last 120 samples". */
  readonly span: string;
  /** The time of point i, for the hover line. */
  readonly timeOf?: (i: number) => string;
}

class Chart {
  readonly element: HTMLElement;
  private readonly values: HTMLElement;
  private readonly graph: SVGSVGElement;
  private readonly lines: SVGPathElement[];
  private readonly peaks: SVGPathElement[];
  private readonly dots: SVGPathElement[];
  private readonly peakDots: SVGPathElement[];
  private readonly cursor: SVGLineElement;
  private data: ChartData | undefined;

  constructor(private readonly spec: ChartSpec) {
    const titleId = `perf-${spec.id}-title`;
    this.element = el('figure', { className: 'perf-chart', attrs: { role: 'group', 'aria-labelledby': titleId, 'data-chart': spec.id } });
    const caption = el('figcaption', { id: titleId, text: spec.title });
    this.values = el('div', { className: 'perf-values', attrs: { 'aria-live': 'polite' } });
    this.graph = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', class: 'perf-graph', tabindex: '0' });
    for (const f of [0.25, 0.5, 0.75]) this.graph.append(svg('line', { x1: '0', x2: String(WIDTH), y1: String(HEIGHT * f), y2: String(HEIGHT * f), class: 'perf-grid' }));
    this.peaks = spec.series.map((s) => svg('path', { class: `perf-line perf-peak ${s.colour}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    this.lines = spec.series.map((s) => svg('path', { class: `perf-line ${s.colour}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    this.peakDots = spec.series.map((s) => svg('path', { class: `perf-dot perf-peak ${s.colour}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    this.dots = spec.series.map((s) => svg('path', { class: `perf-dot ${s.colour}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    this.cursor = svg('line', { class: 'perf-cursor', y1: '0', y2: String(HEIGHT), 'vector-effect': 'non-scaling-stroke' });
    this.cursor.style.display = 'none';
    this.graph.append(...this.peaks, ...this.peakDots, ...this.lines, ...this.dots, this.cursor);
    this.element.append(caption, this.graph, this.values);
    // Hover values: the point under the pointer (or chosen with the arrow keys) with its time.
    let focus = -1;
    this.graph.addEventListener('mousemove', (e) => {
      const box = this.graph.getBoundingClientRect();
      this.hover(this.nearest(((e.clientX - box.left) / Math.max(1, box.width)) * WIDTH));
    });
    this.graph.addEventListener('mouseleave', () => this.hover(-1));
    this.graph.addEventListener('blur', () => this.hover((focus = -1)));
    this.graph.addEventListener('keydown', (e) => {
      const n = this.data?.avg.length ?? 0;
      if (n === 0 || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
      e.preventDefault();
      focus = focus < 0 ? this.newest() : Math.max(0, Math.min(n - 1, focus + (e.key === 'ArrowLeft' ? -1 : 1)));
      this.hover(focus);
    });
  }

  /** The newest point that has a value (a recorded range may end in a gap). */
  private newest(): number {
    const d = this.data;
    let last = (d?.avg.length ?? 0) - 1;
    while (d && last > 0 && this.spec.series.every((s) => s.value(d.avg[last]!) === undefined)) last--;
    return last;
  }

  private nearest(x: number): number {
    const d = this.data;
    if (!d || d.avg.length === 0) return -1;
    let best = -1;
    let dist = Infinity;
    for (let i = 0; i < d.avg.length; i++) {
      const dx = Math.abs(d.xOf(i) - x);
      if (dx < dist) {
        dist = dx;
        best = i;
      }
    }
    return best;
  }

  /** Shows point i's figures (and a cursor line); -1 goes back to the newest figures. */
  private hover(i: number): void {
    const d = this.data;
    if (!d || i < 0 || i >= d.avg.length) {
      this.cursor.style.display = 'none';
      this.showValues(d, d ? d.avg.length - 1 : -1, undefined);
      return;
    }
    const x = d.xOf(i).toFixed(1);
    this.cursor.setAttribute('x1', x);
    this.cursor.setAttribute('x2', x);
    this.cursor.style.display = '';
    this.showValues(d, i, d.timeOf?.(i) ?? `sample ${i + 1} of ${d.avg.length}`);
  }

  /** The figures of point i: the value (average), and the peak when the data has peaks. */
  private showValues(d: ChartData | undefined, i: number, when: string | undefined): string[] {
    const s = d && i >= 0 ? d.avg[i] : undefined;
    const peak = d?.max && i >= 0 ? d.max[i] : undefined;
    const texts = this.spec.series.map((x) => {
      const v = s ? x.value(s) : undefined;
      const p = peak ? x.value(peak) : undefined;
      return `${x.label}: ${x.format(v, s)}${p !== undefined && v !== undefined && p > v ? ` (peak ${x.format(p, peak)})` : ''}`;
    });
    const items = this.spec.series.map((x, k) => {
      const item = el('span', { className: 'perf-value' });
      item.append(el('span', { className: `perf-swatch ${x.colour}`, attrs: { 'aria-hidden': 'true' } }), el('span', { text: texts[k]! }));
      return item;
    });
    this.values.replaceChildren(...(when ? [el('span', { className: 'perf-when', text: when })] : []), ...items);
    return texts;
  }

  render(d: ChartData): void {
    this.data = d;
    const all = [...d.avg, ...(d.max ?? [])];
    const seriesMax = Math.max(0, ...all.flatMap((s) => this.spec.series.map((x) => x.value(s) ?? 0)));
    // Rates scale to what the window shows, at least 1 KiB/s so idle noise stays flat.
    const max = this.spec.max?.(all) ?? Math.max(1024, seriesMax * 1.1);
    this.spec.series.forEach((s, i) => {
      const avg = chartPaths(d.avg, s.value, max, d.xOf);
      const peak = d.max ? chartPaths(d.max, s.value, max, d.xOf) : { line: '', dots: '' };
      this.lines[i]!.setAttribute('d', avg.line);
      this.dots[i]!.setAttribute('d', avg.dots);
      this.peaks[i]!.setAttribute('d', peak.line);
      this.peakDots[i]!.setAttribute('d', peak.dots);
    });
    this.cursor.style.display = 'none';
    const texts = this.showValues(d, this.newest(), undefined);
    this.graph.setAttribute('aria-label', `${this.spec.title} ${d.span}; ${d.max ? 'latest' : 'now'} ${texts.join(', ')}`);
  }
}

const TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The Performance part of the Overview; kept across re-renders of the form, fed by perf messages. */
export class PerfCharts {
  readonly element: HTMLElement;
  private readonly message: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly picker: HTMLElement;
  private readonly charts = CHARTS.map((c) => new Chart(c));
  private state: PerfState = { active: false, samples: [] };
  private range: HistoryRange = 'live';
  /** The recorded range's data; null while it is asked for, undefined when nothing was recorded. */
  private recorded: PerfHistoryState | undefined | null = null;

  /** `onRange` asks the host for a range (the answer comes as `setHistory`). */
  constructor(private readonly onRange: (range: HistoryRange) => void = () => undefined) {
    this.element = el('section', { id: 'performance', attrs: { 'aria-labelledby': 'performance-title' } });
    this.message = el('p', { className: 'perf-message', attrs: { role: 'status' } });
    this.grid = el('div', { className: 'perf-grid-box' });
    this.grid.append(...this.charts.map((c) => c.element));
    const head = el('div', { className: 'perf-head' });
    this.picker = el('vscode-single-select', { id: 'perf-range', attrs: { 'aria-label': 'Time range of the performance charts' } });
    for (const [value, text] of Object.entries(RANGE_LABEL)) {
      const o = el('vscode-option', { text, attrs: { value } });
      if (value === 'live') o.setAttribute('selected', '');
      this.picker.append(o);
    }
    this.picker.addEventListener('change', () => this.choose((this.picker as unknown as { value: string }).value as HistoryRange));
    this.picker.hidden = true;
    head.append(el('h3', { id: 'performance-title', text: 'Performance' }), this.picker);
    this.element.append(head, this.message, this.grid);
    this.render();
  }

  set(state: PerfState): void {
    this.state = { active: state.active, samples: state.samples.slice(-SLOTS), ...(state.history ? { history: true } : {}) };
    this.picker.hidden = !state.history;
    this.render();
  }

  add(sample: PerfSample): void {
    this.state = { ...this.state, active: true, samples: [...this.state.samples, sample].slice(-SLOTS) };
    if (this.range === 'live') this.render();
  }

  /** The host's answer for a recorded range (dropped when the user has chosen another since). */
  setHistory(range: HistoryRange, history: PerfHistoryState | undefined): void {
    if (range !== this.range) return;
    this.recorded = history;
    this.render();
  }

  get sampleCount(): number {
    return this.state.samples.length;
  }

  private choose(range: HistoryRange): void {
    if (range === this.range) return;
    this.range = range;
    this.recorded = null;
    this.render();
    this.onRange(range);
  }

  private render(): void {
    if (this.range !== 'live') {
      const h = this.recorded;
      const label = RANGE_LABEL[this.range].toLowerCase();
      this.message.textContent = h === null ? `Reading the ${label}…` : h === undefined ? `Nothing recorded in the ${label} (the history records while VS Code runs and the host is connected).` : '';
      this.message.hidden = !!h;
      this.grid.hidden = !h;
      if (h) {
        const span = Math.max(1, h.to - h.from);
        const data: ChartData = {
          avg: h.avg,
          max: h.max,
          xOf: (i) => ((h.avg[i]!.at + h.pointMs / 2 - h.from) / span) * WIDTH,
          span: `over the ${label}, ${h.avg.length} points of ${formatSpan(h.pointMs)}`,
          // Points shorter than a minute (the hour's 10 s points) name their seconds.
          timeOf: (i) => {
            const at = h.avg[i]!.at;
            return h.pointMs < 60_000 ? `${TIME.format(at).replace(/\d{1,2}:\d{2}.*$/, '')}${CLOCK.format(at)} – ${CLOCK.format(at + h.pointMs)}` : `${TIME.format(at)} – ${TIME.format(at + h.pointMs)}`;
          },
        };
        for (const c of this.charts) c.render(data);
      }
      return;
    }
    const { active, samples } = this.state;
    this.message.textContent = !active ? 'No data while the VM is off.' : samples.length === 0 ? 'Collecting data…' : '';
    this.message.hidden = active && samples.length > 0;
    this.grid.hidden = !active;
    const first = SLOTS - samples.length;
    if (active) for (const c of this.charts) c.render({ avg: samples, xOf: (i) => ((first + i) / (SLOTS - 1)) * WIDTH, span: `over the last ${samples.length} samples` });
  }
}

function formatSpan(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
