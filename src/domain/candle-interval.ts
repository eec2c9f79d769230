// History candle intervals: the OpenAlgo interval names, their kind and length, and range caps.

/** Every interval name OpenAlgo's history schema accepts. */
export const INTERVALS = [
  '1s',
  '5s',
  '10s',
  '15s',
  '30s',
  '45s',
  '1m',
  '2m',
  '3m',
  '5m',
  '10m',
  '15m',
  '20m',
  '30m',
  '1h',
  '2h',
  '3h',
  '4h',
  'D',
  'W',
  'M',
  'Q',
  'Y',
] as const;
export type Interval = (typeof INTERVALS)[number];

/** Calendar buckets built from daily bars. */
export type PeriodInterval = 'D' | 'W' | 'M' | 'Q' | 'Y';

/** Intervals grouped the way the `/intervals` endpoint reports them. */
export const INTERVAL_GROUPS = {
  seconds: ['1s', '5s', '10s', '15s', '30s', '45s'],
  minutes: ['1m', '2m', '3m', '5m', '10m', '15m', '20m', '30m'],
  hours: ['1h', '2h', '3h', '4h'],
  days: ['D'],
  weeks: ['W'],
  months: ['M'],
} as const satisfies Record<string, readonly Interval[]>;

/** Longest request range in IST calendar days, per interval family (the response stays bounded). */
export const MAX_RANGE_DAYS = { seconds: 1, intraday: 30, daily: 3660 } as const;

/** True for a calendar bucket (D/W/M/Q/Y); false for a fixed length in milliseconds. */
export function isPeriod(interval: Interval): interval is PeriodInterval {
  return interval === 'D' || interval === 'W' || interval === 'M' || interval === 'Q' || interval === 'Y';
}

/** Length of an intraday interval in milliseconds. */
export function intervalMs(interval: Exclude<Interval, PeriodInterval>): number {
  const n = Number(interval.slice(0, -1));
  const unit = interval.slice(-1);
  return n * (unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000);
}

/** The longest range in days allowed for an interval. */
export function maxRangeDays(interval: Interval): number {
  if (isPeriod(interval)) return MAX_RANGE_DAYS.daily;
  return interval.endsWith('s') ? MAX_RANGE_DAYS.seconds : MAX_RANGE_DAYS.intraday;
}

/** True when `text` names an interval. */
export function isInterval(text: string): text is Interval {
  return (INTERVALS as readonly string[]).includes(text);
}
