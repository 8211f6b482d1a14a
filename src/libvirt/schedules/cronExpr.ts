// Cron times as the host's cron daemon reads them (crontab(5) of Vixie/ISC cron, which Debian,
// Ubuntu, RHEL's cronie and busybox crond share): five fields (minute, hour, day of month, month,
// day of week), each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
// those; month and weekday names (jan..dec, sun..sat) in single values and range ends; 7 is Sunday
// too; and the nicknames @hourly, @daily/@midnight, @weekly, @monthly, @yearly/@annually.
// @reboot is refused: a schedule at host boot is what libvirt's autostart already does.
// Each field is validated on its own, so an error names the field and the part that is wrong.
// The simple choices (hourly, daily at, weekly on) render to plain cron fields.

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }

  static is(e: unknown): e is CronError {
    return e instanceof CronError;
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Index of names[0] (jan = 1, sun = 0). */
  readonly nameBase?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

const NICKNAMES: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/** A validated cron time. */
export interface CronTime {
  /** The text as it goes into the crontab (normalised whitespace; nicknames kept). */
  readonly text: string;
  /** The five fields (a nickname expanded). */
  readonly fields: readonly [string, string, string, string, string];
  /** The values each field matches, sorted (day of week 7 folded into 0). */
  readonly values: readonly (readonly number[])[];
}

function parseValue(part: string, spec: FieldSpec, whole: string): number {
  const lower = part.toLowerCase();
  if (spec.names) {
    const i = spec.names.indexOf(lower);
    if (i >= 0) return i + (spec.nameBase ?? 0);
  }
  if (!/^\d+$/.test(part)) {
    const named = spec.names ? ` or a name (${spec.names.slice(0, 3).join(', ')}, …)` : '';
    throw new CronError(`${spec.name} "${whole}": "${part}" is not a number${named}`);
  }
  const n = Number(part);
  if (n < spec.min || n > spec.max) throw new CronError(`${spec.name} "${whole}": ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

/** The values one field matches; throws CronError naming the field. */
export function parseCronField(text: string, index: number): number[] {
  const spec = FIELDS[index];
  if (text === '') throw new CronError(`${spec.name} is empty`);
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(`${spec.name} "${text}": an empty item in the list`);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronError(`${spec.name} "${text}": more than one "/" in "${item}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${spec.name} "${text}": the step "${stepText}" must be a whole number from 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = spec.min;
      hi = spec.max === 7 ? 6 : spec.max;
    } else {
      const ends = range.split('-');
      if (ends.length > 2 || ends.some((e) => e === '')) throw new CronError(`${spec.name} "${text}": "${range}" is not a value or a range a-b`);
      lo = parseValue(ends[0], spec, text);
      hi = ends.length === 2 ? parseValue(ends[1], spec, text) : lo;
      // "5/15": cronie reads 5-max/15, Debian's Vixie cron refuses the line; refused here too.
      if (ends.length === 1 && stepText !== undefined) throw new CronError(`${spec.name} "${text}": a step needs a range or * before it ("${range}-…/${stepText}" or "*/${stepText}")`);
      if (hi < lo) throw new CronError(`${spec.name} "${text}": the range ${ends.join('-')} runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) out.add(spec.max === 7 && v === 7 ? 0 : v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Parses a cron time (five fields or a nickname); throws CronError with the first problem. */
export function parseCronTime(input: string): CronTime {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text === '') throw new CronError('enter five fields: minute hour day-of-month month day-of-week (e.g. "0 3 * * *")');
  if (text.startsWith('@')) {
    const lower = text.toLowerCase();
    if (lower === '@reboot') throw new CronError('@reboot is not offered: to start a VM when the host boots, enable its autostart');
    const expanded = NICKNAMES[lower];
    if (!expanded) throw new CronError(`"${text}" is not a cron nickname (${Object.keys(NICKNAMES).join(', ')})`);
    const t = parseCronTime(expanded);
    return { ...t, text: lower };
  }
  const parts = text.split(' ');
  if (parts.length !== 5) {
    throw new CronError(`${parts.length} field${parts.length === 1 ? '' : 's'} given; a cron time has five: minute hour day-of-month month day-of-week`);
  }
  for (const p of parts) {
    // Only what cron reads in a time field: anything else (%, quotes, $) never reaches the crontab.
    if (!/^[A-Za-z0-9*,/-]+$/.test(p)) throw new CronError(`"${p}" holds a character that a cron time field cannot have`);
  }
  const values = parts.map((p, i) => parseCronField(p, i));
  return { text, fields: parts as unknown as CronTime['fields'], values };
}

/** Undefined when valid, else the reason (for input-box validation while typing). */
export function cronTimeProblem(input: string): string | undefined {
  try {
    parseCronTime(input);
    return undefined;
  } catch (e) {
    if (CronError.is(e)) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------- simple choices

export type ScheduleWhen =
  | { readonly kind: 'hourly'; readonly minute: number }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  | { readonly kind: 'weekly'; readonly days: readonly number[]; readonly hour: number; readonly minute: number }
  | { readonly kind: 'cron'; readonly expr: string };

/** Parses "HH:MM" (24-hour). */
export function parseClock(text: string): { hour: number; minute: number } {
  const m = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) throw new CronError(`"${text}" is not a time of day as HH:MM (24-hour), e.g. 03:00`);
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (hour > 23) throw new CronError(`hour ${hour} is outside 0-23`);
  if (minute > 59) throw new CronError(`minute ${minute} is outside 0-59`);
  return { hour, minute };
}

function checkInt(n: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < min || n > max) throw new CronError(`${what} ${n} is outside ${min}-${max}`);
}

/** The cron time of a choice; validates it. */
export function cronOf(when: ScheduleWhen): CronTime {
  switch (when.kind) {
    case 'hourly':
      checkInt(when.minute, 0, 59, 'minute');
      return parseCronTime(`${when.minute} * * * *`);
    case 'daily':
      checkInt(when.hour, 0, 23, 'hour');
      checkInt(when.minute, 0, 59, 'minute');
      return parseCronTime(`${when.minute} ${when.hour} * * *`);
    case 'weekly': {
      checkInt(when.hour, 0, 23, 'hour');
      checkInt(when.minute, 0, 59, 'minute');
      if (when.days.length === 0) throw new CronError('choose at least one day of the week');
      for (const d of when.days) checkInt(d, 0, 6, 'day of week');
      const days = [...new Set(when.days)].sort((a, b) => a - b);
      return parseCronTime(`${when.minute} ${when.hour} * * ${days.join(',')}`);
    }
    case 'cron':
      return parseCronTime(when.expr);
  }
}

// ---------------------------------------------------------------- words

const pad2 = (n: number): string => String(n).padStart(2, '0');

function isAll(values: readonly number[], index: number): boolean {
  const spec = FIELDS[index];
  const max = spec.max === 7 ? 6 : spec.max;
  return values.length === max - spec.min + 1;
}

function list(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** "every 5 minutes" when the values are an even step from the field's start, else undefined. */
function stepWords(values: readonly number[], index: number, unit: string): string | undefined {
  const spec = FIELDS[index];
  if (values.length < 2 || values[0] !== spec.min) return undefined;
  const step = values[1] - values[0];
  const max = spec.max === 7 ? 6 : spec.max;
  if (values.some((v, i) => v !== spec.min + i * step) || values[values.length - 1] + step <= max) return undefined;
  return `every ${step} ${unit}s`;
}

function ranges(values: readonly number[], word: (n: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    out.push(j - i >= 2 ? `${word(values[i])} to ${word(values[j])}` : j === i ? word(values[i]) : `${word(values[i])}, ${word(values[j])}`);
    i = j + 1;
  }
  return list(out.flatMap((s) => s.split(', ')));
}

/** Plain English for a cron time: "every day at 03:00", "every 5 minutes", "at 22:30 on Monday and Friday". */
export function describeCron(t: CronTime): string {
  const [mins, hours, doms, months, dows] = t.values;
  const allDom = isAll(doms, 2);
  const allDow = isAll(dows, 4);
  const allMonth = isAll(months, 3);
  let time: string;
  let clock = false;
  const past = (m: number): string => `${m} minute${m === 1 ? '' : 's'} past`;
  const hourStep = stepWords(hours, 1, 'hour');
  if (isAll(mins, 0) && isAll(hours, 1)) time = 'every minute';
  else if (isAll(hours, 1)) {
    const step = stepWords(mins, 0, 'minute');
    time = step ?? (mins.length === 1 ? (mins[0] === 0 ? 'every hour' : `every hour at ${past(mins[0])}`) : `every hour at minutes ${ranges(mins, String)}`);
  } else if (mins.length === 1 && hourStep) {
    time = mins[0] === 0 ? hourStep : `${hourStep} at ${past(mins[0])}`;
  } else if (mins.length === 1 && hours.length <= 6) {
    time = `at ${list(hours.map((h) => `${pad2(h)}:${pad2(mins[0])}`))}`;
    clock = true;
  } else {
    const minutePart = mins.length === 1 ? `at ${past(mins[0])}` : isAll(mins, 0) ? 'every minute' : `at minutes ${ranges(mins, String)}`;
    time = `${minutePart} ${hourStep ? hourStep.replace('every', 'of every') : `of hours ${ranges(hours, pad2)}`}`;
  }
  const dayParts: string[] = [];
  // cron: when both day fields are restricted, a day matches either of them.
  if (!allDom && !allDow) dayParts.push(`on day ${ranges(doms, String)} of the month or on ${ranges(dows, (d) => DAY_NAMES[d])}`);
  else if (!allDom) dayParts.push(`on day ${ranges(doms, String)} of the month`);
  else if (!allDow) dayParts.push(`on ${ranges(dows, (d) => DAY_NAMES[d])}`);
  if (!allMonth) dayParts.push(`in ${ranges(months, (m) => MONTH_NAMES[m - 1])}`);
  const everyDay = dayParts.length === 0 && clock;
  return [everyDay ? `every day ${time}` : time, ...dayParts].join(' ');
}
