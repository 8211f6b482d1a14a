// Unicode sparklines (▁▂▃▄▅▆▇█) for Markdown tooltips: a series squeezed into a few characters,
// each the average of its bucket; a bucket without any sample is a space (a gap stays a gap).

const BARS = '▁▂▃▄▅▆▇█';

/**
 * `values` (NaN for gaps) as `width` characters, scaled from 0 to `max` (the largest value when
 * not given). Empty when there is no value at all.
 */
export function sparkline(values: ArrayLike<number>, width = 24, max?: number): string {
  const n = values.length;
  if (n === 0) return '';
  const buckets = Math.min(width, n);
  const avgs: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let sum = 0;
    let count = 0;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v === v) {
        sum += v;
        count++;
      }
    }
    avgs.push(count === 0 ? NaN : sum / count);
  }
  if (avgs.every((v) => Number.isNaN(v))) return '';
  const top = max ?? Math.max(...avgs.filter((v) => !Number.isNaN(v)));
  return avgs
    .map((v) => {
      if (Number.isNaN(v)) return ' ';
      if (!(top > 0)) return BARS[0];
      const i = Math.round((Math.min(Math.max(v, 0), top) / top) * (BARS.length - 1));
      return BARS[i];
    })
    .join('');
}

/** Mean and maximum of the non-NaN values; undefined when there are none. */
export function meanMax(values: ArrayLike<number>, maxes: ArrayLike<number> = values): { mean: number; max: number } | undefined {
  let sum = 0;
  let count = 0;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      sum += v;
      count++;
    }
    const m = maxes[i];
    if (m === m && m > max) max = m;
  }
  return count === 0 ? undefined : { mean: sum / count, max };
}
