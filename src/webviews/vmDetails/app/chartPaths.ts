// The SVG paths of one series of the performance charts (perfCharts.ts). No DOM here: the unit
// tests draw with it in Node.

import type { PerfSample } from '../../../libvirt/perfSample';

/** The charts' viewBox height (values scale from the bottom, 0, to the top, max). */
export const CHART_HEIGHT = 60;

/**
 * The line through the values, x from `xOf` (a missing value breaks it: a gap stays a gap), and
 * the points that stand alone (a single recorded point, or one between gaps), which a line cannot
 * show: they are drawn as dots, zero-length subpaths with round caps (see .perf-dot), which stay
 * round although the chart stretches its viewBox.
 */
export function chartPaths(
  samples: readonly PerfSample[],
  value: (s: PerfSample) => number | undefined,
  max: number,
  xOf: (i: number) => number,
  height = CHART_HEIGHT,
): { line: string; dots: string } {
  const line: string[] = [];
  const dots: string[] = [];
  let pen = false;
  samples.forEach((s, i) => {
    const v = value(s);
    if (v === undefined) {
      pen = false;
      return;
    }
    const at = `${xOf(i).toFixed(1)},${(height - (Math.min(Math.max(v, 0), max) / max) * height).toFixed(1)}`;
    const next = samples[i + 1];
    if (!pen && (next === undefined || value(next) === undefined)) {
      dots.push(`M${at}h0`);
      return;
    }
    line.push(`${pen ? 'L' : 'M'}${at}`);
    pen = true;
  });
  return { line: line.join(''), dots: dots.join('') };
}
