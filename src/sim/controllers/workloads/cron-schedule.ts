/**
 * Standard 5-field cron schedules (minute hour day-of-month month day-of-week) as the CronJob
 * controller reads them: `*`, numbers, lists, ranges, steps, month and weekday names, `?`, and the
 * `@yearly @annually @monthly @weekly @daily @midnight @hourly` macros. Times are UTC.
 */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether day-of-month / day-of-week were `*` (cron matches either field when both are restricted). */
  daysStar: boolean;
  weekdaysStar: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(text: string, min: number, max: number, names: string[] | undefined, nameBase: number, what: string): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names?.indexOf(v.toLowerCase()) ?? -1;
    const n = i >= 0 ? i + nameBase : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw new RangeError(`failed to parse int from ${v}: invalid ${what}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [rangeText = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new RangeError(`invalid step ${JSON.stringify(stepText)} in ${what}`);
    let lo: number;
    let hi: number;
    if (rangeText === '*' || rangeText === '?') {
      lo = min;
      hi = max;
    } else if (rangeText.includes('-')) {
      const [a = '', b = ''] = rangeText.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(rangeText);
      hi = stepText === undefined ? lo : max;
    }
    if (what === 'day of week' && hi === 7) hi = 7;
    if (lo < min || hi > (what === 'day of week' ? 7 : max) || lo > hi) {
      throw new RangeError(`end of range (${hi}) above maximum (${max}): ${part}`);
    }
    for (let v = lo; v <= hi; v += step) out.add(what === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}

/** @throws RangeError for a schedule that is not valid cron, with a message naming the bad part. */
export function parseCronSchedule(schedule: string): CronSchedule {
  let text = schedule.trim();
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) text = text.slice(text.indexOf(' ') + 1).trim();
  text = MACROS[text.toLowerCase()] ?? text;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new RangeError(`expected exactly 5 fields, found ${fields.length}: ${JSON.stringify(schedule)}`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = fields;
  return {
    minutes: parseField(m, 0, 59, undefined, 0, 'minute'),
    hours: parseField(h, 0, 23, undefined, 0, 'hour'),
    days: parseField(dom, 1, 31, undefined, 0, 'day of month'),
    months: parseField(mon, 1, 12, MONTHS, 1, 'month'),
    weekdays: parseField(dow, 0, 6, DAYS, 0, 'day of week'),
    daysStar: dom === '*' || dom === '?',
    weekdaysStar: dow === '*' || dow === '?',
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  if (s.daysStar || s.weekdaysStar) return dom && dow;
  return dom || dow;
}

/** The first scheduled time strictly after `after` (epoch ms), or undefined within five years. */
export function nextCronTime(s: CronSchedule, after: number): number | undefined {
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 5 * 366 * 24 * 3600_000;
  while (d.getTime() <= limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}
