// The Overview's performance charts (virt-manager's Performance page): CPU, memory, disk and
// network over the recent samples the host keeps, drawn as plain SVG lines in the theme's chart
// colours (classes in media/vmDetails.css), each with its current values as text beside it for
// screen readers and for reading exact figures.

import { formatRate, type PerfSample } from '../../../libvirt/perfSample';
import { formatKiB } from '../../../libvirt/xml/units';
import type { PerfState } from '../protocol';
import { el } from '../../shared/app/dom';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** As many points as the host keeps (PERF_HISTORY_LENGTH). */
const SLOTS = 120;
const WIDTH = 240;
const HEIGHT = 60;

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

/** Points of one series, newest at the right edge, one slot per sample. */
function points(samples: readonly PerfSample[], value: (s: PerfSample) => number | undefined, max: number): string {
  const first = SLOTS - samples.length;
  const pts: string[] = [];
  samples.forEach((s, i) => {
    const v = value(s);
    if (v === undefined) return;
    const x = ((first + i) / (SLOTS - 1)) * WIDTH;
    const y = HEIGHT - (Math.min(Math.max(v, 0), max) / max) * HEIGHT;
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  return pts.join(' ');
}

class Chart {
  readonly element: HTMLElement;
  private readonly values: HTMLElement;
  private readonly graph: SVGSVGElement;
  private readonly lines: SVGPolylineElement[];

  constructor(private readonly spec: ChartSpec) {
    const titleId = `perf-${spec.id}-title`;
    this.element = el('figure', { className: 'perf-chart', attrs: { role: 'group', 'aria-labelledby': titleId, 'data-chart': spec.id } });
    const caption = el('figcaption', { id: titleId, text: spec.title });
    this.values = el('div', { className: 'perf-values' });
    this.graph = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', class: 'perf-graph' });
    for (const f of [0.25, 0.5, 0.75]) this.graph.append(svg('line', { x1: '0', x2: String(WIDTH), y1: String(HEIGHT * f), y2: String(HEIGHT * f), class: 'perf-grid' }));
    this.lines = spec.series.map((s) => svg('polyline', { class: `perf-line ${s.colour}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    this.graph.append(...this.lines);
    this.element.append(caption, this.graph, this.values);
  }

  render(samples: readonly PerfSample[]): void {
    const last = samples[samples.length - 1];
    const seriesMax = Math.max(0, ...samples.flatMap((s) => this.spec.series.map((x) => x.value(s) ?? 0)));
    // Rates scale to what the window shows, at least 1 KiB/s so idle noise stays flat.
    const max = this.spec.max?.(samples) ?? Math.max(1024, seriesMax * 1.1);
    this.spec.series.forEach((s, i) => this.lines[i]!.setAttribute('points', points(samples, s.value, max)));
    const texts = this.spec.series.map((s) => `${s.label}: ${s.format(last ? s.value(last) : undefined, last)}`);
    this.values.replaceChildren(
      ...this.spec.series.map((s, i) => {
        const item = el('span', { className: 'perf-value' });
        item.append(el('span', { className: `perf-swatch ${s.colour}`, attrs: { 'aria-hidden': 'true' } }), el('span', { text: texts[i]! }));
        return item;
      }),
    );
    this.graph.setAttribute('aria-label', `${this.spec.title} over the last ${samples.length} samples; now ${texts.join(', ')}`);
  }
}

/** The Performance part of the Overview; kept across re-renders of the form, fed by perf messages. */
export class PerfCharts {
  readonly element: HTMLElement;
  private readonly message: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly charts = CHARTS.map((c) => new Chart(c));
  private state: PerfState = { active: false, samples: [] };

  constructor() {
    this.element = el('section', { id: 'performance', attrs: { 'aria-labelledby': 'performance-title' } });
    this.message = el('p', { className: 'perf-message', attrs: { role: 'status' } });
    this.grid = el('div', { className: 'perf-grid-box' });
    this.grid.append(...this.charts.map((c) => c.element));
    this.element.append(el('h3', { id: 'performance-title', text: 'Performance' }), this.message, this.grid);
    this.render();
  }

  set(state: PerfState): void {
    this.state = { active: state.active, samples: state.samples.slice(-SLOTS) };
    this.render();
  }

  add(sample: PerfSample): void {
    this.state = { active: true, samples: [...this.state.samples, sample].slice(-SLOTS) };
    this.render();
  }

  get sampleCount(): number {
    return this.state.samples.length;
  }

  private render(): void {
    const { active, samples } = this.state;
    this.message.textContent = !active ? 'No data while the VM is off.' : samples.length === 0 ? 'Collecting data…' : '';
    this.message.hidden = active && samples.length > 0;
    this.grid.hidden = !active;
    if (active) for (const c of this.charts) c.render(samples);
  }
}
