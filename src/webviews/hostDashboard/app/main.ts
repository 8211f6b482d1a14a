// The Host Dashboard page: the host's CPU and memory (uPlot, with the values under the cursor in
// its legend), the top consumers, and one card per VM with a sparkline of the chosen metric,
// sortable and filterable by name and tag. Every text goes in through textContent; the host's
// data arrives already shaped (protocol.ts) and the page only draws it.

import { scriptStartMs } from '../../shared/app/pageClock';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '../../shared/app/codiconStyles';
import hostDashboardCss from '../../../../media/hostDashboard.css';
import { adoptStyles } from '../../shared/app/pageStyles';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import { el } from '../../shared/app/dom';
import { HostChannel } from '../../shared/app/hostChannel';
import { formatRate } from '../../../libvirt/perfSample';
import { formatKiB } from '../../../libvirt/xml/units';
import { RANGE_LABEL, type HistoryRange } from '../../../libvirt/history/ranges';
import { DASHBOARD_METRICS, type DashboardData, type DashboardMetric, type DashboardVm, type FromWebview, type ToWebview } from '../protocol';
import { filterVms, sortVms, type SortKey } from './cards';

adoptStyles(hostDashboardCss);

void scriptStartMs;
const sheet = new CSSStyleSheet();
sheet.replaceSync(uplotCss);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const METRIC_LABEL: Readonly<Record<DashboardMetric, string>> = { cpu: 'CPU', memory: 'Memory', disk: 'Disk I/O', network: 'Network I/O' };
const METRIC_COLOUR: Readonly<Record<DashboardMetric, string>> = { cpu: '--vscode-charts-blue', memory: '--vscode-charts-purple', disk: '--vscode-charts-green', network: '--vscode-charts-orange' };
const pct = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;
const FORMAT: Readonly<Record<DashboardMetric, (v: number) => string>> = { cpu: pct, memory: formatKiB, disk: formatRate, network: formatRate };
const fmt = (m: DashboardMetric, v: number | null): string => (v === null ? '—' : FORMAT[m](v));

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

let data: DashboardData | undefined;
let sortKey: SortKey = 'name';
let filterText = '';
const root = document.getElementById('root') ?? document.body;
const title = el('h1', { id: 'title', text: 'Host Dashboard' });
const status = el('p', { id: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const hostSection = el('section', { id: 'host', attrs: { 'aria-label': 'Host' } });
const topSection = el('section', { id: 'top', attrs: { 'aria-label': 'Top consumers' } });
const grid = el('div', { id: 'cards', attrs: { role: 'list', 'aria-label': 'Virtual machines' } });
const count = el('p', { id: 'count' });
let plots: uPlot[] = [];

function select(id: string, label: string, options: readonly [string, string][], value: string, onChange: (v: string) => void): HTMLElement {
  const wrap = el('div', { className: 'control' });
  const l = el('vscode-label', { text: label, attrs: { for: id } });
  const s = el('vscode-single-select', { id, attrs: { 'aria-label': label } });
  for (const [v, text] of options) {
    const o = el('vscode-option', { text, attrs: { value: v } });
    if (v === value) o.setAttribute('selected', '');
    s.append(o);
  }
  s.addEventListener('change', () => onChange((s as unknown as { value: string }).value));
  wrap.append(l, s);
  return wrap;
}

function toolbar(): HTMLElement {
  const bar = el('div', { id: 'toolbar' });
  bar.append(
    select('range', 'Range', Object.entries(RANGE_LABEL) as [string, string][], '1h', (v) => {
      status.textContent = `Reading ${RANGE_LABEL[v as HistoryRange].toLowerCase()}…`;
      channel.send({ type: 'setRange', range: v as HistoryRange });
    }),
    select('sort', 'Sort by', [['name', 'Name'], ...DASHBOARD_METRICS.map((m): [string, string] => [m, `${METRIC_LABEL[m]} (highest first)`])], 'name', (v) => {
      sortKey = v as SortKey;
      drawCards();
    }),
  );
  const f = el('div', { className: 'control' });
  const field = el('vscode-textfield', { id: 'filter', attrs: { placeholder: 'name or tag:web', 'aria-label': 'Filter by name or tag' } });
  field.addEventListener('input', () => {
    filterText = (field as unknown as { value: string }).value;
    if (/(^|\s)tag:/.test(filterText) && data && !data.tagsKnown) channel.send({ type: 'loadTags' });
    drawCards();
  });
  f.append(el('vscode-label', { text: 'Filter', attrs: { for: 'filter' } }), field);
  bar.append(f);
  return bar;
}

/** The host's CPU and memory charts; uPlot's legend shows the values under the cursor. */
function drawHost(d: DashboardData): void {
  for (const p of plots) p.destroy();
  plots = [];
  hostSection.replaceChildren(el('h2', { text: 'Host' }));
  const h = d.host;
  if (!h || h.times.length === 0) {
    hostSection.append(el('p', { className: 'empty', text: 'Nothing recorded for the host in this range yet (the history records while VS Code runs and the host is connected).' }));
    return;
  }
  const width = Math.max(280, Math.min(560, (root.clientWidth - 48) / 2));
  const axis = { stroke: cssVar('--vscode-foreground', '#888'), grid: { stroke: cssVar('--vscode-charts-lines', '#8884'), width: 1 }, ticks: { stroke: cssVar('--vscode-charts-lines', '#8884') } };
  const charts = el('div', { className: 'host-charts' });
  hostSection.append(charts);
  const mk = (label: string, series: uPlot.Series[], values: (number | null)[][], yMax: number | undefined, fmtY: (v: number) => string): void => {
    const fig = el('figure', { className: 'host-chart', attrs: { 'aria-label': label } });
    fig.append(el('figcaption', { text: label }));
    charts.append(fig);
    // Sparse data (a long range recorded for a short while) is drawn as dots: a lone slot between gaps has no line.
    const recorded = values[0].reduce<number>((n, v) => (v === null ? n : n + 1), 0);
    const dots = recorded < 240;
    const opts: uPlot.Options = {
      width,
      height: 160,
      series: [{}, ...series.map((s) => ({ ...s, points: { show: dots, size: 4, fill: s.stroke as string } }))],
      axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map(fmtY) }],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, yMax ?? (max > 0 ? max * 1.1 : 1)] } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    plots.push(new uPlot(opts, [h.times, ...values] as uPlot.AlignedData, fig));
  };
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  mk('CPU', [
    { label: 'Average', stroke: blue, width: 1.5, value: (_u, v) => (v === null ? '—' : pct(v)), spanGaps: false },
    { label: 'Peak', stroke: cssVar('--vscode-charts-red', '#f14c4c'), width: 1, dash: [4, 3], value: (_u, v) => (v === null ? '—' : pct(v)), spanGaps: false },
  ], [h.cpuAvg as number[], h.cpuMax as number[]], 100, pct);
  mk(`Memory used${h.memoryTotalKiB ? ` of ${formatKiB(h.memoryTotalKiB)}` : ''}`, [
    { label: 'Used', stroke: cssVar('--vscode-charts-purple', '#b180d7'), width: 1.5, value: (_u, v) => (v === null ? '—' : formatKiB(v)), spanGaps: false },
  ], [h.memoryUsedKiB as number[]], h.memoryTotalKiB ?? undefined, formatKiB);
}

function drawTop(d: DashboardData): void {
  topSection.replaceChildren(el('h2', { text: 'Top consumers' }));
  const lists = el('div', { className: 'top-lists' });
  for (const m of DASHBOARD_METRICS) {
    const box = el('div', { className: 'top-list' });
    box.append(el('h3', { text: `${METRIC_LABEL[m]} (average)` }));
    const ol = el('ol');
    const top = sortVms(d.vms, m).filter((v) => v.metrics[m].avg !== null && (v.metrics[m].avg ?? 0) > 0).slice(0, 5);
    if (top.length === 0) ol.append(el('li', { className: 'empty', text: 'No activity recorded.' }));
    for (const vm of top) {
      const li = el('li');
      const a = el('a', { text: vm.name, attrs: { href: '#', title: `Open the details of ${vm.name}` } });
      a.addEventListener('click', (e) => {
        e.preventDefault();
        channel.send({ type: 'openDetails', uuid: vm.uuid });
      });
      li.append(a, el('span', { className: 'figure', text: fmt(m, vm.metrics[m].avg) }));
      ol.append(li);
    }
    box.append(ol);
    lists.append(box);
  }
  topSection.append(lists);
}

const SPARK_W = 140;
const SPARK_H = 32;

function drawSpark(canvas: HTMLCanvasElement, points: readonly (number | null)[], max: number, colour: string): void {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = SPARK_W * ratio;
  canvas.height = SPARK_H * ratio;
  const g = canvas.getContext('2d');
  if (!g || points.length === 0) return;
  g.scale(ratio, ratio);
  g.strokeStyle = colour;
  g.fillStyle = colour;
  g.lineWidth = 1.25;
  const dx = points.length > 1 ? SPARK_W / (points.length - 1) : 0;
  const y = (v: number): number => SPARK_H - 1 - (max > 0 ? (Math.min(v, max) / max) * (SPARK_H - 3) : 0);
  g.beginPath();
  let pen = false;
  points.forEach((v, i) => {
    if (v === null) {
      pen = false; // a gap stays a gap
      return;
    }
    if (pen) g.lineTo(i * dx, y(v));
    else {
      g.moveTo(i * dx, y(v));
      // A lone point between gaps still shows, as a dot.
      const next = points[i + 1];
      if (next === null || next === undefined) g.fillRect(i * dx - 1.5, y(v) - 1.5, 3, 3);
    }
    pen = true;
  });
  g.stroke();
}

function card(vm: DashboardVm, metric: DashboardMetric, max: number, colour: string): HTMLElement {
  const s = vm.metrics[metric];
  const c = el('div', { className: 'card', attrs: { role: 'listitem', tabindex: '0', title: `Open the details of ${vm.name}` } });
  const head = el('div', { className: 'card-head' });
  head.append(el('span', { className: 'name', text: vm.name }), el('span', { className: 'state', text: vm.state }));
  const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': `${METRIC_LABEL[metric]} of ${vm.name}: average ${fmt(metric, s.avg)}, peak ${fmt(metric, s.peak)}` } });
  canvas.style.width = `${SPARK_W}px`;
  canvas.style.height = `${SPARK_H}px`;
  drawSpark(canvas, s.points, max, colour);
  const figs = el('div', { className: 'figures' });
  for (const m of DASHBOARD_METRICS) figs.append(el('span', { className: m === metric ? 'fig current' : 'fig', text: `${METRIC_LABEL[m]} ${fmt(m, vm.metrics[m].avg)}` }));
  const tags = vm.tags.length > 0 ? [el('div', { className: 'tags', text: vm.tags.map((t) => `#${t}`).join(' ') })] : [];
  c.append(head, canvas, figs, ...tags);
  const open = (): void => channel.send({ type: 'openDetails', uuid: vm.uuid });
  c.addEventListener('click', open);
  c.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    }
  });
  return c;
}

/** Draws the cards of the VMs the filter keeps, in the chosen order; says how long it took. */
function drawCards(): void {
  if (!data) return;
  const t0 = performance.now();
  const metric: DashboardMetric = sortKey === 'name' ? 'cpu' : sortKey;
  const shown = sortVms(filterVms(data.vms, filterText), sortKey);
  // One scale for every card of a metric, so the small multiples compare (CPU: 0–100 %).
  const max = metric === 'cpu' ? 100 : Math.max(0, ...shown.map((v) => v.metrics[metric].peak ?? 0));
  const colour = cssVar(METRIC_COLOUR[metric], '#3794ff');
  const frag = document.createDocumentFragment();
  for (const vm of shown) frag.append(card(vm, metric, max, colour));
  grid.replaceChildren(frag);
  count.textContent = `${shown.length} of ${data.vms.length} VMs · sparklines: ${METRIC_LABEL[metric]} on one scale${filterText.trim() && !data.tagsKnown && /tag:/.test(filterText) ? ' · reading tags…' : ''}`;
  requestAnimationFrame(() => channel.send({ type: 'shown', cards: shown.length, ms: Math.round(performance.now() - t0) }));
}

function draw(d: DashboardData): void {
  data = d;
  status.textContent = '';
  drawHost(d);
  drawTop(d);
  drawCards();
}

function onMessage(m: ToWebview): void {
  switch (m.type) {
    case 'init':
      title.textContent = m.title;
      return;
    case 'data':
      draw(m.data);
      return;
    case 'status':
      status.textContent = m.message;
      return;
  }
}

const vmsSection = el('section', { id: 'vms', attrs: { 'aria-label': 'Virtual machines' } });
vmsSection.append(el('h2', { text: 'Virtual machines' }), count, grid);
root.append(title, toolbar(), status, hostSection, topSection, vmsSection);
// Functions above reach `channel` only from events, after this line ran.
const channel = new HostChannel<ToWebview, FromWebview>(onMessage);
