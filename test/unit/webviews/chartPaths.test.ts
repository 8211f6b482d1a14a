// The performance charts' SVG paths: a line through neighbouring points, a gap left open, and a
// dot (zero-length subpath, drawn round by .perf-dot) for a point with no neighbour, which a
// line of one point would not show.
import * as assert from 'node:assert/strict';
import type { PerfSample } from '../../../src/libvirt/perfSample';
import { CHART_HEIGHT, chartPaths } from '../../../src/webviews/vmDetails/app/chartPaths';

function sample(cpu: number | undefined, at = 0): PerfSample {
  return { at, cpuPercent: cpu, memoryUsedKiB: undefined, memoryKiB: undefined, diskReadBps: undefined, diskWriteBps: undefined, diskReadIops: undefined, diskWriteIops: undefined, netRxBps: undefined, netTxBps: undefined };
}

const cpu = (s: PerfSample): number | undefined => s.cpuPercent;
const xOf = (i: number): number => i * 10;

describe('performance chart paths (unit)', () => {
  it('draws one line through neighbouring points, no dots', () => {
    const p = chartPaths([sample(0), sample(50), sample(100)], cpu, 100, xOf);
    assert.equal(p.line, `M0.0,${CHART_HEIGHT.toFixed(1)}L10.0,30.0L20.0,0.0`);
    assert.equal(p.dots, '');
  });

  it('draws a single point as a dot, not as a line', () => {
    const p = chartPaths([sample(50)], cpu, 100, xOf);
    assert.equal(p.line, '');
    assert.equal(p.dots, 'M0.0,30.0h0');
  });

  it('draws a point between gaps as a dot and keeps the lines on both sides', () => {
    const p = chartPaths([sample(10), sample(20), sample(undefined), sample(50), sample(undefined), sample(undefined), sample(100), sample(0)], cpu, 100, xOf);
    assert.equal(p.line, 'M0.0,54.0L10.0,48.0M60.0,0.0L70.0,60.0');
    assert.equal(p.dots, 'M30.0,30.0h0');
  });

  it('draws a dot for a point at either end next to a gap', () => {
    const p = chartPaths([sample(25), sample(undefined), sample(75)], cpu, 100, xOf);
    assert.equal(p.line, '');
    assert.equal(p.dots, 'M0.0,45.0h0M20.0,15.0h0');
  });

  it('clamps values to the scale', () => {
    const p = chartPaths([sample(-5), sample(250)], cpu, 100, xOf);
    assert.equal(p.line, 'M0.0,60.0L10.0,0.0');
  });
});
